// Shared pieces of the restore tests: registry calls, "nothing changed"
// snapshots of folders and of the live database, backups edited into the
// shapes a restore must refuse, and child processes with an env.
import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Runtime } from '../../electron/core/runtime.ts';
import { APPLICATION_ID } from '../../electron/core/store/db.ts';
import type { WritableDB } from '../../electron/core/store/db.ts';
import { applyMigrations, planMigrations } from '../../electron/core/store/migrate.ts';
import { MIGRATIONS } from '../../electron/core/store/migrations/index.ts';
import { createBackup } from '../../electron/core/backup/engine.ts';
import type { BackupResult } from '../../electron/core/backup/engine.ts';
import type { CommandRegistry } from '../../electron/handlers/registry.ts';
import type { CommandName } from '../../shared/contract.ts';
import type { CursorPage } from '../../shared/domain.ts';
import type { Result } from '../../shared/errors.ts';
import type { LineChild } from './backup-util.ts';
import { spawnLines } from './backup-util.ts';
import { readyDb } from './runtime.ts';
import { tableNames } from './store.ts';
import type { World } from './world.ts';

export const APP_SCHEMA = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Every code a refused restore or a failed drill step may carry (DESIGN.md, shared/errors.ts). */
export const RESTORE_REFUSAL_CODES = [
  'BACKUP_UNREADABLE',
  'BACKUP_EMPTY',
  'NOT_SQLITE',
  'NOT_A_STATEWARD_DB',
  'SCHEMA_FROM_NEWER_VERSION',
  'BACKUP_HASH_MISMATCH',
  'BACKUP_FACTS_MISMATCH',
  'BACKUP_MANIFEST_UNREADABLE',
  'MIGRATION_HISTORY_OUT_OF_SYNC',
  'MIGRATION_CHECKSUM_MISMATCH',
  'MIGRATION_FAILED',
  'DB_CORRUPT',
  'DB_UNREADABLE',
] as const;

/**
 * The drill's steps in order (DESIGN.md §Restore); then the secrets step and the boot
 * step that starts the real app on the copy (host), when present.
 */
export const DRILL_STEP_KEYS = ['preflight', 'copy', 'integrity', 'migrations', 'boot', 'probes'];

export function expectDrillStepOrder(keys: readonly string[]): void {
  expect(keys).toEqual([
    ...DRILL_STEP_KEYS,
    ...['secrets', 'host'].filter((k) => keys.includes(k)),
  ]);
}

/** The restore commands these tests drive. */
export const RESTORE_COMMANDS: readonly CommandName[] = [
  'restores.preflight',
  'restores.drill',
  'restores.verify',
  'restores.list',
  'restores.compare',
  'restores.diff',
  'restores.promote',
  'restores.discard',
  'drills.list',
  'drills.get',
  'drills.overview',
  'drills.export',
];

/** Dispatch and return the value, failing the test on { ok: false }. */
export async function call<T = unknown>(
  reg: CommandRegistry,
  name: CommandName,
  input: unknown,
): Promise<T> {
  const r = await reg.dispatch(name, input);
  if (!r.ok) throw new Error(`${name} failed: ${JSON.stringify(r.error)}`);
  return r.value as T;
}

/** Dispatch and return the error code, failing the test on { ok: true }. */
export async function callError(
  reg: CommandRegistry,
  name: CommandName,
  input: unknown,
): Promise<{ code: string; message: string; hint?: string | undefined }> {
  const r: Result<unknown> = await reg.dispatch(name, input);
  if (r.ok) throw new Error(`${name} succeeded, expected an error: ${JSON.stringify(r.value)}`);
  return r.error;
}

export function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Every entry under `dir` (recursive) with the sha256 of each file: equal before/after ⇒ untouched. */
export function folderState(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!fs.existsSync(dir)) return out;
  for (const rel of (fs.readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const p = path.join(dir, rel);
    const st = fs.lstatSync(p);
    out[rel] = st.isFile() ? `${st.size}:${sha256(p)}` : st.isDirectory() ? 'dir' : 'other';
  }
  return out;
}

/** Hash of every row of every table (but those named): equal ⇒ the data is the same. */
export function dataDigest(
  db: Database.Database | WritableDB,
  except: readonly string[] = [],
): { digest: string; counts: Record<string, number> } {
  const hash = crypto.createHash('sha256');
  const counts: Record<string, number> = {};
  for (const t of tableNames(db)) {
    if (except.includes(t)) continue;
    const rows = db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).raw().all();
    counts[t] = rows.length;
    hash.update(`${t}\n${JSON.stringify(rows)}\n`);
  }
  return { digest: hash.digest('hex'), counts };
}

