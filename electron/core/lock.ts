// The data-dir lock: one process at a time owns a data directory for exclusive
// work (the app or host for its lifetime; CLI migrate/demo/promote). Ordinary
// reads and small writes from other processes go through SQLite's own locking.
import fs from 'node:fs';
import os from 'node:os';
import crypto from 'node:crypto';
import { AppError } from '../../shared/errors.ts';
import { FILE_MODE } from './fsutil.ts';

export interface LockInfo {
  pid: number;
  host: string;
  mode: string;
  since: number;
  token: string;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function parseLock(text: string): LockInfo {
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
  // A torn or foreign lock file names no live process: it counts as stale.
  return { pid: 0, host: os.hostname(), mode: 'unknown', since: 0, token: '' };
}

export function readLock(file: string): LockInfo | null {
  const text = readText(file);
  return text === null ? null : parseLock(text);
}

function processAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the lock names a process that is (or may be) alive. */
export function lockIsLive(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return true; // cannot check another machine: respect it
  return processAlive(info.pid);
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
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = fs.openSync(file, 'wx', FILE_MODE);
        try {
          fs.writeSync(fd, JSON.stringify(info));
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
        return new DataDirLock(file, info);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new AppError(
            'DATA_DIR_UNUSABLE',
            `Cannot write the lock file ${file}: ${(e as Error).message}`,
            { cause: e },
          );
        }
      }
      const heldText = readText(file);
      if (heldText === null) continue; // released meanwhile
      const held = parseLock(heldText);
      if (lockIsLive(held)) throw lockedError(file, held);
      // Stale: its process is gone. Remove it only if nobody replaced it meanwhile.
      if (readText(file) === heldText) fs.rmSync(file, { force: true });
    }
    throw new AppError('DATA_DIR_LOCKED', `Could not take the data directory lock ${file}.`, {
      hint: 'Another process keeps taking it; try again in a moment.',
    });
  }

  release(): void {
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
