// The data-dir lock: one process at a time owns a data directory for exclusive
// work (the app or host for its lifetime; CLI migrate/demo/promote). Ordinary
// reads and small writes from other processes go through SQLite's own locking.
//
// Exactly one owner, with any number of processes starting at once:
// - The lock file only ever appears complete: it is a hard link to a temp file
//   that was written and fsynced first, and link() fails if the name is taken.
// - A stale lock (its process is gone) is removed only by the one process that
//   creates its takeover marker, `<lock>.takeover-<id>`, named after that very
//   file (inode and content): the marker is itself taken the same way, so of
//   all the processes that saw the same stale lock, exactly one removes it, and
//   a lock written meanwhile by someone else is never mistaken for it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { AppError, isAppError } from '../../shared/errors.ts';
import { FILE_MODE, processAlive, removeFileQuietly } from './fsutil.ts';

export interface LockInfo {
  pid: number;
  host: string;
  mode: string;
  since: number;
  token: string;
}

/**
 * A lock file that is not a complete lock (empty, torn, foreign) and was written
 * this recently may still be being written (by an older version, or on a file
 * system without hard links): respect it until then.
 */
export const TORN_GRACE_MS = 5_000;
const TAKEOVER = '.takeover-';
/** Markers of markers exist only when a taker itself crashed; bounded all the same. */
const MAX_TAKEOVER_DEPTH = 3;
const ATTEMPTS = 20;

function parseLock(text: string): LockInfo | null {
  try {
    const v = JSON.parse(text) as Partial<LockInfo> | null;
    if (
      v !== null &&
      typeof v === 'object' &&
      typeof v.pid === 'number' &&
      typeof v.host === 'string'
    ) {
      return {
        pid: v.pid,
        host: v.host,
        mode: String(v.mode ?? 'unknown'),
        since: Number(v.since ?? 0),
        token: String(v.token ?? ''),
      };
    }
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
  }
  return null;
}

/** A torn or foreign lock file names no live process. */
const NOBODY = (): LockInfo => ({
  pid: 0,
  host: os.hostname(),
  mode: 'unknown',
  since: 0,
  token: '',
});

interface Seen {
  text: string;
  /** This very file: its inode and content (a replaced or rewritten file has another id). */
  id: string;
  mtimeMs: number;
}

function see(file: string): Seen | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    const text = fs.readFileSync(fd, 'utf8');
    const id = crypto
      .createHash('sha256')
      .update(`${st.dev}:${st.ino}:${text}`)
      .digest('hex')
      .slice(0, 16);
    return { text, id, mtimeMs: Number(st.mtimeMs) };
  } finally {
    fs.closeSync(fd);
  }
}

/** The name of the takeover marker for the lock file as it is now (null when there is none). */
export function takeoverMarkerOf(file: string): string | null {
  const seen = see(file);
  return seen === null ? null : markerName(file, seen);
}

function markerName(file: string, seen: Seen): string {
  return `${file}${TAKEOVER}${seen.id}`;
}

export function readLock(file: string): LockInfo | null {
  const seen = see(file);
  return seen === null ? null : (parseLock(seen.text) ?? NOBODY());
}

/** True when the lock names a process that is (or may be) alive. */
export function lockIsLive(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return true; // cannot check another machine: respect it
  return processAlive(info.pid);
}

/** Who holds `seen`, or null when it is stale (its process is gone, or it is an old torn file). */
function liveHolder(seen: Seen): LockInfo | null {
  const info = parseLock(seen.text);
  if (info === null) {
    if (Math.abs(Date.now() - seen.mtimeMs) < TORN_GRACE_MS)
      return { ...NOBODY(), since: Math.round(seen.mtimeMs) };
    return null;
  }
  return lockIsLive(info) ? info : null;
}

const NO_HARD_LINKS = ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'];

/**
 * Create `file` holding `text` only if nothing is there. True when created,
 * false when the name is taken. Never leaves a temp file or a partial `file`.
 */
