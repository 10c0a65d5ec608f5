// Opening Stateward databases. One writer connection per process; readable
// handles (status, preview, verify) are a different type from the writable one
// so a function that writes cannot be handed a read-only handle.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { AppError, isAppError } from '../../../shared/errors.ts';
import { isPromoteGuardError, promoteInProgress } from '../restore/guard.ts';

/** 'StWd': identifies a Stateward database in the SQLite header (offset 68). */
export const APPLICATION_ID = 0x53745764;
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

declare const readableBrand: unique symbol;
declare const writableBrand: unique symbol;
export type ReadableDB = Database.Database & { readonly [readableBrand]: true };
export type WritableDB = ReadableDB & { readonly [writableBrand]: true };

export interface HeaderFacts {
  size: number;
  isSqlite: boolean;
  applicationId: number;
  userVersion: number;
  pageSize: number;
  pageCount: number;
}

/** Read the SQLite header without opening the file through SQLite (no -wal/-shm created). */
export function readHeader(file: string): HeaderFacts {
  let fd: number;
  try {
    // Never blocks: a named pipe put in its place would hang every command.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw new AppError(
      'DB_UNREADABLE',
      `Cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      {
        hint: 'Check that the file exists and that you may read it.',
        cause: e,
      },
    );
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) {
      throw new AppError('DB_UNREADABLE', `${file} is not a file.`, {
        hint: 'Move it away or choose another data directory.',
      });
    }
    const size = stat.size;
    const buf = Buffer.alloc(100);
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, 100, 0);
    } catch (e) {
      throw new AppError(
        'DB_UNREADABLE',
        `Cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        {
          hint: 'Check the disk and the file permissions.',
          cause: e,
        },
      );
    }
    const isSqlite = n >= 100 && buf.subarray(0, 16).equals(SQLITE_MAGIC);
    const rawPageSize = isSqlite ? buf.readUInt16BE(16) : 0;
    return {
      size,
      isSqlite,
      applicationId: isSqlite ? buf.readUInt32BE(68) : 0,
      userVersion: isSqlite ? buf.readUInt32BE(60) : 0,
      pageSize: rawPageSize === 1 ? 65536 : rawPageSize,
      pageCount: isSqlite ? buf.readUInt32BE(28) : 0,
    };
  } finally {
    fs.closeSync(fd);
  }
}

const JOURNAL_MAGIC = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]);

/**
 * The rollback journal beside `file` when it is hot: a write in rollback-journal
 * mode was cut off after its journal was complete (SQLite writes the magic last),
 * so the database may hold half of it until the journal is rolled back. Only a
 * writable connection can do that; a read-only open fails. Reads, never writes.
 */
export function hotJournalOf(file: string): string | null {
  const journal = `${file}-journal`;
  let fd: number;
  try {
    fd = fs.openSync(journal, 'r');
  } catch {
    return null;
  }
  try {
    const head = Buffer.alloc(JOURNAL_MAGIC.length);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    return n === head.length && head.equals(JOURNAL_MAGIC) ? journal : null;
  } finally {
    fs.closeSync(fd);
  }
}

/** True when `file` carries Stateward's application_id in its header (ours to recover). */
export function isStatewardFile(file: string): boolean {
  try {
    const h = readHeader(file);
    return h.isSqlite && h.applicationId === APPLICATION_ID;
  } catch {
    return false;
  }
}

/**
 * Roll back the hot journal a crash left beside one of Stateward's databases, as
 * SQLite does on the first read of a writable connection. Only for a file that
 * is Stateward's (a foreign file is left alone for the store to refuse); the
 * caller holds the data-dir lock. Returns whether a journal was rolled back.
 */
export function rollBackHotJournal(file: string): boolean {
  if (!hotJournalOf(file) || !isStatewardFile(file)) return false;
  const db = openWritable(file);
  try {
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
  } catch (e) {
    throw classifySqliteError(e, file);
  } finally {
    db.close();
  }
  return true;
}

/**
 * A full disk, a busy database or a promote under way, from a raw SQLite or
 * file-system error, as a stable code (null for anything else). `near` is a
 * path on the disk concerned: SQLite reports some writes that hit a full disk
 * as a plain I/O error, so an I/O error there counts as "full" when that disk
 * has (almost) no room left.
 */
