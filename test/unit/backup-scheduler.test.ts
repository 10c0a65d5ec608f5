// The scheduler with an injected clock: catch-up at start, intervals, only-if-
// changed, clocks that jump, never two at once, failures, and the overview's warnings.
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { Runtime } from '../../electron/core/runtime.ts';
import { createProject } from '../../electron/core/store/resources/projects.ts';
import { listAudit } from '../../electron/core/store/resources/audit.ts';
import { listRuns } from '../../electron/core/store/resources/runs.ts';
import type { Events } from '../../shared/events.ts';
import { mountTmpfs, rejectionCode, seededRuntime, unmountTmpfs } from '../helpers/backup-util.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';
import { runSqlite, SQLITE } from '../../electron/core/store/sql.ts';

const world = useWorld();
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 5, 1, 9, 0);

/** A fake clock the runtime reads through `now`. */
function clock(start = T0) {
  const c = {
    t: start,
    now: () => c.t,
    advance(ms: number) {
      c.t += ms;
    },
  };
  return c;
}

function backupFiles(rt: Runtime): string[] {
  return fs.existsSync(rt.layout.backups)
    ? fs.readdirSync(rt.layout.backups).filter((n) => n.endsWith('.sqlite'))
    : [];
}

let projectNo = 0;
function change(rt: Runtime): void {
  runSqlite(
    readyDb(rt),
    createProject(SQLITE, { name: `changed-${++projectNo}`, description: '' }, rt.now()),
  );
}

function warningCodes(rt: Runtime): string[] {
  return rt.backups.overview().warnings.map((w) => w.code);
}

