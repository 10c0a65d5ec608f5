// Preflight: every refusal has its own code and changes nothing — not the input
// file, not its folder (no -wal/-shm/-journal created beside it), not the live
// data, the backups folder or the restores folder. The files a restore must
// accept (no manifest, WAL with and without its -wal, an older schema) are
// accepted with the right warnings, and the older one migrates once.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../electron/core/runtime.ts';
import type { BackupEntry, PreflightReport, RestoreSource } from '../../shared/domain.ts';
import { MIGRATIONS } from '../../electron/core/store/migrations/index.ts';
import { manifestPathOf, seededRuntime } from '../helpers/backup-util.ts';
import { readyDb } from '../helpers/runtime.ts';
import {
  APP_SCHEMA,
  auditSince,
  copyInto,
  dataDirState,
  editFile,
  folderState,
  makeNewerSchema,
  olderSchemaBackup,
  projectNames,
  projectNamesOfFile,
} from '../helpers/restore-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const NEWEST = MIGRATIONS[MIGRATIONS.length - 1]!.name;

async function withBackup(): Promise<{ rt: Runtime; backup: BackupEntry; file: string }> {
  const rt = await seededRuntime(world, 12, { projects: 2 });
  const backup = await rt.backups.run({ kind: 'manual', compact: false });
  return { rt, backup, file: path.join(rt.layout.backups, backup.fileName) };
}

/**
 * Stage and verify `source`; both must refuse with `code`, and nothing may change:
 * the folder holding the input (hashes and names, recursively), the live data
 * (every table but the audit log and the restore/drill indexes), backups/ and
 * restores/. The only writes allowed are the audit entries saying so.
 */
async function expectRefused(
  rt: Runtime,
  source: RestoreSource,
  code: string,
  reason?: RegExp,
): Promise<PreflightReport> {
  const input =
    'path' in source
      ? source.path
      : path.join(
          rt.layout.backups,
          rt.backups.list().find((b) => b.id === source.backupId)!.fileName,
        );
  const beside = path.dirname(input);
  const folder = folderState(beside);
  const state = dataDirState(rt);

  const staged = await rt.restores.stage(source);
  expect(staged.restoreId).toBeNull();
  expect(staged.report.ok).toBe(false);
  expect(staged.report.code, staged.report.reason).toBe(code);
  expect(staged.report.reason.trim().length).toBeGreaterThan(10);
  if (reason) expect(staged.report.reason).toMatch(reason);
  expect(folderState(beside)).toEqual(folder);
  const after = dataDirState(rt);
  expect(after.data).toBe(state.data);
  expect(after.backups).toEqual(state.backups);
  expect(after.restores).toEqual({});
  // A backup of the backups folder refused on its way to a drill keeps that as its newest drill result.
  expect(auditSince(rt, state)).toEqual(
    'backupId' in source ? ['restore.refused', 'drill.failed'] : ['restore.refused'],
  );

  const state2 = dataDirState(rt);
  const report = await rt.restores.verify(source);
  expect(report.passed).toBe(false);
  expect(report.steps).toHaveLength(1);
  expect(report.steps[0]).toMatchObject({ key: 'preflight', status: 'fail', facts: { code } });
  expect(report.summary).toContain(code);
  expect(folderState(beside)).toEqual(folder);
  const after2 = dataDirState(rt);
  expect(after2.data).toBe(state.data);
  expect(after2.backups).toEqual(state.backups);
  expect(after2.restores).toEqual({});
  expect(auditSince(rt, state2)).toEqual(['restore.refused', 'drill.failed']);
  return staged.report;
}

