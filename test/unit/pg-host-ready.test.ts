// GET /ready in team mode answers for the database as it is now: a server that
// stops taking connections is 503 PG_UNREACHABLE (not the 200 of the start-up),
// and 200 again once it is back; a schema a newer instance migrated meanwhile is
// SCHEMA_FROM_NEWER_VERSION; another instance's promote holding the team's promote
// lock is PROMOTE_IN_PROGRESS.
import { describe, expect, it } from 'vitest';
import { HTTP_READY_PATH } from '../../shared/events.ts';
import { DownloadTickets, startHost } from '../../electron/host/server.ts';
import { advisoryKey } from '../../electron/core/pg/locks.ts';
import { request } from '../helpers/http.ts';
import { pgSkipReason, usePgDatabase, withClient } from '../helpers/pg.ts';
import { newTeamSchema, startTeamRuntime } from '../helpers/pg-team.ts';
import { testRegistry } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const skip = pgSkipReason();

describe.skipIf(skip !== null)('GET /ready in team mode', () => {
  const pgdb = usePgDatabase();

  /** A team-mode host on `schema`, and its /ready answer. */
  async function teamHost(schema: string) {
    const rt = await startTeamRuntime(world, pgdb.url(), schema);
    const downloads = new DownloadTickets();
    const host = await startHost({
      rt,
      registry: testRegistry(rt, downloads),
      staticDir: world.dir(),
      port: 0,
      downloads,
    });
    world.defer(() => host.close());
    const ready = async () => {
      const r = await request(host.port, { path: HTTP_READY_PATH });
      return { status: r.status, body: JSON.parse(r.body) as unknown };
    };
    return { rt, ready };
  }

  it('the schema migrated past this version by a newer instance while it runs: 503 SCHEMA_FROM_NEWER_VERSION', async () => {
    const schema = newTeamSchema();
    const { ready } = await teamHost(schema);
    expect((await ready()).status).toBe(200);
    await withClient(pgdb.url(), (c) =>
      c.query(
        `INSERT INTO ${schema}.schema_migrations (version, name, checksum, applied_at, app_version, host)
         VALUES (999, '0999_future', 'x', 1, '9.9.9', 'build-box-7')`,
      ),
    );
    const r = await ready();
    expect(r.status).toBe(503);
    expect(r.body).toStrictEqual({ ready: false, code: 'SCHEMA_FROM_NEWER_VERSION' });
  });

  it('another instance promoting (the team promote lock held): 503 PROMOTE_IN_PROGRESS, then 200', async () => {
    const schema = newTeamSchema();
    const { ready } = await teamHost(schema);
    expect((await ready()).status).toBe(200);
    await withClient(pgdb.url(), async (other) => {
      await other.query('SELECT pg_advisory_lock($1::bigint)', [advisoryKey('promote', schema)]);
      const r = await ready();
      expect(r.status).toBe(503);
      expect(r.body).toStrictEqual({ ready: false, code: 'PROMOTE_IN_PROGRESS' });
      // Writers' shared hold of the same key is not a promote.
      await other.query('SELECT pg_advisory_unlock($1::bigint)', [advisoryKey('promote', schema)]);
      await other.query('SELECT pg_advisory_lock_shared($1::bigint)', [
        advisoryKey('promote', schema),
      ]);
      expect((await ready()).status).toBe(200);
      // Another schema's promote is not this one's.
      await other.query('SELECT pg_advisory_lock($1::bigint)', [
        advisoryKey('promote', `${schema}_other`),
      ]);
      expect((await ready()).status).toBe(200);
    });
  });

  it('the team database refusing connections: 503 PG_UNREACHABLE, then 200 once it is back', async () => {
    const { ready } = await teamHost(newTeamSchema());
    expect((await ready()).status).toBe(200);
    const name = pgdb.name();
    const cut = `ALTER DATABASE ${name} ALLOW_CONNECTIONS false`;
    const kill = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`;
    await withClient(pgdb.serverUrl(), async (c) => {
      await c.query(cut);
      await c.query(kill);
    });
    try {
      const r = await ready();
      expect(r.status).toBe(503);
      expect(r.body).toStrictEqual({ ready: false, code: 'PG_UNREACHABLE' });
    } finally {
      await withClient(pgdb.serverUrl(), (c) =>
        c.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`),
      );
    }
    expect(await ready()).toMatchObject({ status: 200, body: { ready: true } });
  });
});
