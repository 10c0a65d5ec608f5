// A team schema for promote and drill tests: migrated, then filled with a
// small, recognisable state (names carry `tag`) through ordinary inserts, so
// identities, triggers and derived tables are what the app's writes leave.
import crypto from 'node:crypto';
import type pg from 'pg';
import type { Runtime } from '../../electron/core/runtime.ts';
import { migratePostgres } from '../../electron/core/pg/migrate.ts';
import { advisoryKey } from '../../electron/core/pg/locks.ts';
import { startTestRuntime } from './runtime.ts';
import type { World } from './world.ts';

/** Migrate `schema` and add `projects` projects (one environment, snapshot, `perEnv` deployments each). */
export async function seedTeam(
  c: pg.ClientBase,
  schema: string,
  tag: string,
  projects: number,
  perEnv = 3,
): Promise<void> {
  await migratePostgres(c, { schema });
  await c.query(`SET search_path = "${schema}"`);
  try {
    await c.query(
      `INSERT INTO projects (name, description, created_at, updated_at)
         SELECT $1 || '-p' || i, 'project ' || i, 1000 + i, 1000 + i FROM generate_series(1, $2::int) i`,
      [tag, projects],
    );
    await c.query(
      `INSERT INTO environments (project_id, name, kind, created_at, updated_at)
         SELECT id, 'prod', 'production', 1, 1 FROM projects WHERE name LIKE $1 || '-p%'`,
      [tag],
    );
    await c.query(
      `INSERT INTO config_snapshots (environment_id, version, content, sha256, created_at)
         SELECT e.id, 1, '{"replicas": 2}', repeat('a', 64), 1
           FROM environments e JOIN projects p ON p.id = e.project_id WHERE p.name LIKE $1 || '-p%'`,
      [tag],
    );
    await c.query(
      `INSERT INTO deployments (environment_id, snapshot_id, version, status, started_at, finished_at)
         SELECT s.environment_id, s.id, $1 || '-v' || g, 'succeeded', 2000 + s.id * 10 + g, 3000
           FROM config_snapshots s JOIN environments e ON e.id = s.environment_id
           JOIN projects p ON p.id = e.project_id, generate_series(1, $2::int) g
          WHERE p.name LIKE $1 || '-p%'`,
      [tag, perEnv],
    );
    await c.query(
      `INSERT INTO deployment_logs (deployment_id, ts, level, message)
         SELECT id, started_at, 'info', 'log of ' || version FROM deployments WHERE version LIKE $1 || '-v%'`,
      [tag],
    );
    await c.query(
      `INSERT INTO audit_log (ts, actor, action, target, detail) VALUES (5, 'alice', 'seed', $1, '{"by": "test"}')`,
      [tag],
    );
    await c.query(
      `INSERT INTO settings (key, value, updated_at) VALUES ('seed', to_jsonb($1::text), 1)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [tag],
    );
  } finally {
    await c.query(`RESET search_path`);
  }
}

/** Every table of `schema` (but the history) as one digest per table: equal digests, equal rows. */
export async function schemaDigest(
  c: pg.ClientBase,
  schema: string,
): Promise<Record<string, string>> {
  const tables = await c.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'
      ORDER BY table_name`,
    [schema],
  );
  const out: Record<string, string> = {};
  for (const { table_name: t } of tables.rows) {
    const r = await c.query<{ n: string; h: string | null }>(
      `SELECT count(*) AS n, md5(string_agg(x::text, '|' ORDER BY x::text)) AS h FROM "${schema}"."${t}" x`,
    );
    out[t] = `${r.rows[0]!.n}:${r.rows[0]!.h ?? ''}`;
  }
  return out;
}

/**
 * A team write as B1's write path does it: one transaction that first takes the
 * promote key shared. Resolves 'refused' (PROMOTE_IN_PROGRESS) when a promote
 * holds it, else runs `sql` and commits.
 */
export async function teamWrite(
  c: pg.ClientBase,
  schema: string,
  sql: string,
  values: unknown[] = [],
): Promise<'committed' | 'refused'> {
  await c.query('BEGIN');
  try {
    const r = await c.query<{ ok: boolean }>(
      `SELECT pg_try_advisory_xact_lock_shared($1::bigint) AS ok`,
      [advisoryKey('promote', schema)],
    );
    if (!r.rows[0]!.ok) {
      await c.query('ROLLBACK');
      return 'refused';
    }
    await c.query(sql, values);
    await c.query('COMMIT');
    return 'committed';
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/**
 * A team-mode runtime on `schema` of the test database at `url` (a fresh data dir,
 * closed after the test); throws when its start was refused.
 */
export async function startTeamRuntime(
  world: World,
  url: string,
  schema: string,
): Promise<Runtime> {
  const rt = await startTestRuntime(world, world.dir(), { databaseUrl: teamUrl(url, schema) });
  if (rt.startup.state !== 'ready') throw new Error(JSON.stringify(rt.startup));
  return rt;
}

/** A schema name of its own for one test. */
export const newTeamSchema = () => `team_${crypto.randomBytes(5).toString('hex')}`;

/** `url` with `?schema=` set. */
export function teamUrl(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('schema', schema);
  return u.toString();
}

/** `url` without its password, and the password (as the app's forms take them: in their own field). */
export function passwordApart(url: string): { url: string; password: string } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  return { url: u.toString(), password };
}
