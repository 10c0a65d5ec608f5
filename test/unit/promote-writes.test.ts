// A promote never loses a write it already confirmed (issue 8.2). A writer
// creates deployments in a loop while a drilled copy is promoted — in the same
// process (the command registry), through the HTTP host (another process owns
// the data dir and promotes), and from another process that has the live
// database open as the CLI does. Every write that answered ok must be in the
// pre-restore backup or in live afterwards; a write arriving during the promote
// is refused with a stable code (PROMOTE_IN_PROGRESS, or DATA_DIR_BUSY for the
// other process when it waited on the write lock), never acknowledged and lost.
// The figures (acknowledged vs found) are printed for the release note.
// Around it: a promote that fails or is killed after its write guard is
// committed leaves the old database live and writable (strace kill-after-
// syscall, fault points, a failure in this process); a promote that cannot take
// the write lock changes nothing; no backup carries the guard; a CLI write the
// guard refuses says PROMOTE_IN_PROGRESS, not INTERNAL.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { addPromoteGuard } from '../../electron/core/restore/guard.ts';
import { PROMOTE_JOURNAL } from '../../electron/core/restore/promote.ts';
import { createBackup } from '../../electron/core/backup/engine.ts';
import { HTTP_INVOKE_PATH, HTTP_TOKEN_HEADER } from '../../shared/events.ts';
import type { Result } from '../../shared/errors.ts';
import { HELPERS_DIR, spawnUntilLine } from '../helpers/child.ts';
import { spawnLines } from '../helpers/backup-util.ts';
import { cli } from '../helpers/cli.ts';
import {
  emptyLog,
  figures,
  findAcked,
  guardTriggersIn,
  PROMOTE_REFUSALS,
  preRestoreBackupIn,
  record,
  writeInput,
} from '../helpers/promote-writes.ts';
import type { Found, WriteLog } from '../helpers/promote-writes.ts';
import { call, integrityOf } from '../helpers/restore-util.ts';
import { readyDb, startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { useTemplateDir, useWorld } from '../helpers/world.ts';
import { seededWithBackup } from '../helpers/backup-util.ts';
import { HAVE_STRACE, killAtCallArgs, straceNode } from '../helpers/syscall-sweep.ts';

const world = useWorld();
/** Writes each writer still makes after the promote answered (they must land in the new live). */
const AFTER = 20;
/** Writes acknowledged before the promote starts. */
const BEFORE = 200;
const REFUSED_PAUSE_MS = 2;

const template = useTemplateDir(world);
let backupId = '';
let environmentId = 0;

beforeAll(async () => {
  const { rt, db, backup } = await seededWithBackup(template.dir, { projects: 2, deployments: 40 });
  backupId = backup.id;
  environmentId = (
    db.prepare('SELECT id FROM environments ORDER BY id LIMIT 1').get() as { id: number }
  ).id;
  rt.close();
});

const freshDataDir = () => template.fresh();

/** A fresh data dir, its runtime and registry, and the backup staged and drilled there (ready to promote). */
async function drilledCopy() {
  const dir = freshDataDir();
  const rt = await startTestRuntime(world, dir);
  const reg = testRegistry(rt);
  const staged = await call<{ restoreId: string }>(reg, 'restores.preflight', {
    source: { backupId },
  });
  await call(reg, 'restores.drill', { restoreId: staged.restoreId });
  return { dir, rt, reg, staged };
}

/** A fresh data dir whose database holds a promote's write guard (committed, as a crash mid-promote leaves it). */
function guardedDataDir(): string {
  const dir = freshDataDir();
  const db = new Database(dataDirLayout(dir).db);
  db.exec('BEGIN IMMEDIATE');
  addPromoteGuard(db);
  db.exec('COMMIT');
  db.close();
  return dir;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
/** A refused writer waits a little before it tries again (as a client honouring retryAfterMs would). */
const pause = (r: Result<unknown>) =>
  r.ok ? tick() : new Promise((resolve) => setTimeout(resolve, REFUSED_PAUSE_MS));

/** The invariant, the refusal codes, no guard left in either file; prints the figures. */
function expectNothingLost(variant: string, log: WriteLog, dir: string): Found {
  const layout = dataDirLayout(dir);
  const backup = preRestoreBackupIn(layout.backups);
  const found = findAcked(log, backup, layout.db);
  console.log(figures(variant, found));
  expect(found.lost, `${variant}: acknowledged writes in neither file`).toEqual([]);
  for (const code of Object.keys(log.refused)) expect(PROMOTE_REFUSALS, variant).toContain(code);
  expect(guardTriggersIn(backup), `${variant}: guard in the pre-restore backup`).toEqual([]);
  expect(guardTriggersIn(layout.db), `${variant}: guard in the new live database`).toEqual([]);
  return found;
}

describe('a promote keeps every acknowledged write', () => {
  it('writer in the same process (command registry): writes during the promote are refused, reads work', async () => {
    const { dir, rt, reg, staged } = await drilledCopy();

    const log = emptyLog();
    let seq = 0;
    const write = async () => {
      const input = writeInput(environmentId, 'same', ++seq);
      const r = await reg.dispatch('deployments.create', input);
      record(log, input.version, r);
      return r;
    };
    let promoted = false;
    let after = 0;
    const writer = (async () => {
      while (after < AFTER) {
        const r = await write();
        if (promoted) after++;
        await pause(r);
      }
    })();
    while (log.acked.length < BEFORE) await tick();

    const promote = reg.dispatch('restores.promote', {
      restoreId: staged.restoreId,
      confirm: true,
    });
    // The promote has started: a write now is refused (retryable); a read still answers.
    const during = await write();
    const read = await reg.dispatch('deployments.list', {});
    const r = await promote;
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
    promoted = true;
    await writer;

    const found = expectNothingLost('same process', log, dir);
    expect(found.inLive).toBeGreaterThanOrEqual(AFTER);
    expect(integrityOf(readyDb(rt))).toBe('ok');
    expect(during).toMatchObject({
      ok: false,
      error: { code: 'PROMOTE_IN_PROGRESS', details: { retryable: true } },
    });
    expect(!during.ok && Number(during.error.details?.retryAfterMs)).toBeGreaterThan(0);
    expect(read.ok).toBe(true);
  });

  it('writer through the HTTP host while the host promotes', async () => {
    const dir = freshDataDir();
    const staticDir = world.dir();
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html>');
    const { line } = await spawnUntilLine(world, [
      path.join(HELPERS_DIR, 'host-child.ts'),
      dir,
      staticDir,
    ]);
    const { port, token } = JSON.parse(line) as { port: number; token: string };
    const invoke = async (name: string, input: unknown): Promise<Result<unknown>> => {
      const res = await fetch(`http://127.0.0.1:${port}${HTTP_INVOKE_PATH}${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [HTTP_TOKEN_HEADER]: token },
        body: JSON.stringify(input),
      });
      return (await res.json()) as Result<unknown>;
    };
    const value = async <T>(name: string, input: unknown): Promise<T> => {
      const r = await invoke(name, input);
      if (!r.ok) throw new Error(`${name}: ${JSON.stringify(r.error)}`);
      return r.value as T;
    };
    const { restoreId } = await value<{ restoreId: string }>('restores.preflight', {
      source: { backupId },
    });
    expect(await value<{ passed: boolean }>('restores.drill', { restoreId })).toMatchObject({
      passed: true,
    });

    const log = emptyLog();
    let seq = 0;
    let promoted = false;
    // Two clients, as a busy automation script would send them.
    const client = async () => {
      let after = 0;
      while (after < AFTER) {
        const input = writeInput(environmentId, 'http', ++seq);
        const r = await invoke('deployments.create', input);
        record(log, input.version, r);
        if (promoted) after++;
        if (!r.ok) await pause(r);
      }
    };
    const clients = [client(), client()];
    while (log.acked.length < BEFORE) await tick();
    const r = await invoke('restores.promote', { restoreId, confirm: true });
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
    promoted = true;
    await Promise.all(clients);

    const found = expectNothingLost('HTTP host', log, dir);
    expect(found.inLive).toBeGreaterThanOrEqual(2 * AFTER);
  });

  it('writer in another process with the live database open (as the CLI opens it)', async () => {
    const dir = freshDataDir();
    const rt = await startTestRuntime(world, dir);
    const staged = await rt.restores.stage({ backupId });
    expect((await rt.restores.drill(staged.restoreId!)).passed).toBe(true);

    const child = spawnLines(world, [
      path.join(HELPERS_DIR, 'promote-writer-child.ts'),
      dir,
      String(environmentId),
    ]);
    const acked = (n: number) => child.waitLine((l) => l === `acked ${n}`);
    await acked(BEFORE);
    const r = await rt.restores.promote(staged.restoreId!);
    expect(r.preRestoreBackup).not.toBeNull();
    // The child goes on writing (into the new live database, once the guard refused it and it reopened).
    const last = child.lines.filter((l) => l.startsWith('acked ')).at(-1)!;
    await acked(Number(last.slice('acked '.length)) + AFTER);
    const live = readyDb(rt);
    child.proc.kill('SIGTERM');
    const exit = await child.exited;
    expect(exit.code, child.stderr()).toBe(0);
    const log = JSON.parse(child.lines.at(-1)!) as WriteLog;

    const found = expectNothingLost('another process', log, dir);
    expect(found.inLive).toBeGreaterThan(0);
    expect(integrityOf(live)).toBe('ok');
  });
});

const CHILD = path.join(HELPERS_DIR, 'restore-promote-child.ts');

/** The child promotes and is SIGKILLed right at its first rename of the live database (strace). */
async function killedAtMoveAside(dir: string): Promise<unknown> {
  const renames = 'rename,renameat,renameat2';
  const inject = killAtCallArgs(renames, { onPath: dataDirLayout(dir).db });
  const run = await straceNode(inject, CHILD, [dir, backupId], { world });
  return run.signal ?? run.code;
}

/** The child promotes and is SIGKILLed at a fault point (STATEWARD_FAULT). */
async function killedAtFault(dir: string, fault: string): Promise<unknown> {
  const exit = await spawnLines(world, [CHILD, dir, backupId], { STATEWARD_FAULT: fault }).exited;
  return exit.signal ?? exit.code;
}

/** After the crash: the next start rolls back to the old state, without the guard, and writes work. */
async function expectOldAndWritable(dir: string): Promise<void> {
  const rt = await startTestRuntime(world, dir);
  expect(rt.startup).toEqual({ state: 'ready' });
  expect(guardTriggersIn(dataDirLayout(dir).db)).toEqual([]);
  const created = await testRegistry(rt).dispatch(
    'deployments.create',
    writeInput(environmentId, 'after-crash', 1),
  );
  expect(created, JSON.stringify(created)).toMatchObject({ ok: true });
  // The old state: the project the child wrote into live just before promoting is there.
  expect(
    readyDb(rt)
      .prepare(`SELECT count(*) AS n FROM projects WHERE name LIKE 'written-by-child-%'`)
      .get(),
  ).toEqual({ n: 1 });
}

describe('a promote that fails after the guard is committed leaves the old database writable', () => {
  it.skipIf(!HAVE_STRACE)(
    'killed at moving the old database aside (strace kill-after-syscall)',
    async () => {
      const dir = freshDataDir();
      expect(await killedAtMoveAside(dir)).toBe('SIGKILL');
      // The guard is committed in the old database, which is still in place.
      expect(guardTriggersIn(dataDirLayout(dir).db).length).toBeGreaterThan(0);
      await expectOldAndWritable(dir);
    },
  );

  it('killed at promote:live-closed and at promote:moved-db (fault points)', async () => {
    const dirs = [freshDataDir(), freshDataDir()];
    const exits = await Promise.all([
      killedAtFault(dirs[0]!, 'promote:live-closed'),
      killedAtFault(dirs[1]!, 'promote:moved-db'),
    ]);
    expect(exits).toEqual(['SIGKILL', 'SIGKILL']);
    for (const dir of dirs) await expectOldAndWritable(dir);
  });

  it('a failure inside this process after the commit (the swap cannot start) is rolled back and writable', async () => {
    const { dir, rt, reg, staged } = await drilledCopy();
    // Something already at the aside path: swapIn cannot create it, after the guard was committed.
    fs.mkdirSync(path.join(dir, `promote-aside-${staged.restoreId}`));
    const failed = await reg.dispatch('restores.promote', {
      restoreId: staged.restoreId,
      confirm: true,
    });
    expect(failed).toMatchObject({ ok: false, error: { code: 'PROMOTE_FAILED' } });
    expect(guardTriggersIn(rt.layout.db)).toEqual([]);
    const created = await reg.dispatch(
      'deployments.create',
      writeInput(environmentId, 'after-failure', 1),
    );
    expect(created, JSON.stringify(created)).toMatchObject({ ok: true });
    // And the promote works the next time.
    expect(
      await reg.dispatch('restores.promote', { restoreId: staged.restoreId, confirm: true }),
    ).toMatchObject({ ok: true });
  });
});

describe('a promote that cannot take the write lock', () => {
  it('another process holding a write transaction past the busy timeout: DATA_DIR_BUSY, nothing changed, writes work again', async () => {
    const { dir, rt, reg, staged } = await drilledCopy();
    const before = fs.readdirSync(rt.layout.backups).sort();
    const holder = spawnLines(world, [path.join(HELPERS_DIR, 'tx-holder.ts'), rt.layout.db]);
    await holder.waitLine((l) => l.startsWith('holding'));
    const refused = await reg.dispatch('restores.promote', {
      restoreId: staged.restoreId,
      confirm: true,
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'DATA_DIR_BUSY' } });
    await holder.kill();
    // Nothing was done: no pre-restore backup, no journal, no guard, the copy still ready.
    expect(fs.readdirSync(rt.layout.backups).sort()).toEqual(before);
    expect(fs.existsSync(path.join(dir, PROMOTE_JOURNAL))).toBe(false);
    expect(guardTriggersIn(rt.layout.db)).toEqual([]);
    expect(rt.restores.get(staged.restoreId).status).toBe('ready');
    const created = await reg.dispatch(
      'deployments.create',
      writeInput(environmentId, 'after-busy', 1),
    );
    expect(created, JSON.stringify(created)).toMatchObject({ ok: true });
  });
});

describe('the guard never travels in a backup', () => {
  it('a backup of a guarded database (taken by another process mid-promote) has no guard', async () => {
    const dir = guardedDataDir();
    for (const compact of [false, true]) {
      const backup = await createBackup({
        source: dataDirLayout(dir).db,
        outDir: world.dir(),
        kind: 'manual',
        compact,
      });
      expect(guardTriggersIn(backup.path), `compact: ${compact}`).toEqual([]);
    }
  });
});

describe('a process that had the old database open before the promote', () => {
  it('its CLI write hitting the guard is refused with PROMOTE_IN_PROGRESS (exit 3), not INTERNAL', async () => {
    // The old database as another process's promote leaves it between its commit and the swap
    // (a CLI started then is refused at start-up by the promote journal; one started before is not).
    const dir = guardedDataDir();
    const r = await cli('--data-dir', dir, 'backup');
    expect(r.stderr).toMatch(/PROMOTE_IN_PROGRESS/);
    expect(r.code, r.stderr).toBe(3);
  });
});