describe('when a scheduled backup is due', () => {
  it('first start: due at once and runs (catch-up); not due before the interval; due after it', async () => {
    const c = clock();
    const rt = await seededRuntime(world, 20, { now: c.now });
    const interval = rt.backups.settings().intervalMinutes * MIN;
    expect(rt.backups.nextScheduledAt()).toBe(T0);
    expect(await rt.backups.tick()).toBe('ran');
    expect(backupFiles(rt)).toHaveLength(1);
    expect(rt.backups.list()[0]).toMatchObject({ kind: 'scheduled', createdAt: T0 });
    expect(rt.backups.lastScheduledRunAt()).toBe(T0);
    expect(rt.backups.nextScheduledAt()).toBe(T0 + interval);

    change(rt);
    c.advance(interval - MIN);
    expect(await rt.backups.tick()).toBe('not-due');
    expect(backupFiles(rt)).toHaveLength(1);
    c.advance(MIN);
    expect(await rt.backups.tick()).toBe('ran');
    expect(backupFiles(rt)).toHaveLength(2);
    expect(await rt.backups.tick()).toBe('not-due');
  });

  it('a start after months off takes exactly one catch-up backup, not one per missed interval', async () => {
    const c = clock();
    const rt = await seededRuntime(world, 20, { now: c.now });
    rt.backups.saveSettings({ intervalMinutes: 60 });
    expect(await rt.backups.tick()).toBe('ran');
    const dir = rt.layout.dir;
    rt.close();

    c.advance(120 * DAY);
    const again = await startTestRuntime(world, dir, { now: c.now });
    change(again);
    expect(again.backups.nextScheduledAt()).toBeLessThanOrEqual(c.t);
    expect(await again.backups.tick()).toBe('ran');
    for (let i = 0; i < 5; i++) expect(await again.backups.tick()).toBe('not-due');
    expect(backupFiles(again)).toHaveLength(2);
    expect(again.backups.nextScheduledAt()).toBe(c.t + HOUR);
    const runs = runSqlite(readyDb(again), listRuns(SQLITE, { kind: 'backup', limit: 20 }));
    expect(runs.filter((r) => r.startedAt > T0)).toHaveLength(1);
  });

  it('only-if-changed: skips when nothing changed (a skipped run row, no file), runs after a change', async () => {
    const c = clock();
    const rt = await seededRuntime(world, 20, { now: c.now });
    expect(rt.backups.settings().onlyIfChanged).toBe(true);
    expect(await rt.backups.tick()).toBe('ran');
    const interval = rt.backups.settings().intervalMinutes * MIN;

    c.advance(interval);
    expect(await rt.backups.tick()).toBe('skipped-unchanged');
    expect(backupFiles(rt)).toHaveLength(1);
    const skipped = runSqlite(readyDb(rt), listRuns(SQLITE, { kind: 'backup', limit: 5 }))[0]!;
    expect(skipped.status).toBe('succeeded');
    expect(skipped.detail).toMatchObject({ skipped: expect.any(String) as string });
    // A skip counts as this interval's run.
    expect(await rt.backups.tick()).toBe('not-due');

    c.advance(interval);
    runSqlite(
      readyDb(rt),
      createProject(SQLITE, { name: 'new-project', description: 'a change' }, c.t),
    );
    expect(await rt.backups.tick()).toBe('ran');
    expect(backupFiles(rt)).toHaveLength(2);
  });

  it('only-if-changed off: runs every interval even without changes', async () => {
    const c = clock();
    const rt = await seededRuntime(world, 20, { now: c.now });
    rt.backups.saveSettings({ onlyIfChanged: false });
    expect(await rt.backups.tick()).toBe('ran');
    c.advance(rt.backups.settings().intervalMinutes * MIN);
    expect(await rt.backups.tick()).toBe('ran');
    expect(backupFiles(rt)).toHaveLength(2);
  });

  it('a clock that went backwards does not stall the schedule', async () => {
    const c = clock();
    const rt = await seededRuntime(world, 20, { now: c.now });
    rt.backups.saveSettings({ intervalMinutes: 60, onlyIfChanged: false });
    expect(await rt.backups.tick()).toBe('ran');
    // The clock is set back by three days (a wrong RTC fixed, a VM snapshot restored…).
    c.t = T0 - 3 * DAY;
    expect(rt.backups.nextScheduledAt()).not.toBeNull();
    expect(rt.backups.nextScheduledAt()!).toBeLessThanOrEqual(c.t + HOUR);
    let ran = false;
    for (let i = 0; i < 3 && !ran; i++) {
      ran = (await rt.backups.tick()) === 'ran';
      if (!ran) c.advance(HOUR);
    }
    expect(ran, 'no scheduled backup within an interval after the clock went back').toBe(true);
    c.advance(HOUR);
    expect(await rt.backups.tick()).toBe('ran');
  });

  it('schedule disabled: never due, whatever the time', async () => {
    const c = clock();
    const rt = await seededRuntime(world, 20, { now: c.now });
    rt.backups.saveSettings({ scheduleEnabled: false });
    for (const jump of [0, DAY, 400 * DAY]) {
      c.advance(jump);
      expect(rt.backups.nextScheduledAt()).toBeNull();
      expect(await rt.backups.tick()).toBe('not-due');
    }
    expect(backupFiles(rt)).toEqual([]);
  });
});

