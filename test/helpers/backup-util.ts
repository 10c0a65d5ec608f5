// Shared pieces of the backup tests: seeded runtimes, looking inside backup
// files from the outside, child processes that print lines, tmpfs mounts.
import Database from 'better-sqlite3';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Runtime, StartOptions } from '../../electron/core/runtime.ts';
import { startRuntime } from '../../electron/core/runtime.ts';
import type { WritableDB } from '../../electron/core/store/db.ts';
import type { BackupEntry, DrillReport, DrillStep } from '../../shared/domain.ts';
import { isAppError } from '../../shared/errors.ts';
import { seedDemo } from '../../electron/core/demo.ts';
import { EMBEDDED_MANIFEST_TABLE } from '../../electron/core/backup/worker.ts';
import { REPO_ROOT } from './child.ts';
import { readyDb, startTestRuntime } from './runtime.ts';
import { sha256File, tableNames } from './store.ts';
import type { World } from './world.ts';

/** A runtime on a new data dir filled by the demo seeder. */
export async function seededRuntime(
  world: World,
  deployments: number,
  opts: Partial<StartOptions> & { projects?: number } = {},
): Promise<Runtime> {
  const { projects = 3, ...start } = opts;
  const rt = await startTestRuntime(world, start.dir ?? world.dir(), start);
  seedDemo(readyDb(rt), {
    projects,
    deployments,
    actor: 'test',
    now: opts.now ? opts.now() : Date.now(),
  });
  return rt;
}

/**
 * A file's template data dir (in beforeAll): a CLI-transport runtime on `dir`
 * seeded by the demo seeder, and its first manual (full) backup. Close `rt` when done.
 */
export async function seededWithBackup(
  dir: string,
  seed: { projects: number; deployments: number },
): Promise<{ rt: Runtime; db: WritableDB; backup: BackupEntry }> {
  const rt = await startRuntime({ dir, source: 'flag', transport: 'cli', lockMode: 't' });
  const db = readyDb(rt);
  seedDemo(db, { ...seed, actor: 'test', now: Date.now() });
  const backup = await rt.backups.run({ kind: 'manual', compact: false });
  return { rt, db, backup };
}

/**
 * A drill of a backup whose first environment's newest configuration snapshot
 * holds `content` as it is (written outside the app, which may refuse it): the
 * report and its secrets step.
 */
export async function drillWithRawSnapshot(
  world: World,
  content: string,
): Promise<{ report: DrillReport; step: DrillStep }> {
  const rt = await seededRuntime(world, 3, { projects: 1 });
  const db = readyDb(rt);
  const env = db.prepare(`SELECT id FROM environments ORDER BY id LIMIT 1`).get() as {
    id: number;
  };
  db.prepare(
    `INSERT INTO config_snapshots (environment_id, version, content, sha256, created_at)
     VALUES (?, (SELECT coalesce(max(version), 0) + 1 FROM config_snapshots WHERE environment_id = ?), ?, 'x', 1)`,
  ).run(env.id, env.id, content);
  const b = await rt.backups.run({ kind: 'manual', compact: false });
  const report = await rt.restores.verify({ backupId: b.id });
  return { report, step: report.steps.find((s) => s.key === 'secrets')! };
}

/** Row count of every table of a database (no connection counters). */
export function tableCounts(db: Database.Database): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tableNames(db)) {
    out[t] = (db.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n;
  }
  return out;
}

/**
 * The live database as bytes and rows: folds the WAL into the main file through
 * the runtime's own connection, then hashes the file. Equal before/after ⇒ untouched.
 */
export function liveState(rt: Runtime): { sha256: string; counts: Record<string, number> } {
  const db = readyDb(rt);
  db.pragma('wal_checkpoint(TRUNCATE)');
  return { sha256: sha256File(rt.layout.db), counts: tableCounts(db) };
}

export interface BackupFileFacts {
  integrity: string;
  quickCheck: string;
  journalMode: string;
  userVersion: number;
  counts: Record<string, number>;
  /** The embedded manifest table, values JSON-parsed; null when the table is missing. */
  embedded: Record<string, unknown> | null;
}

