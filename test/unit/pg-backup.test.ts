// Team backups (issue 11.5) against a real PostgreSQL server: a logical snapshot
// of the schema written as a normal Stateward backup file, one point in time
// while a writer commits, and a killed backup leaves no backup file.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { cleanupTemporaries } from '../../electron/core/backup/engine.ts';
import { listBackupFiles, readManifest } from '../../electron/core/backup/list.ts';
import { schemaDifference } from '../../electron/core/restore/schema-check.ts';
import type { ReadableDB } from '../../electron/core/store/db.ts';
import type { PgBackupRequest } from '../../electron/core/pg/backup.ts';
import { createPgBackup } from '../../electron/core/pg/backup.ts';
import { migratePostgres } from '../../electron/core/pg/migrate.ts';
import { MIGRATIONS } from '../../electron/core/store/migrations/index.ts';
import { TEMP_PREFIX } from '../../electron/core/fsutil.ts';
import {
  inspectBackupFile,
  mountTmpfs,
  rejectionCode,
  spawnLines,
  unmountTmpfs,
} from '../helpers/backup-util.ts';
import { HELPERS_DIR } from '../helpers/child.ts';
import { cli } from '../helpers/cli.ts';
import { pgSkipReason, usePgDatabase, withClient } from '../helpers/pg.ts';
import { killNodeAtRename } from '../helpers/syscall-sweep.ts';
import { useWorld } from '../helpers/world.ts';

const SCHEMA = 'team';
// 2^53 + 1: not a safe JS number (an audit id: the app's own probes read project ids as numbers).
const BIG_ID = '9007199254740993';

const SEED = /* sql */ `
SET search_path = ${SCHEMA};
-- Bulk rows without row triggers (40,000 bumps of one counter row are slow); the derived rows are set below.
SET session_replication_role = replica;
INSERT INTO projects (id, name, description, created_at, updated_at) VALUES
  (1, 'Zürich ☃ 日本', E'line\\nbreak ''quoted'' \\u00e9', 1700000000000, 1700000000001),
  (2, 'second', '', 1, 2);
INSERT INTO settings (key, value, updated_at) VALUES
  ('ui', '{"theme": "dark", "b": [1, 2, {"z": null, "a": true}]}', 5),
  ('greeting', '"héllo ☃"', 6),
  ('ratio', '12.5', 7);
INSERT INTO environments (id, project_id, name, kind, description, created_at, updated_at) VALUES
  (1, 1, 'prod', 'production', 'the real one', 1, 2),
  (2, 2, 'staging ☃', 'staging', '', 3, 4);
INSERT INTO config_snapshots (id, environment_id, version, content, sha256, created_at) VALUES
  (1, 1, 1, '{ "exact":  "bytes",   "kept": true }', repeat('a', 64), 3);
INSERT INTO deployments (id, environment_id, snapshot_id, version, status, started_at, finished_at, access_url, diagnostic_summary)
  SELECT i, 1 + i % 2, CASE WHEN i % 3 = 0 THEN 1 END, 'v' || i,
         (ARRAY['queued','running','succeeded','failed','cancelled','rolled_back'])[1 + i % 6],
         1700000000000 + i, CASE WHEN i % 4 = 0 THEN NULL ELSE 1700000000500 + i END,
         CASE WHEN i % 5 = 0 THEN 'https://ex.ample/☃/' || i END,
         CASE WHEN i % 7 = 0 THEN E'multi\\nline ✓' END
    FROM generate_series(1, 3000) AS i;
INSERT INTO deployment_logs (id, deployment_id, ts, level, message)
  SELECT i, 1 + i % 3000, 1700000000000 + i, (ARRAY['debug','info','warn','error'])[1 + i % 4],
         'log line ' || i || ' ünïcode'
    FROM generate_series(1, 40000) AS i;
INSERT INTO runs (id, kind, status, started_at, finished_at, detail) VALUES
  (1, 'backup', 'succeeded', 10, 20, '{"bytes": 123, "nested": {"k": [1, "two"]}}'),
  (2, 'drill', 'running', 30, NULL, '{}');
INSERT INTO resource_status (id, environment_id, resource, status, checked_at, detail) VALUES
  (1, 1, 'db', 'ok', 5, ''), (2, 2, 'cache', 'degraded', 6, 'slow ☃');
INSERT INTO audit_log (id, ts, actor, action, target, detail) VALUES
  (1, 5, 'alice', 'project.create', 'Zürich', '{"a": {"b": [1, "☃"]}}'),
  (${BIG_ID}, 6, 'bob', 'x', '', '{}');
INSERT INTO metrics (id, ts, name, value, labels) VALUES
  (1, 1, 'ledger.a', 1000, '{}'), (2, 1, 'ledger.b', 0, '{"side": "b"}');
INSERT INTO metrics (id, ts, name, value, labels)
  SELECT i, i, 'm', i * 0.1 + 1e-300, ('{"i": ' || i || '}')::jsonb FROM generate_series(3, 2000) AS i;
INSERT INTO restores (id, created_at, status, backup_id, file_name, sha256, drill_id, passed, detail) VALUES
  ('r1', 1, 'ready', NULL, 'f.sqlite', NULL, 'd1', true, '{"note": "é"}'),
  ('r2', 2, 'failed', 'b2', 'g.sqlite', repeat('b', 64), NULL, false, '{}');
INSERT INTO drills (id, restore_id, backup_id, file_name, sha256, started_at, finished_at, passed, summary) VALUES
  ('d1', 'r1', NULL, 'f.sqlite', NULL, 1, 2, true, 'ok'),
  ('d2', NULL, 'b2', 'g.sqlite', NULL, 3, 4, false, 'failed ☃');
INSERT INTO secrets (id, environment_id, name, key_id, iv, tag, ciphertext, created_at, updated_at) VALUES
  ('s1', 1, 'API_KEY', 'k1', '\\x000102030405060708090a0b'::bytea, '\\x00ff00ff00ff00ff00ff00ff00ff00ff'::bytea,
   decode(repeat('00ff7f80', 500), 'hex'), 1, 2);
SELECT setval(pg_get_serial_sequence('${SCHEMA}.deployments', 'id'), 3000);
INSERT INTO deployment_counts (environment_id, status, n)
  SELECT environment_id, status, count(*) FROM deployments GROUP BY 1, 2;
UPDATE change_counter SET seq = 43210;
SET session_replication_role = origin;
`;

