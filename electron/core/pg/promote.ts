// Promote into PostgreSQL (issue 11.6): make a drilled restored copy (a SQLite
// Stateward database) the team's live state, in ONE PostgreSQL transaction.
//
// 1. BEGIN, then the promote advisory lock of the schema, exclusively, at
//    transaction level. Every team write takes the same key SHARED inside its own
//    transaction (pg_try_advisory_xact_lock_shared, refused with
//    PROMOTE_IN_PROGRESS when it cannot), so the exclusive lock is granted only
//    once every write in flight has committed or rolled back, and from then on no
//    new write starts. Another promote holding it: INSTANCE_BUSY at once.
// 2. The migrate lock (no migration runs underneath), and the server's schema
//    version must be the copy's (PG_SCHEMA_VERSION_MISMATCH otherwise).
// 3. The pre-restore backup, taken by the caller on ANOTHER connection while this
//    transaction holds the lock and has changed nothing: its snapshot holds every
//    write that was acknowledged before the promote, and nothing can follow.
// 4. Every table emptied and filled from the copy with COPY, identities moved past
//    the highest id (never back), every table's count and content hash compared
//    (copy.ts replaceTables), COMMIT.
//
// Readers on other connections see the old rows until COMMIT and the new rows
// after (row versions, no table lock): old or new, never a mix. A kill of this
// process or a dropped connection at any moment before COMMIT rolls everything
// back on the server: the old state stays.
import type pg from 'pg';
import { AppError } from '../../../shared/errors.ts';
import type { Logger } from '../log.ts';
import type { CopyProgress, CopyTableReport } from './copy.ts';
import {
  checkAbort,
  classifyTxError,
  COPY_BATCH_ROWS,
  openCopySource,
  planTables,
  replaceTables,
  schemaVersionMismatch,
} from './copy.ts';
import { advisoryKey, tryXactLock } from './locks.ts';
import { planPgMigrations } from './migrate.ts';

/** How long the promote waits for writes in flight (or a migration) before it gives up. */
export const PROMOTE_LOCK_TIMEOUT_MS = 30_000;

export type PromoteProgress =
  CopyProgress | { phase: 'locked' | 'pre-restore' | 'backed-up' | 'committing' };

export interface PgPromoteOptions<B> {
  /** A connection of the pool is taken for the transaction (or give `client`). */
  pool?: pg.Pool;
  /** A connection not inside a transaction. */
  client?: pg.ClientBase;
  schema: string;
  /** The restored copy (a SQLite Stateward database, opened read-only). */
  backupFile: string;
  /** Takes the pre-restore backup of the current state on another connection (createPgBackup). */
  preRestoreBackup: () => Promise<B>;
  onProgress?: (p: PromoteProgress) => void;
  signal?: AbortSignal;
  /** The server as messages name it (describeTarget), default the schema. */
  where?: string;
  batchRows?: number;
  lockTimeoutMs?: number;
  log?: Logger;
}

export interface PgPromoteResult<B> {
  preRestoreBackup: B;
  schemaVersion: number;
  tables: CopyTableReport[];
  ms: number;
}

/** Whether some session holds advisory `key` exclusively (a promote, not writers). */
async function heldExclusively(client: pg.ClientBase, key: string): Promise<boolean> {
  const r = await client.query(
    `SELECT 1 FROM pg_locks
      WHERE locktype = 'advisory' AND mode = 'ExclusiveLock' AND granted AND objsubid = 1
        AND classid::bigint = (($1::bigint >> 32) & 4294967295)
        AND objid::bigint = ($1::bigint & 4294967295)`,
    [key],
  );
  return r.rows.length > 0;
}

function busy(schema: string, why: string): AppError {
  return new AppError('INSTANCE_BUSY', `${why} Nothing was changed.`, {
    hint: 'Try the promote again in a moment.',
    details: { schema, retryable: true },
  });
}

/** Take the promote lock exclusively (and the migrate lock) in the open transaction. */
async function lockForPromote(
  client: pg.ClientBase,
  schema: string,
  timeoutMs: number,
): Promise<void> {
  const key = advisoryKey('promote', schema);
  const ok = await tryXactLock(client, key);
  if (!ok && (await heldExclusively(client, key))) {
    throw busy(schema, `Another instance is promoting a restored copy into schema ${schema}.`);
  }
  await client.query(`SELECT set_config('lock_timeout', $1, true)`, [`${timeoutMs}ms`]);
  try {
    // Waits for the writes in flight (they hold the key shared) to commit.
    if (!ok) await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [key]);
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [
      advisoryKey('migrate', schema),
    ]);
  } catch (e) {
    if ((e as { code?: string }).code === '55P03') {
      throw busy(
        schema,
        `Writes or a migration on schema ${schema} did not finish within ${Math.round(timeoutMs / 1000)} s, so the promote did not start.`,
      );
    }
    throw e;
  }
  await client.query(`SELECT set_config('lock_timeout', '0', true)`);
}

/** Replace the team's live state in `opts.schema` with the restored copy, in one transaction. */
export async function promoteIntoPostgres<B>(
  opts: PgPromoteOptions<B>,
): Promise<PgPromoteResult<B>> {
  const started = Date.now();
  const { schema } = opts;
  const where = opts.where ?? `schema ${schema}`;
  checkAbort(opts.signal);
  const source = openCopySource(opts.backupFile);
  try {
    const pooled = opts.client ? null : await opts.pool!.connect();
    const client = opts.client ?? pooled!;
    let broken: Error | undefined;
    try {
      let committed = false;
      await client.query('BEGIN');
      try {
        await lockForPromote(client, schema, opts.lockTimeoutMs ?? PROMOTE_LOCK_TIMEOUT_MS);
        opts.onProgress?.({ phase: 'locked' });
        await client.query(`SET LOCAL extra_float_digits = 1`);
        const plan = await planPgMigrations(client, schema);
        if (plan.schemaState !== 'stateward' || plan.current !== source.version) {
          throw schemaVersionMismatch(schema, where, plan.current, source.version, {
            serverBehind:
              'Update the team database first (start this version of Stateward against it, which migrates it), then promote again.',
            serverAhead:
              'Drill the copy again with this version of Stateward (the drill migrates it), then promote it.',
          });
        }
        const tables = await planTables(client, source, schema);
        checkAbort(opts.signal);
        opts.onProgress?.({ phase: 'pre-restore' });
        const backup = await opts.preRestoreBackup();
        opts.onProgress?.({ phase: 'backed-up' });
        const reports = await replaceTables(client, source, schema, tables, {
          batchRows: opts.batchRows ?? COPY_BATCH_ROWS,
          onProgress: opts.onProgress,
          signal: opts.signal,
        });
        checkAbort(opts.signal);
        opts.onProgress?.({ phase: 'committing' });
        await client.query('COMMIT');
        committed = true;
        const ms = Date.now() - started;
        opts.log?.log(
          'info',
          `PostgreSQL promote into ${where}: ${reports.reduce((n, r) => n + r.rowsRead, 0)} rows in ${ms} ms`,
        );
        return { preRestoreBackup: backup, schemaVersion: source.version, tables: reports, ms };
      } catch (e) {
        if (!committed)
          await client.query('ROLLBACK').catch((rollbackError: unknown) => {
            broken = rollbackError as Error;
          });
        throw classifyTxError(e, where, opts.backupFile, 'promote');
      }
    } finally {
      // A connection whose rollback failed is not given back to the pool.
      pooled?.release(broken);
    }
  } finally {
    source.db.close();
  }
}
