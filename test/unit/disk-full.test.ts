// A full disk and a busy database get stable codes, never INTERNAL, and a backup
// is either reported and whole (file + manifest) or not there at all — whichever
// phase the disk fills in (snapshot, manifest, the bookkeeping after the rename).
// Disks are small tmpfs mounts (root only; skipped with the reason otherwise).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { BackupPhase } from '../../electron/core/backup/engine.ts';
import { createBackup } from '../../electron/core/backup/engine.ts';
import { listBackupFiles } from '../../electron/core/backup/list.ts';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { listRuns } from '../../electron/core/store/resources/runs.ts';
import { openReadOnly } from '../../electron/core/store/db.ts';
import {
  filesIn,
  inspectBackupFile,
  mountTmpfs,
  rejectionCode,
  spawnLines,
} from '../helpers/backup-util.ts';
import { HELPERS_DIR } from '../helpers/child.ts';
import { cli, onlyJson } from '../helpers/cli.ts';
import { cliWithStdin, makeKeyFile, seedEnvs, useSecretsEnv } from '../helpers/secrets-util.ts';
import { fullRegistry } from '../helpers/secrets-util.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';
import { runSqlite, SQLITE } from '../../electron/core/store/sql.ts';

const world = useWorld();
const env = useSecretsEnv();
const FULL = ['DISK_FULL', 'BACKUP_DISK_FULL'];

/** A closed data dir with some data (project shop/prod for secrets), checkpointed: no WAL beside it. */
async function seededDir(dir: string): Promise<string> {
  const rt = await startTestRuntime(world, dir);
  await seedEnvs(fullRegistry(rt), 'shop', ['prod']);
  const r = await cli('--data-dir', dir, 'backup');
  expect(r.code, r.stderr).toBe(0);
  readyDb(rt).pragma('wal_checkpoint(TRUNCATE)');
  rt.close();
  return dir;
}

/** Fill the file system holding `dir` to the last byte with one file. */
function fill(dir: string): void {
  const fd = fs.openSync(path.join(dir, 'filler'), 'w');
  const buf = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) fs.writeSync(fd, buf);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  const small = Buffer.alloc(512, 1);
  try {
    for (;;) fs.writeSync(fd, small);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    fs.closeSync(fd);
  }
}

function errorCode(stdout: string): string {
  return String((JSON.parse(stdout.trim()) as { error?: { code?: string } }).error?.code);
}

/** What a backups folder holds, as the list shows it: every entry must be whole. */
function wholeBackups(dir: string): string[] {
  const list = listBackupFiles(dir, null);
  for (const e of list) {
    expect(e.hasManifest, `${e.fileName} listed without its manifest`).toBe(true);
    expect(inspectBackupFile(path.join(dir, e.fileName)).quickCheck).toBe('ok');
  }
  return list.map((e) => e.fileName);
}

