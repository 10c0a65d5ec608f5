import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDirLock, readLock, takeoverMarkerOf } from '../../electron/core/lock.ts';
import { AppError } from '../../shared/errors.ts';
import { mountTmpfs } from '../helpers/backup-util.ts';
import { exitedPid, holdLockInChild } from '../helpers/child.ts';
import { cli } from '../helpers/cli.ts';
import { modeOf, useWorld } from '../helpers/world.ts';

const world = useWorld();
const LONG_AGO = new Date(Date.now() - 3_600_000);

function lockFile(): string {
  return path.join(world.dir(), 'stateward.lock');
}

/** Acquire expecting a refusal; returns the AppError. */
function refused(file: string): AppError {
  try {
    const lock = DataDirLock.acquire(file, 'second');
    lock.release();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected DataDirLock.acquire to refuse');
}

function writeForeignLock(file: string, info: Record<string, unknown>): void {
  fs.writeFileSync(
    file,
    JSON.stringify({ mode: 'app', since: 1_700_000_000_000, token: 'theirs', ...info }),
  );
}

describe('DataDirLock', () => {
  it('acquire creates an owner-only lock file naming this process, host and mode', () => {
    const file = lockFile();
    const lock = DataDirLock.acquire(file, 'cli-demo');
    world.defer(() => lock.release());
    expect(modeOf(file)).toBe(0o600);
    const onDisk = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(onDisk).toMatchObject({ pid: process.pid, host: os.hostname(), mode: 'cli-demo' });
    expect(typeof onDisk.since).toBe('number');
    expect(readLock(file)).toMatchObject({ pid: process.pid, mode: 'cli-demo' });
  });

  it('a second acquire while held is refused with DATA_DIR_LOCKED naming the holder', () => {
    const file = lockFile();
    const lock = DataDirLock.acquire(file, 'app');
    world.defer(() => lock.release());
    const before = fs.readFileSync(file, 'utf8');
    const err = refused(file);
    expect(err.code).toBe('DATA_DIR_LOCKED');
    expect(err.details).toMatchObject({ pid: process.pid, host: os.hostname(), mode: 'app' });
    expect(err.message).toContain(String(process.pid));
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  it('a stale lock (its process has exited) is taken over', async () => {
    const file = lockFile();
    const deadPid = await exitedPid();
    writeForeignLock(file, { pid: deadPid, host: os.hostname() });
    const lock = DataDirLock.acquire(file, 'app');
    world.defer(() => lock.release());
    expect(readLock(file)).toMatchObject({ pid: process.pid, mode: 'app' });
  });

  it('a lock from another host is respected even if its pid means nothing here', async () => {
    const file = lockFile();
    const deadPid = await exitedPid();
    writeForeignLock(file, { pid: deadPid, host: 'other-machine.example' });
    const err = refused(file);
    expect(err.code).toBe('DATA_DIR_LOCKED');
    expect(err.details).toMatchObject({ pid: deadPid, host: 'other-machine.example' });
    expect(err.hint).toContain('other-machine.example');
    expect(readLock(file)).toMatchObject({ host: 'other-machine.example' });
  });

  it.each([
    ['text that is not JSON', 'garbage\u0000{{'],
    ['an empty (torn) file', ''],
    ['JSON without pid/host', '{"hello":"world"}'],
    ['JSON null', 'null'],
    ['a JSON number', '42'],
  ])('a lock file holding %s, written long ago, counts as stale', (_what, text) => {
    const file = lockFile();
    fs.writeFileSync(file, text);
    fs.utimesSync(file, LONG_AGO, LONG_AGO);
    const lock = DataDirLock.acquire(file, 'app');
    world.defer(() => lock.release());
    expect(readLock(file)).toMatchObject({ pid: process.pid, mode: 'app' });
  });

  it('release removes our own lock, after which it can be taken again', () => {
    const file = lockFile();
    DataDirLock.acquire(file, 'app').release();
    expect(fs.existsSync(file)).toBe(false);
    const again = DataDirLock.acquire(file, 'app');
    world.defer(() => again.release());
    expect(fs.existsSync(file)).toBe(true);
  });

  it('release leaves a lock that is no longer ours alone', () => {
    const file = lockFile();
    const ours = DataDirLock.acquire(file, 'app');
    // Someone decided ours was stale and took it over.
    writeForeignLock(file, { pid: process.pid, host: os.hostname(), token: 'someone-else' });
    const theirs = fs.readFileSync(file, 'utf8');
    ours.release();
    expect(fs.readFileSync(file, 'utf8')).toBe(theirs);
  });

  it('release after the file is gone does not throw', () => {
    const file = lockFile();
    const lock = DataDirLock.acquire(file, 'app');
    fs.rmSync(file);
    expect(() => lock.release()).not.toThrow();
  });

  it('a lock in a folder that does not exist is DATA_DIR_UNUSABLE', () => {
    const file = path.join(world.dir(), 'missing', 'stateward.lock');
    expect(() => DataDirLock.acquire(file, 'app')).toThrow(
      expect.objectContaining({ code: 'DATA_DIR_UNUSABLE' }),
    );
  });
});

describe('DataDirLock across processes', () => {
  it('a child process holding the lock refuses us; once it is killed, we take it', async () => {
    const file = lockFile();
    const child = await holdLockInChild(world, file, 'host');
    const err = refused(file);
    expect(err.code).toBe('DATA_DIR_LOCKED');
    expect(err.details).toMatchObject({ pid: child.pid, mode: 'host' });

    await child.kill(); // SIGKILL: it never released, so the file is left behind, stale
    expect(readLock(file)).toMatchObject({ pid: child.pid });
    const lock = DataDirLock.acquire(file, 'app');
    world.defer(() => lock.release());
    expect(readLock(file)).toMatchObject({ pid: process.pid, mode: 'app' });
  });
});

describe('DataDirLock: one owner, nothing left behind', () => {
  it('an empty lock written just now is left alone: another process may be writing it', () => {
    const file = lockFile();
    fs.writeFileSync(file, '');
    const err = refused(file);
    expect(err.code).toBe('DATA_DIR_LOCKED');
    expect(fs.readFileSync(file, 'utf8')).toBe('');
  });

  it('a stale lock that another live process is taking over is not also taken by us', async () => {
    const file = lockFile();
    writeForeignLock(file, { pid: await exitedPid(), host: os.hostname() });
    const before = fs.readFileSync(file, 'utf8');
    const marker = takeoverMarkerOf(file)!;
    // The taker (alive: this very process) has created the marker and is about to remove the lock.
    writeForeignLock(marker, { pid: process.pid, host: os.hostname(), mode: 'takeover' });
    const err = refused(file);
    expect(err.code).toBe('DATA_DIR_LOCKED');
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.existsSync(marker)).toBe(true);
  });

  it('a takeover marker left by a crashed process does not block the next start, and is removed', async () => {
    const file = lockFile();
    const deadPid = await exitedPid();
    writeForeignLock(file, { pid: deadPid, host: os.hostname() });
    writeForeignLock(takeoverMarkerOf(file)!, { pid: deadPid, host: os.hostname() });
    const lock = DataDirLock.acquire(file, 'app');
    world.defer(() => lock.release());
    expect(readLock(file)).toMatchObject({ pid: process.pid, mode: 'app' });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['stateward.lock']);
  });

  it('lock temp files of crashed processes are removed; anything Stateward did not write stays', async () => {
    const file = lockFile();
    const dir = path.dirname(file);
    const deadPid = await exitedPid();
    const outside = path.join(world.dir(), 'precious');
    fs.writeFileSync(outside, 'keep me');
    fs.writeFileSync(path.join(dir, `.stateward.lock.${deadPid}.0a1b2c.tmp`), '{"pid":');
    const kept = [
      `.stateward.lock.${process.pid}.0a1b2c.tmp`, // a live process is writing it
      '.stateward.lock.notes.tmp',
      'stateward.lock.bak',
      'stateward.lock.takeover-dir',
      'stateward.lock.takeover-link',
    ];
    fs.writeFileSync(path.join(dir, kept[0]!), '');
    fs.writeFileSync(path.join(dir, kept[1]!), 'mine');
    fs.writeFileSync(path.join(dir, kept[2]!), 'mine');
    fs.mkdirSync(path.join(dir, kept[3]!));
    fs.symlinkSync(outside, path.join(dir, kept[4]!));
    const lock = DataDirLock.acquire(file, 'app');
    world.defer(() => lock.release());
    expect(fs.readdirSync(dir).sort()).toEqual([...kept, 'stateward.lock'].sort());
    expect(fs.readFileSync(outside, 'utf8')).toBe('keep me');
  });
});

describe('DataDirLock on a full disk', () => {
  /** A small tmpfs data dir with no room left; null (and the test skipped) when it cannot be mounted. */
  function fullDisk(ctx: { skip: (why: string) => void }): string | null {
    const dir = world.dir();
    const why = mountTmpfs(world, dir, 'size=64k,mode=0700');
    if (why) {
      console.warn(`skipped full disk: ${why}`);
      ctx.skip(why);
      return null;
    }
    try {
      fs.writeFileSync(path.join(dir, 'filler'), Buffer.alloc(1024 * 1024));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    }
    return dir;
  }

  it('says DISK_FULL and leaves no lock file (or temp file) behind', (ctx) => {
    const dir = fullDisk(ctx);
    if (!dir) return;
    const file = path.join(dir, 'stateward.lock');
    expect(() => DataDirLock.acquire(file, 'app')).toThrow(
      expect.objectContaining({ code: 'DISK_FULL' }),
    );
    expect(fs.readdirSync(dir)).toEqual(['filler']);
  });

  it('promote on a full disk says DISK_FULL, not that another process holds the data dir', async (ctx) => {
    const dir = fullDisk(ctx);
    if (!dir) return;
    const run = await cli('--data-dir', dir, '--json', 'promote', '0123456789abcdef', '--yes');
    expect(run.stdout + run.stderr).toContain('DISK_FULL');
    expect(run.stdout + run.stderr).not.toContain('another process');
    expect(run.code).not.toBe(0);
    expect(fs.existsSync(path.join(dir, 'stateward.lock'))).toBe(false);
  });
});
