// Restoring state never changes how this machine backs up. Backup settings
// (schedule, retention, off-site folder) and the scheduler's record are this
// machine's: they live in <data>/settings.json, not in the database, so a
// promote (finished in-process or by the start after a crash) keeps them, a
// backup of another data dir brings none of its own, and a data dir an older
// version left with them in the database keeps them after the upgrade (also
// when that first start is killed at any step of moving them out).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupSettings } from '../../shared/domain.ts';
import { DEFAULT_BACKUP_SETTINGS } from '../../shared/domain.ts';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { seedDemo } from '../../electron/core/demo.ts';
import type { Runtime } from '../../electron/core/runtime.ts';
import { getSetting, setSetting } from '../../electron/core/store/resources/settings.ts';
import { runSqlite, SQLITE } from '../../electron/core/store/sql.ts';
import { openWritable } from '../../electron/core/store/db.ts';
import { setMachineSettings } from '../../electron/core/machine-settings.ts';
import { HELPERS_DIR } from '../helpers/child.ts';
import { lineValue, makeNewerSchema, spawnNode } from '../helpers/restore-util.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import type { TraceEvent } from '../helpers/syscall-sweep.ts';
import { HAVE_STRACE, faultSpecs, inPool, killAt, traceCli } from '../helpers/syscall-sweep.ts';
import { makeTempDir, modeOf, useTemplateDir, useWorld } from '../helpers/world.ts';

const world = useWorld();
const CHILD = path.join(HELPERS_DIR, 'restore-promote-child.ts');
const HOUR = 60 * 60_000;

/** What the backup was taken with: the defaults (daily, keep 7, no off-site folder). */
const AT_BACKUP = { intervalMinutes: 24 * 60, keepLast: 7, offsiteDir: null };

const offsite = makeTempDir();
/** This machine's settings when it promotes: hourly, keep 5, an off-site folder. */
const MACHINE: Partial<BackupSettings> = {
  intervalMinutes: 60,
  retention: { ...DEFAULT_BACKUP_SETTINGS.retention, keepLast: 5 },
  offsiteDir: offsite,
};
const LAST_SCHEDULED = Date.UTC(2026, 10, 27, 12, 0, 0);

const summary = (rt: Runtime) => {
  const s = rt.backups.settings();
  return {
    intervalMinutes: s.intervalMinutes,
    keepLast: s.retention.keepLast,
    offsiteDir: s.offsiteDir,
  };
};
const MACHINE_SUMMARY = { intervalMinutes: 60, keepLast: 5, offsiteDir: offsite };

const template = useTemplateDir(world);
let backupId = '';

beforeAll(async () => {
  const rt = await startTestRuntime(world, template.dir, { transport: 'cli' });
  seedDemo(readyDb(rt), { projects: 2, deployments: 10, actor: 'test', now: Date.now() });
  expect(summary(rt)).toEqual(AT_BACKUP);
  backupId = (await rt.backups.run({ kind: 'manual', compact: false })).id;
  // After the backup this machine is set up differently, and its scheduler ran.
  rt.backups.saveSettings(MACHINE);
  setMachineSettings(rt.layout, { 'backup.lastScheduledRunAt': LAST_SCHEDULED }, readyDb(rt));
  expect(summary(rt)).toEqual(MACHINE_SUMMARY);
  rt.close();
});

afterAll(() => {
  fs.rmSync(offsite, { recursive: true, force: true });
});

const freshDataDir = () => template.fresh();

async function stageAndDrill(rt: Runtime, source: { backupId: string } | { path: string }) {
  const staged = await rt.restores.stage(source);
  expect(staged.restoreId, JSON.stringify(staged.report)).not.toBeNull();
  expect((await rt.restores.drill(staged.restoreId!)).passed).toBe(true);
  return staged.restoreId!;
}

/** A backup of another data dir, set up differently (every 15 min, its own off-site folder). */
async function otherMachinesBackup(): Promise<string> {
  const elsewhere = world.dir();
  const other = await startTestRuntime(world, elsewhere);
  seedDemo(readyDb(other), { projects: 1, deployments: 3, actor: 'test', now: Date.now() });
  other.backups.saveSettings({ intervalMinutes: 15, offsiteDir: world.dir() });
  const theirs = await other.backups.run({ kind: 'manual', compact: false });
  other.close();
  return path.join(elsewhere, 'backups', theirs.fileName);
}

function expectMachineKept(rt: Runtime, label: string): void {
  expect(summary(rt), label).toEqual(MACHINE_SUMMARY);
  expect(rt.backups.overview().lastScheduledRunAt, label).toBe(LAST_SCHEDULED);
  expect(rt.backups.overview().nextScheduledAt, label).toBe(LAST_SCHEDULED + HOUR);
}

