// This machine's settings: how it backs up (schedule, retention, off-site folder)
// and its scheduler's own record (when the last scheduled run was, the last
// failed backup). They belong to the machine, not to the data in the database,
// so they live in <data>/settings.json (0600, written atomically) and never in
// stateward.db: restoring a backup (of this machine or another one) and
// promoting it never changes them, even after a promote a crash cut short.
//
// Older versions kept them in the database's settings table. The process that
// owns the data dir moves them into the file at start (once: the file's existence
// says it is done) and drops the rows; a process without the lock that finds no
// file yet reads the rows instead. Rows a promoted copy brings along are ignored
// (the file exists) and dropped at the next start.
import fs from 'node:fs';
import { AppError, isAppError } from '../../shared/errors.ts';
import { DataDirLock, pause } from './lock.ts';
import type { DataDirLayout } from './paths.ts';
import type { ReadableDB, WritableDB } from './store/db.ts';
import { openReadOnly } from './store/db.ts';
import { tableExists } from './store/introspect.ts';
import { getSetting } from './store/resources/settings.ts';
import { runSqlite, SQLITE } from './store/sql.ts';
import { listDir, removeDeadWriterTemps, writeFileAtomic } from './fsutil.ts';
import { readBackupSettings } from './backup/settings-schema.ts';

/** The keys that are the machine's (the names older versions used in the settings table). */
export const MACHINE_KEYS = [
  'backup.settings',
  'backup.lastScheduledRunAt',
  'backup.lastFailure',
  /** A SettingsProblem: the file could not be read and was kept aside; cleared when backup.settings is saved. */
  'backup.settingsProblem',
] as const;
export type MachineKey = (typeof MACHINE_KEYS)[number];
export type MachineValues = Partial<Record<MachineKey, unknown>>;

const FILE_VERSION = 1;
/** How long a writer waits for another process's write of the file. */
const WAIT_MS = 5_000;

/**
 * A settings file that could not be read as it was (not JSON, not an object, or
 * backup settings that are not valid): the values in use are the defaults (for
 * `fields` only, when named), and the user's file is kept at `keptAt`.
 */
export interface SettingsProblem {
  at: number;
  keptAt: string;
  /** The invalid fields whose defaults are in use; null when the whole file was unreadable. */
  fields: string[] | null;
}

interface FileRead {
  /** The values to use (invalid ones left out, so each takes its default). */
  values: MachineValues;
  /** What was invalid (undefined when nothing was). */
  problem?: { fields: string[] | null } | undefined;
}

/** What the file holds; null when there is none yet (a data dir no start of this version has owned). */
function readFileValues(layout: DataDirLayout): MachineValues | null {
  return readFile(layout)?.values ?? null;
}

