import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { startRuntime } from '../../electron/core/runtime.ts';
import type { WritableDB } from '../../electron/core/store/db.ts';
import { APPLICATION_ID, openWritable } from '../../electron/core/store/db.ts';
import type { MigrationPlan } from '../../electron/core/store/migrate.ts';
import {
  applyMigrations,
  checksumOf,
  planMigrations,
  readHistory,
} from '../../electron/core/store/migrate.ts';
import { MIGRATIONS } from '../../electron/core/store/migrations/index.ts';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { holdLockInChild } from '../helpers/child.ts';
import { editDatabase, sha256File, tableNames } from '../helpers/store.ts';
import { isRoot, modeOf, useWorld } from '../helpers/world.ts';

const world = useWorld();
const LAST = MIGRATIONS[MIGRATIONS.length - 1]!.version;

function freshDb(): WritableDB {
  const db = openWritable(path.join(world.dir(), 'stateward.db'));
  world.defer(() => {
    db.close();
  });
  return db;
}

/** Migrate `db` so that exactly the first `n` migrations are applied. */
function migrateTo(db: WritableDB, n: number): string[] {
  return applyMigrations(db, planMigrations(db, MIGRATIONS.slice(0, n)));
}

type Row = Record<string, unknown>;
function dump(db: WritableDB): Record<string, Row[]> {
  const out: Record<string, Row[]> = {};
  for (const t of tableNames(db))
    out[t] = db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all() as Row[];
  return out;
}

