// Queries written once for both backends. A resource function is a generator
// that builds its queries with Kysely (typed against schema.ts) and yields them;
// a runner executes each one on SQLite (synchronously, better-sqlite3: the fast
// path stays a plain function call) or on PostgreSQL (awaited, `pg`) and sends
// the rows back in. Everything that differs between the dialects lives here:
// how values come back (ids, counts and epoch-ms timestamps as numbers, JSON as
// text, booleans as 0/1), how parameters go in, case-insensitive text, and how
// a constraint violation reads.
import type Database from 'better-sqlite3';
import type { Compilable, CompiledQuery, Expression, RawBuilder } from 'kysely';
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import pg from 'pg';
import { AppError } from '../../../shared/errors.ts';
import type { DB } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

/** What a resource function builds its queries with. */
export interface Sql {
  readonly dialect: Dialect;
  /** Builds (never runs) queries of this dialect; the runner executes them. */
  readonly k: Kysely<DB>;
}

function builder(dialect: Dialect): Kysely<DB> {
  return new Kysely<DB>({
    dialect: {
      createAdapter: () => (dialect === 'sqlite' ? new SqliteAdapter() : new PostgresAdapter()),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) =>
        dialect === 'sqlite' ? new SqliteIntrospector(db) : new PostgresIntrospector(db),
      createQueryCompiler: () =>
        dialect === 'sqlite' ? new SqliteQueryCompiler() : new PostgresQueryCompiler(),
    },
  });
}

export const SQLITE: Sql = { dialect: 'sqlite', k: builder('sqlite') };
export const POSTGRES: Sql = { dialect: 'postgres', k: builder('postgres') };

/** One query for the runner: `rows` wants the result rows, otherwise the number of rows changed. */
export interface Op {
  readonly query: CompiledQuery;
  readonly rows: boolean;
}

/** A unit of store work: yields queries, returns R. Run it with runSqlite / runPg (or a Store). */
export type Query<R> = Generator<Op, R, unknown>;

/** The rows `q` returns. */
export function* rows<T>(q: Compilable<T>): Query<T[]> {
  return (yield { query: q.compile(), rows: true }) as T[];
}

/** The first row `q` returns, or undefined. */
export function* row<T>(q: Compilable<T>): Query<T | undefined> {
  const r = yield* rows(q);
  return r[0];
}

/** Run a statement; the number of rows it changed. */
export function* exec(q: Compilable<unknown>): Query<number> {
  return (yield { query: q.compile(), rows: false }) as number;
}

/** A write that must change exactly `expected` rows did not: a bug, never silently ignored. */
export function assertChanged(changed: number, expected: number, what: string): void {
  if (changed !== expected) {
    throw new AppError('INTERNAL', `Expected to change ${expected} ${what}, changed ${changed}.`);
  }
}

/** A raw `sql` fragment as a query of this dialect (for the few statements the builder lacks). */
export function raw<T>(c: Sql, q: RawBuilder<T>): Compilable<T> {
  return { compile: () => q.compile(c.k) as CompiledQuery<T> };
}

// ---- dialect differences in expressions ------------------------------------

/** `column` folded for case-insensitive comparison and ordering (SQLite NOCASE; lower() on PostgreSQL, as the unique indexes are). */
export function folded(c: Sql, column: string): RawBuilder<string> {
  return c.dialect === 'sqlite'
    ? sql<string>`${sql.ref(column)} COLLATE NOCASE`
    : sql<string>`lower(${sql.ref(column)})`;
}

/** `column` equals `value` ignoring case, the way the unique name indexes compare. */
export function sameText(c: Sql, column: string, value: string): Expression<boolean> {
  return c.dialect === 'sqlite'
    ? sql<boolean>`${sql.ref(column)} = ${value} COLLATE NOCASE`
    : sql<boolean>`lower(${sql.ref(column)}) = lower(${value})`;
}