export function resourceFailure(e: unknown, near: string | null): AppError | null {
  if (isAppError(e)) return null;
  // A write aborted by the guard of a promote: another process is making a restored copy live.
  if (isPromoteGuardError(e)) return promoteInProgress();
  const code = String((e as { code?: string }).code ?? '');
  const msg = (e as Error)?.message ?? String(e);
  const ioError = code.startsWith('SQLITE_IOERR') || code === 'EIO';
  if (
    code === 'SQLITE_FULL' ||
    code === 'ENOSPC' ||
    code === 'EDQUOT' ||
    (ioError && near !== null && diskIsFull(near))
  ) {
    return new AppError(
      'DISK_FULL',
      `The disk is full${near ? ` (where ${near} is)` : ''}: ${msg}`,
      { hint: 'Free some space on that disk and try again; nothing was changed.', cause: e },
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new AppError(
      'DATA_DIR_BUSY',
      'The database is busy: another process kept a write open longer than Stateward waits.',
      {
        hint: 'Try again in a moment; if it persists, check for a script or tool writing to the data directory.',
        details: { retryable: true },
        cause: e,
      },
    );
  }
  return null;
}

/** The file system holding `p` (or its nearest existing parent) has less than 1 MiB or no inode left. */
export function diskIsFull(p: string): boolean {
  let at = path.resolve(p);
  for (;;) {
    try {
      const s = fs.statfsSync(at);
      // Some file systems (btrfs) report no inode counts at all: only a real count of 0 free is "full".
      return s.bavail * s.bsize < 1024 * 1024 || (s.files > 0 && s.ffree === 0);
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return false;
      at = parent;
    }
  }
}

/** The folder holding `file` is on a read-only mount. */
function onReadOnlyFileSystem(file: string): boolean {
  try {
    fs.accessSync(path.dirname(file), fs.constants.W_OK);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EROFS';
  }
}

/** Map a SQLite error on a file to a stable code. */
export function classifySqliteError(e: unknown, file: string): AppError {
  if (isAppError(e)) return e;
  const code = (e as { code?: string }).code ?? '';
  const msg = (e as Error).message ?? String(e);
  const resource = resourceFailure(e, file);
  if (resource) return resource;
  if (code === 'SQLITE_NOTADB') {
    return new AppError('NOT_A_STATEWARD_DB', `${file} is not a SQLite database.`, { cause: e });
  }
  if (code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT')) {
    return new AppError('DB_CORRUPT', `${file} is damaged: ${msg}`, {
      hint: 'Restore it from a backup (Backups → Restore to a copy).',
      cause: e,
    });
  }
  if (
    code === 'SQLITE_CANTOPEN' ||
    code.startsWith('SQLITE_IOERR') ||
    code === 'SQLITE_READONLY' ||
    code === 'SQLITE_PERM'
  ) {
    if (onReadOnlyFileSystem(file))
      return new AppError(
        'DB_UNREADABLE',
        `Cannot open ${file}: its disk is mounted read-only, and SQLite must write beside a database (its -shm file) even to read it.`,
        {
          hint: 'Remount the disk read-write (a disk the system made read-only after errors: check it first), or copy the file to a writable folder and verify or restore that copy.',
          cause: e,
        },
      );
    return new AppError('DB_UNREADABLE', `Cannot open ${file}: ${msg}`, {
      hint: 'Check the file and folder permissions and that the disk is present.',
      cause: e,
    });
  }
  return new AppError('INTERNAL', `Unexpected database error on ${file}: ${msg}`, { cause: e });
}

export function openWritable(file: string): WritableDB {
  try {
    const db = new Database(file);
    db.pragma('busy_timeout = 5000');
    return db as WritableDB;
  } catch (e) {
    throw classifySqliteError(e, file);
  }
}

/** The settings every writable Stateward connection runs with (after its identity is checked). */
export function applyConnectionSettings(db: WritableDB): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
}

export function openReadOnly(file: string): ReadableDB {
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    // The first read takes the shared lock: a hot journal stops a read-only connection here.
    db.pragma('schema_version');
    return db as ReadableDB;
  } catch (e) {
    db?.close();
    const journal = hotJournalOf(file);
    if (journal) {
      throw new AppError(
        'DB_NEEDS_RECOVERY',
        `A crash left a write of ${file} unfinished (${journal}); it cannot be read until that write is rolled back.`,
        {
          hint: 'For the live database, start Stateward once (the app, the host or `stateward migrate`): that rolls it back. Do not delete the -journal file.',
          cause: e,
        },
      );
    }
    throw classifySqliteError(e, file);
  }
}
