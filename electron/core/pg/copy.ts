// The one-time move of a SQLite data dir's database into PostgreSQL (issue 12,
// points 1–4), as a plain module: the CLI and the app wire it up later.
//
// Everything happens in ONE PostgreSQL transaction: the target schema is
// created and migrated to the source's migration, every table is copied in key
// order with COPY … FROM STDIN (batches read from SQLite by keyset, never
// OFFSET), identities are set past the highest id, and each table's row count
// and content hash are compared on both sides. Then COMMIT when `execute`,
// else ROLLBACK: a dry run is the real thing rolled back, so its report is
// what --execute does. A kill or a dropped connection at any instant leaves
// the target as it was (the transaction) and the source untouched (opened
// read-only). Not checked here: the source data dir held by another process
// (the caller takes the data-dir lock).
import crypto from 'node:crypto';
import os from 'node:os';
import type { Writable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { PgCopyTable } from '../../../shared/domain.ts';
import { AppError, isAppError } from '../../../shared/errors.ts';
import { EMBEDDED_MANIFEST_TABLE } from '../backup/worker.ts';
import type { Logger } from '../log.ts';
import type { ReadableDB } from '../store/db.ts';
import { classifySqliteError, openReadOnly } from '../store/db.ts';
import { checkHistory, checkIdentity, readHistory } from '../store/migrate.ts';
import { MIGRATIONS } from '../store/migrations/index.ts';
import type { PgTarget, PgTransport, SchemaState } from './connect.ts';
import { connectPostgres, describeTarget, parseDatabaseUrl, quoteIdent } from './connect.ts';
import { applyPgMigration, createPgSchema, migrationLockKey, planPgMigrations } from './migrate.ts';

export const COPY_BATCH_ROWS = 5000;

/**
 * Tables whose rows the migrations seed or triggers derive from other tables:
 * they may hold rows in an otherwise empty target, are emptied before the copy
 * and copied as they are in the source (triggers are off during the copy, so
 * nothing is counted twice).
 */
const DERIVED_TABLES = new Set(['change_counter', 'deployment_counts']);

export interface CopyProgress {
  table: string;
  phase: 'copy' | 'verify';
  tableIndex: number;
  tableCount: number;
  rowsDone: number;
  rowsTotal: number;
  rowsPerSec: number;
  /** Estimated time left for this table and phase. */
  etaMs: number;
}

/** One table of a copy: rows read and written, the content hash on each side, time (shared/domain.ts). */
export type CopyTableReport = PgCopyTable;

export interface CopyReport {
  tables: CopyTableReport[];
  schema: string;
  /** The migration both sides are at. */
  schemaVersion: number;
  /** True when committed; false for a dry run (rolled back). */
  executed: boolean;
  /** Whether the target schema was created/migrated by this run. */
  createdSchema: boolean;
  /** The target already held exactly this copy (CopyOptions.adopt): nothing was written. */
  adopted: boolean;
  ms: number;
}

export interface CopyOptions {
  /** stateward.db of a data dir (opened read-only). */
  sourceDb: string;
  /** A postgres:// URL (password from the URL, PGPASSWORD or ~/.pgpass) or a parsed target. */
  target: string | PgTarget;
  /** Default: the target's ?schema=, else stateward. */
  schema?: string;
  execute: boolean;
  onProgress?: (p: CopyProgress) => void;
  signal?: AbortSignal;
  log?: Logger;
  /** Who is copying, for application_name (default cli). */
  transport?: PgTransport;
  batchRows?: number;
  now?: () => number;
  /**
   * Called after every table verified and before COMMIT (execute only), in the
   * transaction: what must exist before the copy may become real (the move's
   * pre-move backup). A throw rolls the copy back.
   */
  beforeCommit?: (client: pg.ClientBase) => Promise<void>;
  /**
   * A target schema that already holds rows is refused (PG_TARGET_NOT_EMPTY)
   * unless `adopt` and it holds exactly the source (every table's count and
   * hash): an earlier run committed this very copy (a move killed before it
   * rebound its data dir). Then nothing is written and the report says `adopted`.
   */
  adopt?: boolean;
}

/* ------------------------------------------------------------------------- */
/* Types: the one place where a SQLite value becomes a PostgreSQL value.      */
/* ------------------------------------------------------------------------- */

type PgKind = 'int' | 'float' | 'bool' | 'json' | 'bytes' | 'text';

function kindOf(dataType: string): PgKind {
  switch (dataType) {
    case 'bigint':
    case 'integer':
    case 'smallint':
      return 'int';
    case 'double precision':
    case 'real':
      return 'float';
    case 'boolean':
      return 'bool';
    case 'jsonb':
    case 'json':
      return 'json';
    case 'bytea':
      return 'bytes';
    case 'text':
    case 'character varying':
      return 'text';
    default:
      throw new AppError('INTERNAL', `No copy mapping for PostgreSQL type ${dataType}.`);
  }
}

class BadValue extends Error {}

/** A JSON value with object keys sorted (jsonb reorders keys; the hash must not care). */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * A column value (from SQLite with safe integers, or from pg with jsonb and int8
 * as text) in canonical text, the same for both sides; null stays null.
 */
function canonicalValue(v: unknown, kind: PgKind): string | null {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case 'int':
      if (typeof v === 'bigint' || typeof v === 'string') return String(BigInt(v));
      if (typeof v === 'number' && Number.isInteger(v)) return String(v);
      break;
    case 'float':
      if (typeof v === 'number') return String(v);
      if (typeof v === 'bigint') return String(Number(v));
      if (typeof v === 'string') return String(Number(v));
      break;
    case 'bool':
      if (v === true || v === 1n || v === 1) return 't';
      if (v === false || v === 0n || v === 0) return 'f';
      break;
    case 'json':
      if (typeof v === 'string') {
        try {
          return stableJson(JSON.parse(v));
        } catch {
          throw new BadValue('not valid JSON');
        }
      }
      break;
    case 'bytes':
      if (Buffer.isBuffer(v)) return v.toString('hex');
      break;
    case 'text':
      if (typeof v === 'string') return v;
      if (typeof v === 'bigint' || typeof v === 'number') return String(v);
      break;
  }
  throw new BadValue(`a ${typeof v} where ${kind} is expected`);
}