function columns(db: WritableDB, table: string): string[] {
  return (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map(
    (r) => r.name,
  );
}

const T0 = 1_700_000_000_000;

/**
 * One case per migration. `seed` puts representative rows into the tables that
 * migration creates (used for later migrations' "before" state); `use` checks,
 * right after migrating to this version, that its new tables and columns work.
 */
interface MigrationCase {
  version: number;
  seed: (db: WritableDB) => void;
  use: (db: WritableDB) => void;
}

const CASES: MigrationCase[] = [
  {
    version: 1,
    seed: (db) => {
      db.prepare(
        `INSERT INTO projects (id, name, created_at, updated_at) VALUES (1, 'alpha', ?, ?)`,
      ).run(T0, T0);
      db.prepare(`INSERT INTO settings (key, value, updated_at) VALUES ('theme', '"dark"', ?)`).run(
        T0,
      );
    },
    use: (db) => {
      expect(columns(db, 'projects')).toEqual([
        'id',
        'name',
        'description',
        'created_at',
        'updated_at',
      ]);
      db.prepare(`INSERT INTO projects (name, created_at, updated_at) VALUES ('New', 1, 1)`).run();
      expect(db.prepare(`SELECT description FROM projects WHERE name = 'New'`).get()).toEqual({
        description: '',
      });
      expect(() =>
        db
          .prepare(`INSERT INTO projects (name, created_at, updated_at) VALUES ('NEW', 1, 1)`)
          .run(),
      ).toThrow(/UNIQUE/);
      db.prepare(`INSERT INTO settings (key, value, updated_at) VALUES ('k', '1', 1)`).run();
    },
  },
  {
    version: 2,
    seed: (db) => {
      db.prepare(
        `INSERT INTO environments (id, project_id, name, kind, created_at, updated_at) VALUES (1, 1, 'prod', 'production', ?, ?)`,
      ).run(T0, T0);
      db.prepare(
        `INSERT INTO config_snapshots (id, environment_id, version, content, sha256, created_at) VALUES (1, 1, 1, '{}', 'x', ?)`,
      ).run(T0);
    },
    use: (db) => {
      db.prepare(
        `INSERT INTO environments (project_id, name, created_at, updated_at) VALUES (1, 'dev', 1, 1)`,
      ).run();
      expect(
        db.prepare(`SELECT kind, description FROM environments WHERE name = 'dev'`).get(),
      ).toEqual({
        kind: 'other',
        description: '',
      });
      expect(() =>
        db
          .prepare(
            `INSERT INTO environments (project_id, name, kind, created_at, updated_at) VALUES (1, 'x', 'bogus', 1, 1)`,
          )
          .run(),
      ).toThrow(/CHECK/);
      expect(() =>
        db
          .prepare(
            `INSERT INTO environments (project_id, name, created_at, updated_at) VALUES (999, 'y', 1, 1)`,
          )
          .run(),
      ).toThrow(/FOREIGN KEY/);
      const envId = (
        db.prepare(`SELECT id FROM environments WHERE name = 'dev'`).get() as { id: number }
      ).id;
      db.prepare(
        `INSERT INTO config_snapshots (environment_id, version, content, sha256, created_at) VALUES (?, 1, '{}', 'h', 1)`,
      ).run(envId);
      expect(() => db.prepare(`UPDATE config_snapshots SET content = '{"a":1}'`).run()).toThrow(
        /immutable/,
      );
      expect(() => db.prepare(`DELETE FROM config_snapshots`).run()).toThrow(/immutable/);
    },
  },
  {
    version: 3,
    seed: (db) => {
      db.prepare(
        `INSERT INTO deployments (id, environment_id, snapshot_id, version, status, started_at, finished_at, access_url, diagnostic_summary)
         VALUES (1, 1, 1, '1.0.0', 'succeeded', ?, ?, 'https://x.local', 'ok')`,
      ).run(T0, T0 + 1000);
      db.prepare(
        `INSERT INTO deployment_logs (id, deployment_id, ts, level, message) VALUES (1, 1, ?, 'info', 'hi')`,
      ).run(T0);
    },
    use: (db) => {
      db.prepare(
        `INSERT INTO deployments (environment_id, version, status, started_at) VALUES (1, '2.0.0', 'queued', 1)`,
      ).run();
      expect(
        db
          .prepare(
            `SELECT snapshot_id, finished_at, access_url, diagnostic_summary FROM deployments WHERE version = '2.0.0'`,
          )
          .get(),
      ).toEqual({
        snapshot_id: null,
        finished_at: null,
        access_url: null,
        diagnostic_summary: null,
      });
      expect(() =>
        db
          .prepare(
            `INSERT INTO deployments (environment_id, version, status, started_at) VALUES (1, 'v', 'exploded', 1)`,
          )
          .run(),
      ).toThrow(/CHECK/);
      expect(() =>
        db
          .prepare(
            `INSERT INTO deployments (environment_id, snapshot_id, version, status, started_at) VALUES (1, 999, 'v', 'queued', 1)`,
          )
          .run(),
      ).toThrow(/FOREIGN KEY/);
      expect(() =>
        db
          .prepare(
            `INSERT INTO deployment_logs (deployment_id, ts, level, message) VALUES (1, 1, 'loud', 'm')`,
          )
          .run(),
      ).toThrow(/CHECK/);
    },
  },
  {
    version: 4,
    seed: (db) => {
      db.prepare(
        `INSERT INTO runs (id, kind, status, started_at, finished_at, detail) VALUES (1, 'backup', 'succeeded', ?, ?, '{"n":1}')`,
      ).run(T0, T0 + 5);
      db.prepare(
        `INSERT INTO resource_status (environment_id, resource, status, checked_at) VALUES (1, 'web', 'ok', ?)`,
      ).run(T0);
    },
    use: (db) => {
      db.prepare(
        `INSERT INTO runs (kind, status, started_at) VALUES ('drill', 'running', 1)`,
      ).run();
      expect(db.prepare(`SELECT detail, finished_at FROM runs WHERE kind = 'drill'`).get()).toEqual(
        { detail: '{}', finished_at: null },
      );
      db.prepare(
        `INSERT INTO resource_status (environment_id, resource, status, checked_at) VALUES (1, 'db', 'down', 1)`,
      ).run();
      expect(() =>
        db
          .prepare(
            `INSERT INTO resource_status (environment_id, resource, status, checked_at) VALUES (1, 'db', 'ok', 2)`,
          )
          .run(),
      ).toThrow(/UNIQUE/);
      expect(() =>
        db
          .prepare(
            `INSERT INTO resource_status (environment_id, resource, status, checked_at) VALUES (1, 'q', 'meh', 2)`,
          )
          .run(),
      ).toThrow(/CHECK/);
    },
  },
  {
    version: 5,
    seed: (db) => {
      db.prepare(
        `INSERT INTO audit_log (id, ts, actor, action, target, detail) VALUES (1, ?, 'cli@h', 'project.created', 'project:1', '{}')`,
      ).run(T0);
      db.prepare(
        `INSERT INTO metrics (id, ts, name, value, labels) VALUES (1, ?, 'deploy.duration_s', 12.5, '{"env":"prod"}')`,
      ).run(T0);
    },
    use: (db) => {
      db.prepare(`INSERT INTO audit_log (ts, actor, action) VALUES (1, 'me', 'x')`).run();
      expect(db.prepare(`SELECT target, detail FROM audit_log WHERE action = 'x'`).get()).toEqual({
        target: '',
        detail: '{}',
      });
      db.prepare(`INSERT INTO metrics (ts, name, value) VALUES (1, 'm', 1.5)`).run();
      expect(db.prepare(`SELECT labels, value FROM metrics WHERE name = 'm'`).get()).toEqual({
        labels: '{}',
        value: 1.5,
      });
    },
  },
  {
    version: 6,
    seed: (db) => {
      db.prepare(`UPDATE change_counter SET seq = 7 WHERE id = 1`).run();
    },
    use: (db) => {
      const seq = () =>
        (db.prepare(`SELECT seq FROM change_counter WHERE id = 1`).get() as { seq: number }).seq;
      const start = seq();
      db.prepare(
        `INSERT INTO projects (name, created_at, updated_at) VALUES ('counted', 1, 1)`,
      ).run();
      expect(seq()).toBe(start + 1);
      db.prepare(`UPDATE environments SET description = 'changed' WHERE id = 1`).run();
      db.prepare(
        `INSERT INTO deployment_logs (deployment_id, ts, level, message) VALUES (1, 2, 'warn', 'x')`,
      ).run();
      expect(seq()).toBe(start + 3);
      // Not user data: the backup itself writes these.
      db.prepare(
        `INSERT INTO runs (kind, status, started_at) VALUES ('backup', 'running', 1)`,
      ).run();
      db.prepare(
        `INSERT INTO audit_log (ts, actor, action) VALUES (1, 'me', 'backup.created')`,
      ).run();
      db.prepare(`INSERT INTO settings (key, value, updated_at) VALUES ('counted?', '0', 1)`).run();
      expect(seq()).toBe(start + 3);
      expect(() => db.prepare(`INSERT INTO change_counter (id, seq) VALUES (2, 0)`).run()).toThrow(
        /CHECK|UNIQUE/,
      );
    },
  },
  {
    version: 7,
    seed: (db) => {
      db.prepare(
        `INSERT INTO restores (id, created_at, status, file_name) VALUES ('0123456789abcdef', 1, 'ready', 'b.sqlite')`,
      ).run();
      db.prepare(
        `INSERT INTO drills (id, file_name, started_at, finished_at, passed, summary) VALUES ('fedcba9876543210', 'b.sqlite', 1, 2, 1, 'Passed')`,
      ).run();
    },
    use: (db) => {
      expect(() =>
        db
          .prepare(
            `INSERT INTO restores (id, created_at, status, file_name) VALUES ('x', 1, 'bogus', 'f')`,
          )
          .run(),
      ).toThrow(/CHECK/);
      const passed = db
        .prepare(`SELECT passed FROM drills WHERE id = 'fedcba9876543210'`)
        .get() as { passed: number };
      expect(passed.passed).toBe(1);
    },
  },
  {
    version: 8,
    seed: (db) => {
      db.prepare(
        `INSERT INTO secrets (id, environment_id, name, key_id, iv, tag, ciphertext, created_at, updated_at)
         VALUES ('sec_0123456789abcdef0123', 1, 'API_TOKEN', 'k1', x'00', x'00', x'00', 1, 1)`,
      ).run();
    },
    use: (db) => {
      const seq = () =>
        (db.prepare(`SELECT seq FROM change_counter WHERE id = 1`).get() as { seq: number }).seq;
      const start = seq();
      db.prepare(`UPDATE secrets SET updated_at = 2 WHERE id = 'sec_0123456789abcdef0123'`).run();
      expect(seq()).toBe(start + 1);
      expect(() =>
        db
          .prepare(
            `INSERT INTO secrets (id, environment_id, name, key_id, iv, tag, ciphertext, created_at, updated_at)
             VALUES ('sec_other', 1, 'API_TOKEN', 'k1', x'00', x'00', x'00', 1, 1)`,
          )
          .run(),
      ).toThrow(/UNIQUE/);
    },
  },
  {
    version: 9,
    seed: (db) => {
      db.prepare(
        `INSERT INTO deployments (environment_id, version, status, started_at) VALUES (1, '1.1.0', 'failed', ?)`,
      ).run(T0 + 1);
    },
    use: (db) => {
      const counts = () =>
        db
          .prepare(`SELECT environment_id, status, n FROM deployment_counts ORDER BY 1, 2`)
          .raw()
          .all();
      // Filled from the rows already there (the 0003 seed), then kept by the triggers.
      expect(counts()).toEqual([
        [1, 'failed', 1],
        [1, 'succeeded', 1],
      ]);
      const id = Number(
        db
          .prepare(
            `INSERT INTO deployments (environment_id, version, status, started_at) VALUES (1, '1.2.0', 'queued', 2)`,
          )
          .run().lastInsertRowid,
      );
      db.prepare(`UPDATE deployments SET status = 'running' WHERE id = ?`).run(id);
      db.prepare(`UPDATE deployments SET version = '1.2.1' WHERE id = ?`).run(id);
      expect(counts()).toEqual([
        [1, 'failed', 1],
        [1, 'queued', 0],
        [1, 'running', 1],
        [1, 'succeeded', 1],
      ]);
      db.prepare(`DELETE FROM deployments WHERE id = ?`).run(id);
      expect(counts()).toContainEqual([1, 'running', 0]);
      const plan = db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT id FROM deployments WHERE environment_id = 1 AND status = 'failed' ORDER BY started_at DESC, id DESC LIMIT 10`,
        )
        .all() as { detail: string }[];
      expect(plan.map((r) => r.detail).join('\n')).toMatch(
        /USING COVERING INDEX deployments_env_status_started \(environment_id=\? AND status=\?\)/,
      );
    },
  },
];

describe('each migration: migrate to N-1, insert, migrate to N, assert', () => {
  it('every migration in MIGRATIONS has a case here (add one with each new migration)', () => {
    expect(CASES.map((c) => c.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it.each(MIGRATIONS.map((m) => [m.name, m.version] as const))('%s', (_name, version) => {
    const db = freshDb();
    migrateTo(db, version - 1);
    expect(db.pragma('user_version', { simple: true })).toBe(version - 1);
    for (const c of CASES.filter((c) => c.version < version)) c.seed(db);
    const before = dump(db);
    const tablesBefore = Object.keys(before);

    expect(migrateTo(db, version)).toEqual([MIGRATIONS[version - 1]!.name]);

    expect(db.pragma('user_version', { simple: true })).toBe(version);
    const after = dump(db);
    for (const t of tablesBefore) {
      if (t === 'schema_migrations') continue;
      expect(after[t], `rows of ${t} after ${MIGRATIONS[version - 1]!.name}`).toEqual(before[t]);
    }
    expect(tableNames(db).length).toBeGreaterThan(tablesBefore.length);
    const self = CASES.find((c) => c.version === version)!;
    self.seed(db);
    self.use(db);
    expect(db.pragma('foreign_key_check')).toEqual([]);
  });
});

describe('the whole chain', () => {
  const EXPECTED_TABLES = [
    'audit_log',
    'change_counter',
    'config_snapshots',
    'deployment_counts',
    'deployment_logs',
    'deployments',
    'drills',
    'environments',
    'metrics',
    'projects',
    'resource_status',
    'restores',
    'runs',
    'schema_migrations',
    'secrets',
    'settings',
  ];
  const EXPECTED_INDEXES = [
    'audit_log_action_ts',
    'audit_log_ts',
    'deployment_logs_deployment',
    'deployments_env_started',
    'deployments_env_status_started',
    'deployments_snapshot',
    'deployments_started',
    'deployments_status_started',
    'drills_backup',
    'drills_started',
    'environments_project_name',
    'metrics_name_ts',
    'projects_name_nocase',
    'projects_updated',
    'restores_created',
    'runs_kind_started',
    'secrets_env_name',
  ];

  it('ends in the expected schema, clean, identified and versioned', () => {
    const db = freshDb();
    expect(migrateTo(db, MIGRATIONS.length)).toEqual(MIGRATIONS.map((m) => m.name));
    for (const c of CASES) c.seed(db);
    expect(tableNames(db)).toEqual(EXPECTED_TABLES);
    const indexes = (
      db
        .prepare(
          `SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`,
        )
        .all() as { name: string }[]
    ).map((r) => r.name);
    expect(indexes).toEqual(EXPECTED_INDEXES);
    const triggers = (
      db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name`).all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    const counted = [
      'config_snapshots',
      'deployment_logs',
      'deployments',
      'environments',
      'projects',
      'secrets',
    ];
    expect(triggers).toEqual(
      [
        'config_snapshots_no_delete',
        'config_snapshots_no_update',
        'deployment_counts_delete',
        'deployment_counts_insert',
        'deployment_counts_update',
        ...counted.flatMap((t) => ['delete', 'insert', 'update'].map((op) => `${t}_count_${op}`)),
      ].sort(),
    );
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(db.pragma('user_version', { simple: true })).toBe(LAST);
    expect(readHistory(db).map((h) => [h.version, h.name, h.checksum])).toEqual(
      MIGRATIONS.map((m) => [m.version, m.name, checksumOf(m.sql)]),
    );
  });

  it('re-running applies nothing', () => {
    const db = freshDb();
    migrateTo(db, MIGRATIONS.length);
    const plan = planMigrations(db);
    expect(plan).toMatchObject({ current: LAST, target: LAST, pending: [], fresh: false });
    expect(applyMigrations(db, plan)).toEqual([]);
    expect(readHistory(db)).toHaveLength(MIGRATIONS.length);
  });

  it('a failing migration is rolled back whole and not recorded', () => {
    const db = freshDb();
    migrateTo(db, MIGRATIONS.length);
    const bad = {
      version: LAST + 1,
      name: `${String(LAST + 1).padStart(4, '0')}_bad`,
      sql: 'CREATE TABLE half (x); INSERT INTO nope VALUES (1);',
    };
    const plan: MigrationPlan = planMigrations(db, [...MIGRATIONS, bad]);
    expect(() => applyMigrations(db, plan)).toThrow(
      expect.objectContaining({ code: 'MIGRATION_FAILED' }),
    );
    expect(tableNames(db)).not.toContain('half');
    expect(db.pragma('user_version', { simple: true })).toBe(LAST);
    expect(readHistory(db)).toHaveLength(MIGRATIONS.length);
  });
});

