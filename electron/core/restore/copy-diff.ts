// The diff of a restored copy with live (diff.ts) for a runtime: checked here
// (a drilled copy, live open, a cursor this list handed out), computed in the
// backup worker thread so the host and the app keep answering meanwhile — a
// summary over a million deployments takes seconds.
import type { RestoreDiff } from '../../../shared/domain.ts';
import { AppError } from '../../../shared/errors.ts';
import fs from 'node:fs';
import path from 'node:path';
import { BackupWorker, replyOrThrow } from '../backup/engine.ts';
import { createPgBackup } from '../pg/backup.ts';
import type { Runtime } from '../runtime.ts';
import { classifySqliteError } from '../store/db.ts';
import type { RestoreDiffQuery } from './diff.ts';
import { checkCursor } from './diff.ts';

/** What promoting `restoreId` changes in this runtime's data dir (restores.diff). */
export async function diffOfCopy(
  rt: Runtime,
  restoreId: string,
  q: RestoreDiffQuery = {},
): Promise<RestoreDiff> {
  // A drilled copy only (RESTORE_NOT_VERIFIED otherwise); its read-only handle names the file.
  const copy = rt.restores.previewDb(restoreId).name;
  if (!rt.store && !(rt.team && rt.data))
    throw new AppError(
      'STORE_NOT_READY',
      'The live data is not open, so there is nothing to compare the copy with.',
    );
  // Bad input is refused here, with its code; the worker only meets SQLite's errors.
  if (q.cursor !== undefined) checkCursor(q.cursor, q.kind);
  const query: RestoreDiffQuery = {
    kind: q.kind,
    change: q.change,
    cursor: q.cursor,
    limit: q.limit,
  };
  // One diff at a time per data dir: a burst of requests queues instead of starting
  // a worker each (every one reads every row of both sides).
  const before = running.get(rt) ?? Promise.resolve();
  const mine = before.then(() => run(rt, restoreId, copy, query));
  running.set(
    rt,
    mine.then(
      () => undefined,
      () => undefined,
    ),
  );
  return mine;
}

const running = new WeakMap<Runtime, Promise<void>>();

async function run(
  rt: Runtime,
  restoreId: string,
  copy: string,
  query: RestoreDiffQuery,
): Promise<RestoreDiff> {
  const live = await liveFile(rt, restoreId);
  const worker = new BackupWorker();
  try {
    const reply = await worker.request({
      type: 'restoreDiff',
      restoreId,
      live: live.file,
      copy,
      query,
    });
    return replyOrThrow(reply, 'restoreDiff-done').diff;
  } catch (e) {
    throw classifySqliteError(e, copy);
  } finally {
    await worker.stop();
    live.remove();
  }
}

/**
 * The live side of the diff as a SQLite file: the local database, or in team mode a
 * consistent snapshot of the team schema (a team backup written beside the copy,
 * owner-only, removed once the diff is computed).
 */
async function liveFile(
  rt: Runtime,
  restoreId: string,
): Promise<{ file: string; remove: () => void }> {
  const team = rt.team;
  if (rt.store || !team) return { file: rt.layout.db, remove: () => undefined };
  // Owner-only (mkdtemp), named so that discarding the copy removes what a crash left here.
  const dir = fs.mkdtempSync(
    path.join(rt.layout.restores, restoreId, `stateward-live-${process.pid}-`),
  );
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const snapshot = await createPgBackup({
      target: team.target,
      schema: team.schema,
      outDir: dir,
      ownFolder: true,
      kind: 'manual',
      compact: false,
      transport: rt.transport,
      log: rt.logger,
    });
    return { file: snapshot.path, remove };
  } catch (e) {
    remove();
    throw e;
  }
}