/** Escape text for COPY's text format (backslash, tab, newline, carriage return). */
function copyEscape(s: string): string {
  return /[\\\t\n\r]/.test(s)
    ? s.replace(/[\\\t\n\r]/g, (c) =>
        c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
      )
    : s;
}

/** A SQLite value as a field of COPY's text format. */
function copyField(v: unknown, kind: PgKind): string {
  if (v === null || v === undefined) return '\\N';
  switch (kind) {
    case 'bytes':
      if (!Buffer.isBuffer(v)) throw new BadValue(`a ${typeof v} where bytes are expected`);
      return `\\\\x${v.toString('hex')}`;
    case 'json':
      if (typeof v !== 'string') throw new BadValue(`a ${typeof v} where JSON text is expected`);
      return copyEscape(v);
    default:
      return copyEscape(canonicalValue(v, kind)!);
  }
}

/* ------------------------------------------------------------------------- */

interface Column {
  name: string;
  kind: PgKind;
}

export interface TablePlan {
  name: string;
  columns: Column[];
  /** Primary key columns, in key order. */
  key: string[];
  identity: string | null;
  rowsTotal: number;
}

class RowHasher {
  private readonly h = crypto.createHash('sha256');
  rows = 0;
  private readonly columns: Column[];
  constructor(columns: Column[]) {
    this.columns = columns;
  }
  add(row: Record<string, unknown>): void {
    const vals = this.columns.map((c) => canonicalValue(row[c.name], c.kind));
    this.h.update(JSON.stringify(vals));
    this.h.update('\n');
    this.rows++;
  }
  digest(): string {
    return this.h.digest('hex');
  }
}

export function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new AppError('CANCELLED', 'The copy was cancelled; nothing was committed.', {
      hint: 'The target is unchanged. Run it again when you are ready.',
    });
  }
}

const READ_ONLY_CODES = new Set(['25006', '42501']);
const CONNECTION_LOST = new Set(['57P01', '57P02', '57P03', 'ECONNRESET', 'EPIPE']);