/** SQL with comments removed, then every DROP/RENAME keyword left. */
function forbiddenKeywords(sql: string): string[] {
  const code = sql.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/--[^\n]*/g, ' ');
  return [...code.matchAll(/\b(drop|rename)\b/gi)].map((m) => m[0]);
}

describe('the migration list', () => {
  it('the DROP/RENAME scanner finds them and ignores comments', () => {
    expect(forbiddenKeywords('ALTER TABLE a RENAME TO b')).toEqual(['RENAME']);
    expect(forbiddenKeywords('drop index x;')).toEqual(['drop']);
    expect(forbiddenKeywords('ALTER TABLE a ReNaMe COLUMN x TO y')).toEqual(['ReNaMe']);
    expect(
      forbiddenKeywords(
        '-- we will DROP this later\n/* RENAME? no */ CREATE TABLE dropped_items (x)',
      ),
    ).toEqual([]);
  });

  it.each(MIGRATIONS.map((m) => [m.name, m.sql] as const))(
    '%s neither drops nor renames',
    (_name, sql) => {
      expect(forbiddenKeywords(sql)).toEqual([]);
    },
  );

  it('versions go 1, 2, 3, … and each name starts with its zero-padded version', () => {
    MIGRATIONS.forEach((m, i) => {
      expect(m.version).toBe(i + 1);
      expect(m.name.startsWith(`${String(m.version).padStart(4, '0')}_`), m.name).toBe(true);
    });
    expect(new Set(MIGRATIONS.map((m) => m.name)).size).toBe(MIGRATIONS.length);
  });
});

