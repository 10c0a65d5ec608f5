// Demo data is all or nothing: `stateward demo` and the app's demo.seed killed at
// any moment leave an empty data dir (or a complete demo) that starts, and a
// re-run then succeeds. While the app seeds, the UI's reads go on and other
// writes are refused with a retryable code rather than mixed into the demo.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openReadOnly } from '../../electron/core/store/db.ts';
import { countRows } from '../../electron/core/store/introspect.ts';
import { spawnLines } from '../helpers/backup-util.ts';
import { HELPERS_DIR } from '../helpers/child.ts';
import { cli } from '../helpers/cli.ts';
import { call, callError } from '../helpers/restore-util.ts';
import { readyDb, startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const DEPLOYMENTS = 20_000; // progress (and a statement) every 1,000

function counts(dir: string): { projects: number; deployments: number } {
  const db = openReadOnly(path.join(dir, 'stateward.db'));
  try {
    return {
      projects: countRows(db, 'projects') ?? 0,
      deployments: countRows(db, 'deployments') ?? 0,
    };
  } finally {
    db.close();
  }
}

async function createdDataDir(): Promise<string> {
  const dir = world.dir();
  readyDb(await startTestRuntime(world, dir, { lockMode: null }));
  return dir;
}

describe('a killed demo', () => {
  for (const mode of ['cli', 'app'] as const) {
    // After the first chunk, mid-way, and after the last chunk (before the final commit).
    for (const killAt of mode === 'cli' ? [5_000, 10_000, DEPLOYMENTS] : [5_000, DEPLOYMENTS]) {
      it(`${mode}: killed after ${killAt} of ${DEPLOYMENTS} deployments leaves an empty data dir; the re-run succeeds`, async () => {
        const dir = await createdDataDir();
        const child = spawnLines(world, [
          path.join(HELPERS_DIR, 'demo-child.ts'),
          dir,
          mode,
          String(DEPLOYMENTS),
        ]);
        await child.waitLine((l) => l === `progress ${killAt}`, 60_000);
        await child.kill();

        // It starts, and holds nothing of the demo — or all of it, when the kill came after the
        // final commit (possible after the last chunk only).
        const rt = await startTestRuntime(world, dir);
        readyDb(rt);
        rt.close();
        const after = counts(dir);
        if (killAt === DEPLOYMENTS && after.projects > 0) {
          expect(after).toEqual({ projects: 2, deployments: DEPLOYMENTS });
          return;
        }
        expect(after).toEqual({ projects: 0, deployments: 0 });

        const again = await cli(
          '--data-dir',
          dir,
          '--json',
          'demo',
          '--projects',
          '2',
          '--deployments',
          '1000',
        );
        expect(again.code, again.stdout + again.stderr).toBe(0);
        expect(counts(dir)).toEqual({ projects: 2, deployments: 1000 });
      });
    }
  }
});

describe('while the app seeds', () => {
  it('reads see the data dir as it was, other writes are refused (DATA_DIR_BUSY), and the demo completes', async () => {
    const rt = await startTestRuntime(world);
    readyDb(rt);
    const reg = testRegistry(rt);
    const db = readyDb(rt);
    const during: { projects: number | null; write: Promise<string> }[] = [];
    rt.events.on('progress', (p) => {
      // Between two chunks: the seeding transaction is open.
      if (p.done === 5_000)
        during.push({
          projects: countRows(db, 'projects'),
          write: callError(reg, 'projects.create', { name: 'mine' }).then((e) => e.code),
        });
    });
    const r = await call<{ deployments: number }>(reg, 'demo.seed', {
      projects: 2,
      deployments: 12_000,
    });
    expect(r.deployments).toBe(12_000);
    expect(during).toHaveLength(1);
    expect(during[0]!.projects).toBe(0);
    expect(await during[0]!.write).toBe('DATA_DIR_BUSY');
    // Afterwards writes are accepted again.
    await call(reg, 'projects.create', { name: 'mine' });
    expect(countRows(db, 'deployments')).toBe(12_000);
  });
});