/** A failure in the middle of the transaction (of a copy, or `what`) as a stable code (the transaction is gone or rolled back). */
export function classifyTxError(
  e: unknown,
  where: string,
  sourceFile: string,
  what = 'copy',
): AppError {
  if (isAppError(e)) return e;
  const err = e as { code?: string; message?: string };
  const code = err.code ?? '';
  if (code.startsWith('SQLITE_')) return classifySqliteError(e, sourceFile);
  const msg = err.message ?? String(e);
  if (READ_ONLY_CODES.has(code)) {
    return new AppError(
      'PG_READ_ONLY',
      `${where} refuses writes here (${code}: ${msg}). Nothing was changed.`,
      {
        hint: 'Use a database that accepts writes and a role that may create the schema and its tables (CREATE on the database, or on the schema).',
        details: { target: where, cause: `${code}: ${msg}` },
      },
    );
  }
  if (
    CONNECTION_LOST.has(code) ||
    /Connection terminated|connection.*(closed|lost)|not queryable/i.test(msg)
  ) {
    return new AppError(
      'PG_CONNECTION_LOST',
      `The connection to ${where} was lost during the ${what}; nothing was committed.`,
      {
        hint: `The target is unchanged and the source untouched. Run the ${what} again.`,
        details: { target: where, cause: code === '' ? msg : `${code}: ${msg}` },
      },
    );
  }
  return new AppError('INTERNAL', `The ${what} to ${where} failed: ${msg}`, { cause: e });
}

/* ------------------------------------------------------------------------- */
/* Source                                                                    */
/* ------------------------------------------------------------------------- */

/** A Stateward SQLite database open read-only in one read transaction (every table from one snapshot). */
export interface CopySource {
  db: ReadableDB;
  /** Its newest migration. */
  version: number;
}

/**
 * Open `file` as a copy's source: it must pass quick_check, be a Stateward
 * database with data and a history this app knows. Close its `db` when done.
 */
export function openCopySource(file: string): CopySource {
  const db = openReadOnly(file);
  try {
    let check: string[];
    try {
      check = (db.prepare('PRAGMA quick_check').all() as { quick_check: string }[]).map(
        (r) => r.quick_check,
      );
    } catch (e) {
      throw classifySqliteError(e, file);
    }
    if (check.length !== 1 || check[0] !== 'ok') {
      throw new AppError(
        'DB_CORRUPT',
        `${file} fails quick_check: ${check.slice(0, 3).join('; ')}. Nothing was copied.`,
        {
          hint: 'Restore a verified backup into a data dir first (stateward restore), then copy that.',
          details: { quickCheck: check.slice(0, 10) },
        },
      );
    }
    if (checkIdentity(db, file) === 'empty' || readHistory(db).length === 0) {
      throw new AppError(
        'NOT_A_STATEWARD_DB',
        `${file} holds no Stateward data yet: there is nothing to copy.`,
        { hint: 'Choose the stateward.db of a data dir the app has started with.' },
      );
    }
    const history = readHistory(db);
    checkHistory(history, MIGRATIONS, (m) => m.sql);
    // One read transaction: every table is read from the same snapshot.
    db.exec('BEGIN');
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    return { db, version: history[history.length - 1]!.version };
  } catch (e) {
    db.close();
    throw e;
  }
}

function sourceTables(db: ReadableDB): { name: string; key: string[]; deps: string[] }[] {
  const names = db
    .prepare(
      `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         AND name NOT IN ('schema_migrations', '${EMBEDDED_MANIFEST_TABLE}') ORDER BY name`,
    )
    .pluck()
    .all() as string[];
  return names.map((name) => {
    const cols = db.prepare(`PRAGMA table_info(${quoteIdent(name)})`).all() as {
      name: string;
      pk: number;
    }[];
    const key = cols
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    if (key.length === 0) {
      throw new AppError('INTERNAL', `Table ${name} has no primary key to copy it in order.`);
    }
    const deps = (
      db.prepare(`PRAGMA foreign_key_list(${quoteIdent(name)})`).all() as { table: string }[]
    ).map((f) => f.table);
    return { name, key, deps };
  });
}

/** Parents before children; derived tables last. */
function copyOrder<T extends { name: string; deps: string[] }>(tables: T[]): T[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const out: T[] = [];
  const seen = new Set<string>();
  const visit = (t: T) => {
    if (seen.has(t.name)) return;
    seen.add(t.name);
    for (const d of t.deps) {
      const p = byName.get(d);
      if (p && p !== t) visit(p);
    }
    out.push(t);
  };
  for (const t of tables.filter((x) => !DERIVED_TABLES.has(x.name))) visit(t);
  for (const t of tables.filter((x) => DERIVED_TABLES.has(x.name))) visit(t);
  return out;
}

/* ------------------------------------------------------------------------- */