describe('never two at once', () => {
  it('run while one runs → BACKUP_IN_PROGRESS; tick → busy; both fine afterwards', async () => {
    const c = clock();
    const rt = await seededRuntime(world, 3_000, { now: c.now });
    const first = rt.backups.run({ kind: 'manual', compact: false });
    expect(rt.backups.overview().running).toMatchObject({ kind: 'manual' });
    expect(await rejectionCode(rt.backups.run({ kind: 'manual', compact: true }))).toBe(
      'BACKUP_IN_PROGRESS',
    );
    expect(await rt.backups.tick()).toBe('busy');
    await first;
    expect(backupFiles(rt)).toHaveLength(1);
    expect(rt.backups.overview().running).toBeNull();
    change(rt);
    expect(await rt.backups.tick()).toBe('ran');
  });

  /** Starts the scheduled run and resolves once it holds the service. */
  async function scheduledRunning(rt: Runtime): Promise<{ tick: Promise<string> }> {
    const tick = rt.backups.tick();
    for (let i = 0; i < 500 && rt.backups.overview().running?.kind !== 'scheduled'; i++) {
      await new Promise((r) => setImmediate(r));
    }
    expect(rt.backups.overview().running).toMatchObject({ kind: 'scheduled' });
    return { tick }; // wrapped: returning the promise itself would wait for the backup
  }

  it('"Back up now" while a scheduled backup runs waits for it, then takes its own', async () => {
    const c = clock();
    const rt = await seededRuntime(world, 3_000, { now: c.now });
    const phases: string[] = [];
    rt.events.on('progress', (p: Events['progress']) => {
      if (p.opId === 'manual-1') phases.push(p.phase);
    });
    const { tick } = await scheduledRunning(rt);
    const manual = rt.backups.run({ kind: 'manual', compact: false, opId: 'manual-1' });
    // A second manual one meanwhile waits too, and is refused once the first has started.
    expect(await rejectionCode(rt.backups.run({ kind: 'manual', compact: true }))).toBe(
      'BACKUP_IN_PROGRESS',
    );
    expect(await tick).toBe('ran');
    const entry = await manual;
    expect(entry.kind).toBe('manual');
    expect(phases[0]).toBe('waiting');
    expect(phases.at(-1)).toBe('done');
    expect(
      rt.backups
        .list()
        .map((e) => e.kind)
        .sort(),
    ).toEqual(['manual', 'scheduled']);
  });

  it('cancelling a manual backup that waits for a scheduled one keeps nothing of it', async () => {
    const c = clock();
    const rt = await seededRuntime(world, 3_000, { now: c.now });
    const { tick } = await scheduledRunning(rt);
    const manual = rt.backups.run({ kind: 'manual', compact: false, opId: 'manual-2' });
    await new Promise((r) => setImmediate(r));
    expect(rt.backups.cancel('manual-2')).toBe(true);
    expect(await rejectionCode(manual)).toBe('CANCELLED');
    expect(await tick).toBe('ran');
    expect(rt.backups.list().map((e) => e.kind)).toEqual(['scheduled']);
    expect(rt.backups.overview().running).toBeNull();
  });

  it('a scheduled backup refused by a busy database is tried again at the next tick, not a whole interval later', async () => {
    const c = clock();
    const rt = await seededRuntime(world, 200, { now: c.now });
    // A long write of this process holds the database, as the demo seeding does: its own
    // connection in one write transaction, the live one refusing writes at once.
    const live = readyDb(rt);
    const seeder = new Database(rt.layout.db);
    seeder.exec('BEGIN IMMEDIATE');
    live.pragma('busy_timeout = 0');
    let first: string;
    try {
      first = await rt.backups.tick();
    } finally {
      seeder.exec('COMMIT');
      seeder.close();
      live.pragma('busy_timeout = 5000');
    }
    expect(first).toBe('busy');
    expect(backupFiles(rt)).toEqual([]);
    // Still due: the next tick (a minute later) takes it.
    expect(rt.backups.nextScheduledAt()).toBeLessThanOrEqual(c.now());
    c.advance(MIN);
    expect(await rt.backups.tick()).toBe('ran');
    expect(backupFiles(rt)).toHaveLength(1);
  });

  it('a run refused because the store is not open does not leave the service busy', async () => {
    const dir = world.dir();
    const holder = await startTestRuntime(world, dir);
    // A second runtime on the same dir is refused (locked): it has no store.
    const refused = await startTestRuntime(world, dir);
    expect(refused.startup).toMatchObject({ state: 'refused', code: 'DATA_DIR_LOCKED' });
    expect(await rejectionCode(refused.backups.run({ kind: 'manual', compact: false }))).toBe(
      'STORE_NOT_READY',
    );
    expect(await rejectionCode(refused.backups.run({ kind: 'manual', compact: false }))).toBe(
      'STORE_NOT_READY',
    );
    expect(await refused.backups.tick().catch((e: { code?: string }) => e.code)).not.toBe('busy');
    holder.close();
  });

  it('compactScheduled makes scheduled backups compact; manual ones stay full', async () => {
    const c = clock();
    const rt = await seededRuntime(world, 200, { now: c.now });
    rt.backups.saveSettings({ compactScheduled: true });
    expect(await rt.backups.tick()).toBe('ran');
    c.advance(MIN);
    await rt.backups.run({ kind: 'manual', compact: false });
    const byKind = Object.fromEntries(rt.backups.list().map((e) => [e.kind, e.compact]));
    expect(byKind).toEqual({ scheduled: true, manual: false });
  });

  it('two ticks at once start one backup', async () => {
    const c = clock();
    const rt = await seededRuntime(world, 3_000, { now: c.now });
    const results = await Promise.all([rt.backups.tick(), rt.backups.tick()]);
    expect(results.sort()).toEqual(['busy', 'ran']);
    expect(backupFiles(rt)).toHaveLength(1);
  });
});