describe('a promote keeps this machine’s backup settings', () => {
  it('in-process: hourly / keep 5 / off-site stay (and after a restart), not the backup’s daily / 7 / none', async () => {
    const dir = freshDataDir();
    const rt = await startTestRuntime(world, dir);
    const id = await stageAndDrill(rt, { backupId });
    expect((await rt.restores.promote(id)).preRestoreBackup).not.toBeNull();
    expectMachineKept(rt, 'right after the promote');
    rt.close();
    const again = await startTestRuntime(world, dir);
    expectMachineKept(again, 'after a restart');
  });

  it('finished by the next start after a crash at promote:renamed-in', async () => {
    const dir = freshDataDir();
    const child = spawnNode(world, [CHILD, dir, backupId], {
      STATEWARD_FAULT: 'promote:renamed-in',
    });
    const exit = await child.exited;
    expect(exit.signal, child.stderr()).toBe('SIGKILL');
    const [restoreId] = lineValue(child.lines, 'staged')!.split(' ');
    const rt = await startTestRuntime(world, dir);
    expect(rt.startup).toEqual({ state: 'ready' });
    expect(rt.restores.get(restoreId!).status).toBe('promoted');
    expectMachineKept(rt, 'after the crash-finished promote');
  });

  it('a backup of another data dir brings none of its settings (its off-site folder stays its own)', async () => {
    const theirs = await otherMachinesBackup();
    // This machine never changed a setting: it keeps the defaults, not the other machine's.
    const dir = world.dir();
    const rt = await startTestRuntime(world, dir);
    const id = await stageAndDrill(rt, { path: theirs });
    await rt.restores.promote(id);
    expect(summary(rt)).toEqual(AT_BACKUP);
    expect(rt.backups.settings().intervalMinutes).toBe(24 * 60);
    rt.close();
    const again = await startTestRuntime(world, dir);
    expect(again.backups.settings()).toEqual(DEFAULT_BACKUP_SETTINGS);
    // …and the promoted database no longer carries the other machine's rows.
    expect(runSqlite(readyDb(again), getSetting(SQLITE, 'backup.settings'))).toBeUndefined();
  });
});

/** A data dir as an older version left it: the machine settings are rows of the database. */
function olderVersionDataDir(): string {
  const dir = freshDataDir();
  const layout = dataDirLayout(dir);
  const stored = JSON.parse(fs.readFileSync(layout.settings, 'utf8')) as Record<string, unknown>;
  fs.rmSync(layout.settings);
  const db = openWritable(layout.db);
  try {
    for (const k of ['backup.settings', 'backup.lastScheduledRunAt'])
      runSqlite(db, setSetting(SQLITE, k, stored[k], Date.now()));
  } finally {
    db.close();
  }
  return dir;
}

