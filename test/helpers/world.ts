// Every test owns its world: temp data dirs and whatever it opens (stores,
// runtimes, hosts, child processes) are torn down after each test, newest first.
import { afterAll, afterEach } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface World {
  /** A fresh, empty temp directory, removed after the test. */
  dir(): string;
  /** Run `fn` after the test (before the temp dirs go), newest first. */
  defer(fn: () => void | Promise<void>): void;
}

export function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sw-'));
}

/** Call at describe/file level: registers the afterEach that cleans up. */
export function useWorld(): World {
  let dirs: string[] = [];
  let cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    const todo = cleanups.reverse();
    cleanups = [];
    const errors: unknown[] = [];
    for (const fn of todo) {
      try {
        await fn();
      } catch (e) {
        errors.push(e);
      }
    }
    for (const d of dirs) {
      // A test may have made something unreadable; give it back before removing.
      try {
        fs.chmodSync(d, 0o700);
      } catch (e) {
        errors.push(e);
      }
      fs.rmSync(d, { recursive: true, force: true });
    }
    dirs = [];
    if (errors.length > 0) throw errors[0];
  });
  return {
    dir() {
      const d = makeTempDir();
      dirs.push(d);
      return d;
    },
    defer(fn) {
      cleanups.push(fn);
    },
  };
}

/**
 * Call at file level: a template data dir shared by the file's tests (made on
 * first use of `dir`, typically in beforeAll; removed after all of them), and
 * `fresh()`, a copy of it in a temp dir of `world`.
 */
export function useTemplateDir(world: World): { readonly dir: string; fresh(): string } {
  let template = '';
  afterAll(() => {
    if (template) fs.rmSync(template, { recursive: true, force: true });
  });
  return {
    get dir() {
      if (!template) template = makeTempDir();
      return template;
    },
    fresh() {
      const dir = world.dir();
      fs.cpSync(this.dir, dir, { recursive: true });
      return dir;
    },
  };
}

/** Permission bits of a file or folder (e.g. 0o600). */
export function modeOf(p: string): number {
  return fs.statSync(p).mode & 0o777;
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