/** Open a backup file read-only (as a lone file) and describe it. */
export function inspectBackupFile(
  file: string,
  opts: { integrity?: boolean } = {},
): BackupFileFacts {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const joined = (pragma: string) =>
      (db.prepare(`PRAGMA ${pragma}`).raw().all() as unknown[][])
        .map((r) => String(r[0]))
        .join('; ');
    const hasEmbedded =
      db
        .prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`)
        .get(EMBEDDED_MANIFEST_TABLE) !== undefined;
    let embedded: Record<string, unknown> | null = null;
    if (hasEmbedded) {
      embedded = {};
      for (const row of db.prepare(`SELECT key, value FROM ${EMBEDDED_MANIFEST_TABLE}`).all() as {
        key: string;
        value: string;
      }[])
        embedded[row.key] = JSON.parse(row.value) as unknown;
    }
    return {
      integrity: opts.integrity === false ? 'skipped' : joined('integrity_check'),
      quickCheck: joined('quick_check'),
      journalMode: String(db.pragma('journal_mode', { simple: true })),
      userVersion: db.pragma('user_version', { simple: true }) as number,
      counts: tableCounts(db),
      embedded,
    };
  } finally {
    db.close();
  }
}

/** SQLite side files that exist beside `file`. */
export function sideFilesOf(file: string): string[] {
  return ['-wal', '-shm', '-journal'].map((s) => file + s).filter((f) => fs.existsSync(f));
}

/** Bytes 18–19 of the SQLite header: 1/1 = rollback journal, 2/2 = WAL. */
export function headerJournalBytes(file: string): [number, number] {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(2);
    fs.readSync(fd, b, 0, 2, 18);
    return [b[0]!, b[1]!];
  } finally {
    fs.closeSync(fd);
  }
}

/** Every name in a folder (recursively), for "nothing left behind" checks. */
export function filesIn(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The AppError code a promise rejects with (fails the test if it resolves). */
export async function rejectionCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return String((e as { code?: string }).code ?? `(no code) ${String(e)}`);
  }
  throw new Error('expected a rejection, but it resolved');
}

/** The code of the AppError `p` rejects with; anything else it throws is rethrown. */
export async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isAppError(e)) return e.code;
    throw e;
  }
  throw new Error('expected a refusal');
}

export interface LineChild {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Every complete stdout line so far. */
  readonly lines: string[];
  stderr(): string;
  /** Resolves with the first line (already seen or future) that matches. */
  waitLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has exited and its output is read. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL (if still running) and wait for the exit. */
  kill(): Promise<void>;
}

/** Spawn `node <args>` in the repo root (extra env optional), collecting stdout lines; killed after the test. */
export function spawnLines(
  world: World,
  args: string[],
  env: Record<string, string> = {},
  defaultTimeoutMs = 15_000,
): LineChild {
  const proc = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines: string[] = [];
  let partial = '';
  let err = '';
  const waiters = new Set<() => void>();
  proc.stdout!.on('data', (c: Buffer) => {
    partial += c.toString('utf8');
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      lines.push(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
    }
    for (const w of [...waiters]) w();
  });
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    // 'close', not 'exit': every line the child wrote has been read by then.
    proc.once('close', (code, signal) => {
      for (const w of [...waiters]) w();
      resolve({ code, signal });
    }),
  );
  const child: LineChild = {
    proc,
    pid: proc.pid!,
    lines,
    stderr: () => err,
    waitLine(match, timeoutMs = defaultTimeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(match);
          if (hit !== undefined) {
            done();
            resolve(hit);
          } else if (proc.exitCode !== null || proc.signalCode !== null) {
            done();
            reject(
              new Error(
                `child exited (${proc.exitCode ?? proc.signalCode}) without the line; stdout ${JSON.stringify(lines)} stderr ${err}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no matching line in ${timeoutMs} ms: ${JSON.stringify(lines)} ${err}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    exited,
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
  world.defer(() => child.kill());
  return child;
}

const mounted = new Set<string>();

/**
 * Mount a small tmpfs on `dir` (root only). Returns null when mounted (the
 * umount is scheduled after the test), else the reason it could not be.
 */
export function mountTmpfs(world: World, dir: string, options: string): string | null {
  if (os.platform() !== 'linux') return `tmpfs mounts need Linux (this is ${os.platform()})`;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    return `mount -t tmpfs -o ${options} failed: ${stderr || (e as Error).message}`;
  }
  mounted.add(dir);
  world.defer(() => unmountTmpfs(dir));
  return null;
}

/** Unmount what mountTmpfs mounted (again is a no-op). */
export function unmountTmpfs(dir: string): void {
  if (!mounted.has(dir)) return;
  execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  mounted.delete(dir);
}

/** Path of a backup's sidecar manifest. */
export function manifestPathOf(backupFile: string): string {
  return path.join(
    path.dirname(backupFile),
    path.basename(backupFile, '.sqlite') + '.manifest.json',
  );
}

/** Flip one byte in the middle of a file in place: same size, another hash. */
export function flipMiddleByte(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const at = Math.floor(fs.fstatSync(fd).size / 2);
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    fs.writeSync(fd, b, 0, 1, at);
  } finally {
    fs.closeSync(fd);
  }
}
