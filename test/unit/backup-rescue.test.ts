// A data dir SQLite cannot open where it is (a read-only mount, a full disk: no
// room or no right to make its -shm) still gets a backup onto another disk:
// `backup --out DIR` copies the database (+ its -wal, which holds committed
// rows) into a private temp folder in DIR and backs up that copy; nothing is
// written inside the data dir. A live lock holder is refused (its files change).
// Disks are small tmpfs mounts (root only; skipped with the reason otherwise).
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seedDemo } from '../../electron/core/demo.ts';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { filesIn, mountTmpfs, spawnLines, tableCounts } from '../helpers/backup-util.ts';
import { HELPERS_DIR } from '../helpers/child.ts';
import { HAVE_STRACE, killAtCallArgs, straceCli } from '../helpers/syscall-sweep.ts';
import { cli, onlyJson } from '../helpers/cli.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import { sha256File } from '../helpers/store.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

/**
 * A data dir at `dir` whose database has its demo rows only in the -wal (the
 * main file holds the empty schema): returns the row counts of the whole database.
 */
async function dataDirWithWal(dir: string): Promise<Record<string, number>> {
  const src = world.dir();
  const rt = await startTestRuntime(world, src);
  const db = readyDb(rt);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('wal_autocheckpoint = 0');
  seedDemo(db, { projects: 2, deployments: 30, actor: 'test', now: Date.now() });
  const counts = tableCounts(db as unknown as Database.Database);
  fs.mkdirSync(dir, { mode: 0o700 });
  const live = dataDirLayout(src).db;
  const copy = dataDirLayout(dir).db;
  // Nothing writes between the two copies: a consistent pair, as a crash leaves it.
  fs.copyFileSync(live, copy);
  fs.copyFileSync(`${live}-wal`, `${copy}-wal`);
  rt.close();
  // The precondition: the main file alone lacks rows that only the -wal holds.
  const alone = path.join(world.dir(), 'alone.db');
  fs.copyFileSync(copy, alone);
  const a = new Database(alone, { readonly: true });
  try {
    expect(tableCounts(a)).not.toEqual(counts);
  } finally {
    a.close();
  }
  return counts;
}

/** Every entry under `dir` with its hash (files) or kind: equal before/after ⇒ nothing written there. */
function listing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = fs.lstatSync(p);
      const rel = path.relative(dir, p);
      if (st.isDirectory()) {
        out[rel] = `dir ${(st.mode & 0o777).toString(8)}`;
        walk(p);
      } else out[rel] = st.isFile() ? `${st.size} ${sha256File(p)}` : 'other';
    }
  };
  walk(dir);
  return out;
}

