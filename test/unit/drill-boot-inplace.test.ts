// The drill's boot step runs the app on the restored copy itself, moved (rename) into
// a private folder beside it and back: no byte copy. A boot that changed nothing does
// not run quick_check again (the integrity check stands); one whose app wrote the file
// runs it; a drill killed while the copy is moved leaves the copy interrupted (a
// verify's copy is removed at the next start) and a data dir that starts.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import type { DrillStep } from '../../shared/domain.ts';
import {
  bootCopy,
  nodeHostSpawner,
  stampForBoot,
  stampOf,
} from '../../electron/core/restore/boot.ts';
import { startRuntime } from '../../electron/core/runtime.ts';
import { useWorld } from '../helpers/world.ts';
import { headerJournalBytes, seededRuntime } from '../helpers/backup-util.ts';
import { editFile, sha256 } from '../helpers/restore-util.ts';
import { HELPERS_DIR, spawnUntilLine } from '../helpers/child.ts';
import type { TraceEvent } from '../helpers/syscall-sweep.ts';
import { HAVE_STRACE, killAtCallArgs, parseTrace, straceNode } from '../helpers/syscall-sweep.ts';
import { processAlive } from '../../electron/core/fsutil.ts';

const world = useWorld();
const BOOT_CHILD = path.join(HELPERS_DIR, 'boot-child.ts');

/** A data dir with a backup of 2 projects staged as a restored copy (the runtime closed). */
async function stagedCopy(): Promise<{ dir: string; id: string; backupId: string; copy: string }> {
  const dir = world.dir();
  const rt = await seededRuntime(world, 3, { dir, projects: 2 });
  try {
    const b = await rt.backups.run({ kind: 'manual', compact: false });
    const staged = await rt.restores.stage({ backupId: b.id });
    const id = staged.restoreId!;
    return { dir, id, backupId: b.id, copy: path.join(rt.layout.restores, id, 'stateward.db') };
  } finally {
    rt.close();
  }
}

const bootDirsIn = (folder: string) =>
  fs.readdirSync(folder).filter((n) => n.startsWith('stateward-boot-'));
const recheckOf = (step: Pick<DrillStep, 'probes'>) =>
  step.probes!.find((p) => p.name === 'Recheck')!;

async function reopen(dir: string) {
  const rt = await startRuntime({ dir, source: 'flag', transport: 'cli', lockMode: 't' });
  world.defer(() => rt.close());
  return rt;
}

describe('boot step on the moved copy', () => {
  it('a boot that changes nothing does not run quick_check again: the integrity check stands', async () => {
    const { dir, id, copy } = await stagedCopy();
    const inode = fs.statSync(copy).ino;
    const rt = await reopen(dir);
    // The file's bytes as the app starts on it and once it has exited (before it is moved back).
    const hashes: string[] = [];
    rt.restores.bootOptions = {
      spawner: {
        kind: 'node',
        spawn(args, env, cwd) {
          const db = path.join(args[args.indexOf('--data-dir') + 1]!, 'stateward.db');
          hashes.push(sha256(db));
          const child = nodeHostSpawner.spawn(args, env, cwd);
          const exited = child.exited.then((r) => (hashes.push(sha256(db)), r));
          return { ...child, exited, kill: (sig) => child.kill(sig) };
        },
      },
    };
    const report = await rt.restores.drill(id);
    expect(report.passed, report.summary).toBe(true);
    const host = report.steps.at(-1)!;
    expect(host).toMatchObject({ key: 'host', status: 'pass' });
    expect(host.facts).toMatchObject({ quickCheck: 'stands' });
    expect(recheckOf(host)).toMatchObject({
      status: 'pass',
      detail:
        'File unchanged by the boot and since step 3 (“Integrity and foreign keys”) (size, mtime, ctime, inode; no journal or WAL frames): that step’s integrity_check, which includes quick_check, stands; schema_migrations is unchanged (no migration ran again).'.replace(
          '’s integrity',
          "'s integrity",
        ),
    });
    expect(host.probes!.find((p) => p.name === 'Temporary data dir')!.detail).toMatch(
      /^The copy was moved \(renamed: no byte copied\)/,
    );
    expect(host.detail).toMatch(
      /the app left the file unchanged, so the integrity check of step 3/,
    );
    // The copy itself ran (same inode), and is back where it was; the boot folder is gone.
    expect(fs.statSync(copy).ino).toBe(inode);
    expect(bootDirsIn(path.dirname(copy))).toEqual([]);
    expect(rt.restores.get(id)).toMatchObject({ status: 'ready', passed: true });
    // The restored copy the user keeps: not a byte changed while the app ran on it.
    expect(hashes).toHaveLength(2);
    expect(hashes[1]).toBe(hashes[0]);
  });

  it('a boot that fails (the app hangs) still moves the copy back', async () => {
    const { dir, id, copy } = await stagedCopy();
    const rt = await reopen(dir);
    rt.restores.bootOptions = {
      timeoutMs: 3_000,
      graceMs: 200,
      env: { STATEWARD_FAULT: 'host-ready' },
    };
    const report = await rt.restores.drill(id);
    expect(report.passed).toBe(false);
    expect(report.steps.at(-1)).toMatchObject({ key: 'host', status: 'fail' });
    expect(fs.existsSync(copy)).toBe(true);
    expect(bootDirsIn(path.dirname(copy))).toEqual([]);
    expect(rt.restores.get(id)).toMatchObject({ status: 'failed', passed: false });
  });

  it('an app that writes the file (another journal mode): quick_check runs again and passes', async () => {
    const { copy } = await stagedCopy();
    // In rollback-journal mode the app switches the file to WAL as it opens it: a write.
    editFile(copy, (db) => db.pragma('journal_mode = DELETE'));
    expect(headerJournalBytes(copy)).toEqual([1, 1]);
    const r = await bootCopy(
      copy,
      { projects: 2 },
      { inPlace: { checked: { stamp: stampOf(copy), step: 'step 3' } } },
    );
    expect(r.status, r.detail).toBe('pass');
    expect(r.facts).toMatchObject({ quickCheck: 'ran' });
    expect(recheckOf(r)).toMatchObject({
      status: 'pass',
      detail: 'quick_check says ok; schema_migrations is unchanged (no migration ran again).',
    });
    expect(r.detail).toMatch(/the copy still passes quick_check and no migration ran twice\.$/);
    expect(headerJournalBytes(copy)).toEqual([2, 2]);
    expect(bootDirsIn(path.dirname(copy))).toEqual([]);
  });

  it('a file written after its integrity check began: quick_check runs again', async () => {
    const { copy } = await stagedCopy();
    // Stamped as the drill does it; the write right after it (same clock tick, maybe) is seen.
    const stamp = stampForBoot(copy)!;
    editFile(copy, (db) => db.prepare(`UPDATE projects SET description = 'changed'`).run());
    const r = await bootCopy(
      copy,
      { projects: 2 },
      { inPlace: { checked: { stamp, step: 'step 3' } } },
    );
    expect(r.status, r.detail).toBe('pass');
    expect(r.facts).toMatchObject({ quickCheck: 'ran' });
    expect(recheckOf(r).detail).toMatch(/^quick_check says ok/);
  });
});