describe('a failing scheduled backup', () => {
  async function dueWithChange() {
    const c = clock();
    const rt = await seededRuntime(world, 20, { now: c.now });
    expect(await rt.backups.tick()).toBe('ran');
    c.advance(rt.backups.settings().intervalMinutes * MIN);
    change(rt);
    const failed: Events['backup.failed'][] = [];
    rt.events.on('backup.failed', (e) => failed.push(e));
    return { c, rt, failed };
  }

  function replaceBackupsWithFile(rt: Runtime): void {
    fs.rmSync(rt.layout.backups, { recursive: true });
    fs.writeFileSync(rt.layout.backups, 'a file where the backups folder was');
  }

  function expectFailureRecorded(rt: Runtime, failed: Events['backup.failed'][], at: number) {
    expect(failed).toMatchObject([
      { kind: 'scheduled', code: 'BACKUP_DESTINATION_UNWRITABLE', at },
    ]);
    const audit = runSqlite(
      readyDb(rt),
      listAudit(SQLITE, { offset: 0, limit: 10, action: 'backup.failed' }),
    ).items;
    expect(audit).toHaveLength(1);
    expect(audit[0]!.detail).toMatchObject({
      kind: 'scheduled',
      code: 'BACKUP_DESTINATION_UNWRITABLE',
    });
    expect(runSqlite(readyDb(rt), listRuns(SQLITE, { kind: 'backup', limit: 5 }))[0]).toMatchObject(
      {
        status: 'failed',
      },
    );
  }

  it('backups/ replaced by a file → tick says failed (does not throw): event, audit, failed run row', async () => {
    const { c, rt, failed } = await dueWithChange();
    replaceBackupsWithFile(rt);
    const outcome = await rt.backups.tick().catch((e: Error) => `threw ${String(e)}`);
    expect(outcome).toBe('failed');
    expectFailureRecorded(rt, failed, c.t);
  });

  it('backups/ replaced by a file → the overview still answers: lastFailure + LAST_BACKUP_FAILED', async () => {
    const { c, rt } = await dueWithChange();
    replaceBackupsWithFile(rt);
    await rt.backups.tick().catch(() => 'threw');
    // Whatever tick did, a manual attempt fails and is recorded the same way.
    await rt.backups.run({ kind: 'manual', compact: false }).catch(() => null);
    let overview;
    try {
      overview = rt.backups.overview();
    } catch (e) {
      throw new Error(`overview() threw while backups/ is a file: ${String(e)}`, { cause: e });
    }
    expect(overview.lastFailure).toMatchObject({ at: c.t, code: 'BACKUP_DESTINATION_UNWRITABLE' });
    expect(overview.warnings.map((w) => w.code)).toContain('LAST_BACKUP_FAILED');
  });

  it('backups/ on a read-only file system → failed, recorded, LAST_BACKUP_FAILED until a newer backup succeeds', async (ctx) => {
    const { c, rt, failed } = await dueWithChange();
    const why = mountTmpfs(world, rt.layout.backups, 'ro,size=1m,mode=0700');
    if (why) {
      console.warn(`skipped read-only backups folder: ${why}`);
      ctx.skip(why);
      return;
    }
    expect(await rt.backups.tick()).toBe('failed');
    expectFailureRecorded(rt, failed, c.t);
    const o = rt.backups.overview();
    expect(o.lastFailure).toMatchObject({ at: c.t, code: 'BACKUP_DESTINATION_UNWRITABLE' });
    expect(o.warnings.map((w) => w.code)).toContain('LAST_BACKUP_FAILED');
    expect(o.running).toBeNull();

    unmountTmpfs(rt.layout.backups);
    c.advance(MIN);
    await rt.backups.run({ kind: 'manual', compact: false });
    expect(warningCodes(rt)).not.toContain('LAST_BACKUP_FAILED');
  });
});

