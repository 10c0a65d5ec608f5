// The pre-upgrade backup: taken before pending migrations run on a database
// with data, recorded once the store is open; if it fails, nothing is migrated.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { seedDemo } from '../../electron/core/demo.ts';
import type { WritableDB } from '../../electron/core/store/db.ts';
import { applyMigrations, planMigrations } from '../../electron/core/store/migrate.ts';
import { MIGRATIONS } from '../../electron/core/store/migrations/index.ts';
import { listAudit } from '../../electron/core/store/resources/audit.ts';
import { listRuns } from '../../electron/core/store/resources/runs.ts';
import { inspectBackupFile, seededRuntime, tableCounts } from '../helpers/backup-util.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import { sha256File } from '../helpers/store.ts';
import { useWorld } from '../helpers/world.ts';
import { runSqlite, SQLITE } from '../../electron/core/store/sql.ts';

const world = useWorld();
const N = MIGRATIONS[MIGRATIONS.length - 1]!.version;
/** Tables the newest migration creates: absent from a schema N-1 backup. */
const NEW_TABLES = [...MIGRATIONS[MIGRATIONS.length - 1]!.sql.matchAll(/CREATE TABLE (\w+)/gi)].map(
  (m) => m[1]!,
);

/** A data dir whose database is at schema N-1 (as the previous version left it) with demo data. */
function previousVersionDataDir(): { dir: string; counts: Record<string, number> } {
  const dir = world.dir();
  const file = dataDirLayout(dir).db;
  const db = new Database(file) as WritableDB;
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    applyMigrations(db, planMigrations(db, MIGRATIONS.slice(0, -1)));
    seedDemo(db, { projects: 3, deployments: 500, actor: 'old-version', now: Date.now() });
    db.pragma('wal_checkpoint(TRUNCATE)');
    return { dir, counts: tableCounts(db) };
  } finally {
    db.close();
  }
}

function schemaOf(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

describe('pre-upgrade backup', () => {
  it('a db at schema N-1 with data: exactly one pre-upgrade backup of the old schema, then migrated', async () => {
    const { dir, counts } = previousVersionDataDir();
    expect(schemaOf(dataDirLayout(dir).db)).toBe(N - 1);
    const rt = await startTestRuntime(world, dir);
    const db = readyDb(rt);
    expect(rt.store!.applied).toEqual([MIGRATIONS[N - 1]!.name]);
    expect(NEW_TABLES.length).toBeGreaterThan(0);
    for (const t of NEW_TABLES) expect(tableCounts(db)[t], `live ${t}`).toBeDefined();
    expect(db.pragma('user_version', { simple: true })).toBe(N);

    const list = rt.backups.list();
    expect(list).toHaveLength(1);
    const b = list[0]!;
    expect(b.kind).toBe('pre-upgrade');
    expect(b.hasManifest).toBe(true);
    expect(b.manifest!.schemaVersion).toBe(N - 1);
    expect(b.schemaVersion).toBe(N - 1);
    // The backup holds the old database: old schema, same rows, no table of the new migration.
    const file = path.join(rt.layout.backups, b.fileName);
    const facts = inspectBackupFile(file);
    expect(facts.integrity).toBe('ok');
    expect(facts.userVersion).toBe(N - 1);
    for (const t of NEW_TABLES)
      expect(facts.counts[t], `table ${t} of the new migration`).toBeUndefined();
    for (const t of ['projects', 'environments', 'deployments', 'deployment_logs'])
      expect(facts.counts[t], t).toBe(counts[t]);
    expect(sha256File(file)).toBe(b.sha256);

    const created = runSqlite(
      db,
      listAudit(SQLITE, { offset: 0, limit: 10, action: 'backup.created' }),
    ).items;
    expect(created).toHaveLength(1);
    expect(created[0]!.target).toBe(`backup:${b.id}`);
    expect(created[0]!.detail).toMatchObject({ kind: 'pre-upgrade', fileName: b.fileName });
    expect(runSqlite(db, listRuns(SQLITE, { kind: 'backup', limit: 5 }))).toMatchObject([
      { status: 'succeeded' },
    ]);
    // The live data survived the migration.
    for (const t of ['projects', 'environments', 'deployments'])
      expect(tableCounts(db)[t], t).toBe(counts[t]);

    // A second start has nothing to migrate: no second pre-upgrade backup.
    rt.close();
    const again = await startTestRuntime(world, dir);
    expect(again.backups.list()).toHaveLength(1);
  });

  it('a fresh empty data dir takes none', async () => {
    const dir = world.dir();
    const rt = await startTestRuntime(world, dir);
    expect(rt.store!.applied).toHaveLength(N);
    expect(rt.backups.list()).toEqual([]);
    expect(
      runSqlite(readyDb(rt), listAudit(SQLITE, { offset: 0, limit: 10, action: 'backup.created' }))
        .items,
    ).toEqual([]);
  });

  it('a current database with data takes none', async () => {
    const seeded = await seededRuntime(world, 50);
    const dir = seeded.layout.dir;
    seeded.close();
    const rt = await startTestRuntime(world, dir);
    expect(rt.backups.list()).toEqual([]);
  });

  it('when the backup fails (backups is a regular file): refused with PRE_UPGRADE_BACKUP_FAILED, db byte-for-byte unchanged', async () => {
    const { dir } = previousVersionDataDir();
    const layout = dataDirLayout(dir);
    fs.writeFileSync(layout.backups, 'not a folder');
    const before = sha256File(layout.db);
    const rt = await startTestRuntime(world, dir);
    expect(rt.startup).toMatchObject({ state: 'refused', code: 'PRE_UPGRADE_BACKUP_FAILED' });
    expect(rt.store).toBeNull();
    if (rt.startup.state === 'refused') {
      expect(rt.startup.message).toMatch(new RegExp(`${N - 1}.*${N}`));
      expect(rt.startup.message).toMatch(/BACKUP_DESTINATION_UNWRITABLE/);
    }
    rt.close();
    expect(sha256File(layout.db)).toBe(before);
    expect(schemaOf(layout.db)).toBe(N - 1);
    expect(fs.existsSync(layout.wal) ? fs.statSync(layout.wal).size : 0).toBe(0);
    expect(fs.existsSync(layout.lock), 'the refused start left its lock').toBe(false);
    expect(fs.readFileSync(layout.backups, 'utf8')).toBe('not a folder');
  });

  it('after the cause is fixed, the next start backs up and migrates', async () => {
    const { dir } = previousVersionDataDir();
    const layout = dataDirLayout(dir);
    fs.writeFileSync(layout.backups, 'not a folder');
    const refused = await startTestRuntime(world, dir);
    expect(refused.startup.state).toBe('refused');
    refused.close();
    fs.rmSync(layout.backups);
    const rt = await startTestRuntime(world, dir);
    expect(rt.startup).toEqual({ state: 'ready' });
    expect(rt.backups.list().map((b) => [b.kind, b.schemaVersion])).toEqual([
      ['pre-upgrade', N - 1],
    ]);
  });
});
