// The migrations engine: numbered SQL applied in order, one transaction each,
// recorded with its checksum. Refuses newer, out-of-sync and edited histories.
import crypto from 'node:crypto';
import { AppError } from '../../../shared/errors.ts';
import { APP_VERSION } from '../version.ts';
import type { ReadableDB, WritableDB } from './db.ts';
import { APPLICATION_ID } from './db.ts';
import { tableExists } from './introspect.ts';
import type { MigrationSource } from './migrations/index.ts';
import { MIGRATIONS } from './migrations/index.ts';

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: number;
  appVersion: string;
}

export interface MigrationPlan {
  /** The database's schema version now (0 for a new database). */
  current: number;
  /** The newest version this build knows. */
  target: number;
  pending: MigrationSource[];
  /** True when the database holds no Stateward data yet (no migrations applied). */
  fresh: boolean;
}

export function checksumOf(sql: string): string {
  return crypto.createHash('sha256').update(sql, 'utf8').digest('hex');
}

const HISTORY_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version     INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  checksum    TEXT NOT NULL,
  applied_at  INTEGER NOT NULL,
  app_version TEXT NOT NULL
)`;

export function readHistory(db: ReadableDB): AppliedMigration[] {
  if (!tableExists(db, 'schema_migrations')) return [];
  return (
    db
      .prepare(
        `SELECT version, name, checksum, applied_at AS appliedAt, app_version AS appVersion
         FROM schema_migrations ORDER BY version`,
      )
      .all() as AppliedMigration[]
  ).map((r) => ({ ...r }));
}

/**
 * Identity check: Stateward's application_id, or an empty new database. A new
 * database that holds only an empty migration history is empty too: a crash of
 * an older version between creating that table and stamping the application_id
 * left exactly that (now both happen in one transaction).
 */
export function checkIdentity(db: ReadableDB, file: string): 'stateward' | 'empty' {
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (appId === APPLICATION_ID) return 'stateward';
  const objects = db.prepare(`SELECT name FROM sqlite_schema`).pluck().all() as string[];
  const onlyHistory =
    objects.length === 1 && objects[0] === 'schema_migrations' && readHistory(db).length === 0;
  if (appId === 0 && (objects.length === 0 || onlyHistory)) return 'empty';
  throw new AppError(
    'NOT_A_STATEWARD_DB',
    `${file} is a SQLite database, but not one of Stateward's.`,
    {
      hint: 'Choose the stateward.db of a Stateward data directory, or a Stateward backup.',
      details: { applicationId: appId },
    },
  );
}

/** A history row as both dialects record it (PostgreSQL also records the host). */
export interface RecordedMigration {
  version: number;
  name: string;
  checksum: string;
  appVersion: string;
  host?: string | null;
}

/**
 * The refusals both dialects share: a newer schema, a history that is not a
 * prefix of this build's list, an applied migration whose text differs.
 * `textOf` gives the text this dialect checksums; `declaredVersion` is what the
 * database says besides its history (SQLite's user_version; 0 elsewhere).
 */
export function checkHistory<M extends MigrationSource>(
  history: readonly RecordedMigration[],
  migrations: readonly M[],
  textOf: (m: M) => string | undefined,
  declaredVersion = 0,
): void {
  const target = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  const newest = history[history.length - 1];
  if ((newest && newest.version > target) || declaredVersion > target) {
    const madeBy = newest?.appVersion ?? 'a newer version';
    const dbSchema = Math.max(newest?.version ?? 0, declaredVersion);
    const host = newest?.host ?? null;
    throw new AppError(
      'SCHEMA_FROM_NEWER_VERSION',
      host === null
        ? `This database was made by Stateward ${madeBy} (schema ${dbSchema}); this is Stateward ${APP_VERSION} (schema ${target}).`
        : `This database was upgraded to schema ${dbSchema} by Stateward ${madeBy} on ${host}; this is Stateward ${APP_VERSION} (schema ${target}).`,
      {
        hint:
          host === null
            ? 'Restore it into the same or a newer version of Stateward, or restore an older backup (such as the pre-upgrade one) into this version.'
            : `Update this app to Stateward ${madeBy} or newer; every instance connected to this database must run that version.`,
        details: { dbSchema, appSchema: target, madeBy, ...(host === null ? {} : { host }) },
      },
    );
  }
  for (let i = 0; i < history.length; i++) {
    const applied = history[i]!;
    const known = migrations[i];
    if (!known || known.version !== applied.version || known.name !== applied.name) {
      throw new AppError(
        'MIGRATION_HISTORY_OUT_OF_SYNC',
        `The database's migration history does not match this version: it has ${applied.name} where ${known?.name ?? 'nothing'} was expected.`,
        {
          hint: 'This database was changed by a different build of Stateward. Restore a backup made by this version.',
          details: { position: i, applied: applied.name, expected: known?.name ?? null },
        },
      );
    }
    const text = textOf(known);
    if (text !== undefined && checksumOf(text) !== applied.checksum) {
      throw new AppError(
        'MIGRATION_CHECKSUM_MISMATCH',
        `Migration ${applied.name} was applied with different contents than this version ships.`,
        {
          hint: 'A published migration was edited, or the database was changed by a modified build. Restore a backup made by an official build.',
          details: {
            migration: applied.name,
            recorded: applied.checksum,
            expected: checksumOf(text),
          },
        },
      );
    }
  }
}

/** Compare the database's history with this build's list; refuse what must be refused. */
export function planMigrations(
  db: ReadableDB,
  migrations: readonly MigrationSource[] = MIGRATIONS,
): MigrationPlan {
  const history = readHistory(db);
  const target = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  const userVersion = db.pragma('user_version', { simple: true }) as number;
  checkHistory(history, migrations, (m) => m.sql, userVersion);
  return {
    current: history[history.length - 1]?.version ?? 0,
    target,
    pending: migrations.slice(history.length),
    fresh: history.length === 0,
  };
}

/** Apply the pending migrations, each in its own transaction. Returns the names applied. */
export function applyMigrations(
  db: WritableDB,
  plan: MigrationPlan,
  now: () => number = Date.now,
): string[] {
  const applied: string[] = [];
  // One transaction: a crash in between would leave a history table without the identity.
  db.transaction(() => {
    db.exec(HISTORY_TABLE);
    if ((db.pragma('application_id', { simple: true }) as number) !== APPLICATION_ID) {
      db.pragma(`application_id = ${APPLICATION_ID}`);
    }
  })();
  const record = db.prepare(
    `INSERT INTO schema_migrations (version, name, checksum, applied_at, app_version) VALUES (?, ?, ?, ?, ?)`,
  );
  for (const m of plan.pending) {
    const run = db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, checksumOf(m.sql), now(), APP_VERSION);
      db.pragma(`user_version = ${m.version}`);
    });
    try {
      run();
    } catch (e) {
      throw new AppError(
        'MIGRATION_FAILED',
        `Migration ${m.name} failed and was rolled back: ${(e as Error).message}`,
        {
          hint: 'The database is unchanged by this migration. Report this with the log file.',
          cause: e,
        },
      );
    }
    applied.push(m.name);
  }
  return applied;
}