describe('overview warnings', () => {
  it('NO_BACKUP on a new data dir, gone after the first backup', async () => {
    const c = clock();
    const rt = await seededRuntime(world, 20, { now: c.now });
    expect(warningCodes(rt)).toContain('NO_BACKUP');
    expect(rt.backups.overview()).toMatchObject({ lastBackup: null, count: 0, totalBytes: 0 });
    await rt.backups.run({ kind: 'manual', compact: false });
    expect(warningCodes(rt)).not.toContain('NO_BACKUP');
    expect(rt.backups.overview().count).toBe(1);
  });

  it('BACKUP_OVERDUE once the newest backup is older than the schedule allows', async () => {
    const c = clock();
    const rt = await seededRuntime(world, 20, { now: c.now });
    const interval = rt.backups.settings().intervalMinutes * MIN;
    await rt.backups.run({ kind: 'manual', compact: false });
    c.advance(interval);
    expect(warningCodes(rt)).not.toContain('BACKUP_OVERDUE');
    c.advance(interval);
    expect(warningCodes(rt)).toContain('BACKUP_OVERDUE');
    rt.backups.saveSettings({ scheduleEnabled: false });
    expect(warningCodes(rt)).not.toContain('BACKUP_OVERDUE');
  });

  it('SAME_FILESYSTEM without an off-site folder, and with one on the same drive', async () => {
    const rt = await seededRuntime(world, 20);
    expect(warningCodes(rt)).toContain('SAME_FILESYSTEM');
    rt.backups.saveSettings({ offsiteDir: world.dir() });
    expect(warningCodes(rt)).toContain('SAME_FILESYSTEM');
  });

  it('no SAME_FILESYSTEM with the off-site folder on another file system', async (ctx) => {
    const rt = await seededRuntime(world, 20);
    const other = world.dir();
    const why = mountTmpfs(world, other, 'size=4m,mode=0700');
    if (why) {
      console.warn(`skipped off-site on another file system: ${why}`);
      ctx.skip(why);
      return;
    }
    rt.backups.saveSettings({ offsiteDir: other });
    expect(warningCodes(rt)).not.toContain('SAME_FILESYSTEM');
  });

  it('PORTABLE_BACKUPS_INSIDE for a portable data dir without an off-site folder', async () => {
    const rt = await seededRuntime(world, 20, { source: 'portable' });
    expect(warningCodes(rt)).toContain('PORTABLE_BACKUPS_INSIDE');
    rt.backups.saveSettings({ offsiteDir: path.join(world.dir(), 'usb') });
    expect(warningCodes(rt)).not.toContain('PORTABLE_BACKUPS_INSIDE');
    const flag = await seededRuntime(world, 20);
    expect(warningCodes(flag)).not.toContain('PORTABLE_BACKUPS_INSIDE');
  });
});