/** Fill the file system holding `dir` to the last byte with one file. */
function fill(dir: string): void {
  const fd = fs.openSync(path.join(dir, 'filler'), 'w');
  try {
    for (const size of [64 * 1024, 512, 1]) {
      const buf = Buffer.alloc(size, 1);
      try {
        for (;;) fs.writeSync(fd, buf);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** `backup --out` from the stuck data dir: exit 0, a backup that verifies and holds every row. */
async function expectRescue(
  dir: string,
  counts: Record<string, number>,
  note: RegExp,
  out = path.join(world.dir(), 'elsewhere'),
): Promise<void> {
  const r = await cli('--data-dir', dir, '--json', 'backup', '--out', out);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const { path: file, manifest } = onlyJson(r) as {
    path: string;
    manifest: { rescue?: string };
  };
  expect(path.dirname(file)).toBe(out);
  expect(manifest.rescue).toMatch(note);
  // Only the backup and its manifest: the temp folder with the copy is gone.
  expect(filesIn(out).sort()).toEqual(
    [path.basename(file), path.basename(file, '.sqlite') + '.manifest.json'].sort(),
  );
  const b = new Database(file, { readonly: true });
  try {
    const got = tableCounts(b);
    for (const [t, n] of Object.entries(counts)) expect(got[t], t).toBe(n);
  } finally {
    b.close();
  }
  const v = await cli('--data-dir', world.dir(), 'verify', file);
  expect(v.code, v.stdout + v.stderr).toBe(0);
}

describe('backup of a data dir SQLite cannot open in place', () => {
  it('read-only mount, rows partly in the -wal → rescue backup with --out; without it the hint says --out', async (ctx) => {
    const mnt = world.dir();
    const why = mountTmpfs(world, mnt, 'size=32m,mode=0700');
    if (why) return ctx.skip(why);
    const dir = path.join(mnt, 'data');
    const counts = await dataDirWithWal(dir);
    fill(mnt);
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    const before = listing(mnt);

    const plain = await cli('--data-dir', dir, '--json', 'backup');
    expect(plain.code).toBe(2);
    const err = (onlyJson(plain) as { error: { code: string; hint?: string } }).error;
    expect(err.code).toBe('DB_UNREADABLE');
    expect(err.hint).toMatch(/--out/);

    await expectRescue(dir, counts, /read-only/);
    expect(listing(mnt)).toEqual(before);
  });

  it('full disk, rows partly in the -wal → rescue backup with --out; nothing written in the data dir', async (ctx) => {
    const mnt = world.dir();
    const why = mountTmpfs(world, mnt, 'size=32m,mode=0700');
    if (why) return ctx.skip(why);
    const dir = path.join(mnt, 'data');
    const counts = await dataDirWithWal(dir);
    fill(mnt);
    const before = listing(mnt);
    const plain = await cli('--data-dir', dir, '--json', 'backup');
    expect(plain.code).toBe(2);
    const err = (onlyJson(plain) as { error: { code: string; hint?: string } }).error;
    expect(err.code).toBe('DISK_FULL');
    expect(err.hint).toMatch(/--out/);
    await expectRescue(dir, counts, /full/);
    expect(listing(mnt)).toEqual(before);
  });

  it('a live lock holder → DATA_DIR_LOCKED, nothing written anywhere', async (ctx) => {
    const mnt = world.dir();
    const why = mountTmpfs(world, mnt, 'size=32m,mode=0700');
    if (why) return ctx.skip(why);
    const dir = path.join(mnt, 'data');
    await dataDirWithWal(dir);
    const holder = spawnLines(world, [
      path.join(HELPERS_DIR, 'lock-holder.ts'),
      dataDirLayout(dir).lock,
    ]);
    world.defer(() => holder.kill());
    await holder.waitLine((l) => l.startsWith('locked'));
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    const before = listing(mnt);
    const out = path.join(world.dir(), 'elsewhere');
    const r = await cli('--data-dir', dir, '--json', 'backup', '--out', out);
    expect(r.code).toBe(3);
    expect((onlyJson(r) as { error: { code: string } }).error.code).toBe('DATA_DIR_LOCKED');
    expect(filesIn(out)).toEqual([]);
    expect(listing(mnt)).toEqual(before);
  });

  it('a rescue backup SIGKILLed before its first rename leaves only temporaries, which the next one removes', async (ctx) => {
    if (!HAVE_STRACE) return ctx.skip('strace is not available');
    const mnt = world.dir();
    const why = mountTmpfs(world, mnt, 'size=32m,mode=0700');
    if (why) return ctx.skip(why);
    const dir = path.join(mnt, 'data');
    const counts = await dataDirWithWal(dir);
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    const out = path.join(world.dir(), 'elsewhere');
    const killed = await straceCli(
      killAtCallArgs('rename,renameat,renameat2'),
      ['--data-dir', dir, 'backup', '--out', out],
      { world },
    );
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const left = filesIn(out);
    expect(
      left.some((n) => /^\.stateward-tmp-\d+-[0-9a-f]{8}-rescue-copy$/.test(n)),
      left.join(),
    ).toBe(true);
    expect(
      left.every((n) => n.startsWith('.stateward-tmp-')),
      left.join(),
    ).toBe(true);
    await expectRescue(dir, counts, /read-only/, out);
  });
});
