// The move to PostgreSQL from the app (issue 12.5): the same core function,
// checks and codes as `stateward postgres copy` (core/pg/move.ts), under the
// data-dir lock this process already holds. Progress: `progress` events, op
// 'postgres.copy'. The password is used for this command only, never stored.
import crypto from 'node:crypto';
import type { Events } from '../../shared/events.ts';
import { AppError } from '../../shared/errors.ts';
import type { Runtime } from '../core/runtime.ts';
import type { PgTarget } from '../core/pg/connect.ts';
import { parseDatabaseUrl } from '../core/pg/connect.ts';
import { bindToPostgres } from '../core/pg/bind.ts';
import { forgetPgPassword, storeWrappedPgPassword, wrapPgPassword } from '../core/pg/password.ts';
import type { MoveProgress } from '../core/pg/move.ts';
import { moveToPostgres } from '../core/pg/move.ts';
import type { HandlerMap } from './registry.ts';

/** Runtimes with a move (or its dry run) under way: one at a time per process. */
const moving = new WeakSet<Runtime>();
/** Runtimes whose data is being moved for real: every write is refused meanwhile (registry barrier). */
const executing = new WeakSet<Runtime>();

/** Writes wait while the data dir is moved: one would be in neither the copy nor the pre-move backup. */
export function moveInProgress(rt: Runtime): boolean {
  return executing.has(rt);
}

export function moveInProgressError(): AppError {
  return new AppError(
    'MOVE_IN_PROGRESS',
    'This data directory is being moved to PostgreSQL right now, so this change was not made.',
    {
      hint: 'Wait for the move to finish; then restart Stateward, and make the change in the team database.',
      details: { retryable: true, retryAfterMs: 5000 },
    },
  );
}

/**
 * A move's progress as one rising percentage: the copy, then the verification,
 * then (execute) the pre-move backup.
 */
function moveProgressEvent(opId: string, p: MoveProgress, execute: boolean): Events['progress'] {
  const spans = execute
    ? { copy: [0, 55], verify: [55, 90], backup: [90, 100] }
    : { copy: [0, 60], verify: [60, 100], backup: [100, 100] };
  const [from, to] = spans[p.phase];
  if (p.phase === 'backup') {
    return {
      opId,
      op: 'postgres.copy',
      phase: 'backup',
      done: p.done,
      total: p.total,
      unit: 'bytes',
      etaMs: p.etaMs,
      percent: Math.floor(from! + ((to! - from!) * p.done) / Math.max(1, p.total)),
    };
  }
  const within = (p.tableIndex + p.rowsDone / Math.max(1, p.rowsTotal)) / p.tableCount;
  return {
    opId,
    op: 'postgres.copy',
    phase: `${p.phase} ${p.table}`,
    done: p.rowsDone,
    total: p.rowsTotal,
    unit: 'rows',
    etaMs: p.etaMs,
    rate: p.rowsPerSec,
    percent: Math.floor(from! + (to! - from!) * Math.min(1, within)),
  };
}

/** The URL typed in the app, with the password from its own field (a password in the URL is refused). */
function appTarget(url: string, password: string | undefined): PgTarget {
  const target = parseDatabaseUrl(url, 'flag');
  if (target.password !== null) {
    throw new AppError(
      'BAD_INPUT',
      'The database URL must not hold the password: type it in the password field.',
      { details: { field: 'url' } },
    );
  }
  return { ...target, password: password ? password : null };
}

/**
 * Switch the running runtime to the team database it was just bound to. A
 * failure is logged and reported as "not connected" (a restart opens it);
 * the local file is not live any more either way: no write (nor scheduled
 * backup) may land in it.
 */
async function reconnect(rt: Runtime, target: PgTarget): Promise<boolean> {
  const scheduler = rt.backups.scheduling;
  rt.backups.stopScheduler();
  try {
    await rt.connectTeam(target, { scheduler });
    return true;
  } catch (e) {
    rt.logger.log('warn', 'could not switch to the team database; a restart opens it', e);
    const store = rt.store;
    rt.setStore(null);
    store?.close();
    return false;
  }
}

export const postgresHandlers: HandlerMap = {
  'postgres.copy': async (input, rt) => {
    // Only the process that holds the data dir may move or rebind it.
    const lock = rt.heldLock();
    if (!rt.store) {
      throw new AppError('STORE_NOT_READY', 'There is no open local database to move.', {
        hint: 'The move copies a data dir that uses its local (SQLite) database.',
      });
    }
    const target = appTarget(input.url, input.password);
    if (moving.has(rt)) {
      throw new AppError('CONFLICT', 'A move to PostgreSQL is already running.', {
        hint: 'Wait for it to finish.',
      });
    }
    moving.add(rt);
    if (input.execute) executing.add(rt);
    const opId = input.opId ?? crypto.randomUUID();
    try {
      const report = await moveToPostgres({
        dataDir: rt.layout.dir,
        target,
        execute: input.execute,
        lock,
        transport: rt.transport === 'electron' ? 'electron' : 'http',
        log: rt.logger,
        onProgress: (p) => rt.events.emit('progress', moveProgressEvent(opId, p, input.execute)),
      });
      // This process goes on with the team database (the password typed stays in its memory).
      const connected = report.bound && (await reconnect(rt, target));
      return { ...report, restartNeeded: report.bound && !connected, connected };
    } finally {
      moving.delete(rt);
      executing.delete(rt);
    }
  },

  'postgres.connect': async (input, rt) => {
    rt.heldLock();
    if (rt.team) {
      throw new AppError(
        'CONFLICT',
        'This data directory is connected to a team database already.',
        {
          hint: 'Connect a data directory that uses its local database.',
        },
      );
    }
    let target = appTarget(input.url, input.password);
    if (input.schema !== undefined) target = { ...target, schema: input.schema };
    // Wrapped before anything is written: without a keychain nothing is bound.
    const wrapped =
      input.rememberPassword && target.password !== null
        ? await wrapPgPassword(rt.secrets.keychainWrapper, target, target.password)
        : null;
    if (input.rememberPassword && target.password === null) {
      throw new AppError('BAD_INPUT', 'Type the password to remember.', {
        details: { field: 'password' },
      });
    }
    const bound = await bindToPostgres(rt.layout.dir, target, {
      transport: rt.transport,
      log: rt.logger,
      // Before the binding: a crash in between never leaves a bound data dir without its password.
      beforeBinding: () => {
        if (wrapped !== null) storeWrappedPgPassword(rt.layout.keys, wrapped);
        // A password remembered for an earlier binding is not this one's.
        else forgetPgPassword(rt.layout.keys);
      },
    });
    const connected = await reconnect(rt, target);
    return {
      target: bound.target,
      schema: target.schema,
      serverVersion: bound.serverVersion,
      file: bound.file,
      schemaState: bound.schemaState,
      schemaVersion: bound.schemaVersion,
      appSchemaVersion: bound.appSchemaVersion,
      applied: bound.applied,
      pending: bound.pending,
      localDatabaseKept: bound.localDatabaseKept,
      connected,
      passwordRemembered: wrapped !== null,
    };
  },
};
