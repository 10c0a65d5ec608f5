// The migrations engine on PostgreSQL: the same numbered list as SQLite (each
// migration's `postgres` text, checksummed on its own), applied into one schema
// under a session advisory lock keyed on that schema, so exactly one instance
// migrates while the others wait and then find nothing pending. Each migration
// is one transaction. The refusals are SQLite's, with the same codes
// (store/migrate.ts checkHistory); PostgreSQL also records the host.
import os from 'node:os';
import type pg from 'pg';
import { AppError } from '../../../shared/errors.ts';
import type { Logger } from '../log.ts';
import type { RecordedMigration } from '../store/migrate.ts';
import { checkHistory, checksumOf } from '../store/migrate.ts';
import type { Migration } from '../store/migrations/index.ts';
import { MIGRATIONS } from '../store/migrations/index.ts';
import { APP_VERSION } from '../version.ts';
import type { SchemaState } from './connect.ts';
import { inspectSchema, quoteIdent, STATEWARD_MARKER } from './connect.ts';
import { advisoryKey, withLock } from './locks.ts';

export interface PgAppliedMigration extends RecordedMigration {
  appliedAt: number;
  host: string;
}

export interface PgMigrationPlan {
  schemaState: SchemaState;
  current: number;
  target: number;
  pending: Migration[];
  fresh: boolean;
  /** The schema's recorded history (empty unless it is Stateward's). */
  history: PgAppliedMigration[];
}

export interface PgMigrateOptions {
  schema: string;
  migrations?: readonly Migration[];
  /** Recorded with each applied migration (default: this machine's name). */
  host?: string;
  now?: () => number;
  log?: Logger;
}

export interface PgMigrateResult extends PgMigrationPlan {
  applied: string[];
}

/** The advisory lock key for migrating `schema` (one bigint, as text for pg). */
export function migrationLockKey(schema: string): string {
  return advisoryKey('migrate', schema);
}

function historyTableSql(schema: string): string {
  const t = `${quoteIdent(schema)}.schema_migrations`;
  return `CREATE TABLE ${t} (
  version     integer PRIMARY KEY,
  name        text NOT NULL,
  checksum    text NOT NULL,
  applied_at  bigint NOT NULL,
  app_version text NOT NULL,
  host        text NOT NULL
);
COMMENT ON TABLE ${t} IS '${STATEWARD_MARKER}';`;
}

export async function readPgHistory(
  client: Pick<pg.ClientBase, 'query'> | pg.Pool,
  schema: string,
): Promise<PgAppliedMigration[]> {
  const r = await client.query<{
    version: number;
    name: string;
    checksum: string;
    applied_at: string;
    app_version: string;
    host: string;
  }>(
    `SELECT version, name, checksum, applied_at, app_version, host
       FROM ${quoteIdent(schema)}.schema_migrations ORDER BY version`,
  );
  return r.rows.map((row) => ({
    version: row.version,
    name: row.name,
    checksum: row.checksum,
    appliedAt: Number(row.applied_at),
    appVersion: row.app_version,
    host: row.host,
  }));
}

/** Read-only: what the schema holds and what would run; throws the refusals. */
export async function planPgMigrations(
  client: pg.ClientBase,
  schema: string,
  migrations: readonly Migration[] = MIGRATIONS,
  database = '',
): Promise<PgMigrationPlan> {
  const schemaState = await inspectSchema(client, schema, database);
  const history = schemaState === 'stateward' ? await readPgHistory(client, schema) : [];
  checkHistory(history, migrations, (m) => m.postgres);
  return {
    schemaState,
    current: history[history.length - 1]?.version ?? 0,
    target: migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version,
    pending: migrations.slice(history.length),
    fresh: history.length === 0,
    history,
  };
}

async function inTransaction(client: pg.ClientBase, fn: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await fn();
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/** Create `schema` and its history table (no transaction of its own). */
export async function createPgSchema(client: pg.ClientBase, schema: string): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  await client.query(historyTableSql(schema));
}

/**
 * Apply one migration's PostgreSQL text and record it, on the caller's
 * transaction (no transaction or lock of its own: the copy runs every
 * migration inside its single transaction). Leaves search_path on `schema`
 * until the transaction ends.
 */
export async function applyPgMigration(
  client: pg.ClientBase,
  schema: string,
  m: Migration,
  appliedAt: number,
  host: string = os.hostname(),
): Promise<void> {
  await client.query(`SELECT set_config('search_path', $1, true)`, [quoteIdent(schema)]);
  await client.query(m.postgres);
  await client.query(
    `INSERT INTO ${quoteIdent(schema)}.schema_migrations (version, name, checksum, applied_at, app_version, host)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [m.version, m.name, checksumOf(m.postgres), appliedAt, APP_VERSION, host],
  );
}

/**
 * Bring `opts.schema` up to date. Waits for the schema's advisory lock, plans
 * under it (so a waiter sees what the holder applied), creates the schema and
 * its history table when new, then applies each pending migration in its own
 * transaction. The client must not be inside a transaction.
 */
export async function migratePostgres(
  client: pg.ClientBase,
  opts: PgMigrateOptions,
): Promise<PgMigrateResult> {
  const { schema } = opts;
  const migrations = opts.migrations ?? MIGRATIONS;
  const now = opts.now ?? Date.now;
  const host = opts.host ?? os.hostname();
  return withLock(client, migrationLockKey(schema), async () => {
    const plan = await planPgMigrations(client, schema, migrations);
    const applied: string[] = [];
    if (plan.pending.length > 0 && plan.schemaState !== 'stateward') {
      await inTransaction(client, () => createPgSchema(client, schema));
    }
    for (const m of plan.pending) {
      try {
        await inTransaction(client, () => applyPgMigration(client, schema, m, now(), host));
      } catch (e) {
        throw new AppError(
          'MIGRATION_FAILED',
          `Migration ${m.name} failed on PostgreSQL and was rolled back: ${(e as Error).message}`,
          {
            hint: 'The database is unchanged by this migration. Report this with the log file.',
            cause: e,
          },
        );
      }
      applied.push(m.name);
      opts.log?.log('info', `PostgreSQL: applied migration ${m.name} to schema ${schema}`);
    }
    return { ...plan, applied };
  });
}
