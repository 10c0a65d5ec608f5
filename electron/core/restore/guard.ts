// The write guard of a promote. From the moment a promote starts until the new
// database is live, no write may land in the old one: it would be in neither the
// pre-restore backup nor the promoted copy. In this process the command registry
// refuses writes (RestoreService.promoting); for other processes with the old
// file open, the promote adds triggers to the old database that abort every
// insert, update and delete. They are created inside the write transaction that
// also covers the pre-restore backup (so never part of it) and committed only
// once the promote journal exists (so a crash that rolls back removes them:
// dropPromoteGuard at the next locking start).
import Database from 'better-sqlite3';
import fs from 'node:fs';
import { AppError } from '../../../shared/errors.ts';
import type { Logger } from '../log.ts';

/** Names of the guard triggers start with this; nothing else in a Stateward database does. */
export const GUARD_PREFIX = 'stateward_promote_guard_';
/** The RAISE message of a guard trigger: the SqliteError's message starts with it. */
export const GUARD_MESSAGE = 'PROMOTE_IN_PROGRESS: a promote is replacing this database';
/** How long a refused writer should wait before it tries again. */
export const PROMOTE_RETRY_AFTER_MS = 1000;

/** The refusal of a write that arrives while a promote runs (retryable). */
export function promoteInProgress(): AppError {
  return new AppError(
    'PROMOTE_IN_PROGRESS',
    'A restored copy is being made live right now, so this change was not made.',
    {
      hint: 'Try again in a moment: the promote takes a few seconds.',
      details: { retryable: true, retryAfterMs: PROMOTE_RETRY_AFTER_MS },
    },
  );
}

/** A write aborted by a guard trigger (in this process or another). */
export function isPromoteGuardError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return (
    typeof code === 'string' &&
    code.startsWith('SQLITE_CONSTRAINT') &&
    String((e as Error).message).startsWith(GUARD_MESSAGE)
  );
}

const quoteId = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Add the guard triggers to every table of `db` (call inside the promote's write transaction). */
export function addPromoteGuard(db: Database.Database): void {
  const tables = db
    .prepare(
      `SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
         AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name`,
    )
    .pluck()
    .all() as string[];
  tables.forEach((t, i) => {
    for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
      db.exec(
        `CREATE TRIGGER main.${quoteId(`${GUARD_PREFIX}${i}_${op.toLowerCase()}`)} BEFORE ${op} ON ${quoteId(t)}
         BEGIN SELECT RAISE(ABORT, '${GUARD_MESSAGE}'); END`,
      );
    }
  });
}

/** Drop every guard trigger of `db`; returns how many there were. */
export function dropPromoteGuard(db: Database.Database): number {
  const names = db
    .prepare(
      `SELECT name FROM main.sqlite_schema WHERE type = 'trigger' AND substr(name, 1, ?) = ?`,
    )
    .pluck()
    .all(GUARD_PREFIX.length, GUARD_PREFIX) as string[];
  if (names.length === 0) return 0;
  db.transaction(() => {
    for (const n of names) db.exec(`DROP TRIGGER IF EXISTS main.${quoteId(n)}`);
  })();
  return names.length;
}

/**
 * Drop the guard from a database file after a promote was rolled back at start-up
 * (the process holds the data-dir lock). Never fails the start-up: a file that
 * cannot be opened is left to the store's own checks (and logged).
 */
export function dropPromoteGuardFile(file: string, logger: Logger): void {
  if (!fs.existsSync(file)) return;
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const n = dropPromoteGuard(db);
    if (n > 0)
      logger.log('warn', `removed the write guard (${n} triggers) of a rolled-back promote`);
  } catch (e) {
    logger.log('warn', 'could not check the live database for the write guard of a promote', e);
  } finally {
    db?.close();
  }
}