async function pgColumns(
  client: pg.ClientBase,
  schema: string,
  table: string,
): Promise<{ columns: Column[]; identity: string | null }> {
  const r = await client.query<{ column_name: string; data_type: string; is_identity: string }>(
    `SELECT column_name, data_type, is_identity FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [schema, table],
  );
  return {
    columns: r.rows.map((c) => ({ name: c.column_name, kind: kindOf(c.data_type) })),
    identity: r.rows.find((c) => c.is_identity === 'YES')?.column_name ?? null,
  };
}

/** jsonb/json as their text (canonicalized like the source's); everything else as pg parses it. */
const rawJsonTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.JSONB || oid === pg.types.builtins.JSON
      ? (s: string) => s
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

function keyOrder(t: TablePlan, dialect: 'sqlite' | 'pg'): { where: string; order: string } {
  const textKeys = new Set(t.columns.filter((c) => c.kind === 'text').map((c) => c.name));
  // SQLite orders text by bytes (BINARY); PostgreSQL does with COLLATE "C".
  const col = (k: string) =>
    dialect === 'pg' && textKeys.has(k) ? `${quoteIdent(k)} COLLATE "C"` : quoteIdent(k);
  const cols = t.key.map(col);
  const params = t.key.map((_, i) => (dialect === 'pg' ? `$${i + 1}` : '?'));
  return {
    where:
      t.key.length === 1
        ? `${cols[0]} > ${params[0]}`
        : `(${cols.join(', ')}) > (${params.join(', ')})`,
    order: cols.join(', '),
  };
}

class Meter {
  private readonly start = Date.now();
  private readonly t: TablePlan;
  private readonly phase: CopyProgress['phase'];
  private readonly index: number;
  private readonly count: number;
  private readonly onProgress: ((p: CopyProgress) => void) | undefined;
  constructor(
    t: TablePlan,
    phase: CopyProgress['phase'],
    index: number,
    count: number,
    onProgress: ((p: CopyProgress) => void) | undefined,
  ) {
    this.t = t;
    this.phase = phase;
    this.index = index;
    this.count = count;
    this.onProgress = onProgress;
  }
  report(done: number): void {
    if (!this.onProgress) return;
    const secs = Math.max((Date.now() - this.start) / 1000, 1e-3);
    const rate = done / secs;
    const left = Math.max(this.t.rowsTotal - done, 0);
    this.onProgress({
      table: this.t.name,
      phase: this.phase,
      tableIndex: this.index,
      tableCount: this.count,
      rowsDone: done,
      rowsTotal: this.t.rowsTotal,
      rowsPerSec: Math.round(rate),
      etaMs: rate > 0 ? Math.round((left / rate) * 1000) : 0,
    });
  }
}

function writeChunk(stream: Writable, chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    stream.once('error', onError);
    const cont = () => {
      stream.off('error', onError);
      resolve();
    };
    if (stream.write(chunk)) cont();
    else stream.once('drain', cont);
  });
}

function endStream(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.once('finish', () => resolve());
    stream.end();
  });
}

/** The source table's rows in key order, in keyset batches (never OFFSET). */
function* sourceBatches(
  src: ReadableDB,
  t: TablePlan,
  batchRows: number,
  signal: AbortSignal | undefined,
): Generator<Record<string, unknown>[]> {
  const cols = t.columns.map((c) => quoteIdent(c.name)).join(', ');
  const table = quoteIdent(t.name);
  const { where, order } = keyOrder(t, 'sqlite');
  const first = src.prepare(`SELECT ${cols} FROM ${table} ORDER BY ${order} LIMIT ?`);
  const next = src.prepare(`SELECT ${cols} FROM ${table} WHERE ${where} ORDER BY ${order} LIMIT ?`);
  first.safeIntegers(true);
  next.safeIntegers(true);
  let last: unknown[] | null = null;
  for (;;) {
    checkAbort(signal);
    const rows = (last === null ? first.all(batchRows) : next.all(...last, batchRows)) as Record<
      string,
      unknown
    >[];
    if (rows.length === 0) return;
    yield rows;
    const lastRow = rows[rows.length - 1]!;
    last = t.key.map((k) => lastRow[k]);
    if (rows.length < batchRows) return;
  }
}

/** The source table hashed as copyTable hashes it, without writing anything. */
function hashSource(
  src: ReadableDB,
  t: TablePlan,
  batchRows: number,
  meter: Meter,
  signal: AbortSignal | undefined,
): { rows: number; hash: string } {
  const hasher = new RowHasher(t.columns);
  for (const rows of sourceBatches(src, t, batchRows, signal)) {
    for (const row of rows) hasher.add(row);
    meter.report(hasher.rows);
  }
  return { rows: hasher.rows, hash: hasher.digest() };
}

/** Copy one table in key order; returns rows read/written and the source hash. */
async function copyTable(
  client: pg.ClientBase,
  src: ReadableDB,
  schema: string,
  t: TablePlan,
  batchRows: number,
  meter: Meter,
  signal: AbortSignal | undefined,
): Promise<{ rowsRead: number; rowsWritten: number; hash: string }> {
  const cols = t.columns.map((c) => quoteIdent(c.name));
  const table = quoteIdent(t.name);
  const hasher = new RowHasher(t.columns);
  const stream = client.query(
    copyFrom(`COPY ${quoteIdent(schema)}.${table} (${cols.join(', ')}) FROM STDIN`),
  );
  let streamError: Error | null = null;
  stream.on('error', (e: Error) => (streamError = e));
  try {
    for (const rows of sourceBatches(src, t, batchRows, signal)) {
      if (streamError) throw streamError;
      let chunk = '';
      for (const row of rows) {
        let line: string;
        try {
          line = t.columns.map((c) => copyField(row[c.name], c.kind)).join('\t');
        } catch (e) {
          if (!(e instanceof BadValue)) throw e;
          const keyText = t.key.map((k) => String(row[k])).join(', ');
          throw new AppError(
            'PG_COPY_FAILED',
            `Table ${t.name}, row ${keyText}: ${e.message}. Nothing was committed.`,
            {
              hint: 'Fix or remove that row in the source (or restore a backup), then copy again.',
              details: { table: t.name, key: keyText },
            },
          );
        }
        chunk += `${line}\n`;
        hasher.add(row);
      }
      await writeChunk(stream, chunk);
      meter.report(hasher.rows);
    }
    await endStream(stream);
  } catch (e) {
    if (!stream.destroyed) stream.destroy();
    // The COPY's own error (a constraint, a bad value) says more than "stream destroyed".
    const err = (streamError ?? e) as { code?: string; message?: string };
    if (isAppError(e)) throw e;
    if (err.code && /^(22|23)/.test(err.code)) {
      throw new AppError(
        'PG_COPY_FAILED',
        `Table ${t.name} could not be written: ${err.code}: ${err.message}. Nothing was committed.`,
        { details: { table: t.name, cause: `${err.code}: ${err.message}` } },
      );
    }
    throw streamError ?? e;
  }
  return { rowsRead: hasher.rows, rowsWritten: stream.rowCount, hash: hasher.digest() };
}

/** The target's rows in the same key order, hashed the same way (keyset batches). */
async function hashTarget(
  client: pg.ClientBase,
  schema: string,
  t: TablePlan,
  batchRows: number,
  meter: Meter,
  signal: AbortSignal | undefined,
): Promise<{ rows: number; hash: string }> {
  const cols = t.columns.map((c) => quoteIdent(c.name)).join(', ');
  const table = `${quoteIdent(schema)}.${quoteIdent(t.name)}`;
  const { where, order } = keyOrder(t, 'pg');
  const hasher = new RowHasher(t.columns);
  let last: unknown[] | null = null;
  for (;;) {
    checkAbort(signal);
    const r: pg.QueryResult<Record<string, unknown>> = await client.query({
      text:
        last === null
          ? `SELECT ${cols} FROM ${table} ORDER BY ${order} LIMIT ${batchRows}`
          : `SELECT ${cols} FROM ${table} WHERE ${where} ORDER BY ${order} LIMIT ${batchRows}`,
      values: last ?? [],
      types: rawJsonTypes,
    });
    for (const row of r.rows) hasher.add(row);
    meter.report(hasher.rows);
    if (r.rows.length < batchRows) break;
    const lastRow = r.rows[r.rows.length - 1]!;
    last = t.key.map((k) => {
      const v = lastRow[k];
      return typeof v === 'bigint' ? v.toString() : v;
    });
  }
  return { rows: hasher.rows, hash: hasher.digest() };
}

/* ------------------------------------------------------------------------- */

async function checkWritable(client: pg.ClientBase, schema: string, where: string): Promise<void> {
  const r = await client.query<{ ro: string; db_create: boolean; schema_create: boolean | null }>(
    `SELECT current_setting('transaction_read_only') AS ro,
            has_database_privilege(current_database(), 'CREATE') AS db_create,
            CASE WHEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)
                 THEN has_schema_privilege($1, 'CREATE') END AS schema_create`,
    [schema],
  );
  const row = r.rows[0]!;
  const why =
    row.ro === 'on'
      ? 'the database is read-only (default_transaction_read_only, or a standby)'
      : row.schema_create === false
        ? `the role may not create tables in schema ${schema}`
        : row.schema_create === null && !row.db_create
          ? `the role may not create schema ${schema} in this database`
          : null;
  if (why !== null) {
    throw new AppError(
      'PG_READ_ONLY',
      `${where} cannot take the copy: ${why}. Nothing was changed.`,
      {
        hint: 'Use a database that accepts writes and a role with CREATE on it (or on the schema), e.g. the database owner.',
        details: { target: where, schema },
      },
    );
  }
}

async function schemaRows(
  client: pg.ClientBase,
  schema: string,
  tables: string[],
): Promise<{ table: string; rows: number }[]> {
  const out: { table: string; rows: number }[] = [];
  for (const t of tables) {
    const r = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM ${quoteIdent(schema)}.${quoteIdent(t)} LIMIT 1) x`,
    );
    if (Number(r.rows[0]!.n) > 0) out.push({ table: t, rows: Number(r.rows[0]!.n) });
  }
  return out;
}

