// A backup of a PostgreSQL-bound data dir (team mode): a logical snapshot of the
// schema's tables, read inside ONE `REPEATABLE READ, READ ONLY, DEFERRABLE`
// transaction (one point in time; writers are never blocked), streamed in key
// order through a server-side cursor, and written as a normal Stateward backup
// file: a SQLite database made by the SQLite migrations up to the server's schema
// version, with the same embedded facts and sidecar manifest as a SQLite backup
// (plus `source`). The file's checks, hash, manifest and renames are the backup
// engine's own (backup/engine.ts runBackup), so a crash leaves only temporaries
// its clean-up removes. Nothing here writes to the server.
//
// Derived tables (deployment_counts, change_counter) are copied as they are: the
// SQLite triggers that maintain them are dropped while rows go in and re-created
// with their exact text after, so nothing is counted twice.
import Database from 'better-sqlite3';
import pg from 'pg';
import { AppError, isAppError } from '../../../shared/errors.ts';
import type { BackupKind, BackupSource } from '../../../shared/domain.ts';
import type { BackupProgress, BackupResult, SnapshotOutcome } from '../backup/engine.ts';
import { runBackup } from '../backup/engine.ts';
import {
  COMPACT_STRIPPED_TABLES,
  EMBEDDED_MANIFEST_TABLE,
  embedManifestFacts,
} from '../backup/worker.ts';
import type { Logger } from '../log.ts';
import type { WritableDB } from '../store/db.ts';
import { applyMigrations, planMigrations } from '../store/migrate.ts';
import { MIGRATIONS } from '../store/migrations/index.ts';
import type { PgTarget, PgTransport } from './connect.ts';
import { connectPostgres, DEFAULT_SCHEMA, parseDatabaseUrl, quoteIdent } from './connect.ts';
import { planPgMigrations } from './migrate.ts';

/** Rows per FETCH from the server-side cursor. */
const FETCH_ROWS = 5000;

export interface PgBackupRequest {
  /** A postgres:// URL, or a parsed target. */
  url?: string;
  target?: PgTarget;
  schema?: string;
  outDir: string;
  kind: BackupKind;
  compact: boolean;
  now?: () => number;
  onProgress?: (p: BackupProgress) => void;
  signal?: AbortSignal;
  dataKeyId?: string | null;
  ownFolder?: boolean;
  transport?: PgTransport;
  log?: Logger;
  env?: NodeJS.ProcessEnv;
}

// PostgreSQL type OIDs (pg's own table) whose values are mapped back to SQLite's representation.
const OID = pg.types.builtins;

/**
 * The one place a PostgreSQL value becomes what SQLite stores: boolean → 0/1;
 * bigint → number when safe, else bigint (better-sqlite3 binds both as
 * INTEGER); json/jsonb → compact JSON text, as the app writes it with
 * JSON.stringify (jsonb keeps no whitespace or key order; the one column whose
 * exact bytes matter, config_snapshots.content, is text on both sides); bytea →
 * Buffer; text, integer and double precision as pg gives them.
 */
const SQLITE_VALUE_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (v: string) => unknown {
    switch (oid) {
      case OID.BOOL:
        return (v) => (v === 't' ? 1 : 0);
      case OID.INT8:
        return (v) => {
          const n = Number(v);
          return Number.isSafeInteger(n) ? n : BigInt(v);
        };
      case OID.JSON:
      case OID.JSONB:
        return (v) => JSON.stringify(JSON.parse(v));
      default:
        return pg.types.getTypeParser(oid, format ?? 'text') as (v: string) => unknown;
    }
  },
};

/** Tables of the backup that the server does not hold (the engine's own, and the history). */
const LOCAL_TABLES = new Set(['schema_migrations', EMBEDDED_MANIFEST_TABLE]);

const cancelled = () => new AppError('CANCELLED', 'The backup was cancelled.');