/** Tables a restore legitimately writes into live while it refuses or drills a file. */
export const RESTORE_BOOKKEEPING_TABLES = ['audit_log', 'restores', 'drills'] as const;

/**
 * What a refused restore must leave alone in the data dir: every table's rows
 * but the audit log and the restore/drill indexes, the backups folder, the
 * restores folder (no leftover restores/<id>), and the audit actions so far.
 */
export interface DataDirState {
  data: string;
  backups: Record<string, string>;
  restores: Record<string, string>;
  lastAuditId: number;
}

export function dataDirState(rt: Runtime): DataDirState {
  const db = readyDb(rt);
  return {
    data: dataDigest(db, RESTORE_BOOKKEEPING_TABLES).digest,
    backups: folderState(rt.layout.backups),
    restores: folderState(rt.layout.restores),
    lastAuditId: (
      db.prepare('SELECT coalesce(max(id), 0) AS n FROM audit_log').get() as { n: number }
    ).n,
  };
}

/** Audit actions written since `state` was taken. */
export function auditSince(rt: Runtime, state: DataDirState): string[] {
  return (
    readyDb(rt)
      .prepare('SELECT action FROM audit_log WHERE id > ? ORDER BY id')
      .all(state.lastAuditId) as {
      action: string;
    }[]
  ).map((r) => r.action);
}

/** Project names of a database, in id order. */
export function projectNames(db: Database.Database | WritableDB): string[] {
  return (db.prepare('SELECT name FROM projects ORDER BY id').all() as { name: string }[]).map(
    (r) => r.name,
  );
}

export function projectNamesOfFile(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return projectNames(db);
  } finally {
    db.close();
  }
}

/** Write Stateward's application_id (big-endian, offset 68) into `bytes`. */
export function stampApplicationId(bytes: Uint8Array): Buffer {
  const b = Buffer.from(bytes);
  if (b.length >= 72) b.writeUInt32BE(APPLICATION_ID, 68);
  return b;
}

/** Copy a database file (and its sidecars named in `with`) into a new folder. */
export function copyInto(
  world: World,
  file: string,
  name = path.basename(file),
  extra: Record<string, string> = {},
): string {
  const dir = world.dir();
  const dest = path.join(dir, name);
  fs.copyFileSync(file, dest);
  for (const [src, destName] of Object.entries(extra))
    fs.copyFileSync(src, path.join(dir, destName));
  return dest;
}

/** Edit a lone database file with a raw connection, leaving no side files. */
export function editFile(file: string, edit: (db: Database.Database) => void): void {
  const db = new Database(file, { fileMustExist: true });
  try {
    edit(db);
  } finally {
    db.close();
  }
  for (const s of ['-wal', '-shm', '-journal']) fs.rmSync(file + s, { force: true });
}

/** Turn a copy of a Stateward backup into one from a newer schema (as a newer app would write it). */
export function makeNewerSchema(file: string, version = 99): void {
  editFile(file, (db) => {
    db.prepare(
      `INSERT INTO schema_migrations (version, name, checksum, applied_at, app_version) VALUES (?, ?, ?, ?, ?)`,
    ).run(
      version,
      `${String(version).padStart(4, '0')}_from_the_future`,
      'f'.repeat(64),
      1,
      '9.9.9',
    );
    db.pragma(`user_version = ${version}`);
    db.pragma(`application_id = ${APPLICATION_ID}`);
  });
}

/**
 * A backup of schema N-1 (MIGRATIONS without the newest) holding `projects`:
 * the database is built with applyMigrations on MIGRATIONS.slice(0, -1).
 */
export async function olderSchemaBackup(world: World, projects: string[]): Promise<BackupResult> {
  const dir = world.dir();
  const file = path.join(dir, 'old.db');
  const db = new Database(file) as unknown as WritableDB;
  try {
    db.pragma('journal_mode = WAL');
    const older = MIGRATIONS.slice(0, -1);
    applyMigrations(db, planMigrations(db, older));
    const ins = db.prepare(
      `INSERT INTO projects (name, description, created_at, updated_at) VALUES (?, '', ?, ?)`,
    );
    for (const p of projects) ins.run(p, Date.now(), Date.now());
  } finally {
    db.close();
  }
  return createBackup({
    source: file,
    outDir: path.join(dir, 'backups'),
    kind: 'manual',
    compact: false,
  });
}