describe('start-up refuses what it must, and leaves the file alone', () => {
  /** A data dir with a ready, fully migrated and closed database holding one project. */
  async function readyDataDir(): Promise<string> {
    const dir = world.dir();
    const rt = await startRuntime({ dir, source: 'flag', transport: 'cli', lockMode: 'test' });
    expect(rt.startup).toEqual({ state: 'ready' });
    rt.store!.db.prepare(
      `INSERT INTO projects (name, created_at, updated_at) VALUES ('kept', 1, 1)`,
    ).run();
    rt.close();
    return dir;
  }

  async function start(dir: string) {
    const rt = await startRuntime({ dir, source: 'flag', transport: 'cli', lockMode: 'test' });
    world.defer(() => rt.close());
    return rt;
  }

  it.each([
    [
      'a database from a newer version',
      'SCHEMA_FROM_NEWER_VERSION',
      (db: Database.Database) => {
        db.prepare(
          `INSERT INTO schema_migrations VALUES (99, '0099_future', 'abc', 1, '9.9.9')`,
        ).run();
        db.pragma('user_version = 99');
      },
      /9\.9\.9/,
    ],
    [
      'an out-of-sync history (a recorded name differs)',
      'MIGRATION_HISTORY_OUT_OF_SYNC',
      (db: Database.Database) => {
        db.prepare(`UPDATE schema_migrations SET name = '0002_envs' WHERE version = 2`).run();
      },
      /0002_envs/,
    ],
    [
      'an edited migration (a recorded checksum differs)',
      'MIGRATION_CHECKSUM_MISMATCH',
      (db: Database.Database) => {
        db.prepare(`UPDATE schema_migrations SET checksum = ? WHERE version = 3`).run(
          '0'.repeat(64),
        );
      },
      /0003_deployments/,
    ],
  ] as const)('%s → %s, file unchanged', async (_what, code, edit, message) => {
    const dir = await readyDataDir();
    const layout = dataDirLayout(dir);
    editDatabase(layout.db, edit);
    const before = sha256File(layout.db);

    const rt = await start(dir);
    expect(rt.startup).toMatchObject({ state: 'refused', code, dataDir: dir });
    if (rt.startup.state === 'refused') {
      expect(rt.startup.message).toMatch(message);
      expect(rt.startup.hint.length).toBeGreaterThan(0);
    }
    expect(rt.store).toBeNull();
    rt.close();

    expect(sha256File(layout.db)).toBe(before);
    expect(fs.existsSync(layout.lock), 'the refused start-up releases its lock').toBe(false);
  });

  it('an older database is migrated forward at start-up, keeping its rows', async () => {
    const dir = world.dir();
    const db = openWritable(dataDirLayout(dir).db);
    migrateTo(db, 3);
    db.prepare(`INSERT INTO projects (name, created_at, updated_at) VALUES ('old', 1, 1)`).run();
    db.close();
    const rt = await start(dir);
    expect(rt.startup).toEqual({ state: 'ready' });
    expect(rt.store!.applied).toEqual(MIGRATIONS.slice(3).map((m) => m.name));
    expect(rt.store!.db.prepare(`SELECT name FROM projects`).all()).toEqual([{ name: 'old' }]);
    expect(rt.store!.db.pragma('user_version', { simple: true })).toBe(LAST);
    expect(readHistory(rt.store!.db).map((h) => h.name)).toEqual(MIGRATIONS.map((m) => m.name));
  });

  it('a garbage file as stateward.db → NOT_A_STATEWARD_DB, file unchanged', async () => {
    const dir = world.dir();
    const { db } = dataDirLayout(dir);
    fs.writeFileSync(db, 'These are my notes, not a database.\n'.repeat(50));
    const before = sha256File(db);
    const rt = await start(dir);
    expect(rt.startup).toMatchObject({ state: 'refused', code: 'NOT_A_STATEWARD_DB' });
    rt.close();
    expect(sha256File(db)).toBe(before);
  });

  function foreignSqlite(dir: string): string {
    const file = dataDirLayout(dir).db;
    const other = new Database(file);
    other.exec(
      `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('mine')`,
    );
    other.close();
    return file;
  }

  it("another app's SQLite database (application_id 0, has tables) → NOT_A_STATEWARD_DB", async () => {
    const dir = world.dir();
    foreignSqlite(dir);
    const rt = await start(dir);
    expect(rt.startup).toMatchObject({ state: 'refused', code: 'NOT_A_STATEWARD_DB' });
  });

  it("another app's SQLite database is left byte-for-byte unchanged by the refusal", async () => {
    const dir = world.dir();
    const file = foreignSqlite(dir);
    const before = sha256File(file);
    const rt = await start(dir);
    expect(rt.startup).toMatchObject({ state: 'refused', code: 'NOT_A_STATEWARD_DB' });
    rt.close();
    // Known bug: openWritable switches the file to WAL before checkIdentity refuses it.
    expect(sha256File(file), 'foreign database modified (journal mode switched to WAL?)').toBe(
      before,
    );
  });

  it('an unreadable stateward.db (chmod 000) → DB_UNREADABLE', async (ctx) => {
    if (isRoot) {
      const why =
        'running as root: root can read a chmod 000 file, so this case cannot be produced';
      console.warn(`skipped DB_UNREADABLE (chmod 000): ${why}`);
      ctx.skip(why);
      return;
    }
    const dir = await readyDataDir();
    const { db } = dataDirLayout(dir);
    fs.chmodSync(db, 0o000);
    world.defer(() => fs.chmodSync(db, 0o600));
    const rt = await start(dir);
    expect(rt.startup).toMatchObject({ state: 'refused', code: 'DB_UNREADABLE' });
  });

  it('a stateward.db that cannot be read as a file (a folder) → DB_UNREADABLE, not INTERNAL', async () => {
    const dir = world.dir();
    fs.mkdirSync(dataDirLayout(dir).db);
    const rt = await start(dir);
    expect(rt.startup).toMatchObject({ state: 'refused', code: 'DB_UNREADABLE' });
  });

  it('the lock held by another process → DATA_DIR_LOCKED, and nothing is opened', async () => {
    const dir = world.dir();
    const layout = dataDirLayout(dir);
    const child = await holdLockInChild(world, layout.lock, 'host');
    const rt = await start(dir);
    expect(rt.startup).toMatchObject({ state: 'refused', code: 'DATA_DIR_LOCKED' });
    if (rt.startup.state === 'refused') expect(rt.startup.message).toContain(String(child.pid));
    expect(rt.store).toBeNull();
    expect(fs.existsSync(layout.db)).toBe(false);
    rt.close();
    expect(
      fs.existsSync(layout.lock),
      "closing the refused runtime must not remove the other process's lock",
    ).toBe(true);
  });
});

describe('permissions', () => {
  it('after start-up the data dir and logs are 0700, the database files and the lock 0600', async () => {
    const dir = world.dir();
    fs.chmodSync(dir, 0o755);
    const rt = await startRuntime({ dir, source: 'flag', transport: 'cli', lockMode: 'test' });
    world.defer(() => rt.close());
    expect(rt.startup).toEqual({ state: 'ready' });
    const l = rt.layout;
    expect(modeOf(l.dir).toString(8)).toBe('700');
    for (const f of [l.db, l.wal, l.shm, l.lock]) {
      expect(fs.existsSync(f), f).toBe(true);
      expect(modeOf(f).toString(8), path.basename(f)).toBe('600');
    }
    expect(modeOf(l.logs).toString(8)).toBe('700');
    for (const f of fs.readdirSync(l.logs))
      expect(modeOf(path.join(l.logs, f)).toString(8), f).toBe('600');
  });
});
