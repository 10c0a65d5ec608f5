// Migrations on a real PostgreSQL server: the same numbered list as SQLite,
// each migration's PostgreSQL text applied into one schema under an advisory
// lock, with SQLite's refusals and codes. Plus the guard that the SQLite texts
// (whose checksums existing databases record) did not change.
import { describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import path from 'node:path';
import type pg from 'pg';
import { openWritable } from '../../electron/core/store/db.ts';
import { applyMigrations, checksumOf, planMigrations } from '../../electron/core/store/migrate.ts';
import type { Migration } from '../../electron/core/store/migrations/index.ts';
import { MIGRATIONS } from '../../electron/core/store/migrations/index.ts';
import {
  migratePostgres,
  migrationLockKey,
  readPgHistory,
} from '../../electron/core/pg/migrate.ts';
import { APP_VERSION } from '../../electron/core/version.ts';
import { HELPERS_DIR, spawnUntilLine } from '../helpers/child.ts';
import { pgSkipReason, usePgDatabase, withClient } from '../helpers/pg.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const LAST = MIGRATIONS[MIGRATIONS.length - 1]!.version;

describe('each migration carries both dialects', () => {
  // The SQLite texts as published: existing databases check these checksums.
  const PUBLISHED_SQLITE = [
    ['0001_projects', 'f31f09c0a08f3578583d505795f7b527f7ea28d0bada4326fcb6f61d08158625'],
    ['0002_environments', '8aa7cd760996964af72e7b86ae95f880c46b7e6373f58601329633c15902dd03'],
    ['0003_deployments', '4ede0a36e9b6913d2d4f82a28ebd22af61bf9582e224b2d918de4b55aa371c75'],
    ['0004_runs_resources', 'e38b7a670bc4eb8bf16e83b00f9d6a301b0ed1750404ca0803767e72be53f96b'],
    ['0005_audit_metrics', 'ba665602068b537e41eb755a59fda2881c72ceb8a0315dfaa0ac4f6c2047f7fb'],
    ['0006_change_counter', 'a7ed4e69e138c24dbcec48c949c8ebdbfe14f8c974df545f9b943383b510f339'],
    ['0007_restores_drills', '60fd9941533e73c93e4e3d011bfc114b22dce06baf8e82d60d4b90e15928f02c'],
    ['0008_secrets', 'b26b19c56d4ef5ce6d75f325278ec6c6d9ef64368597cfcf34b0029a6be9de9f'],
    ['0009_deployment_paging', 'afbe58e43c40b6ff38442661f9383fc01de4a6b519c72da8a98d64c8f082f115'],
  ];

  it('the SQLite texts of published migrations are unchanged (their checksums are in every database)', () => {
    expect(
      MIGRATIONS.slice(0, PUBLISHED_SQLITE.length).map((m) => [m.name, checksumOf(m.sql)]),
    ).toEqual(PUBLISHED_SQLITE);
  });

  it.each(MIGRATIONS.map((m) => [m.name, m] as const))(
    '%s: a PostgreSQL text of its own, neither dropping nor renaming',
    (_name, m) => {
      expect(m.postgres.trim().length).toBeGreaterThan(0);
      expect(checksumOf(m.postgres)).not.toBe(checksumOf(m.sql));
      const code = m.postgres.replace(/--[^\n]*/g, ' ');
      expect(code.match(/\b(drop|rename)\b/gi)).toBeNull();
    },
  );
});

const skip = pgSkipReason();

describe.skipIf(skip !== null)('PostgreSQL migrator (real server)', () => {
  const db = usePgDatabase();

  function newSchema(): string {
    return `s_${crypto.randomBytes(5).toString('hex')}`;
  }

  async function onClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    return withClient(db.url(), fn);
  }

  it('a fresh schema gets every migration, recorded with its PostgreSQL checksum; a second run applies nothing', async () => {
    const schema = newSchema();
    await onClient(async (c) => {
      const first = await migratePostgres(c, { schema, host: 'host-a' });
      expect(first.applied).toEqual(MIGRATIONS.map((m) => m.name));
      expect(first).toMatchObject({ fresh: true, current: 0, target: LAST });
      const history = await readPgHistory(c, schema);
      expect(history.map((h) => [h.version, h.name, h.checksum, h.appVersion, h.host])).toEqual(
        MIGRATIONS.map((m) => [m.version, m.name, checksumOf(m.postgres), APP_VERSION, 'host-a']),
      );
      const again = await migratePostgres(c, { schema, host: 'host-b' });
      expect(again).toMatchObject({ applied: [], pending: [], current: LAST, fresh: false });
      expect(await readPgHistory(c, schema)).toHaveLength(MIGRATIONS.length);
      // The lock is released: another session can take it at once.
      const held = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [
        migrationLockKey(schema),
      ]);
      expect(held.rows[0]!.ok).toBe(true);
    });
  });

  it('the PostgreSQL schema has the SQLite tables and columns (names, order, nullability, type family), indexes and triggers', async () => {
    const sqlite = openWritable(path.join(world.dir(), 'stateward.db'));
    world.defer(() => {
      sqlite.close();
    });
    applyMigrations(sqlite, planMigrations(sqlite));
    type Col = [table: string, column: string, notNull: boolean, family: string];
    const family: Record<string, string> = {
      INTEGER: 'integer',
      bigint: 'integer',
      integer: 'integer',
      boolean: 'integer', // 0/1 in SQLite
      TEXT: 'text',
      text: 'text',
      jsonb: 'text', // JSON text in SQLite
      REAL: 'real',
      'double precision': 'real',
      BLOB: 'blob',
      bytea: 'blob',
    };
    const fromSqlite: Col[] = [];
    const tables = sqlite
      .prepare(
        `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
      )
      .pluck()
      .all() as string[];
    for (const t of tables) {
      const cols = sqlite.prepare(`SELECT * FROM pragma_table_info(?) ORDER BY cid`).all(t) as {
        name: string;
        type: string;
        notnull: number;
        pk: number;
      }[];
      for (const c of cols)
        fromSqlite.push([t, c.name, c.notnull === 1 || c.pk === 1, family[c.type] ?? c.type]);
    }
    const schema = newSchema();
    const fromPg = await onClient(async (c) => {
      await migratePostgres(c, { schema });
      const r = await c.query<{
        table_name: string;
        column_name: string;
        is_nullable: string;
        data_type: string;
      }>(
        `SELECT table_name, column_name, is_nullable, data_type FROM information_schema.columns
          WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
        [schema],
      );
      return r.rows.map((r): Col => [
        r.table_name,
        r.column_name,
        r.is_nullable === 'NO',
        family[r.data_type] ?? r.data_type,
      ]);
    });
    // PostgreSQL's history also records the host that applied each migration.
    expect(fromPg.filter((c) => !(c[0] === 'schema_migrations' && c[1] === 'host'))).toEqual(
      fromSqlite,
    );

    // Every named index and every trigger of SQLite's, by the same name.
    const sqliteNames = (type: string) =>
      sqlite
        .prepare(`SELECT name FROM sqlite_schema WHERE type = ? AND sql IS NOT NULL ORDER BY name`)
        .pluck()
        .all(type) as string[];
    const pgNames = await onClient(async (c) => ({
      indexes: (
        await c.query<{ n: string }>(
          `SELECT indexname AS n FROM pg_indexes WHERE schemaname = $1`,
          [schema],
        )
      ).rows.map((r) => r.n),
      triggers: (
        await c.query<{ n: string }>(
          `SELECT DISTINCT trigger_name AS n FROM information_schema.triggers
            WHERE trigger_schema = $1 ORDER BY 1`,
          [schema],
        )
      ).rows.map((r) => r.n),
    }));
    expect(pgNames.indexes).toEqual(expect.arrayContaining(sqliteNames('index')));
    expect(pgNames.triggers).toEqual(sqliteNames('trigger'));
  });

  it('the triggers behave as in SQLite: change counter, immutable snapshots, deployment counts', async () => {
    const schema = newSchema();
    await onClient(async (c) => {
      await migratePostgres(c, { schema });
      await c.query(`SET search_path TO ${schema}`);
      const seq = async () =>
        Number((await c.query(`SELECT seq FROM change_counter WHERE id = 1`)).rows[0].seq);
      await c.query(
        `INSERT INTO projects (name, created_at, updated_at) VALUES ('alpha', 1, 1), ('beta', 1, 1)`,
      );
      expect(await seq()).toBe(2); // one bump per row
      await expect(
        c.query(`INSERT INTO projects (name, created_at, updated_at) VALUES ('ALPHA', 1, 1)`),
      ).rejects.toThrow(/projects_name_nocase/);
      const pid = (await c.query(`SELECT id FROM projects WHERE name = 'alpha'`)).rows[0].id;
      const env = (
        await c.query(
          `INSERT INTO environments (project_id, name, created_at, updated_at) VALUES ($1, 'prod', 1, 1) RETURNING id`,
          [pid],
        )
      ).rows[0].id;
      await c.query(
        `INSERT INTO config_snapshots (environment_id, version, content, sha256, created_at) VALUES ($1, 1, '{}', 'h', 1)`,
        [env],
      );
      await expect(c.query(`UPDATE config_snapshots SET content = '{"a":1}'`)).rejects.toThrow(
        /immutable/,
      );
      await expect(c.query(`DELETE FROM config_snapshots`)).rejects.toThrow(/immutable/);
      const dep = (
        await c.query(
          `INSERT INTO deployments (environment_id, version, status, started_at) VALUES ($1, '1', 'queued', 1), ($1, '2', 'failed', 2) RETURNING id`,
          [env],
        )
      ).rows[0].id;
      await c.query(`UPDATE deployments SET status = 'running' WHERE id = $1`, [dep]);
      await c.query(`UPDATE deployments SET version = '1.1' WHERE id = $1`, [dep]);
      const counts = async () =>
        (
          await c.query(
            `SELECT status, n::int AS n FROM deployment_counts WHERE environment_id = $1 ORDER BY status`,
            [env],
          )
        ).rows;
      expect(await counts()).toEqual([
        { status: 'failed', n: 1 },
        { status: 'queued', n: 0 },
        { status: 'running', n: 1 },
      ]);
      await c.query(`DELETE FROM deployments WHERE id = $1`, [dep]);
      expect(await counts()).toContainEqual({ status: 'running', n: 0 });
      await c.query(
        `INSERT INTO restores (id, created_at, status, file_name) VALUES ('r1', 1, 'ready', 'b.sqlite')`,
      );
      expect((await c.query(`SELECT passed, detail FROM restores`)).rows[0]).toEqual({
        passed: false,
        detail: {},
      });
      // The functions carry their schema: a session whose search_path is elsewhere still counts here.
      await c.query(`SET search_path TO public`);
      const before = Number(
        (await c.query(`SELECT seq FROM ${schema}.change_counter`)).rows[0].seq,
      );
      await c.query(`UPDATE ${schema}.projects SET description = 'x' WHERE id = $1`, [pid]);
      expect(Number((await c.query(`SELECT seq FROM ${schema}.change_counter`)).rows[0].seq)).toBe(
        before + 1,
      );
    });
  });

  it('an older schema is migrated forward keeping its rows; 0009 counts the deployments already there', async () => {
    const schema = newSchema();
    await onClient(async (c) => {
      const older = await migratePostgres(c, { schema, migrations: MIGRATIONS.slice(0, 8) });
      expect(older.applied).toHaveLength(8);
      await c.query(`SET search_path TO ${schema}`);
      await c.query(
        `INSERT INTO projects (id, name, created_at, updated_at) VALUES (1, 'p', 1, 1)`,
      );
      await c.query(
        `INSERT INTO environments (id, project_id, name, created_at, updated_at) VALUES (1, 1, 'e', 1, 1)`,
      );
      await c.query(
        `INSERT INTO deployments (environment_id, version, status, started_at)
         VALUES (1, 'a', 'failed', 1), (1, 'b', 'failed', 2), (1, 'c', 'succeeded', 3)`,
      );
      await c.query(`RESET search_path`);
      const rest = await migratePostgres(c, { schema });
      expect(rest).toMatchObject({ current: 8, applied: ['0009_deployment_paging'] });
      const counts = await c.query(
        `SELECT environment_id::int AS env, status, n::int AS n FROM ${schema}.deployment_counts ORDER BY status`,
      );
      expect(counts.rows).toEqual([
        { env: 1, status: 'failed', n: 2 },
        { env: 1, status: 'succeeded', n: 1 },
      ]);
      expect(
        (await c.query(`SELECT count(*)::int AS n FROM ${schema}.deployments`)).rows[0].n,
      ).toBe(3);
    });
  });

  it('three migrators in separate processes: one migrates, the others wait for it and find nothing pending', async () => {
    const schema = newSchema();
    await onClient(async (holder) => {
      // Hold the schema's lock so that all three are surely waiting on it together.
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [migrationLockKey(schema)]);
      const children = ['one', 'two', 'three'].map((host) =>
        spawnUntilLine(
          world,
          [path.join(HELPERS_DIR, 'pg-migrator-child.ts'), db.url(), schema, host],
          60_000,
        ),
      );
      let settled = 0;
      for (const c of children)
        void c.then(
          () => settled++,
          () => settled++,
        );
      // Until all three wait on the lock (or, when something is wrong, have finished without it).
      for (let waiting = 0; waiting < 3 && settled < 3;) {
        await new Promise((r) => setTimeout(r, 100));
        waiting = Number(
          (
            await holder.query(
              `SELECT count(*) AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()`,
            )
          ).rows[0].n,
        );
      }
      await holder.query('SELECT pg_advisory_unlock($1::bigint)', [migrationLockKey(schema)]);
      const results = (await Promise.all(children)).map(
        (c) => JSON.parse(c.line) as { applied?: string[]; code?: string },
      );
      expect(results.map((r) => r.code)).toEqual([undefined, undefined, undefined]);
      const applied = results.map((r) => r.applied!).sort((a, b) => b.length - a.length);
      expect(applied).toEqual([MIGRATIONS.map((m) => m.name), [], []]);
      const history = await readPgHistory(holder, schema);
      expect(history.map((h) => h.name)).toEqual(MIGRATIONS.map((m) => m.name));
      expect(new Set(history.map((h) => h.host)).size).toBe(1);
    });
  });

  async function migratedSchema(): Promise<string> {
    const schema = newSchema();
    await onClient((c) => migratePostgres(c, { schema, host: 'builder-7' }));
    return schema;
  }

  it.each([
    [
      'a newer schema (names the version and the host that upgraded it)',
      'SCHEMA_FROM_NEWER_VERSION',
      (s: string) =>
        `INSERT INTO ${s}.schema_migrations VALUES (99, '0099_future', 'abc', 1, '9.9.9', 'ci-runner-3')`,
      /upgraded to schema 99 by Stateward 9\.9\.9 on ci-runner-3/,
    ],
    [
      'an out-of-sync history',
      'MIGRATION_HISTORY_OUT_OF_SYNC',
      (s: string) => `UPDATE ${s}.schema_migrations SET name = '0002_envs' WHERE version = 2`,
      /0002_envs/,
    ],
    [
      'an edited migration (checksum differs)',
      'MIGRATION_CHECKSUM_MISMATCH',
      (s: string) =>
        `UPDATE ${s}.schema_migrations SET checksum = '${'0'.repeat(64)}' WHERE version = 3`,
      /0003_deployments/,
    ],
  ] as const)('%s → %s, schema unchanged', async (_what, code, edit, message) => {
    const schema = await migratedSchema();
    await onClient(async (c) => {
      await c.query(edit(schema));
      const before = await readPgHistory(c, schema);
      const err = await migratePostgres(c, { schema }).then(
        () => null,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(err).toMatchObject({ code });
      expect(err!.message).toMatch(message);
      expect(await readPgHistory(c, schema)).toEqual(before);
    });
  });

  it('a migration that fails is rolled back whole and not recorded (MIGRATION_FAILED); the lock is free after', async () => {
    const schema = await migratedSchema();
    const bad: Migration = {
      version: LAST + 1,
      name: `${String(LAST + 1).padStart(4, '0')}_bad`,
      sql: 'CREATE TABLE half (x INTEGER);',
      postgres: 'CREATE TABLE half (x integer); INSERT INTO nope VALUES (1);',
    };
    await onClient(async (c) => {
      await expect(
        migratePostgres(c, { schema, migrations: [...MIGRATIONS, bad] }),
      ).rejects.toMatchObject({ code: 'MIGRATION_FAILED' });
      const half = await c.query(
        `SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'half'`,
        [schema],
      );
      expect(half.rowCount).toBe(0);
      expect(await readPgHistory(c, schema)).toHaveLength(MIGRATIONS.length);
    });
    await onClient(async (c) => {
      const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [
        migrationLockKey(schema),
      ]);
      expect(r.rows[0]!.ok).toBe(true);
    });
  });
});
