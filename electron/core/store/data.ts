// The live data store as commands see it: the same async API on either backend.
// `read` runs a resource function as it is; `write` runs it in one transaction
// (and on PostgreSQL behind the promote barrier: a write never lands in the
// middle of another instance's promote).
import type pg from 'pg';
import type { ReadableDB } from './db.ts';
import type { Dialect, Query, Sql } from './sql.ts';
import { POSTGRES, runPg, runSqlite, SQLITE } from './sql.ts';

export interface DataStore {
  readonly backend: Dialect;
  /** Run `work`, reads only (on PostgreSQL in one read-only snapshot). */
  read<R>(work: (c: Sql) => Query<R>): Promise<R>;
  /** Run `work` in one transaction: all of it commits, or none of it. */
  write<R>(work: (c: Sql) => Query<R>): Promise<R>;
}

/**
 * The SQLite store: synchronous underneath, so a write's transaction never
 * interleaves with another. On a read-only handle (a previewed copy) SQLite
 * itself refuses writes.
 */
export function sqliteData(db: ReadableDB): DataStore & {
  readSync<R>(work: (c: Sql) => Query<R>): R;
  writeSync<R>(work: (c: Sql) => Query<R>): R;
} {
  // A read of several statements (a count and its page) in one read transaction: a
  // commit by another process in between is seen by all of them or by none.
  const readSync = <R>(work: (c: Sql) => Query<R>): R =>
    db.inTransaction
      ? runSqlite(db, work(SQLITE))
      : db.transaction(() => runSqlite(db, work(SQLITE))).deferred();
  const writeSync = <R>(work: (c: Sql) => Query<R>): R =>
    db.transaction(() => runSqlite(db, work(SQLITE)))();
  return {
    backend: 'sqlite',
    readSync,
    writeSync,
    read: (work) => Promise.resolve().then(() => readSync(work)),
    write: (work) => Promise.resolve().then(() => writeSync(work)),
  };
}

export interface PgDataOptions {
  /**
   * Called inside every write transaction before its first statement (the
   * promote barrier and the pause check of team mode); throws to refuse it.
   */
  beforeWrite?: (client: pg.PoolClient) => Promise<void>;
}

/** The PostgreSQL store on a pool whose connections have the schema on their search_path. */
export function pgData(pool: pg.Pool, opts: PgDataOptions = {}): DataStore {
  return {
    backend: 'postgres',
    // A read of several statements (a count and its page) sees one snapshot, never
    // half of another instance's commit (a promote replaces every table at once).
    read: (work) => inTransaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', work),
    write: (work) => inTransaction('BEGIN', work, opts.beforeWrite),
  };

  async function inTransaction<R>(
    begin: string,
    work: (c: Sql) => Query<R>,
    before?: (client: pg.PoolClient) => Promise<void>,
  ): Promise<R> {
    const client = await pool.connect();
    let broken: unknown = undefined;
    try {
      await client.query(begin);
      try {
        if (before) await before(client);
        const result = await runPg(client, work(POSTGRES));
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError;
        });
        throw e;
      }
    } finally {
      // A connection whose rollback failed is not given back to the pool.
      client.release(broken as Error | undefined);
    }
  }
}