describe('a drill killed while the copy is moved', () => {
  /** Run the drill in a child under strace, SIGKILLed right before its `when`-th rename call. */
  async function drillKilledAt(when: number) {
    const staged = await stagedCopy();
    const run = await straceNode(
      killAtCallArgs('rename', { when }),
      BOOT_CHILD,
      ['--drill', staged.dir, staged.id, '--plain'],
      { world },
    );
    return { ...staged, run };
  }

  it.skipIf(!HAVE_STRACE)(
    'killed before the move or with the copy in the boot folder: the copy shows as interrupted, the data dir starts, discard removes it all',
    async () => {
      // A traced drill: which of its renames move the copy in and back.
      const traced = await stagedCopy();
      const traceFile = path.join(world.dir(), 'trace');
      const done = await straceNode(
        ['-o', traceFile, '-e', 'trace=rename'],
        BOOT_CHILD,
        ['--drill', traced.dir, traced.id, '--plain'],
        { world },
      );
      expect(done.stdout).toContain('drilled true');
      const renames = parseTrace(fs.readFileSync(traceFile, 'utf8')).filter(
        (e) => e.syscall === 'rename',
      );
      const moveIn = renames.find((e) => e.file === traced.copy)!;
      const moveBack = renames.find((e) =>
        /\/stateward-boot-[^/]+\/stateward\.db$/.test(e.file ?? ''),
      )!;
      expect(moveIn && moveBack).toBeTruthy();
      expect(moveBack.tid).toBe(moveIn.tid);
      const nth = (e: TraceEvent) =>
        renames.filter((x) => x.tid === e.tid && x.index <= e.index).length;

      for (const [when, inBootFolder] of [
        [nth(moveIn), false],
        [nth(moveBack), true],
      ] as const) {
        const { dir, id, copy, run } = await drillKilledAt(when);
        expect(run.signal, run.stderr).toBe('SIGKILL');
        expect(run.stdout).not.toContain('drilled');
        const folder = path.dirname(copy);
        const [boot] = bootDirsIn(folder);
        expect(boot).toBeDefined();
        expect(fs.existsSync(copy)).toBe(!inBootFolder);
        expect(fs.existsSync(path.join(folder, boot!, 'stateward.db'))).toBe(inBootFolder);
        expect(fs.statSync(path.join(folder, boot!)).mode & 0o777).toBe(0o700);

        const rt = await reopen(dir);
        expect(rt.startup.state).toBe('ready');
        expect(rt.restores.get(id)).toMatchObject({ status: 'interrupted', passed: false });
        await expect(rt.restores.drill(id)).rejects.toMatchObject({ code: 'CONFLICT' });
        rt.restores.discard(id);
        expect(fs.readdirSync(path.dirname(folder))).toEqual([]);
      }
    },
  );

  it('a verify killed while its app serves the moved copy: the next start removes the copy', async () => {
    const { dir, id, backupId } = await stagedCopy();
    const { child, line } = await spawnUntilLine(
      world,
      [BOOT_CHILD, '--verify', dir, backupId],
      60_000,
    );
    const hostPid = Number(/^host (\d+)$/.exec(line)![1]);
    world.defer(() => {
      if (processAlive(hostPid)) process.kill(hostPid, 'SIGKILL');
    });
    const restores = path.join(dir, 'restores');
    const verifying = fs
      .readdirSync(restores)
      .filter((n) => bootDirsIn(path.join(restores, n)).length > 0);
    expect(verifying).toHaveLength(1);
    const folder = path.join(restores, verifying[0]!);
    expect(fs.existsSync(path.join(folder, 'stateward.db'))).toBe(false);
    await child.kill();
    for (let i = 0; i < 100 && processAlive(hostPid); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(processAlive(hostPid)).toBe(false);

    const rt = await reopen(dir);
    expect(rt.startup.state).toBe('ready');
    expect(fs.existsSync(folder)).toBe(false);
    // Only the copy staged before the verify is left.
    expect(fs.readdirSync(restores)).toEqual([id]);
  });
});
