// What killed backups leave behind, and who removes it: a backup is listed only
// whole (file + manifest); the next start (or the next backup into that folder)
// removes Stateward's own temporaries and nothing else; start-up never fails over
// leftovers; runs of killed backups end as interrupted. Kills are injected right
// at the renames that finish a backup (strace kill-after-syscall).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listBackupFiles } from '../../electron/core/backup/list.ts';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { startRun, listRuns } from '../../electron/core/store/resources/runs.ts';
import { filesIn, inspectBackupFile, manifestPathOf } from '../helpers/backup-util.ts';
import { exitedPid } from '../helpers/child.ts';
import { cli } from '../helpers/cli.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';
import { HAVE_STRACE, killAtCallArgs, straceCli } from '../helpers/syscall-sweep.ts';
import { runSqlite, SQLITE } from '../../electron/core/store/sql.ts';

const world = useWorld();
const RENAMES = 'rename,renameat,renameat2';

async function demoDir(): Promise<string> {
  const dir = world.dir();
  const r = await cli('--data-dir', dir, 'demo', '--projects', '1', '--deployments', '100');
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

/** `stateward <args>` as a real process, SIGKILLed by strace right at its `when`-th rename. */
async function killedAtRename(
  when: number,
  args: string[],
): Promise<NodeJS.Signals | number | null> {
  const run = await straceCli(killAtCallArgs(RENAMES, { when }), args, {
    // strace counts `when` per thread: one libuv thread makes every rename of the backup count.
    env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
    world,
  });
  return run.signal ?? run.code;
}

/** Every .sqlite in a folder has its manifest beside it (what a list must never show otherwise). */
function loneBackups(dir: string): string[] {
  return listBackupFiles(dir, null)
    .filter((e) => !e.hasManifest)
    .map((e) => e.fileName);
}

describe.skipIf(!HAVE_STRACE)('a backup killed at the renames that finish it', () => {
  it.each([1, 2])(
    'killed at rename %i: never listed without its manifest; the next start leaves nothing behind and marks the run interrupted',
    async (when) => {
      const dir = await demoDir();
      const backups = dataDirLayout(dir).backups;
      const outcome = await killedAtRename(when, ['--data-dir', dir, 'backup']);
      expect(outcome, 'strace killed the backup').not.toBe(0);
      expect(loneBackups(backups), 'a backup listed without its manifest').toEqual([]);
      const listed = await cli('--data-dir', dir, '--json', 'backups');
      expect(listed.code).toBe(0);
      for (const b of (JSON.parse(listed.stdout) as { backups: { hasManifest: boolean }[] })
        .backups)
        expect(b.hasManifest).toBe(true);

      const rt = await startTestRuntime(world, dir);
      expect(rt.startup).toEqual({ state: 'ready' });
      const left = filesIn(backups);
      expect(
        left.filter((n) => n.startsWith('.')),
        'temporaries after the next start',
      ).toEqual([]);
      // Whatever is left is whole: each backup with its manifest, no manifest alone.
      const sqlite = left.filter((n) => n.endsWith('.sqlite'));
      expect(left.filter((n) => n.endsWith('.manifest.json'))).toEqual(
        sqlite.map((n) => path.basename(manifestPathOf(path.join(backups, n)))),
      );
      for (const n of sqlite)
        expect(inspectBackupFile(path.join(backups, n)).quickCheck).toBe('ok');
      const runs = runSqlite(readyDb(rt), listRuns(SQLITE, { kind: 'backup', limit: 5 }));
      expect(runs.filter((r) => r.status === 'running')).toEqual([]);
      expect(runs[0]).toMatchObject({ status: 'failed', detail: { code: 'INTERRUPTED' } });
    },
  );

  it('a killed `backup --out` leaves temporaries that the next backup into that folder removes', async () => {
    const dir = await demoDir();
    const out = path.join(world.dir(), 'out');
    expect(await killedAtRename(1, ['--data-dir', dir, 'backup', '--out', out])).not.toBe(0);
    const before = filesIn(out);
    expect(
      before.some((n) => n.startsWith('.')),
      `left by the kill: ${before.join(', ')}`,
    ).toBe(true);
    const r = await cli('--data-dir', dir, 'backup', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const file = r.lines[0]!;
    expect(filesIn(out)).toEqual([path.basename(file), path.basename(manifestPathOf(file))].sort());
  });
});

describe('clean-up by the next copy', () => {
  it('the next off-site copy removes what a killed copy left in the off-site folder', async () => {
    const rt = await startTestRuntime(world);
    const offsite = world.dir();
    rt.backups.saveSettings({ offsiteDir: offsite });
    const half = `.stateward-tmp-${await exitedPid()}-0a1b2c3d-20261121T213000Z-manual-0123456789abcdef.sqlite`;
    fs.writeFileSync(path.join(offsite, half), 'half');
    const entry = await rt.backups.run({ kind: 'manual', compact: false });
    expect(filesIn(offsite)).toEqual(
      [entry.fileName, path.basename(manifestPathOf(entry.fileName))].sort(),
    );
  });
});

describe('clean-up at start', () => {
  it('never fails start-up and removes only Stateward’s own temporaries (no folders, no symlinks, no foreign names)', async () => {
    const rt = await startTestRuntime(world);
    const offsite = world.dir();
    rt.backups.saveSettings({ offsiteDir: offsite });
    const dir = rt.layout.dir;
    rt.close();
    fs.mkdirSync(rt.layout.backups, { mode: 0o700 });
    const dead = await exitedPid();
    const outside = path.join(world.dir(), 'precious.txt');
    fs.writeFileSync(outside, 'keep me');
    const ours = `.stateward-tmp-${dead}-0a1b2c3d-0123456789abcdef.sqlite`;
    for (const folder of [offsite, rt.layout.backups]) {
      fs.mkdirSync(path.join(folder, 'x.tmp'));
      fs.mkdirSync(path.join(folder, `.stateward-tmp-${dead}-0a1b2c3d-folder`));
      fs.symlinkSync(outside, path.join(folder, `.stateward-tmp-${dead}-0a1b2c3d-link.sqlite`));
      fs.writeFileSync(path.join(folder, '.tmp-photos.jpg'), 'not ours');
      fs.writeFileSync(path.join(folder, '.settings.tmp'), 'not ours');
      fs.writeFileSync(path.join(folder, ours), 'half');
    }
    const again = await startTestRuntime(world, dir);
    expect(again.startup).toEqual({ state: 'ready' });
    for (const folder of [offsite, rt.layout.backups]) {
      expect(filesIn(folder), folder).toEqual(
        [
          '.settings.tmp',
          `.stateward-tmp-${dead}-0a1b2c3d-folder`,
          `.stateward-tmp-${dead}-0a1b2c3d-link.sqlite`,
          '.tmp-photos.jpg',
          'x.tmp',
        ].sort(),
      );
    }
    expect(fs.readFileSync(outside, 'utf8')).toBe('keep me');
  });

  it('marks backup runs of processes that are gone as interrupted, not those of a live process', async () => {
    const rt = await startTestRuntime(world);
    const db = readyDb(rt);
    const dead = await exitedPid();
    const gone = runSqlite(
      db,
      startRun(SQLITE, 'backup', { kind: 'manual', compact: false, pid: dead }, 1000),
    );
    const old = runSqlite(db, startRun(SQLITE, 'backup', { kind: 'manual', compact: false }, 1001));
    const live = runSqlite(
      db,
      startRun(SQLITE, 'backup', { kind: 'manual', pid: process.pid }, 1002),
    );
    const dir = rt.layout.dir;
    rt.close();
    const again = await startTestRuntime(world, dir);
    const byId = new Map(
      runSqlite(readyDb(again), listRuns(SQLITE, { kind: 'backup', limit: 10 })).map((r) => [
        r.id,
        r,
      ]),
    );
    expect(byId.get(gone)).toMatchObject({ status: 'failed', detail: { code: 'INTERRUPTED' } });
    expect(byId.get(old)).toMatchObject({ status: 'failed', detail: { code: 'INTERRUPTED' } });
    expect(byId.get(live)?.status).toBe('running');
  });
});