describe('a full data dir', () => {
  it('backup, verify, restore and secret set answer DISK_FULL (exit 2), not INTERNAL; backups/ is as it was', async (ctx) => {
    const mnt = world.dir();
    const why = mountTmpfs(world, mnt, 'size=4m,mode=0700');
    if (why) return ctx.skip(why);
    const dir = await seededDir(path.join(mnt, 'data'));
    env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
    const backups = dataDirLayout(dir).backups;
    const before = wholeBackups(backups);
    const id = listBackupFiles(backups, null)[0]!.id;
    fill(mnt);
    const results: Record<string, string> = {};
    for (const args of [['backup'], ['verify', id], ['restore', id]]) {
      const r = await cli('--data-dir', dir, '--json', ...args);
      results[args[0]!] = `${errorCode(r.stdout)} exit ${r.code}`;
    }
    const s = await cliWithStdin(
      ['--data-dir', dir, '--json', 'secret', 'set', 'shop/prod', 'TOKEN'],
      'value-on-a-full-disk',
    );
    results['secret set'] = `${errorCode(s.stdout)} exit ${s.code}`;
    for (const [cmd, got] of Object.entries(results))
      expect(
        FULL.map((c) => `${c} exit 2`),
        `${cmd}: ${got}`,
      ).toContain(got);
    expect(wholeBackups(backups)).toEqual(before);
    expect(filesIn(backups).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});

describe('the disk filling at each phase of a backup', () => {
  it('createBackup into folders of many sizes → BACKUP_DISK_FULL and an empty folder, else a whole backup', async (ctx) => {
    const src = await seededDir(world.dir());
    const db = dataDirLayout(src).db;
    const out = world.dir();
    const why = mountTmpfs(world, out, 'size=64k,mode=0700');
    if (why) return ctx.skip(why);
    const bytes = fs.statSync(db).size;
    const failedIn = new Set<BackupPhase>();
    let succeeded = 0;
    // A third, half and two thirds of the file, then a step of 8 KiB around its full size.
    const total = Math.ceil(bytes / 1024);
    const sizes = [Math.floor(total / 3), Math.floor(total / 2), Math.floor((2 * total) / 3)];
    for (let kb = total - 16; kb < total + 48; kb += 8) sizes.push(kb);
    for (const kb of sizes) {
      for (const n of fs.readdirSync(out)) fs.rmSync(path.join(out, n), { force: true });
      execFileSync('mount', ['-o', `remount,size=${kb}k`, out]);
      let phase: BackupPhase = 'snapshot';
      try {
        await createBackup({
          source: db,
          outDir: out,
          kind: 'manual',
          compact: false,
          onProgress: (p) => (phase = p.phase),
        });
        succeeded++;
        expect(wholeBackups(out), `${kb} KiB`).toHaveLength(1);
        expect(filesIn(out)).toHaveLength(2);
      } catch (e) {
        expect((e as { code?: string }).code, `${kb} KiB, ${phase}: ${(e as Error).message}`).toBe(
          'BACKUP_DISK_FULL',
        );
        expect(filesIn(out), `${kb} KiB, ${phase}`).toEqual([]);
        failedIn.add(phase);
      }
    }
    console.info(
      `disk-full sweep: ${sizes.length} sizes (${sizes[0]}–${sizes.at(-1)} KiB) for a ${Math.round(bytes / 1024)} KiB database; failed in ${[...failedIn].join(', ')}; ${succeeded} whole`,
    );
    expect(failedIn.has('snapshot')).toBe(true);
    expect(succeeded).toBeGreaterThan(0);
  });

  it('the disk filling as the manifest is written → BACKUP_DISK_FULL, and no backup is left without its manifest', async (ctx) => {
    const src = await seededDir(world.dir());
    const out = world.dir();
    const why = mountTmpfs(world, out, 'size=2m,mode=0700');
    if (why) return ctx.skip(why);
    const code = await rejectionCode(
      createBackup({
        source: dataDirLayout(src).db,
        outDir: out,
        kind: 'manual',
        compact: false,
        // Finalizing starts once the file is checked and hashed: the manifest is next.
        onProgress: (p) => {
          if (p.phase === 'finalize' && p.done === 0) fill(out);
        },
      }),
    );
    expect(code).toBe('BACKUP_DISK_FULL');
    expect(filesIn(out)).toEqual(['filler']);
  });

  it('the disk filling right after the backup is in place (its bookkeeping cannot be written) → DISK_FULL and the backup is gone', async (ctx) => {
    const mnt = world.dir();
    const why = mountTmpfs(world, mnt, 'size=8m,mode=0700');
    if (why) return ctx.skip(why);
    const dir = await seededDir(path.join(mnt, 'data'));
    const backups = dataDirLayout(dir).backups;
    const before = wholeBackups(backups);
    const rt = await startTestRuntime(world, dir, { lockMode: null });
    rt.events.on('progress', (p) => {
      if (p.op === 'backup' && p.phase === 'finalize' && p.done === p.total) fill(mnt);
    });
    const code = await rejectionCode(rt.backups.run({ kind: 'manual', compact: false }));
    expect(FULL).toContain(code);
    expect(wholeBackups(backups)).toEqual(before);
    expect(filesIn(backups).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('a CLI backup on a data dir whose disk fills at any point is reported whole (exit 0) or absent (DISK_FULL), never exit 4', async (ctx) => {
    const mnt = world.dir();
    const why = mountTmpfs(world, mnt, 'size=64m,mode=0700');
    if (why) return ctx.skip(why);
    const seed = await seededDir(world.dir());
    const seedBackups = dataDirLayout(seed).backups;
    for (const n of fs.readdirSync(seedBackups)) fs.rmSync(path.join(seedBackups, n));
    const bytes = fs.statSync(dataDirLayout(seed).db).size;
    const outcomes = new Map<string, number>();
    // From "the backup cannot fit" to "the backup fits, the bookkeeping after it may not",
    // and one with room to spare.
    const total = Math.ceil(bytes / 1024);
    const sizes: number[] = [];
    for (let kb = total + 8; kb < 2 * total + 96; kb += 32) sizes.push(kb);
    sizes.push(4 * total);
    for (const kb of sizes) {
      const dir = path.join(mnt, 'data');
      fs.rmSync(dir, { recursive: true, force: true });
      execFileSync('mount', ['-o', 'remount,size=64m', mnt]);
      fs.cpSync(seed, dir, { recursive: true });
      fill(mnt);
      // Give back exactly `kb` minus what the copy already uses: the room this backup gets.
      const filler = path.join(mnt, 'filler');
      const room = kb * 1024 - bytes;
      fs.truncateSync(filler, Math.max(0, fs.statSync(filler).size - room));
      const r = await cli('--data-dir', dir, '--json', 'backup');
      const backups = dataDirLayout(dir).backups;
      const label = `${kb} KiB: exit ${r.code} ${r.stdout.slice(0, 200)}`;
      expect(r.code, label).not.toBe(4);
      const listed = wholeBackups(backups);
      if (r.code === 0) {
        const out = onlyJson(r) as { path: string };
        expect(listed, label).toEqual([path.basename(out.path)]);
        outcomes.set('whole', (outcomes.get('whole') ?? 0) + 1);
      } else {
        const code = errorCode(r.stdout);
        expect(FULL, label).toContain(code);
        expect(listed, label).toEqual([]);
        expect(filesIn(backups), label).toEqual([]);
        outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
      }
    }
    console.info(`full data dir sweep: ${JSON.stringify(Object.fromEntries(outcomes))}`);
    expect(outcomes.get('whole') ?? 0).toBeGreaterThan(0);
  });
});

describe('a write transaction held by another process', () => {
  it('backup waits out the busy timeout, then answers DATA_DIR_BUSY (exit 3, retryable) and leaves nothing', async () => {
    const dir = await seededDir(world.dir());
    const layout = dataDirLayout(dir);
    const before = filesIn(layout.backups);
    const holder = spawnLines(world, [path.join(HELPERS_DIR, 'tx-holder.ts'), layout.db]);
    await holder.waitLine((l) => l.startsWith('holding'));
    const r = await cli('--data-dir', dir, '--json', 'backup');
    expect(r.code, r.stderr).toBe(3);
    expect(onlyJson(r)).toMatchObject({
      error: { code: 'DATA_DIR_BUSY', details: { retryable: true } },
    });
    expect(filesIn(layout.backups)).toEqual(before);
    await holder.kill();
    // Once the other process lets go, the same command works, and no run was left `running`.
    const again = await cli('--data-dir', dir, 'backup');
    expect(again.code, again.stderr).toBe(0);
    const ro = openReadOnly(layout.db);
    try {
      expect(
        runSqlite(ro, listRuns(SQLITE, { kind: 'backup', limit: 10 })).filter(
          (x) => x.status === 'running',
        ),
      ).toEqual([]);
    } finally {
      ro.close();
    }
  });
});