/** The schema's base tables with their primary-key columns (the copy's order), as the server has them. */
async function serverTables(
  client: pg.ClientBase,
  schema: string,
): Promise<Map<string, { columns: string[]; key: string[] }>> {
  const cols = await client.query<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name
       FROM information_schema.columns c
       JOIN information_schema.tables t USING (table_schema, table_name)
      WHERE c.table_schema = $1 AND t.table_type = 'BASE TABLE'
      ORDER BY c.table_name, c.ordinal_position`,
    [schema],
  );
  const keys = await client.query<{ table_name: string; column_name: string | null }>(
    `SELECT cl.relname AS table_name, a.attname AS column_name
       FROM pg_class cl
       JOIN pg_namespace n ON n.oid = cl.relnamespace
       LEFT JOIN pg_index i ON i.indrelid = cl.oid AND i.indisprimary
       LEFT JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
       LEFT JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum = k.attnum
      WHERE n.nspname = $1 AND cl.relkind IN ('r', 'p')
      ORDER BY cl.relname, k.ord`,
    [schema],
  );
  const out = new Map<string, { columns: string[]; key: string[] }>();
  for (const r of cols.rows) {
    const t = out.get(r.table_name) ?? { columns: [], key: [] };
    t.columns.push(r.column_name);
    out.set(r.table_name, t);
  }
  for (const r of keys.rows) {
    const t = out.get(r.table_name);
    if (!t) continue;
    if (r.column_name) t.key.push(r.column_name);
  }
  for (const name of LOCAL_TABLES) out.delete(name);
  return out;
}

function sqliteTables(db: Database.Database): { name: string; columns: string[] }[] {
  const names = db
    .prepare(
      `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid`,
    )
    .pluck()
    .all() as string[];
  return names
    .filter((n) => !LOCAL_TABLES.has(n))
    .map((name) => ({
      name,
      columns: db
        .prepare(`SELECT name FROM pragma_table_info(?) ORDER BY cid`)
        .pluck()
        .all(name) as string[],
    }));
}

function sameSchemaOrThrow(
  local: { name: string; columns: string[] }[],
  server: Map<string, { columns: string[] }>,
  schema: string,
  version: number,
): void {
  const problems: string[] = [];
  for (const t of local) {
    const s = server.get(t.name);
    if (!s) {
      problems.push(`table ${t.name} is missing`);
      continue;
    }
    const want = [...t.columns].sort().join(',');
    const have = [...s.columns].sort().join(',');
    if (want !== have) problems.push(`${t.name} has columns (${have}), expected (${want})`);
  }
  for (const name of server.keys())
    if (!local.some((t) => t.name === name)) problems.push(`table ${name} is not Stateward's`);
  if (problems.length > 0)
    throw new AppError(
      'MIGRATION_HISTORY_OUT_OF_SYNC',
      `Schema ${schema} on the server does not match Stateward's schema ${version}: ${problems.slice(0, 5).join('; ')}.`,
      {
        hint: 'Its tables were changed outside Stateward. Nothing was backed up.',
        details: { problems },
      },
    );
}

/**
 * Copy every table inside the snapshot transaction into the (migrated) SQLite
 * temp file. Returns rows stripped by compact.
 */