/** Both sides must be at the same migration; nothing was changed. */
export function schemaVersionMismatch(
  schema: string,
  where: string,
  server: number,
  source: number,
  hints: { serverBehind: string; serverAhead: string },
): AppError {
  const hint = server < source ? hints.serverBehind : hints.serverAhead;
  return new AppError(
    'PG_SCHEMA_VERSION_MISMATCH',
    `Schema ${schema} on ${where} is at migration ${server}, the source at ${source}; both sides must be at the same migration. Nothing was changed.`,
    { hint, details: { source, target: server, schema } },
  );
}

/**
 * In the caller's transaction: create `schema` (unless it is there, empty) and
 * apply the migrations up to `version`, each once, as a fresh database at that
 * version has them.
 */
export async function createAtVersion(
  client: pg.ClientBase,
  schema: string,
  state: SchemaState,
  version: number,
  now: () => number = Date.now,
): Promise<void> {
  if (state !== 'stateward') await createPgSchema(client, schema);
  for (const m of MIGRATIONS.slice(0, version)) {
    await applyPgMigration(client, schema, m, now(), os.hostname());
  }
}

/**
 * The source's tables as the target schema has them, in copy order (parents
 * first). A table whose columns differ on the two sides means they are not at
 * the same migration: PG_SCHEMA_VERSION_MISMATCH.
 */