function readFile(layout: DataDirLayout): FileRead | null {
  let text: string;
  try {
    // Not a file (a folder made in its place): its values are the defaults; the next write sets it aside.
    if (!fs.statSync(layout.settings).isFile()) return { values: {} };
    text = fs.readFileSync(layout.settings, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AppError(
      'DATA_DIR_UNUSABLE',
      `Cannot read ${layout.settings}: ${(e as Error).message}`,
      {
        hint: 'Check that the file belongs to you and is readable.',
        cause: e,
      },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  const out: MachineValues = {};
  // A file edited by hand into something else: its values are not trusted (each
  // caller falls back to its defaults); the owner's next start or write keeps it aside.
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    return { values: out, problem: { fields: null } };
  for (const k of MACHINE_KEYS) if (k in parsed) out[k] = (parsed as Record<string, unknown>)[k];
  // Backup settings are read field by field: one bad field costs only itself (its default is used).
  const backup = readBackupSettings(out['backup.settings']);
  if (backup.bad === null) {
    delete out['backup.settings'];
    return { values: out, problem: { fields: null } };
  }
  if (backup.bad.length > 0) {
    out['backup.settings'] = backup.settings;
    return { values: out, problem: { fields: backup.bad } };
  }
  return { values: out };
}

/**
 * The problem with the settings file the user should hear about (until backup
 * settings are saved again): the one recorded when the file was kept aside, or
 * one a read finds now (the file not kept aside yet: by a process that does not
 * own the data dir).
 */
export function settingsProblem(layout: DataDirLayout, now: number): SettingsProblem | null {
  const read = readFile(layout);
  if (read?.problem) return { at: now, keptAt: layout.settings, ...read.problem };
  return (read?.values['backup.settingsProblem'] as SettingsProblem | undefined) ?? null;
}

/** The words for a SettingsProblem (the overview's warning, the log). */
export function describeSettingsProblem(p: SettingsProblem): string {
  const kept = `the old file is kept at ${p.keptAt}`;
  return p.fields === null
    ? `Your backup settings file could not be read; defaults are in use; ${kept}. Save the backup settings to clear this.`
    : `Your backup settings file has an invalid value for ${p.fields.join(', ')}; the default is in use for ${p.fields.length === 1 ? 'it' : 'them'} (the other settings are kept); ${kept}. Save the backup settings to clear this.`;
}

/**
 * A settings file that could not be read (see readFile) is copied aside, owner-only,
 * before it is replaced: the user's file is never lost. Returns the problem to record.
 */
function keepUnreadable(layout: DataDirLayout, read: FileRead | null): SettingsProblem | null {
  if (!read?.problem) return null;
  const at = Date.now();
  const keptAt = `${layout.settings}.unreadable-${at}`;
  writeFileAtomic(keptAt, fs.readFileSync(layout.settings));
  return { at, keptAt, ...read.problem };
}

/** The values an older version kept in the database (none when it has no settings table). */
function fromDatabase(db: ReadableDB | null): MachineValues {
  const out: MachineValues = {};
  try {
    if (!db || !tableExists(db, 'settings')) return out;
  } catch {
    return out; // a database that cannot be read (damaged): the defaults
  }
  for (const k of MACHINE_KEYS) {
    try {
      const v = runSqlite(db, getSetting(SQLITE, k));
      if (v !== undefined) out[k] = v;
    } catch {
      // a row that is not JSON: that setting falls back to its default
    }
  }
  return out;
}

function current(layout: DataDirLayout, db: ReadableDB | null): MachineValues {
  return readFileValues(layout) ?? fromDatabase(db);
}

/**
 * One machine setting (undefined when it was never set). `db` is the live database,
 * read only when the file does not exist yet.
 */
export function getMachineSetting(
  layout: DataDirLayout,
  key: MachineKey,
  db: ReadableDB | null,
): unknown {
  return current(layout, db)[key];
}

/**
 * Change machine settings: the whole file is rewritten atomically, one process at
 * a time (a short lock file beside it), so a backup failure recorded by a CLI
 * process never undoes a settings change the app saved at the same moment.
 */
export function setMachineSettings(
  layout: DataDirLayout,
  patch: MachineValues,
  db: ReadableDB | null,
): SettingsProblem | null {
  return withFileLock(`${layout.settings}.lock`, () => {
    const read = readFile(layout);
    const problem = keepUnreadable(layout, read);
    const next: Record<string, unknown> = {
      version: FILE_VERSION,
      ...(read?.values ?? fromDatabase(db)),
      ...(problem ? { 'backup.settingsProblem': problem } : {}),
      ...patch,
    };
    // Saved settings are the user's again: the warning about the old file ends.
    if ('backup.settings' in patch) delete next['backup.settingsProblem'];
    setAsideIfNotAFile(layout);
    writeFileAtomic(layout.settings, `${JSON.stringify(next, null, 2)}\n`);
    return problem;
  });
}

/**
 * At a start that owns the data dir, with the live database open: make sure the
 * file exists (moving the values of an older version out of the database into
 * it; the defaults when there are none), then drop the machine rows from the
 * database. Returns true when it created the file.
 */
export function adoptMachineSettings(
  layout: DataDirLayout,
  db: WritableDB,
  warn: (message: string) => void = () => undefined,
): boolean {
  let created = false;
  const aside = setAsideIfNotAFile(layout);
  if (aside)
    warn(
      `${layout.settings} was not a file (a folder, or a link to something else); it was moved to ${aside} and this machine's backup settings start again from the defaults`,
    );
  // What a killed write left: its temporary (writeFileAtomic's `.settings.json.<pid>.tmp`), or
  // that of the copy of an unreadable file it was keeping (the file itself is still in place).
  const temp = /^\.settings\.json(?:\.unreadable-\d+)?\.(\d+)\.tmp$/;
  removeDeadWriterTemps(layout.dir, listDir(layout.dir), (name) => {
    const pid = temp.exec(name)?.[1];
    return pid === undefined ? null : Number(pid);
  });
  if (!fs.existsSync(layout.settings)) {
    setMachineSettings(layout, {}, db);
    created = true;
  } else if (readFile(layout)?.problem) {
    // Kept aside and replaced now, so the warning names a file that stays as the user left it.
    const problem = setMachineSettings(layout, {}, db);
    if (problem) warn(`${layout.settings}: ${describeSettingsProblem(problem)}`);
  } else if (fs.existsSync(`${layout.settings}.lock`)) {
    // A lock a killed writer left: taken over (as any writer would) and released.
    withFileLock(`${layout.settings}.lock`, () => undefined);
  }
  if (tableExists(db, 'settings')) {
    const placeholders = MACHINE_KEYS.map(() => '?').join(', ');
    db.prepare(`DELETE FROM settings WHERE key IN (${placeholders})`).run(...MACHINE_KEYS);
  }
  return created;
}

/**
 * settings.json that is not a file (a folder made in its place, or a link to one or to a
 * device) can be neither read nor replaced: it is renamed aside, kept as it is, so a new
 * file can be written. Returns the name it was moved to, or null when nothing was done.
 */
function setAsideIfNotAFile(layout: DataDirLayout): string | null {
  let isFile: boolean;
  try {
    isFile = fs.statSync(layout.settings).isFile();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Missing (written next), or a dangling link (replaced by that write).
    if (code === 'ENOENT') return null;
    isFile = false; // a link loop, a name through a file: not a file of settings either
  }
  if (isFile) return null;
  const aside = `${layout.settings}.not-a-file-${Date.now()}`;
  fs.renameSync(layout.settings, aside);
  return aside;
}

/**
 * Before a promote replaces the database: if there is no file yet (the live
 * database was refused at start, so its settings were never moved out), write it
 * from the live database (read-only; the defaults when it cannot be read), so the
 * promoted copy's settings, of this machine or another, never become this machine's.
 */
export function keepMachineSettings(layout: DataDirLayout, live: ReadableDB | null): void {
  if (fs.existsSync(layout.settings)) return;
  let opened: ReadableDB | null = null;
  if (!live) {
    try {
      opened = openReadOnly(layout.db);
    } catch {
      // missing, damaged or needing recovery: this machine's settings are the defaults then
    }
  }
  try {
    setMachineSettings(layout, {}, live ?? opened);
  } finally {
    opened?.close();
  }
}

/** Run `fn` holding `lockFile` (taken as the data-dir lock is: complete or not at all, stale ones taken over). */
function withFileLock<T>(lockFile: string, fn: () => T): T {
  const until = Date.now() + WAIT_MS;
  let lock: DataDirLock;
  for (;;) {
    try {
      lock = DataDirLock.acquire(lockFile, 'settings');
      break;
    } catch (e) {
      if (!isAppError(e) || e.code !== 'DATA_DIR_LOCKED') throw e;
      if (Date.now() > until) {
        throw new AppError(
          'DATA_DIR_BUSY',
          'Another Stateward process is saving this machine’s settings right now; nothing was changed.',
          { hint: 'Try again in a moment.', cause: e },
        );
      }
      pause(10);
    }
  }
  try {
    return fn();
  } finally {
    lock.release();
  }
}
