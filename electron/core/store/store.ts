// The store: the data directory's database opened, identified, migrated and
// ready. The app, the HTTP host, the CLI and (later) the restore drill all open
// databases through here, so "boots" means the same thing everywhere.
import fs from 'node:fs';
import { AppError } from '../../../shared/errors.ts';
import type { DataDirLayout } from '../paths.ts';
import { tightenFiles } from '../fsutil.ts';
import type { ReadableDB, WritableDB } from './db.ts';
import { countRows } from './introspect.ts';
import {
  applyConnectionSettings,
  classifySqliteError,
  hotJournalOf,
  isStatewardFile,
  openReadOnly,
  openWritable,
  readHeader,
} from './db.ts';
import type { MigrationPlan } from './migrate.ts';
import { applyMigrations, checkIdentity, planMigrations } from './migrate.ts';

export interface Store {
  readonly file: string;
  readonly db: WritableDB;
  readonly plan: MigrationPlan;
  readonly applied: string[];
  /** The file SQLite opened (device and inode): a file deleted or replaced under a running app is told apart. */
  readonly identity?: { dev: number; ino: number };
  close(): void;
}

/** Refuse files that are not SQLite before SQLite ever opens them. */
function preflightFile(file: string): void {
  if (!fs.existsSync(file)) return;
  const h = readHeader(file);
  if (h.size === 0) return; // SQLite treats an empty file as a new database
  if (!h.isSqlite) {
    throw new AppError('NOT_A_STATEWARD_DB', `${file} is not a SQLite database.`, {
      hint: 'Move this file away (it is not Stateward data) or choose another data directory.',
    });
  }
}

/** Open a database file read-write, check it is Stateward's, and migrate it to this version. */
export function openStoreFile(file: string): Store {
  preflightFile(file);
  const db = openWritable(file);
  try {
    checkIdentity(db, file);
    const plan = planMigrations(db);
    // Only now that the file is known to be ours (or new) may it be switched to WAL.
    applyConnectionSettings(db);
    const applied = applyMigrations(db, plan);
    const { dev, ino } = fs.statSync(file);
    return {
      file,
      db,
      plan,
      applied,
      identity: { dev, ino },
      close: () => db.close(),
    };
  } catch (e) {
    db.close();
    throw classifySqliteError(e, file);
  }
}

export function openStore(layout: DataDirLayout): Store {
  const store = openStoreFile(layout.db);
  tightenFiles([layout.db, layout.wal, layout.shm]);
  return store;
}

export interface Inspection {
  exists: boolean;
  schemaVersion: number;
  plan: MigrationPlan | null;
  counts: TableCounts;
  error: AppError | null;
}

export interface TableCounts {
  projects: number;
  environments: number;
  deployments: number;
  auditEntries: number;
}

const NO_COUNTS: TableCounts = { projects: 0, environments: 0, deployments: 0, auditEntries: 0 };

/** Row counts of the key tables that exist (an older schema may lack some). */
export function tableCounts(db: ReadableDB): TableCounts {
  const count = (table: string): number => countRows(db, table) ?? 0;
  return {
    projects: count('projects'),
    environments: count('environments'),
    deployments: count('deployments'),
    auditEntries: count('audit_log'),
  };
}

/** Why a database with a hot journal cannot be looked at read-only, and what happens to it. */
function hotJournalError(file: string, journal: string): AppError {
  if (!isStatewardFile(file)) {
    return new AppError(
      'NOT_A_STATEWARD_DB',
      `${file} is not one of Stateward's databases, and a crash left a write in it unfinished (${journal}).`,
      {
        hint: 'Move both files away (they are not Stateward data) or choose another data directory.',
      },
    );
  }
  return new AppError(
    'DB_NEEDS_RECOVERY',
    `A crash left a write of ${file} unfinished (${journal}); it is rolled back at the next start.`,
    {
      hint: 'Open the app, start the host, or run `stateward migrate` once (each takes the data directory and rolls it back), then try again. Do not delete the -journal file: the database needs it.',
    },
  );
}

/** Look at a data dir's database without changing anything (CLI status, dry runs). */
export function inspectDatabase(file: string): Inspection {
  // Only an empty regular file is "not created yet": a named pipe or a device there (size 0) is refused.
  const st = fs.existsSync(file) ? fs.statSync(file) : null;
  if (!st || (st.isFile() && st.size === 0)) {
    return { exists: false, schemaVersion: 0, plan: null, counts: NO_COUNTS, error: null };
  }
  let db: ReadableDB | null = null;
  try {
    preflightFile(file);
    // A read-only connection cannot roll a hot journal back (SQLite refuses to read past it).
    const journal = hotJournalOf(file);
    if (journal) throw hotJournalError(file, journal);
    db = openReadOnly(file);
    const identity = checkIdentity(db, file);
    if (identity === 'empty')
      return { exists: true, schemaVersion: 0, plan: null, counts: NO_COUNTS, error: null };
    const plan = planMigrations(db);
    return {
      exists: true,
      schemaVersion: plan.current,
      plan,
      counts: tableCounts(db),
      error: null,
    };
  } catch (e) {
    return {
      exists: true,
      schemaVersion: 0,
      plan: null,
      counts: NO_COUNTS,
      error: classifySqliteError(e, file),
    };
  } finally {
    db?.close();
  }
}