async function copyTables(
  client: pg.ClientBase,
  db: Database.Database,
  schema: string,
  compact: boolean,
  report: (done: number, total: number) => void,
  signal: AbortSignal | undefined,
): Promise<number> {
  const server = await serverTables(client, schema);
  const local = sqliteTables(db);
  sameSchemaOrThrow(local, server, schema, db.pragma('user_version', { simple: true }) as number);
  // Exact counts in the same snapshot: progress that reaches its total, and what compact strips.
  const counted = await client.query<Record<string, string>>(
    `SELECT ${local.map((t, i) => `(SELECT count(*) FROM ${quoteIdent(schema)}.${quoteIdent(t.name)}) AS c${i}`).join(', ')}`,
  );
  const rowsOf = (i: number) => Number(counted.rows[0]![`c${i}`]);
  const total = Math.max(
    1,
    local.reduce(
      (n, t, i) => n + (compact && COMPACT_STRIPPED_TABLES.includes(t.name) ? 0 : rowsOf(i)),
      0,
    ),
  );
  // Derived tables are copied as they are: no trigger may count a copied row again.
  const triggers = db
    .prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY rowid`)
    .all() as { name: string; sql: string }[];
  for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);
  // Secondary indexes are built once the rows are in (a sorted build, not one random
  // B-tree insert per row): the same definitions, re-created with their exact text.
  const indexes = db
    .prepare(
      `SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY rowid`,
    )
    .all() as { name: string; sql: string }[];
  for (const ix of indexes) db.exec(`DROP INDEX "${ix.name}"`);
  let done = 0;
  let stripped = 0;
  for (const [i, t] of local.entries()) {
    if (signal?.aborted) throw cancelled();
    const s = server.get(t.name)!;
    const from = `${quoteIdent(schema)}.${quoteIdent(t.name)}`;
    // What the migrations put there (change_counter's row) is replaced by the server's rows.
    db.exec(`DELETE FROM "${t.name}"`);
    if (compact && COMPACT_STRIPPED_TABLES.includes(t.name)) {
      stripped += rowsOf(i);
      continue;
    }
    const order = (s.key.length > 0 ? s.key : t.columns).map(quoteIdent).join(', ');
    await client.query(
      `DECLARE stateward_backup NO SCROLL CURSOR FOR SELECT ${t.columns.map(quoteIdent).join(', ')} FROM ${from} ORDER BY ${order}`,
    );
    const insert = db.prepare(
      `INSERT INTO "${t.name}" (${t.columns.map((c) => `"${c}"`).join(', ')}) VALUES (${t.columns.map(() => '?').join(', ')})`,
    );
    const fetch = () => {
      const next = client.query<unknown[]>({
        text: `FETCH ${FETCH_ROWS} FROM stateward_backup`,
        rowMode: 'array',
        types: SQLITE_VALUE_TYPES,
      });
      next.catch(() => undefined); // awaited below; a failure while rows are written is not unhandled
      return next;
    };
    db.exec('BEGIN');
    try {
      let pending = fetch();
      for (;;) {
        const batch = await pending;
        if (signal?.aborted) throw cancelled();
        const last = batch.rows.length < FETCH_ROWS;
        // The server reads the next batch while this one is written to the file.
        if (!last) pending = fetch();
        for (const row of batch.rows) insert.run(row);
        done += batch.rows.length;
        report(done, Math.max(total, done));
        if (last) break;
      }
      db.exec('COMMIT');
    } catch (e) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw e;
    }
    await client.query('CLOSE stateward_backup');
  }
  if (signal?.aborted) throw cancelled();
  for (const ix of indexes) db.exec(ix.sql);
  for (const t of triggers) db.exec(t.sql);
  return stripped;
}

/**
 * Take one team backup of `schema` into `outDir`. The server's schema history
 * must be a prefix of this app's (a newer, out-of-sync or edited history is
 * refused with the migration codes); the file gets the server's schema version,
 * so a `pre-upgrade` backup of an older schema is what it was.
 */
export async function createPgBackup(req: PgBackupRequest): Promise<BackupResult> {
  const target = req.target ?? parseDatabaseUrl(req.url ?? '', 'flag');
  const schema = req.schema ?? DEFAULT_SCHEMA;
  if (req.signal?.aborted) throw cancelled();
  const conn = await connectPostgres(target, {
    transport: req.transport ?? 'cli',
    ...(req.log ? { log: req.log } : {}),
    ...(req.env ? { env: req.env } : {}),
  });
  const { client } = conn;
  const source: BackupSource = {
    backend: 'postgres',
    serverVersion: conn.serverVersion,
    database: target.database,
    schema,
    host: target.host,
  };
  const onAbort = () => {
    // A FETCH in flight ends with the connection; the engine then removes the temp file.
    void client.end().catch(() => undefined);
  };
  req.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await runBackup(
      {
        outDir: req.outDir,
        kind: req.kind,
        compact: req.compact,
        signal: req.signal,
        onProgress: req.onProgress,
        dataKeyId: req.dataKeyId ?? null,
        ...(req.now ? { now: req.now } : {}),
        ...(req.ownFolder ? { ownFolder: true } : {}),
      },
      async ({ tmp, facts, report }): Promise<SnapshotOutcome> => {
        const start = Date.now();
        report('snapshot', 0, 1, start);
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY, DEFERRABLE');
        // One server process's worth of work: no parallel workers taking the cores writers need.
        await client.query('SET LOCAL max_parallel_workers_per_gather = 0');
        const db = new Database(tmp);
        try {
          // Still a temporary: a crash leaves it for the clean-up, and the engine fsyncs it after.
          db.pragma('journal_mode = OFF');
          db.pragma('synchronous = OFF');
          db.pragma('foreign_keys = OFF');
          // Room for the index builds' sorts and the tables' upper levels (64 MiB).
          db.pragma('cache_size = -65536');
          const plan = await planPgMigrations(client, schema, MIGRATIONS, target.database);
          if (plan.schemaState !== 'stateward' || plan.current === 0)
            throw new AppError(
              'NOT_A_STATEWARD_DB',
              `Schema ${schema} of database ${target.database} holds no Stateward data yet: there is nothing to back up.`,
              { hint: 'Check the database URL and schema; nothing was written.' },
            );
          const migrations = MIGRATIONS.slice(0, plan.current);
          try {
            applyMigrations(
              db as WritableDB,
              planMigrations(db as WritableDB, migrations),
              req.now,
            );
          } catch (e) {
            // The temporary file's schema, not a live database's: its failure (a full disk)
            // is classified as the backup's own (BACKUP_DISK_FULL, …), not MIGRATION_FAILED.
            throw isAppError(e) && e.code === 'MIGRATION_FAILED' && e.cause ? e.cause : e;
          }
          // The history as the server recorded it: when and by which version each was applied.
          const stamp = db.prepare(
            `UPDATE schema_migrations SET applied_at = ?, app_version = ? WHERE version = ?`,
          );
          for (const h of plan.history) stamp.run(h.appliedAt, h.appVersion, h.version);
          const strippedRows = await copyTables(
            client,
            db,
            schema,
            req.compact,
            (done, total) => report('snapshot', done, total, start),
            req.signal,
          );
          const sizes = await client.query<{ bytes: string }>(
            `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS bytes
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`,
            [schema],
          );
          await client.query('COMMIT');
          const embedded = embedManifestFacts(db, facts, req.compact);
          return { ...embedded, liveBytes: Number(sizes.rows[0]!.bytes), strippedRows };
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined);
          if (req.signal?.aborted) throw cancelled();
          throw e;
        } finally {
          db.close();
        }
      },
      { source },
    );
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
    await client.end().catch(() => undefined);
  }
}