describe('preflight refusals: each with its own code, nothing changed', () => {
  it('a missing file and a directory → BACKUP_UNREADABLE', async () => {
    const { rt } = await withBackup();
    const dir = world.dir();
    fs.writeFileSync(path.join(dir, 'neighbour.txt'), 'stays as it is');
    await expectRefused(
      rt,
      { path: path.join(dir, 'nope.sqlite') },
      'BACKUP_UNREADABLE',
      /no such file/,
    );
    const sub = path.join(dir, 'looks-like.sqlite');
    fs.mkdirSync(sub);
    await expectRefused(rt, { path: sub }, 'BACKUP_UNREADABLE', /not a file/);
  });

  it('a 0-byte file → BACKUP_EMPTY', async () => {
    const { rt } = await withBackup();
    const f = path.join(world.dir(), 'empty.sqlite');
    fs.writeFileSync(f, '');
    await expectRefused(rt, { path: f }, 'BACKUP_EMPTY', /empty/);
  });

  it('random bytes, a text file and a -wal file → NOT_SQLITE', async () => {
    const { rt } = await withBackup();
    const dir = world.dir();
    const random = path.join(dir, 'random.sqlite');
    fs.writeFileSync(random, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919) % 251)));
    await expectRefused(rt, { path: random }, 'NOT_SQLITE', /not a SQLite database/);
    const text = path.join(dir, 'dump.sqlite');
    fs.writeFileSync(
      text,
      'PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE t(x);\nCOMMIT;\n',
    );
    await expectRefused(rt, { path: text }, 'NOT_SQLITE');
    // A real -wal of the live database, given as the input.
    readyDb(rt).prepare(`UPDATE projects SET description = 'in the wal' WHERE id = 1`).run();
    expect(fs.statSync(rt.layout.wal).size).toBeGreaterThan(32);
    const walDir = world.dir();
    const wal = path.join(walDir, 'stateward.db-wal');
    fs.copyFileSync(rt.layout.wal, wal);
    await expectRefused(rt, { path: wal }, 'NOT_SQLITE', /-wal file/);
  });

  it('another app’s valid SQLite database → NOT_A_STATEWARD_DB', async () => {
    const { rt } = await withBackup();
    const f = path.join(world.dir(), 'other-app.sqlite');
    const db = new Database(f);
    db.exec(
      `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('hi');`,
    );
    db.close();
    await expectRefused(
      rt,
      { path: f },
      'NOT_A_STATEWARD_DB',
      /SQLite database, but not one of Stateward/,
    );
  });

  it('a backup whose bytes changed after it was taken (sidecar present) → BACKUP_HASH_MISMATCH', async () => {
    const { rt, backup, file } = await withBackup();
    const fd = fs.openSync(file, 'r+');
    const at = fs.statSync(file).size - 700;
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    fs.writeSync(fd, b, 0, 1, at);
    fs.closeSync(fd);
    await expectRefused(
      rt,
      { backupId: backup.id },
      'BACKUP_HASH_MISMATCH',
      /does not match its manifest/,
    );
  });

  it('the sidecar of another backup renamed beside it → BACKUP_HASH_MISMATCH or BACKUP_FACTS_MISMATCH', async () => {
    const { rt, file } = await withBackup();
    readyDb(rt)
      .prepare(
        `INSERT INTO projects (name, description, created_at, updated_at) VALUES ('second', '', 1, 1)`,
      )
      .run();
    const other = await rt.backups.run({ kind: 'manual', compact: false });
    const otherFile = path.join(rt.layout.backups, other.fileName);
    const dir = world.dir();
    const dest = path.join(dir, path.basename(file));
    fs.copyFileSync(file, dest);
    fs.copyFileSync(manifestPathOf(otherFile), manifestPathOf(dest));
    const report = await rt.restores.stage({ path: dest });
    expect(['BACKUP_HASH_MISMATCH', 'BACKUP_FACTS_MISMATCH']).toContain(report.report.code);
    await expectRefused(rt, { path: dest }, report.report.code!);
  });

  it('a sidecar whose facts were edited (its hash still right) → BACKUP_FACTS_MISMATCH', async () => {
    const { rt, file } = await withBackup();
    const dest = copyInto(world, file, path.basename(file));
    const manifest = JSON.parse(fs.readFileSync(manifestPathOf(file), 'utf8')) as Record<
      string,
      unknown
    >;
    fs.writeFileSync(
      manifestPathOf(dest),
      JSON.stringify({ ...manifest, id: 'ffffffffffffffff', kind: 'scheduled' }),
    );
    await expectRefused(rt, { path: dest }, 'BACKUP_FACTS_MISMATCH', /id, kind/);
  });

  it('a backup from a newer schema → SCHEMA_FROM_NEWER_VERSION', async () => {
    const { rt, file } = await withBackup();
    const dest = copyInto(world, file, 'from-the-future.sqlite');
    makeNewerSchema(dest);
    const r = await expectRefused(rt, { path: dest }, 'SCHEMA_FROM_NEWER_VERSION');
    expect(r.reason).toContain('99');
    expect(r.reason).toContain(String(APP_SCHEMA));
    expect(r.hint).toMatch(/newer version|older backup/);
  });

  it('an edited migration checksum → MIGRATION_CHECKSUM_MISMATCH', async () => {
    const { rt, file } = await withBackup();
    const dest = copyInto(world, file, 'edited.sqlite');
    editFile(dest, (db) =>
      db.prepare(`UPDATE schema_migrations SET checksum = ? WHERE version = 2`).run('0'.repeat(64)),
    );
    await expectRefused(rt, { path: dest }, 'MIGRATION_CHECKSUM_MISMATCH', /0002_environments/);
  });

  it('a renamed migration → MIGRATION_HISTORY_OUT_OF_SYNC', async () => {
    const { rt, file } = await withBackup();
    const dest = copyInto(world, file, 'renamed.sqlite');
    editFile(dest, (db) =>
      db.prepare(`UPDATE schema_migrations SET name = '0003_deploys' WHERE version = 3`).run(),
    );
    await expectRefused(rt, { path: dest }, 'MIGRATION_HISTORY_OUT_OF_SYNC', /0003_deploys/);
  });
});

