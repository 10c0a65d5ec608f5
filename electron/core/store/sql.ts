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

// ---- queries compiled once ---------------------------------------------------

/**
 * Stands in for argument `i` of a cached query while its shape is compiled;
 * `encode` turns the call's argument into the bound value (see inIds).
 */
export class Slot {
  readonly i: number;
  readonly encode: (v: unknown) => unknown;
  constructor(i: number, encode: (v: unknown) => unknown = (v) => v) {
    this.i = i;
    this.encode = encode;
  }
  /** This slot, its value bound as `f(value)`. */
  map(f: (v: unknown) => unknown): Slot {
    return new Slot(this.i, (v) => f(this.encode(v)));
  }
}

interface CachedShape {
  compiled: CompiledQuery;
  /** The parameters: a Slot for each argument's place, other values as they are. */
  params: readonly unknown[];
}

const shapes = new WeakMap<Kysely<DB>, Map<string, CachedShape>>();
const MAX_SHAPES = 512;
/**
 * Under the tests every cached query is also built the normal way and must
 * compile to the same SQL and values (a test may turn this off to see the cache alone).
 */
export const cacheCheck = { verify: process.env.VITEST !== undefined };

/**
 * A hot query built and compiled once per dialect and `shape`, then reused with
 * each call's `args` as its parameters (building a query with Kysely costs more
 * than SQLite takes to run a small one). `build` gets a Slot for each argument and
 * must put each one into the query as a bound value, unchanged or through
 * Slot.map (never read, stringified or branched on: what varies the SQL goes into
 * `shape`, which names the call site and every choice `build` makes).
 */
export function cached<T>(
  c: Sql,
  shape: string,
  args: readonly unknown[],
  build: (slots: readonly unknown[]) => Compilable<T>,
): Compilable<T> {
  return {
    compile: () => {
      let byShape = shapes.get(c.k);
      if (!byShape) shapes.set(c.k, (byShape = new Map()));
      let hit = byShape.get(shape);
      if (!hit) {
        const compiled = build(args.map((_, i) => new Slot(i))).compile();
        const used = new Set(compiled.parameters.flatMap((p) => (p instanceof Slot ? [p.i] : [])));
        if (used.size !== args.length) {
          throw new Error(`cached query ${shape}: an argument is not a bound value of the query`);
        }
        if (byShape.size >= MAX_SHAPES) byShape.clear();
        hit = { compiled, params: compiled.parameters };
        byShape.set(shape, hit);
      }
      const parameters = hit.params.map((p) => (p instanceof Slot ? p.encode(args[p.i]) : p));
      const out = { ...hit.compiled, parameters } as CompiledQuery<T>;
      if (cacheCheck.verify) {
        const direct = build(args).compile();
        if (
          direct.sql !== out.sql ||
          JSON.stringify(direct.parameters) !== JSON.stringify(out.parameters)
        ) {
          throw new Error(`cached query ${shape} differs from the query it caches: ${direct.sql}`);
        }
      }
      return out;
    },
  };
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
export function containsText(c: Sql, column: string, needle: string | Slot): Expression<boolean> {
  const like = (v: unknown) => `%${(v as string).replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  const pattern = needle instanceof Slot ? needle.map(like) : like(needle);
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
export function inIds(c: Sql, column: string, ids: readonly number[] | Slot): Expression<boolean> {
  if (c.dialect === 'postgres') return sql<boolean>`${sql.ref(column)} = ANY(${ids}::bigint[])`;
  const encode = (v: unknown) => JSON.stringify(v);
  const bound = ids instanceof Slot ? ids.map(encode) : encode(ids);
  return sql<boolean>`${sql.ref(column)} IN (SELECT value FROM json_each(${bound}))`;
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
function pgConstraintError(e: unknown): AppError | null {
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
