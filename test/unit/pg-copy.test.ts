// The one-time copy of a SQLite data dir's database into PostgreSQL (issue 12,
// points 1–4) against a real server: dry run = the real thing rolled back,
// execute commits a verified copy, every refusal changes nothing, identities
// continue past the highest id, types round-trip, secrets move byte for byte
// and still open with the source's key, and a kill or a dropped connection
// mid-copy leaves the target empty and the source untouched.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { CopyProgress, CopyReport } from '../../electron/core/pg/copy.ts';
import { copySqliteToPostgres } from '../../electron/core/pg/copy.ts';
import { migratePostgres } from '../../electron/core/pg/migrate.ts';
import { MIGRATIONS } from '../../electron/core/store/migrations/index.ts';
import type { SecretEntry } from '../../shared/domain.ts';
import { isAppError } from '../../shared/errors.ts';
import { refusal } from '../helpers/backup-util.ts';
import { HELPERS_DIR, spawnUntilLine } from '../helpers/child.ts';
import {
  pgSkipReason,
  pgTargetState,
  usePgDatabase,
  withClient,
  withDatabase,
} from '../helpers/pg.ts';
import { call } from '../helpers/restore-util.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import {
  AWKWARD_SECRETS,
  demoDirWithSecrets,
  fullRegistry,
  useSecretsEnv,
} from '../helpers/secrets-util.ts';
import { editDatabase, sha256File } from '../helpers/store.ts';
import { useWorld } from '../helpers/world.ts';

const skip = pgSkipReason();
const world = useWorld();
const env = useSecretsEnv();
const db = usePgDatabase();

interface Source {
  dir: string;
  file: string;
  secrets: SecretEntry[];
}

/** A data dir with demo data, secrets (key file) and a row of every awkward type; closed. */
async function makeSource(): Promise<Source> {
  const { dir, file, secrets } = await demoDirWithSecrets(world, env, 400);
  editDatabase(file, (d) => {
    d.prepare(
      `INSERT INTO restores (id, created_at, status, backup_id, file_name, sha256, drill_id, passed, detail)
       VALUES ('r1', 1, 'ready', NULL, ?, NULL, NULL, 1, ?), ('r0', 2, 'failed', 'b', 'x', 'h', 'd', 0, '{}')`,
    ).run('tab\there\nnew\\line "q" ü 🚀', '{"b":[1,2.5,null],"a":"\\u00e9\\n","big":12345678901}');
    d.prepare(
      `INSERT INTO deployments (environment_id, snapshot_id, version, status, started_at, finished_at, access_url, diagnostic_summary)
       VALUES (1, NULL, 'v\\9', 'failed', 9007199254740993, NULL, NULL, ?)`,
    ).run('line1\r\nline2\t\\N');
    d.prepare(
      `INSERT INTO metrics (ts, name, value, labels) VALUES (1, 'm', 0.1, '{}'), (2, 'm', -1e300, '[]')`,
    ).run();
  });
  return { dir, file, secrets };
}

let cached: Promise<Source & { keyFile: string }> | null = null;
const kept: string[] = [];
afterAll(() => {
  for (const d of kept) fs.rmSync(d, { recursive: true, force: true });
});
/** One source for the file (it is never changed by the copy; tests that change it copy it first). */
function source(): Promise<Source & { keyFile: string }> {
  cached ??= (async () => {
    const s = await makeSource();
    const keep = fs.mkdtempSync(path.join(path.dirname(s.dir), 'pgcopy-src-'));
    kept.push(keep);
    fs.cpSync(s.dir, keep, { recursive: true });
    const keyFile = process.env.STATEWARD_KEY_FILE!;
    const keptKey = path.join(keep, 'test.key');
    fs.copyFileSync(keyFile, keptKey);
    return {
      dir: keep,
      file: path.join(keep, 'stateward.db'),
      secrets: s.secrets,
      keyFile: keptKey,
    };
  })();
  return cached;
}

async function q<T extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<T[]> {
  return withClient(db.url(), async (c) => (await c.query<T>(sql, values)).rows);
}