describe('upgrading a data dir whose settings are in the database', () => {
  it('keeps them: the first start moves them to settings.json (0600) and out of the database', async () => {
    const dir = olderVersionDataDir();
    const layout = dataDirLayout(dir);
    // A process without the lock before that start reads them from the database.
    const lockless = await startTestRuntime(world, dir, { lockMode: null });
    expect(summary(lockless)).toEqual(MACHINE_SUMMARY);
    lockless.close();
    expect(fs.existsSync(layout.settings)).toBe(false);

    const rt = await startTestRuntime(world, dir);
    expectMachineKept(rt, 'after the upgrade');
    expect(modeOf(layout.settings)).toBe(0o600);
    expect(runSqlite(readyDb(rt), getSetting(SQLITE, 'backup.settings'))).toBeUndefined();
    rt.close();
    // …and a promote after the upgrade keeps them too.
    const again = await startTestRuntime(world, dir);
    await again.restores.promote(await stageAndDrill(again, { backupId }));
    expectMachineKept(again, 'promote after the upgrade');
  });

  it('a failure recorded by a lockless process before that start carries the database’s settings along', async () => {
    const dir = olderVersionDataDir();
    const layout = dataDirLayout(dir);
    const lockless = await startTestRuntime(world, dir, { lockMode: null });
    const failure = { at: Date.now(), code: 'OFFSITE_COPY_FAILED', message: 'disk gone' };
    setMachineSettings(layout, { 'backup.lastFailure': failure }, readyDb(lockless));
    lockless.close();
    const rt = await startTestRuntime(world, dir);
    expectMachineKept(rt, 'after the upgrade');
    expect(rt.backups.overview().lastFailure).toEqual(failure);
  });

  it('refused at start (a newer schema) before they were moved: promoting from the refusal screen keeps them, not the copy’s', async () => {
    const dir = olderVersionDataDir();
    makeNewerSchema(dataDirLayout(dir).db);
    const theirs = await otherMachinesBackup();
    const rt = await startTestRuntime(world, dir);
    expect(rt.startup).toMatchObject({ state: 'refused' });
    expect(rt.lock).not.toBeNull();
    await rt.restores.promote(await stageAndDrill(rt, { path: theirs }));
    expect(rt.startup).toEqual({ state: 'ready' });
    expectMachineKept(rt, 'after promoting from the refusal screen');
  });

  it.skipIf(!HAVE_STRACE)(
    'killed at every step of moving them out (strace), the next start still has them',
    { timeout: 60_000 },
    async () => {
      const traced = olderVersionDataDir();
      const { run, events } = await traceCli(
        path.join(world.dir(), 'trace'),
        [
          'rename',
          'renameat',
          'renameat2',
          'unlink',
          'unlinkat',
          'link',
          'linkat',
          'openat',
          'fsync',
          'pwrite64',
        ],
        ['--data-dir', traced, 'migrate'],
      );
      expect(run.code, run.stderr).toBe(0);
      const layout = dataDirLayout(traced);
      const ours = (e: TraceEvent) => path.basename(e.file ?? '').includes('settings.json');
      // Every step on settings.json, its temp name and its lock; then right after the file is
      // in place (the folder's fsync) and the removal of the rows from the database (its WAL).
      const renamed = events.find((e) => ours(e) && e.syscall.startsWith('rename') && !e.failed);
      const next = (what: (e: TraceEvent) => boolean) =>
        events.find((e) => e.index > renamed!.index && !e.failed && what(e));
      const extra = new Set(
        [
          next((e) => e.syscall === 'fsync' && e.file === traced),
          next((e) => e.syscall === 'pwrite64' && e.file === layout.wal),
        ].filter((e) => e !== undefined),
      );
      expect(extra.size).toBe(2);
      const { specs } = faultSpecs(events, traced, {
        dataFiles: [layout.settings, traced, layout.wal],
        pickData: (e) => ours(e) || extra.has(e),
        skip: (e) => !ours(e) && !extra.has(e),
      });
      expect(specs.length).toBeGreaterThanOrEqual(3);
      const labels = await inPool(specs, 2, async (spec) => {
        const dir = olderVersionDataDir();
        const { run: killed } = await killAt(spec, dir, path.join(world.dir(), 'trace'), [
          '--data-dir',
          dir,
          'migrate',
        ]);
        expect(killed.signal, `${spec.label}: ${killed.stderr}`).toBe('SIGKILL');
        const rt = await startTestRuntime(world, dir);
        try {
          expect(rt.startup, spec.label).toEqual({ state: 'ready' });
          expectMachineKept(rt, spec.label);
          // Nothing of the killed write is left beside it.
          expect(
            fs.readdirSync(dir).filter((n) => n.includes('settings.json')),
            spec.label,
          ).toEqual(['settings.json']);
        } finally {
          rt.close();
        }
        return spec.label;
      });
      expect(labels.some((l) => l.startsWith('rename'))).toBe(true);
    },
  );
});

describe('writers racing', () => {
  it('two processes writing different settings at once lose neither (one write at a time)', async () => {
    const dir = freshDataDir();
    const N = 100;
    const writers = ['backup.lastScheduledRunAt', 'backup.lastFailure'].map((key) =>
      spawnNode(
        world,
        [path.join(HELPERS_DIR, 'machine-settings-writer.ts'), dir, key, String(N)],
        {},
      ),
    );
    // Meanwhile this process changes the schedule, over and over, until both are done.
    const rt = await startTestRuntime(world, dir);
    let done = false;
    const exits = Promise.all(writers.map((w) => w.exited)).finally(() => (done = true));
    let saved = 0;
    while (!done) {
      rt.backups.saveSettings({ intervalMinutes: 60 + saved++ });
      await new Promise((r) => setImmediate(r));
    }
    (await exits).forEach((exit, i) => expect(exit.code, writers[i]!.stderr()).toBe(0));
    const file = JSON.parse(fs.readFileSync(rt.layout.settings, 'utf8')) as Record<string, unknown>;
    expect(file['backup.lastScheduledRunAt']).toBe(N - 1);
    expect(file['backup.lastFailure']).toBe(N - 1);
    expect(rt.backups.settings().intervalMinutes).toBe(60 + saved - 1);
    expect(rt.backups.settings().offsiteDir).toBe(offsite);
    expect(fs.readdirSync(dir).filter((n) => n.includes('settings.json'))).toEqual([
      'settings.json',
    ]);
  });
});