/** `column` contains `needle` as plain text (no wildcards), ignoring case. */
export function containsText(c: Sql, column: string, needle: string): Expression<boolean> {
  const pattern = `%${needle.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  return c.dialect === 'sqlite'
    ? sql<boolean>`${sql.ref(column)} LIKE ${pattern} ESCAPE '\\' COLLATE NOCASE`
    : sql<boolean>`${sql.ref(column)} ILIKE ${pattern} ESCAPE '\\'`;
}

/** `column` in the order SQLite's BINARY collation gives (bytes; on PostgreSQL COLLATE "C", whatever the database's locale). */
export function binaryOrder(c: Sql, column: string): RawBuilder<string> {
  return c.dialect === 'sqlite'
    ? sql<string>`${sql.ref(column)}`
    : sql<string>`${sql.ref(column)} COLLATE "C"`;
}

/** `column` is one of `ids`, bound as one parameter whatever their number (one cached statement). */
export function inIds(c: Sql, column: string, ids: readonly number[]): Expression<boolean> {
  return c.dialect === 'sqlite'
    ? sql<boolean>`${sql.ref(column)} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`
    : sql<boolean>`${sql.ref(column)} = ANY(${ids}::bigint[])`;
}

/** Whether table `name` exists (a restored copy from an older version may lack newer tables). */
export function* tableExists(c: Sql, name: string): Query<boolean> {
  const found = yield* row(
    raw<{ one: number }>(
      c,
      c.dialect === 'sqlite'
        ? sql`SELECT 1 AS one FROM sqlite_schema WHERE type = 'table' AND name = ${name}`
        : sql`SELECT 1 AS one FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ${name}`,
    ),
  );
  return found !== undefined;
}

// ---- SQLite runner -------------------------------------------------------------

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();
const MAX_CACHED = 256;

function prepare(db: Database.Database, text: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let stmt = cache.get(text);
  if (!stmt) {
    if (cache.size >= MAX_CACHED) cache.clear();
    stmt = db.prepare(text);
    cache.set(text, stmt);
  }
  return stmt;
}

/** better-sqlite3 binds no booleans: true/false go in as 1/0, as they are stored. */
function sqliteParams(ps: readonly unknown[]): unknown[] {
  return ps.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

/** Run `q` on a SQLite connection, synchronously (in the caller's transaction, if any). */
export function runSqlite<R>(db: Database.Database, q: Query<R>): R {
  let step = q.next();
  while (!step.done) {
    const op = step.value;
    let result: unknown;
    try {
      const stmt = prepare(db, op.query.sql);
      const params = sqliteParams(op.query.parameters);
      result = op.rows ? stmt.all(...params) : stmt.run(...params).changes;
    } catch (e) {
      step = q.throw(e);
      continue;
    }
    step = q.next(result);
  }
  return step.value;
}

// ---- PostgreSQL runner -------------------------------------------------------

export interface PgQueryable {
  query(config: { text: string; values: unknown[] }): Promise<{
    rows: unknown[];
    rowCount: number | null;
  }>;
}

const { builtins } = pg.types;

function toSafeNumber(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) && Number.isInteger(n)) {
    throw new AppError(
      'PG_VALUE_OUT_OF_RANGE',
      `A value read from PostgreSQL (${text}) is larger than Stateward can hold exactly (2^53).`,
      { hint: 'Ids and counters above 9007199254740991 are not supported.' },
    );
  }
  return n;
}

/**
 * How values come back from PostgreSQL, the same shapes better-sqlite3 gives:
 * bigint and numeric as numbers, booleans as 1/0, json/jsonb as their text.
 * Passed as `types` to every pg client and pool Stateward opens.
 */
export const PG_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    switch (oid) {
      case builtins.INT8:
      case builtins.NUMERIC:
        return toSafeNumber;
      case builtins.BOOL:
        return (v: string) => (v === 't' ? 1 : 0);
      case builtins.JSON:
      case builtins.JSONB:
        return (v: string) => v;
      default:
        return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
    }
  },
};

/** A PostgreSQL error about data (a unique or foreign key violation) in Stateward's words, or null. */
export function pgConstraintError(e: unknown): AppError | null {
  const err = e as { code?: string; constraint?: string; detail?: string };
  if (err.code === '23505') {
    return new AppError('CONFLICT', 'A record with the same name or key already exists.', {
      hint: 'Choose another name; someone may have just created it.',
      cause: e,
      details: { constraint: err.constraint ?? null },
    });
  }
  if (err.code === '23503') {
    return new AppError('NOT_FOUND', 'A record this refers to does not exist (any more).', {
      cause: e,
      details: { constraint: err.constraint ?? null },
    });
  }
  return null;
}

/** Run `q` on a PostgreSQL connection (in the caller's transaction, if any). */
export async function runPg<R>(client: PgQueryable, q: Query<R>): Promise<R> {
  let step = q.next();
  while (!step.done) {
    const op = step.value;
    let result: unknown;
    try {
      const r = await client.query({
        text: op.query.sql,
        values: op.query.parameters as unknown[],
      });
      result = op.rows ? r.rows : (r.rowCount ?? 0);
    } catch (e) {
      step = q.throw(pgConstraintError(e) ?? e);
      continue;
    }
    step = q.next(result);
  }
  return step.value;
}