describe('preflight acceptances', () => {
  it('a copy with no manifest (db.backup() of a live data dir) → ok, warned that no recorded hash exists', async () => {
    const { rt } = await withBackup();
    const dir = world.dir();
    const dest = path.join(dir, 'sqlite3-backup.db');
    await readyDb(rt).backup(dest);
    const folder = folderState(dir);
    const staged = await rt.restores.stage({ path: dest });
    expect(staged.report.ok, staged.report.reason).toBe(true);
    expect(staged.report.facts.manifest).toBe('none');
    expect(staged.report.warnings.join('\n')).toMatch(/no recorded hash/i);
    const drill = await rt.restores.drill(staged.restoreId!);
    expect(drill.passed, drill.summary).toBe(true);
    expect(drill.steps[0]!.status).toBe('warn');
    expect(folderState(dir)).toEqual(folder);
  });

  it('a WAL-mode copy with its -wal beside it → ok, the -wal’s data is in the copy, warned', async () => {
    const { rt } = await withBackup();
    const live = readyDb(rt);
    live.pragma('wal_checkpoint(TRUNCATE)');
    live
      .prepare(
        `INSERT INTO projects (name, description, created_at, updated_at) VALUES ('only-in-wal', '', 1, 1)`,
      )
      .run();
    const dir = world.dir();
    const dest = path.join(dir, 'copy.db');
    fs.copyFileSync(rt.layout.db, dest);
    fs.copyFileSync(rt.layout.wal, `${dest}-wal`);
    // The main file alone does not have the row: it is in the -wal only.
    const probe = copyInto(world, dest, 'probe.db');
    expect(projectNamesOfFile(probe)).not.toContain('only-in-wal');

    const folder = folderState(dir);
    const staged = await rt.restores.stage({ path: dest });
    expect(staged.report.ok, staged.report.reason).toBe(true);
    expect(staged.report.warnings.join('\n')).toMatch(/-wal file beside it was restored/);
    const drill = await rt.restores.drill(staged.restoreId!);
    expect(drill.passed, drill.summary).toBe(true);
    expect(projectNames(rt.restores.previewDb(staged.restoreId!))).toContain('only-in-wal');
    expect(folderState(dir)).toEqual(folder);
    expect(fs.existsSync(`${dest}-shm`)).toBe(false);
  });

  it('a WAL-mode database without its -wal → ok, warned that the newest changes may be missing', async () => {
    const { rt } = await withBackup();
    readyDb(rt).pragma('wal_checkpoint(TRUNCATE)');
    readyDb(rt)
      .prepare(
        `INSERT INTO projects (name, description, created_at, updated_at) VALUES ('only-in-wal', '', 1, 1)`,
      )
      .run();
    const dest = copyInto(world, rt.layout.db, 'lone.db');
    const folder = folderState(path.dirname(dest));
    const staged = await rt.restores.stage({ path: dest });
    expect(staged.report.ok, staged.report.reason).toBe(true);
    expect(staged.report.warnings.join('\n')).toMatch(
      /no -wal file beside it.*newest changes may be missing/,
    );
    const drill = await rt.restores.drill(staged.restoreId!);
    expect(drill.passed, drill.summary).toBe(true);
    expect(drill.warnings.join('\n')).toMatch(/newest changes may be missing/);
    expect(projectNames(rt.restores.previewDb(staged.restoreId!))).not.toContain('only-in-wal');
    expect(folderState(path.dirname(dest))).toEqual(folder);
  });

  it('an older-schema backup (N-1) → ok, will migrate N-1 → N; the drill applies it once, a second run nothing', async () => {
    const { rt } = await withBackup();
    const old = await olderSchemaBackup(world, ['old-one', 'old-two']);
    expect(old.manifest.schemaVersion).toBe(APP_SCHEMA - 1);
    const staged = await rt.restores.stage({ path: old.path });
    expect(staged.report.ok, staged.report.reason).toBe(true);
    expect(staged.report.reason).toContain(`${APP_SCHEMA - 1} → ${APP_SCHEMA}`);
    expect(staged.report.reason).toMatch(/will be migrated/);
    expect(staged.report.facts.pendingMigrations).toEqual([NEWEST]);
    expect(staged.report.facts.manifest).toBe('sidecar');

    const drill = await rt.restores.drill(staged.restoreId!);
    expect(drill.passed, drill.summary).toBe(true);
    const mig = drill.steps.find((s) => s.key === 'migrations')!;
    expect(mig.status).toBe('pass');
    expect(mig.facts).toMatchObject({
      from: APP_SCHEMA - 1,
      to: APP_SCHEMA,
      applied: [NEWEST],
    });
    expect(mig.detail).toMatch(/a second run applied nothing/);
    expect(drill.source.appSchemaVersion).toBe(APP_SCHEMA);

    // Drilling the same copy again: nothing left to apply.
    const again = await rt.restores.drill(staged.restoreId!);
    expect(again.passed).toBe(true);
    expect(again.steps.find((s) => s.key === 'migrations')!.facts).toMatchObject({
      from: APP_SCHEMA,
      to: APP_SCHEMA,
      applied: [],
    });
    expect(projectNames(rt.restores.previewDb(staged.restoreId!))).toEqual(['old-one', 'old-two']);
    expect(rt.restores.get(staged.restoreId!).schemaVersion).toBe(APP_SCHEMA);
  });
});
