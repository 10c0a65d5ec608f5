import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDirLock, readLock } from '../../electron/core/lock.ts';
import { AppError } from '../../shared/errors.ts';
import { exitedPid, holdLockInChild } from '../helpers/child.ts';
import { modeOf, useWorld } from '../helpers/world.ts';

const world = useWorld();

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
  ])('a lock file holding %s counts as stale', (_what, text) => {
    const file = lockFile();
    fs.writeFileSync(file, text);
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