export async function planTables(
  client: pg.ClientBase,
  source: CopySource,
  schema: string,
  ordered: { name: string; key: string[] }[] = copyOrder(sourceTables(source.db)),
): Promise<TablePlan[]> {
  const tables: TablePlan[] = [];
  for (const s of ordered) {
    const { columns, identity } = await pgColumns(client, schema, s.name);
    const srcCols = new Set(
      (
        source.db.prepare(`PRAGMA table_info(${quoteIdent(s.name)})`).all() as {
          name: string;
        }[]
      ).map((c) => c.name),
    );
    if (
      columns.length === 0 ||
      columns.some((c) => !srcCols.has(c.name)) ||
      columns.length !== srcCols.size
    ) {
      throw new AppError(
        'PG_SCHEMA_VERSION_MISMATCH',
        `Table ${s.name} differs between the source and schema ${schema} at the same migration. Nothing was changed.`,
        { details: { table: s.name } },
      );
    }
    const rowsTotal = Number(
      (
        source.db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(s.name)}`).get() as {
          n: number;
        }
      ).n,
    );
    tables.push({ name: s.name, columns, key: s.key, identity, rowsTotal });
  }
  return tables;
}

export interface ReplaceOptions {
  batchRows: number;
  onProgress?: ((p: CopyProgress) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Set the identity of `table` past its highest id, and never back: setval is
 * not undone by a rollback, so a sequence only ever moves forward (a rolled-back
 * replace leaves at most a gap, never an id handed out twice).
 */
async function setIdentityPastMax(
  client: pg.ClientBase,
  schema: string,
  t: TablePlan & { identity: string },
): Promise<void> {
  const qt = `${quoteIdent(schema)}.${quoteIdent(t.name)}`;
  const seq = await client.query<{ seq: string }>(`SELECT pg_get_serial_sequence($1, $2) AS seq`, [
    qt,
    t.identity,
  ]);
  const name = seq.rows[0]!.seq;
  await client.query(
    `SELECT setval($1::regclass, greatest(
        (SELECT coalesce(max(${quoteIdent(t.identity)}), 0) + 1 FROM ${qt}),
        (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM ${name})), false)`,
    [name],
  );
}

/**
 * Inside the caller's transaction: empty every table of the plan (children
 * first), copy the source's rows in key order with COPY (user triggers off, so
 * derived tables are copied as they are and nothing is counted twice), set
 * identities past the highest id, then read every table back and compare row
 * counts and content hashes (PG_COPY_VERIFY_FAILED on a difference).
 */
export async function replaceTables(
  client: pg.ClientBase,
  source: CopySource,
  schema: string,
  tables: TablePlan[],
  opts: ReplaceOptions,
): Promise<CopyTableReport[]> {
  const qt = (t: TablePlan) => `${quoteIdent(schema)}.${quoteIdent(t.name)}`;
  for (const t of tables) await client.query(`ALTER TABLE ${qt(t)} DISABLE TRIGGER USER`);
  for (const t of [...tables].reverse()) {
    checkAbort(opts.signal);
    await client.query(`DELETE FROM ${qt(t)}`);
  }

  const reports: CopyTableReport[] = [];
  for (const [i, t] of tables.entries()) {
    const t0 = Date.now();
    const copied = await copyTable(
      client,
      source.db,
      schema,
      t,
      opts.batchRows,
      new Meter(t, 'copy', i, tables.length, opts.onProgress),
      opts.signal,
    );
    if (t.identity !== null)
      await setIdentityPastMax(client, schema, { ...t, identity: t.identity });
    const ms = Date.now() - t0;
    reports.push({
      name: t.name,
      rowsRead: copied.rowsRead,
      rowsWritten: copied.rowsWritten,
      sourceHash: copied.hash,
      targetHash: '',
      ms,
      rowsPerSec: perSecond(copied.rowsRead, ms),
    });
  }

  for (const t of tables) await client.query(`ALTER TABLE ${qt(t)} ENABLE TRIGGER USER`);

  // Verify inside the transaction, before COMMIT.
  for (const [i, t] of tables.entries()) {
    const rep = reports[i]!;
    const got = await verifyHash(client, schema, tables, i, opts);
    rep.targetHash = got.hash;
    if (
      got.rows !== rep.rowsRead ||
      rep.rowsWritten !== rep.rowsRead ||
      got.hash !== rep.sourceHash
    ) {
      throw new AppError(
        'PG_COPY_VERIFY_FAILED',
        `Table ${t.name} does not match after the copy (source ${rep.rowsRead} rows, written ${rep.rowsWritten}, target ${got.rows}${got.hash === rep.sourceHash ? '' : ', content differs'}). Rolled back; nothing was committed.`,
        {
          hint: 'Report this with the log file; the source is untouched.',
          details: { table: t.name, source: rep.rowsRead, target: got.rows },
        },
      );
    }
  }
  return reports;
}

/** Rows per second of `rows` done in `ms` (under a millisecond counts as one). */
function perSecond(rows: number, ms: number): number {
  return Math.round((rows / Math.max(ms, 1)) * 1000);
}

/** Table `i` of the plan read back from the target and hashed (its progress is the verify phase). */
function verifyHash(
  client: pg.ClientBase,
  schema: string,
  tables: TablePlan[],
  i: number,
  opts: ReplaceOptions,
): Promise<{ rows: number; hash: string }> {
  const t = tables[i]!;
  const meter = new Meter(t, 'verify', i, tables.length, opts.onProgress);
  return hashTarget(client, schema, t, opts.batchRows, meter, opts.signal);
}

/**
 * Without writing: does every table of the target hold exactly the source's rows
 * (count and content hash)? A difference is PG_TARGET_NOT_EMPTY (it holds other data).
 */
async function compareTables(
  client: pg.ClientBase,
  source: CopySource,
  schema: string,
  tables: TablePlan[],
  opts: ReplaceOptions,
  where: string,
): Promise<CopyTableReport[]> {
  const reports: CopyTableReport[] = [];
  for (const [i, t] of tables.entries()) {
    const t0 = Date.now();
    const read = hashSource(
      source.db,
      t,
      opts.batchRows,
      new Meter(t, 'copy', i, tables.length, opts.onProgress),
      opts.signal,
    );
    const got = await verifyHash(client, schema, tables, i, opts);
    if (got.rows !== read.rows || got.hash !== read.hash) {
      throw new AppError(
        'PG_TARGET_NOT_EMPTY',
        `Schema ${schema} on ${where} already holds Stateward data that differs from this source (table ${t.name}). The copy goes only into an empty schema; nothing was changed.`,
        {
          hint: 'Copy into a new database, or another schema with ?schema=NAME in the URL.',
          details: { schema, table: t.name },
        },
      );
    }
    const ms = Date.now() - t0;
    reports.push({
      name: t.name,
      rowsRead: read.rows,
      rowsWritten: 0,
      sourceHash: read.hash,
      targetHash: got.hash,
      ms,
      rowsPerSec: perSecond(read.rows, ms),
    });
  }
  return reports;
}

/**
 * Copy the SQLite database `opts.sourceDb` into the target schema, verified,
 * in one PostgreSQL transaction; committed only when `opts.execute`.
 */
export async function copySqliteToPostgres(opts: CopyOptions): Promise<CopyReport> {
  const started = Date.now();
  const target = typeof opts.target === 'string' ? parseDatabaseUrl(opts.target) : opts.target;
  const schema = opts.schema ?? target.schema;
  const where = describeTarget(target);
  const batchRows = opts.batchRows ?? COPY_BATCH_ROWS;
  const now = opts.now ?? Date.now;

  checkAbort(opts.signal);
  const source = openCopySource(opts.sourceDb);
  try {
    const conn = await connectPostgres(target, {
      transport: opts.transport ?? 'cli',
      ...(opts.log ? { log: opts.log } : {}),
    });
    const client = conn.client;
    try {
      let committed = false;
      await client.query('BEGIN');
      try {
        // Serialised with migrators of this schema (released at COMMIT/ROLLBACK).
        await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [migrationLockKey(schema)]);
        await client.query(`SET LOCAL extra_float_digits = 1`);
        await checkWritable(client, schema, where);
        const plan = await planPgMigrations(client, schema, MIGRATIONS, target.database);
        const tablesSrc = copyOrder(sourceTables(source.db));
        let createdSchema = false;
        let adopting = false;
        if (plan.fresh) {
          await createAtVersion(client, schema, plan.schemaState, source.version, now);
          createdSchema = true;
        } else if (plan.current !== source.version) {
          throw schemaVersionMismatch(schema, where, plan.current, source.version, {
            serverBehind:
              'Let Stateward migrate the target first (or copy into an empty schema), then copy again.',
            serverAhead:
              'Migrate the source first: start Stateward once with this data dir (or run `stateward migrate`), then copy again.',
          });
        } else {
          const filled = await schemaRows(
            client,
            schema,
            tablesSrc.map((t) => t.name).filter((n) => !DERIVED_TABLES.has(n)),
          );
          if (filled.length > 0 && opts.adopt === true) {
            adopting = true;
          } else if (filled.length > 0) {
            throw new AppError(
              'PG_TARGET_NOT_EMPTY',
              `Schema ${schema} on ${where} already holds Stateward data (${filled
                .slice(0, 5)
                .map((f) => f.table)
                .join(', ')}). The copy goes only into an empty schema; nothing was changed.`,
              {
                hint: 'Copy into a new database, or another schema with ?schema=NAME in the URL.',
                details: { schema, tables: filled.map((f) => f.table) },
              },
            );
          }
        }

        const tables = await planTables(client, source, schema, tablesSrc);
        const replace = { batchRows, onProgress: opts.onProgress, signal: opts.signal };
        const reports = adopting
          ? await compareTables(client, source, schema, tables, replace, where)
          : await replaceTables(client, source, schema, tables, replace);

        checkAbort(opts.signal);
        if (opts.execute && !adopting) {
          if (opts.beforeCommit) await opts.beforeCommit(client);
          checkAbort(opts.signal);
          await client.query('COMMIT');
          committed = true;
        } else {
          await client.query('ROLLBACK');
        }
        const report: CopyReport = {
          tables: reports,
          schema,
          schemaVersion: source.version,
          executed: committed || (adopting && opts.execute),
          createdSchema,
          adopted: adopting,
          ms: Date.now() - started,
        };
        opts.log?.log(
          'info',
          `PostgreSQL copy to ${where} schema ${schema}: ${committed ? 'committed' : adopting ? 'already there (adopted)' : 'dry run, rolled back'}, ${reports.reduce((n, r) => n + r.rowsRead, 0)} rows in ${report.ms} ms`,
        );
        return report;
      } catch (e) {
        if (!committed) await client.query('ROLLBACK').catch(() => undefined);
        throw classifyTxError(e, where, opts.sourceDb);
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  } finally {
    source.db.close();
  }
}