/** The inode of a file, or null. */
export function inodeOf(file: string): number | null {
  try {
    return fs.statSync(file).ino;
  } catch {
    return null;
  }
}

/** PRAGMA integrity_check as one string ('ok' when whole). */
export function integrityOf(db: Database.Database | WritableDB): string {
  return (db.prepare('PRAGMA integrity_check').raw().all() as unknown[][])
    .map((r) => String(r[0]))
    .join('; ');
}

/** Permission problems under `dir`: folders must be 0700 and files 0600. */
export function loosePermissions(dir: string): string[] {
  const bad: string[] = [];
  const check = (p: string, rel: string) => {
    const st = fs.statSync(p);
    const want = st.isDirectory() ? 0o700 : 0o600;
    if ((st.mode & 0o777) !== want)
      bad.push(`${rel || '.'}: ${(st.mode & 0o777).toString(8)} (want ${want.toString(8)})`);
  };
  check(dir, '');
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[])
    check(path.join(dir, rel), rel);
  return bad;
}

/** `node <args>` in the repo root with extra env, collecting stdout lines; killed after the test. */
export function spawnNode(world: World, args: string[], env: Record<string, string>): LineChild {
  return spawnLines(world, args, env, 20_000);
}

/** The value after `prefix ` on the first stdout line that starts with it. */
export function lineValue(lines: readonly string[], prefix: string): string | undefined {
  const l = lines.find((x) => x.startsWith(`${prefix} `));
  return l === undefined ? undefined : l.slice(prefix.length + 1);
}

/**
 * Damage one b-tree page of `object` (a small index, whose root page is its only
 * page): every cell pointer then points outside the page. The header and the
 * tables a preflight reads stay intact; PRAGMA integrity_check finds it.
 */
export function damageIndexPage(file: string, object: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  let root: number;
  let pageSize: number;
  try {
    const row = db.prepare('SELECT rootpage FROM sqlite_schema WHERE name = ?').get(object) as
      { rootpage: number } | undefined;
    if (!row) throw new Error(`no ${object} in ${file}`);
    root = row.rootpage;
    pageSize = db.pragma('page_size', { simple: true }) as number;
  } finally {
    db.close();
  }
  const off = (root - 1) * pageSize;
  const fd = fs.openSync(file, 'r+');
  try {
    const head = Buffer.alloc(8);
    fs.readSync(fd, head, 0, 8, off);
    const leaf = head[0] === 0x0a || head[0] === 0x0d;
    const cells = head.readUInt16BE(3);
    if (cells === 0) throw new Error(`${object} has no cells to damage`);
    const ptrs = Buffer.alloc(cells * 2, 0xff);
    fs.writeSync(fd, ptrs, 0, ptrs.length, off + (leaf ? 8 : 12));
  } finally {
    fs.closeSync(fd);
  }
  return root;
}

/** A page-walk's query: the caller's filter plus the paging fields. */
export interface WalkInput {
  limit: number;
  from?: 'oldest';
  cursor?: string;
}

/**
 * Walk a keyset-paged list whole with `next` (or `prev`, from the oldest end);
 * ids in list order. Checks on the way: nothing lies beyond the starting end,
 * every page but the last is full, no page is over `limit`, and the walk ends.
 */
export async function walkPages<F extends object>(
  list: (input: F & WalkInput) => Promise<CursorPage<{ id: number }>>,
  f: F,
  limit: number,
  backwards = false,
): Promise<number[]> {
  const pages: number[][] = [];
  let page = await list({ ...f, limit, ...(backwards ? { from: 'oldest' as const } : {}) });
  expect(backwards ? page.next : page.prev, 'nothing lies beyond the starting end').toBeNull();
  for (let n = 0; ; n++) {
    expect(n, 'the walk ends').toBeLessThanOrEqual(page.total / limit + 2);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    pages.push(page.items.map((d) => d.id));
    const cursor = backwards ? page.prev : page.next;
    if (cursor === null) break;
    expect(page.items).toHaveLength(limit);
    page = await list({ ...f, limit, cursor });
  }
  if (backwards) pages.reverse();
  return pages.flat();
}