const skip = pgSkipReason();

/** Every value as text: ints exact, bytes as hex, booleans 0/1, JSON with sorted keys. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** `json`: 'text' for JSON held as text (SQLite), 'parsed' as pg hands jsonb over. */
function norm(v: unknown, json: 'text' | 'parsed' | null): string | null {
  if (v === null || v === undefined) return null;
  if (json === 'text') return canonicalJson(JSON.parse(v as string));
  if (json === 'parsed') return canonicalJson(v);
  if (Buffer.isBuffer(v)) return `x${v.toString('hex')}`;
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

type Dump = Record<string, string[]>;

const RAW_INT8 = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === 20
      ? (v: string) => v
      : (pgTypes.getTypeParser(oid, format ?? 'text') as (v: string) => unknown),
};
let pgTypes: typeof pg.types;

/** Every row of every table of the schema, normalized and sorted. */
async function serverDump(c: pg.Client): Promise<{ dump: Dump; json: Record<string, string[]> }> {
  const cols = await c.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
      WHERE table_schema = $1 AND table_name <> 'schema_migrations' ORDER BY table_name, column_name`,
    [SCHEMA],
  );
  const tables = new Map<string, { name: string; json: boolean }[]>();
  for (const r of cols.rows)
    tables.set(r.table_name, [
      ...(tables.get(r.table_name) ?? []),
      { name: r.column_name, json: r.data_type === 'jsonb' || r.data_type === 'json' },
    ]);
  const dump: Dump = {};
  const json: Record<string, string[]> = {};
  for (const [t, cs] of tables) {
    json[t] = cs.filter((x) => x.json).map((x) => x.name);
    const r = await c.query<unknown[]>({
      text: `SELECT ${cs.map((x) => `"${x.name}"`).join(', ')} FROM ${SCHEMA}."${t}"`,
      rowMode: 'array',
      types: RAW_INT8,
    });
    dump[t] = r.rows
      .map((row) => JSON.stringify(row.map((v, i) => norm(v, cs[i]!.json ? 'parsed' : null))))
      .sort();
  }
  return { dump, json };
}

function fileDump(file: string, json: Record<string, string[]>): Dump {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const dump: Dump = {};
    for (const t of Object.keys(json)) {
      const cs = (
        db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(t) as string[]
      ).sort();
      const rows = db
        .prepare(`SELECT ${cs.map((x) => `"${x}"`).join(', ')} FROM "${t}"`)
        .safeIntegers(true)
        .raw()
        .all() as unknown[][];
      dump[t] = rows
        .map((row) =>
          JSON.stringify(row.map((v, i) => norm(v, json[t]!.includes(cs[i]!) ? 'text' : null))),
        )
        .sort();
    }
    return dump;
  } finally {
    db.close();
  }
}

describe.skipIf(skip !== null)('team backup of a PostgreSQL schema', () => {
  const world = useWorld();
  const pgdb = usePgDatabase();
  /** A manual, uncompacted backup of SCHEMA in this file's database into `outDir`. */
  const manualBackup = (outDir: string, more: Partial<PgBackupRequest> = {}) =>
    createPgBackup({
      url: pgdb.url(),
      schema: SCHEMA,
      outDir,
      kind: 'manual',
      compact: false,
      ...more,
    });

  beforeAll(async () => {
    pgTypes = (await import('pg')).default.types;
    await withClient(pgdb.url(), async (c) => {
      await migratePostgres(c, { schema: SCHEMA });
      await c.query(SEED);
    });
  }, 60_000);

  it('is a normal Stateward backup: same rows table by table, checked, manifest with its source, and verify passes', async () => {
    const outDir = path.join(world.dir(), 'backups');
    const phases = new Set<string>();
    const r = await manualBackup(outDir, {
      onProgress: (p) => phases.add(p.phase),
    });
    expect([...phases]).toEqual(['snapshot', 'verify', 'finalize']);
    expect(fs.statSync(r.path).mode & 0o777).toBe(0o600);
    expect(fs.statSync(r.manifestPath).mode & 0o777).toBe(0o600);
    const facts = inspectBackupFile(r.path);
    expect(facts.quickCheck).toBe('ok');
    expect(facts.integrity).toBe('ok');
    expect(facts.journalMode).toBe('delete');
    expect(facts.userVersion).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);

    // Every table, every row, every value the same (columns by name, rows sorted).
    const { dump, json } = await withClient(pgdb.url(), serverDump);
    const backup = fileDump(r.path, json);
    expect(Object.keys(dump).sort()).toEqual(
      Object.keys(facts.counts)
        .filter((t) => !['schema_migrations', 'stateward_backup'].includes(t))
        .sort(),
    );
    for (const t of Object.keys(dump)) expect(backup[t], t).toEqual(dump[t]);

    // Values as SQLite holds them: 0/1, exact big ids, bytes, compact JSON, text kept byte for byte.
    const db = new Database(r.path, { readonly: true });
    try {
      expect(db.prepare(`SELECT passed FROM restores ORDER BY id`).pluck().all()).toEqual([1, 0]);
      expect(
        String(db.prepare(`SELECT max(id) FROM audit_log`).safeIntegers(true).pluck().get()),
      ).toBe(BIG_ID);
      const s = db.prepare(`SELECT iv, ciphertext FROM secrets`).get() as {
        iv: Buffer;
        ciphertext: Buffer;
      };
      expect(s.iv.toString('hex')).toBe('000102030405060708090a0b');
      expect(s.ciphertext.length).toBe(2000);
      expect(db.prepare(`SELECT value FROM settings WHERE key = 'greeting'`).pluck().get()).toBe(
        '"héllo ☃"',
      );
      expect(db.prepare(`SELECT value FROM settings WHERE key = 'ui'`).pluck().get()).toBe(
        JSON.stringify({ b: [1, 2, { a: true, z: null }], theme: 'dark' }),
      );
      expect(db.prepare(`SELECT content FROM config_snapshots`).pluck().get()).toBe(
        '{ "exact":  "bytes",   "kept": true }',
      );
      // Derived tables as they were (nothing counted twice), and the triggers are back.
      expect(
        db.prepare(`SELECT environment_id, status, n FROM deployment_counts ORDER BY 1, 2`).all(),
      ).toEqual(
        db
          .prepare(
            `SELECT environment_id, status, count(*) AS n FROM deployments GROUP BY 1, 2 ORDER BY 1, 2`,
          )
          .all(),
      );
      const triggers = db
        .prepare(`SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'`)
        .pluck()
        .get() as number;
      expect(triggers).toBeGreaterThan(15);
      // Indexes are built after the rows go in: the schema is still exactly the migrations'.
      expect(schemaDifference(db as unknown as ReadableDB)).toEqual({ extra: [], missing: [] });
      expect(
        db.prepare(`SELECT count(*) FROM sqlite_schema WHERE type = 'index'`).pluck().get(),
      ).toBeGreaterThan(5);
      // The history is SQLite's (its checksums), stamped with the server's times.
      expect(db.prepare(`SELECT count(*) FROM schema_migrations`).pluck().get()).toBe(
        MIGRATIONS.length,
      );
    } finally {
      db.close();
    }

    // Manifest: the engine's facts plus the source server.
    const manifest = readManifest(r.manifestPath)!;
    expect(manifest.source).toEqual({
      backend: 'postgres',
      serverVersion: expect.stringMatching(/^\d+/) as unknown as string,
      database: pgdb.name(),
      schema: SCHEMA,
      host: expect.any(String) as unknown as string,
    });
    expect(manifest.rowCounts['deployment_logs']).toBe(40000);
    expect(manifest.rowCounts['deployments']).toBe(3000);
    expect(manifest.newestDeploymentAt).toBe(1700000003000);
    expect(manifest.changeSeq).toBeGreaterThan(0);
    expect(facts.embedded?.['source']).toEqual(manifest.source);
    expect(JSON.stringify(manifest)).not.toMatch(/password|sw_test_pw/i);

    // The restore drill on any machine, without a server.
    console.log(`pg-backup: backup taken in ${manifest.durationMs} ms`);
    const dataDir = path.join(world.dir(), 'data');
    const run = await cli('--data-dir', dataDir, 'verify', r.path);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.lines[0]).toMatch(/^PASSED/);
  }, 60_000);

  it('every backup is one point in time while a writer commits, and the writer keeps committing', async () => {
    const writer = spawnLines(world, [
      path.join(HELPERS_DIR, 'pg-writer-child.ts'),
      pgdb.url(),
      SCHEMA,
    ]);
    await writer.waitLine((l) => l === 'ready');
    const outDir = path.join(world.dir(), 'load');
    const writerCount = () =>
      withClient(pgdb.url(), async (c) =>
        Number(
          (
            await c.query(
              `SELECT count(*) AS n FROM ${SCHEMA}.deployments WHERE version LIKE 'w-%'`,
            )
          ).rows[0].n,
        ),
      );
    const seqBase = await withClient(pgdb.url(), async (c) => {
      const r = await c.query(
        `SELECT (SELECT seq FROM ${SCHEMA}.change_counter) - (SELECT count(*) FROM ${SCHEMA}.deployments WHERE version LIKE 'w-%') AS base`,
      );
      return Number(r.rows[0].base);
    });
    const before = await writerCount();
    const runs = await Promise.all(
      [0, 1, 2, 3, 4, 5].map(async (i) => {
        await new Promise((res) => setTimeout(res, i * 40));
        const start = await writerCount();
        const r = await manualBackup(outDir);
        return { r, start, end: await writerCount() };
      }),
    );
    writer.proc.kill('SIGTERM');
    const stats = JSON.parse(await writer.waitLine((l) => l.startsWith('{'), 30_000)) as {
      commits: number;
      maxMs: number;
      p99Ms: number;
    };
    const after = await writerCount();
    console.log(
      `pg-backup under load: ${runs.length} backups, writer ${stats.commits} commits, p99 ${stats.p99Ms} ms, max ${stats.maxMs} ms`,
    );
    expect(after).toBeGreaterThan(before);
    for (const { r, start, end } of runs) {
      const db = new Database(r.path, { readonly: true });
      try {
        const n = db
          .prepare(`SELECT count(*) FROM deployments WHERE version LIKE 'w-%'`)
          .pluck()
          .get() as number;
        const recorded = JSON.parse(
          db.prepare(`SELECT value FROM settings WHERE key = 'writer'`).pluck().get() as string,
        ) as number;
        const [a, b] = db
          .prepare(`SELECT value FROM metrics WHERE id IN (1, 2) ORDER BY id`)
          .pluck()
          .all() as number[];
        expect(recorded).toBe(n);
        expect(a).toBe(1000 - n);
        expect(a! + b!).toBe(1000);
        expect(db.prepare(`SELECT sum(n) FROM deployment_counts`).pluck().get()).toBe(
          db.prepare(`SELECT count(*) FROM deployments`).pluck().get(),
        );
        expect(db.prepare(`SELECT seq FROM change_counter`).pluck().get()).toBe(seqBase + n);
        expect(n).toBeGreaterThanOrEqual(start);
        expect(n).toBeLessThanOrEqual(end);
      } finally {
        db.close();
      }
    }
  }, 90_000);

  it('a backup killed mid-copy or between its renames leaves no backup, only temporaries the clean-up removes', async () => {
    const outDir = path.join(world.dir(), 'killed');
    fs.mkdirSync(outDir, { mode: 0o700 });
    const child = spawnLines(world, [
      path.join(HELPERS_DIR, 'pg-backup-child.ts'),
      pgdb.url(),
      SCHEMA,
      outDir,
    ]);
    await child.waitLine((l) => {
      const m = /^progress snapshot (\d+) (\d+)$/.exec(l);
      return m !== null && Number(m[1]) > 0 && Number(m[1]) < Number(m[2]);
    }, 30_000);
    await child.kill();
    const left = fs.readdirSync(outDir);
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((n) => n.startsWith(TEMP_PREFIX))).toBe(true);
    cleanupTemporaries(outDir);
    expect(fs.readdirSync(outDir)).toEqual([]);

    // Killed right after its second rename call is made (the manifest is in, the backup is not).
    await killNodeAtRename(
      path.join(HELPERS_DIR, 'pg-backup-child.ts'),
      [pgdb.url(), SCHEMA, outDir],
      2,
      world,
    );
    const names = fs.readdirSync(outDir);
    expect(names.filter((n) => n.endsWith('.sqlite') && !n.startsWith(TEMP_PREFIX))).toEqual([]);
    // The manifest was renamed in; the backup it describes never arrived.
    expect(names.filter((n) => n.endsWith('.manifest.json'))).toHaveLength(1);
    expect(listBackupFiles(outDir, null)).toEqual([]);
    cleanupTemporaries(outDir);
    expect(fs.readdirSync(outDir)).toEqual([]);
  }, 90_000);

  it('a full disk, while the file gets its schema or its rows → BACKUP_DISK_FULL, nothing kept', async (ctx) => {
    for (const size of ['200k', '1m']) {
      const out = world.dir();
      const why = mountTmpfs(world, out, `size=${size},mode=0700`);
      if (why) {
        console.warn(`skipped disk full: ${why}`);
        ctx.skip(why);
        return;
      }
      expect(await rejectionCode(manualBackup(out)), size).toBe('BACKUP_DISK_FULL');
      expect(fs.readdirSync(out), size).toEqual([]);
      unmountTmpfs(out);
    }
  });

  it('a cancelled backup stops mid-copy and keeps nothing', async () => {
    const outDir = path.join(world.dir(), 'cancelled');
    const ac = new AbortController();
    const code = await rejectionCode(
      manualBackup(outDir, {
        signal: ac.signal,
        onProgress: (p) => {
          if (p.phase === 'snapshot' && p.done > 0) ac.abort();
        },
      }),
    );
    expect(code).toBe('CANCELLED');
    expect(fs.readdirSync(outDir)).toEqual([]);
  }, 30_000);

  it('refuses a schema newer than this app, and one that holds no Stateward data, writing nothing', async () => {
    const outDir = path.join(world.dir(), 'refused');
    await withClient(pgdb.url(), (c) =>
      c.query(
        `INSERT INTO ${SCHEMA}.schema_migrations (version, name, checksum, applied_at, app_version, host)
         VALUES (99, '0099_future', 'x', 1, '99.0.0', 'elsewhere')`,
      ),
    );
    try {
      expect(await rejectionCode(manualBackup(outDir))).toBe('SCHEMA_FROM_NEWER_VERSION');
    } finally {
      await withClient(pgdb.url(), (c) =>
        c.query(`DELETE FROM ${SCHEMA}.schema_migrations WHERE version = 99`),
      );
    }
    expect(await rejectionCode(manualBackup(outDir, { schema: 'nothing_here' }))).toBe(
      'NOT_A_STATEWARD_DB',
    );
    expect(fs.readdirSync(outDir)).toEqual([]);
  }, 30_000);
});