/** What the server holds: schemas and every table's row count. */
const targetState = (url = db.url()) => pgTargetState(url);

/** Execute a copy of `sourceDb` into `schema` of this file's database. */
const copyInto = (sourceDb: string, schema: string): Promise<CopyReport> =>
  copySqliteToPostgres({ sourceDb, target: db.url(), schema, execute: true });

const sumRows = (r: CopyReport) => r.tables.map((t) => [t.name, t.rowsRead, t.sourceHash]);

describe.skipIf(skip)('copy a SQLite data dir into PostgreSQL', { timeout: 60_000 }, () => {
  it('a dry run leaves the target empty and reports what execute then does; execute commits a verified copy', async () => {
    const src = await source();
    const before = sha256File(src.file);
    const progress: CopyProgress[] = [];
    const dry = await copySqliteToPostgres({
      sourceDb: src.file,
      target: db.url(),
      schema: 'dry',
      execute: false,
      batchRows: 97,
      onProgress: (p) => progress.push(p),
    });
    expect(dry.executed).toBe(false);
    expect(dry.schemaVersion).toBe(MIGRATIONS.length);
    expect(Object.keys(await targetState()).some((k) => k.startsWith('schema dry'))).toBe(false);
    const deployments = dry.tables.find((t) => t.name === 'deployments')!;
    expect(deployments.rowsRead).toBe(401);
    for (const t of dry.tables) {
      expect(t.rowsWritten).toBe(t.rowsRead);
      expect(t.targetHash).toBe(t.sourceHash);
    }
    // Progress per table, with rate and ETA, in both phases.
    const logs = progress.filter((p) => p.table === 'deployment_logs' && p.phase === 'copy');
    expect(logs.length).toBeGreaterThan(1);
    expect(logs.at(-1)!.rowsDone).toBe(logs.at(-1)!.rowsTotal);
    expect(progress.some((p) => p.phase === 'verify')).toBe(true);

    const done = await copyInto(src.file, 'live');
    expect(done.executed).toBe(true);
    expect(sumRows(done)).toEqual(sumRows(dry));
    expect(sha256File(src.file)).toBe(before);

    // Table by table, the committed content equals the source's.
    const sqlite = new Database(src.file, { readonly: true });
    try {
      for (const t of done.tables) {
        const n = (sqlite.prepare(`SELECT count(*) AS n FROM "${t.name}"`).get() as { n: number })
          .n;
        const [row] = await q<{ n: string }>(`SELECT count(*) AS n FROM live."${t.name}"`);
        expect([t.name, Number(row!.n)]).toEqual([t.name, n]);
      }
      // Derived counts were not counted twice by the triggers.
      const counts = await q<{ n: string }>(`SELECT sum(n) AS n FROM live.deployment_counts`);
      expect(Number(counts[0]!.n)).toBe(401);
      const seq = sqlite.prepare(`SELECT seq FROM change_counter`).pluck().get() as number;
      const [cc] = await q<{ seq: string }>(`SELECT seq FROM live.change_counter`);
      expect(Number(cc!.seq)).toBe(seq);
    } finally {
      sqlite.close();
    }

    // A second copy into the same (now filled) schema is refused, nothing changed.
    const state = await targetState();
    expect(await refusal(copyInto(src.file, 'live'))).toBe('PG_TARGET_NOT_EMPTY');
    expect(await targetState()).toEqual(state);
  });

  it('types round-trip: booleans, JSON, blobs, unicode, NULL, big ids, tabs, newlines and backslashes', async () => {
    const src = await source();
    await copyInto(src.file, 'types');
    const [r1] = await q<{ passed: boolean; detail: unknown; file_name: string; backup_id: null }>(
      `SELECT passed, detail, file_name, backup_id FROM types.restores WHERE id = 'r1'`,
    );
    expect(r1).toEqual({
      passed: true,
      detail: { b: [1, 2.5, null], a: 'é\n', big: 12345678901 },
      file_name: 'tab\there\nnew\\line "q" ü 🚀',
      backup_id: null,
    });
    const [r0] = await q<{ passed: boolean }>(`SELECT passed FROM types.restores WHERE id = 'r0'`);
    expect(r0!.passed).toBe(false);
    const [dep] = await q<{ started_at: string; diagnostic_summary: string; version: string }>(
      `SELECT started_at, diagnostic_summary, version FROM types.deployments WHERE status = 'failed' AND version = 'v\\9'`,
    );
    expect(dep).toEqual({
      started_at: '9007199254740993',
      diagnostic_summary: 'line1\r\nline2\t\\N',
      version: 'v\\9',
    });
    const metrics = await q<{ value: number }>(
      `SELECT value FROM types.metrics WHERE name = 'm' ORDER BY ts`,
    );
    expect(metrics.map((m) => m.value)).toEqual([0.1, -1e300]);
    const cols = await q<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = 'types' AND table_name = 'secrets' AND column_name IN ('iv', 'tag', 'ciphertext')`,
    );
    expect(new Set(cols.map((c) => c.data_type))).toEqual(new Set(['bytea']));
  });

  it('secret ciphertext moves byte for byte and still opens with the source data dir key', async () => {
    const src = await source();
    await copyInto(src.file, 'sec');
    const rows = await q<Record<string, unknown>>(`SELECT * FROM sec.secrets ORDER BY id`);
    const sqlite = new Database(src.file, { readonly: true });
    const orig = sqlite.prepare(`SELECT * FROM secrets ORDER BY id`).all() as Record<
      string,
      unknown
    >[];
    sqlite.close();
    expect(rows.map((r) => [r.id, r.iv, r.tag, r.ciphertext])).toEqual(
      orig.map((r) => [r.id, r.iv, r.tag, r.ciphertext]),
    );
    // Put the rows read back from PostgreSQL into a copy of the data dir: the app reveals them.
    const dir = world.dir();
    fs.cpSync(src.dir, dir, { recursive: true });
    editDatabase(path.join(dir, 'stateward.db'), (d) => {
      d.exec('DELETE FROM secrets');
      const ins = d.prepare(
        `INSERT INTO secrets (id, environment_id, name, key_id, iv, tag, ciphertext, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const r of rows) {
        ins.run(
          r.id,
          BigInt(r.environment_id as string),
          r.name,
          r.key_id,
          r.iv,
          r.tag,
          r.ciphertext,
          BigInt(r.created_at as string),
          BigInt(r.updated_at as string),
        );
      }
    });
    env.set('STATEWARD_KEY_FILE', src.keyFile);
    const rt = await startTestRuntime(world, dir);
    const reg = fullRegistry(rt);
    for (const s of src.secrets) {
      const { value } = await call<{ value: string }>(reg, 'secrets.reveal', { id: s.id });
      expect(value).toBe(AWKWARD_SECRETS[s.name as keyof typeof AWKWARD_SECRETS]);
    }
  });

  it('identities continue past the highest id: a row inserted right after the copy does not collide', async () => {
    const src = await source();
    await copyInto(src.file, 'ids');
    for (const t of ['projects', 'deployments', 'deployment_logs', 'audit_log']) {
      const [max] = await q<{ m: string }>(`SELECT max(id) AS m FROM ids.${t}`);
      expect(Number(max!.m)).toBeGreaterThan(0);
    }
    const [p] = await q<{ id: string }>(
      `INSERT INTO ids.projects (name, created_at, updated_at) VALUES ('after-move', 1, 1) RETURNING id`,
    );
    const [maxP] = await q<{ m: string }>(
      `SELECT max(id) AS m FROM ids.projects WHERE name <> 'after-move'`,
    );
    expect(BigInt(p!.id)).toBe(BigInt(maxP!.m) + 1n);
    const [maxD] = await q<{ m: string }>(`SELECT max(id) AS m FROM ids.deployments`);
    const countQueued = async () =>
      Number(
        (
          await q<{ n: string }>(
            `SELECT coalesce(sum(n), 0) AS n FROM ids.deployment_counts WHERE environment_id = 1 AND status = 'queued'`,
          )
        )[0]!.n,
      );
    const queued = await countQueued();
    const [d] = await q<{ id: string }>(
      `INSERT INTO ids.deployments (environment_id, version, status, started_at) VALUES (1, 'v', 'queued', 1) RETURNING id`,
    );
    expect(BigInt(d!.id)).toBe(BigInt(maxD!.m) + 1n);
    // The derived counts follow the new row (triggers are on again after the copy).
    expect(await countQueued()).toBe(queued + 1);
  });

  it('an empty schema the migrator already made at the same migration takes the copy', async () => {
    const src = await source();
    await withClient(db.url(), (c) => migratePostgres(c, { schema: 'premigrated' }));
    const r = await copyInto(src.file, 'premigrated');
    expect(r.createdSchema).toBe(false);
    const sqlite = new Database(src.file, { readonly: true });
    const seq = sqlite.prepare(`SELECT seq FROM change_counter`).pluck().get() as number;
    sqlite.close();
    const rows = await q<{ seq: string }>(`SELECT seq FROM premigrated.change_counter`);
    expect(rows.map((x) => Number(x.seq))).toEqual([seq]);
  });

  describe('refusals change nothing', () => {
    it('target at another migration: PG_SCHEMA_VERSION_MISMATCH; foreign tables: PG_SCHEMA_FOREIGN', async () => {
      const src = await source();
      const before = sha256File(src.file);
      await withClient(db.url(), (c) =>
        migratePostgres(c, { schema: 'older', migrations: MIGRATIONS.slice(0, 8) }),
      );
      await withClient(db.url(), (c) =>
        c.query(`CREATE SCHEMA foreign_s; CREATE TABLE foreign_s.t (x int)`),
      );
      const state = await targetState();
      expect(await refusal(copyInto(src.file, 'older'))).toBe('PG_SCHEMA_VERSION_MISMATCH');
      expect(await refusal(copyInto(src.file, 'foreign_s'))).toBe('PG_SCHEMA_FOREIGN');
      expect(await targetState()).toEqual(state);
      expect(sha256File(src.file)).toBe(before);
    });

    it('source not Stateward, corrupt source: NOT_A_STATEWARD_DB, DB_CORRUPT', async () => {
      const src = await source();
      const state = await targetState();
      const foreign = path.join(world.dir(), 'other.db');
      const f = new Database(foreign);
      f.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      f.close();
      expect(await refusal(copyInto(foreign, 'x1'))).toBe('NOT_A_STATEWARD_DB');

      const corrupt = path.join(world.dir(), 'stateward.db');
      fs.copyFileSync(src.file, corrupt);
      const pageSize = 4096;
      const bytes = fs.readFileSync(corrupt);
      const pages = bytes.length / pageSize;
      const fd = fs.openSync(corrupt, 'r+');
      for (const p of [Math.floor(pages / 2), Math.floor(pages / 3)]) {
        fs.writeSync(fd, Buffer.alloc(64, 0xa5), 0, 64, p * pageSize);
      }
      fs.closeSync(fd);
      const corruptHash = sha256File(corrupt);
      expect(await refusal(copyInto(corrupt, 'x2'))).toBe('DB_CORRUPT');
      expect(sha256File(corrupt)).toBe(corruptHash);
      expect(await targetState()).toEqual(state);
    });

    it('unreachable server: PG_UNREACHABLE; read-only database or a role without CREATE: PG_READ_ONLY', async () => {
      const src = await source();
      const u = new URL(db.url());
      u.port = '1';
      expect(
        await refusal(
          copySqliteToPostgres({
            sourceDb: src.file,
            target: u.toString(),
            schema: 'x',
            execute: true,
          }),
        ),
      ).toBe('PG_UNREACHABLE');

      const ro = `${db.name()}_ro`;
      const role = `${db.name()}_role`;
      await withClient(db.serverUrl(), async (c) => {
        await c.query(`CREATE DATABASE ${ro}`);
        await c.query(`ALTER DATABASE ${ro} SET default_transaction_read_only = on`);
        await c.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'`);
      });
      try {
        expect(
          await refusal(
            copySqliteToPostgres({
              sourceDb: src.file,
              target: withDatabase(db.serverUrl(), ro),
              schema: 'stateward',
              execute: true,
            }),
          ),
        ).toBe('PG_READ_ONLY');
        const asRole = new URL(db.url());
        asRole.username = role;
        asRole.password = 'pw';
        const state = await targetState();
        expect(
          await refusal(
            copySqliteToPostgres({
              sourceDb: src.file,
              target: asRole.toString(),
              schema: 'norole',
              execute: true,
            }),
          ),
        ).toBe('PG_READ_ONLY');
        expect(await targetState()).toEqual(state);
      } finally {
        await withClient(db.serverUrl(), async (c) => {
          await c.query(`DROP DATABASE IF EXISTS ${ro} WITH (FORCE)`);
          await c.query(`DROP ROLE IF EXISTS ${role}`);
        });
      }
    });
  });

  it('a target that changes a value (a lossy column) fails verification: PG_COPY_VERIFY_FAILED names the table, rolled back', async () => {
    const src = await source();
    const file = path.join(world.dir(), 'stateward.db');
    fs.copyFileSync(src.file, file);
    editDatabase(file, (d) =>
      d
        .prepare(`INSERT INTO metrics (ts, name, value, labels) VALUES (3, 'm', 0.123456789, '{}')`)
        .run(),
    );
    // -1e300 does not fit a real at all (that is PG_COPY_FAILED); this test is about a silent change.
    editDatabase(file, (d) => d.exec(`DELETE FROM metrics WHERE value < -1e200`));
    await withClient(db.url(), async (c) => {
      await migratePostgres(c, { schema: 'lossy' });
      await c.query(`ALTER TABLE lossy.metrics ALTER COLUMN value TYPE real`);
    });
    const state = await targetState();
    let err: unknown = null;
    await copyInto(file, 'lossy').catch((e: unknown) => (err = e));
    expect(isAppError(err) && [err.code, err.details?.table]).toEqual([
      'PG_COPY_VERIFY_FAILED',
      'metrics',
    ]);
    expect(await targetState()).toEqual(state);
  });

  describe('interrupted copies', () => {
    const schemaAbsent = async (schema: string) =>
      (await q(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema])).length === 0;

    it('SIGKILL of the copying process mid-copy: target empty, source unchanged, a second run succeeds', async () => {
      const src = await source();
      const before = sha256File(src.file);
      const { child, line } = await spawnUntilLine(
        world,
        [path.join(HELPERS_DIR, 'pg-copy-child.ts'), src.file, db.url(), 'killed', '50'],
        30_000,
      );
      expect(line).toBe('progress');
      await child.kill();
      expect(await schemaAbsent('killed')).toBe(true);
      expect(sha256File(src.file)).toBe(before);
      const again = await copyInto(src.file, 'killed');
      expect(again.executed).toBe(true);
      expect(sha256File(src.file)).toBe(before);
    });

    it('the connection dropped mid-copy (pg_terminate_backend): PG_CONNECTION_LOST, target empty, rerun succeeds', async () => {
      const src = await source();
      const before = sha256File(src.file);
      let terminated = false;
      const code = await refusal(
        copySqliteToPostgres({
          sourceDb: src.file,
          target: db.url(),
          schema: 'dropped',
          execute: true,
          batchRows: 50,
          onProgress: (p) => {
            if (terminated || p.table !== 'deployments') return;
            terminated = true;
            // Synchronously, from another connection, while this COPY is open.
            execFileSync('psql', [
              db.url(),
              '-qAtc',
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND application_name LIKE 'stateward/%'`,
            ]);
          },
        }),
      );
      expect(terminated).toBe(true);
      expect(code).toBe('PG_CONNECTION_LOST');
      expect(await schemaAbsent('dropped')).toBe(true);
      expect(sha256File(src.file)).toBe(before);
      const again = await copyInto(src.file, 'dropped');
      expect(again.executed).toBe(true);
    });
  });
});