function createExclusive(file: string, text: string): boolean {
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`,
  );
  const writeWhole = (target: string, flags: string) => {
    const fd = fs.openSync(target, flags, FILE_MODE);
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  };
  try {
    writeWhole(tmp, 'wx');
    fs.linkSync(tmp, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.includes(code) || !fs.existsSync(tmp)) throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  // A file system without hard links: create and write in place (readers give it TORN_GRACE_MS).
  try {
    writeWhole(file, 'wx');
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    fs.rmSync(file, { force: true }); // ours: 'wx' created it
    throw e;
  }
}

/** Block this thread for `ms` (between tries of a lock). */
export function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Take `file` for `info`: null once we hold it, else the live holder. A stale
 * file is removed only under its takeover marker (taken the same way).
 */
function take(file: string, info: LockInfo, depth: number): LockInfo | null {
  let holder: LockInfo | null = null;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (createExclusive(file, JSON.stringify(info))) return null;
    const seen = see(file);
    if (seen === null) continue; // released meanwhile
    holder = liveHolder(seen);
    if (holder) return holder;
    if (depth >= MAX_TAKEOVER_DEPTH) break;
    const marker = markerName(file, seen);
    const taker = take(marker, { ...info, mode: 'takeover' }, depth + 1);
    if (taker) {
      // Another process is taking this stale lock over right now; see who ends up with it.
      holder = taker;
      pause(5 + attempt * 5);
      continue;
    }
    try {
      // Only the marker's owner removes this file, so it cannot change between look and remove.
      if (see(file)?.id === seen.id) fs.rmSync(file, { force: true });
    } finally {
      fs.rmSync(marker, { force: true });
    }
  }
  return holder ?? NOBODY();
}

/** Takeover markers of other (gone) lock files, and lock temp files of exited processes. */
function removeLeftovers(file: string, own: string | null): void {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const tmp = new RegExp(
    `^\\.${esc(base)}(?:${esc(TAKEOVER)}[0-9a-f]+)*\\.(\\d+)\\.[0-9a-f]+\\.tmp$`,
  );
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return; // best effort: a leftover never stops a start
  }
  for (const name of names) {
    const isMarker = name.startsWith(`${base}${TAKEOVER}`);
    const temp = tmp.exec(name);
    if (!isMarker && !temp) continue;
    if (isMarker && own !== null && name.startsWith(`${base}${TAKEOVER}${own}`)) continue;
    if (temp && processAlive(Number(temp[1]))) continue;
    removeFileQuietly(path.join(dir, name)); // gone meanwhile, or not ours to remove: left
  }
}

function ioError(file: string, e: unknown): AppError {
  if (isAppError(e)) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new AppError(
      'DISK_FULL',
      `The disk holding ${path.dirname(file)} is full: the lock file cannot be written.`,
      { hint: 'Free some space on that disk and try again; nothing was changed.', cause: e },
    );
  }
  return new AppError(
    'DATA_DIR_UNUSABLE',
    `Cannot use the lock file ${file}: ${(e as Error).message}`,
    { cause: e },
  );
}

export class DataDirLock {
  readonly file: string;
  readonly info: LockInfo;

  private constructor(file: string, info: LockInfo) {
    this.file = file;
    this.info = info;
  }

  static acquire(file: string, mode: string): DataDirLock {
    const info: LockInfo = {
      pid: process.pid,
      host: os.hostname(),
      mode,
      since: Date.now(),
      token: crypto.randomUUID(),
    };
    let holder: LockInfo | null;
    try {
      holder = take(file, info, 0);
    } catch (e) {
      throw ioError(file, e);
    }
    if (holder !== null) {
      if (holder.pid === 0)
        throw new AppError(
          'DATA_DIR_LOCKED',
          `Another process is taking the data directory lock ${file} right now.`,
          { hint: 'Try again in a moment.' },
        );
      throw lockedError(file, holder);
    }
    let own: string | null = null;
    try {
      own = see(file)?.id ?? null;
    } catch {
      // keep every marker then
    }
    removeLeftovers(file, own);
    return new DataDirLock(file, info);
  }

  release(): void {
    // Ours cannot be taken over while we live, so it cannot change between look and remove.
    const held = readLock(this.file);
    if (held && held.token === this.info.token) fs.rmSync(this.file, { force: true });
  }
}

export function lockedError(file: string, held: LockInfo): AppError {
  const who = held.mode === 'unknown' ? 'another Stateward process' : `Stateward (${held.mode})`;
  return new AppError(
    'DATA_DIR_LOCKED',
    `The data directory is in use by ${who}, pid ${held.pid} on ${held.host}, since ${new Date(held.since).toISOString()}.`,
    {
      hint:
        held.host === os.hostname()
          ? 'Close the other Stateward window or stop the other command, then try again.'
          : `It was locked from another machine (${held.host}). If Stateward is not running there, delete ${file} and try again.`,
      details: { pid: held.pid, host: held.host, mode: held.mode, since: held.since },
    },
  );
}
