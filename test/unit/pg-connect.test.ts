// Team mode's connection checks against real servers: each way in or out has
// its stable code, sslmode means what libpq says, the connection names itself,
// and a password given in the URL never shows in a message, a hint, details or
// a log line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { AppError } from '../../shared/errors.ts';
import type { Logger } from '../../electron/core/log.ts';
import type { PgTarget } from '../../electron/core/pg/connect.ts';
import {
  applicationName,
  checkServerVersion,
  classifyConnectError,
  connectPostgres,
  describeTarget,
  inspectSchema,
  parseDatabaseUrl,
} from '../../electron/core/pg/connect.ts';
import { readBinding } from '../../electron/core/pg/binding.ts';
import { migratePostgres } from '../../electron/core/pg/migrate.ts';
import { pgpassLookup } from '../../electron/core/pg/pgpass.ts';
import { APP_VERSION } from '../../electron/core/version.ts';
import type { ClusterState } from '../helpers/pg-cluster.ts';
import { findPgBin, freePort, startCluster, stopCluster } from '../helpers/pg-cluster.ts';
import { pgTestPlan } from '../helpers/pg-global-setup.ts';
import { pgSkipReason, usePgDatabase, withClient, withDatabase } from '../helpers/pg.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

/** A logger that keeps its lines (message and any error's stack). */
function memoryLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    file: null,
    lines,
    log(level, message, err) {
      lines.push(`${level} ${message} ${err instanceof Error ? err.stack : ''}`);
    },
  };
}

/** Everything a user or a log could see of an error. */
function visible(e: AppError): string {
  return `${e.code} ${e.message} ${e.hint ?? ''} ${JSON.stringify(e.details ?? {})}`;
}

async function failure(t: PgTarget, log: Logger, env: NodeJS.ProcessEnv = {}): Promise<AppError> {
  return connectPostgres(t, { transport: 'cli', log, env }).then(
    async (c) => {
      await c.client.end();
      throw new Error(`connected to ${describeTarget(t)}, expected a failure`);
    },
    (e: unknown) => e as AppError,
  );
}

describe('URL parsing and version checks (no server)', () => {
  it('parses libpq URIs; sslmode defaults to prefer, schema to stateward', () => {
    expect(
      parseDatabaseUrl('postgresql://ann@db.example:6543/team?sslmode=verify-full'),
    ).toMatchObject({
      host: 'db.example',
      port: 6543,
      user: 'ann',
      database: 'team',
      sslmode: 'verify-full',
      schema: 'stateward',
      password: null,
    });
    expect(parseDatabaseUrl('postgres://ann@h/db?schema=team_a')).toMatchObject({
      sslmode: 'prefer',
      schema: 'team_a',
      port: 5432,
    });
    expect(parseDatabaseUrl('postgres://ann@/db?host=/run/postgresql')).toMatchObject({
      host: '/run/postgresql',
    });
  });

  it.each([
    ['a password in a file', 'postgres://ann:hunter2-secret@h/db', 'file'],
    ['another scheme', 'mysql://ann:hunter2-secret@h/db', 'flag'],
    ['an unknown sslmode', 'postgres://ann:hunter2-secret@h/db?sslmode=sometimes', 'flag'],
    ['an unknown parameter', 'postgres://ann:hunter2-secret@h/db?target_session_attrs=any', 'flag'],
    [
      'a schema that is not a plain name',
      'postgres://ann:hunter2-secret@h/db?schema=a;drop',
      'flag',
    ],
    ['not a URL at all', 'ann:hunter2-secret@h db', 'flag'],
    [
      'a host parameter holding another URL',
      'postgres://ann@h/db?host=postgres://bob:hunter2-secret@elsewhere',
      'flag',
    ],
    // A % not followed by two hex digits: decodeURIComponent threw (INTERNAL, exit 4).
    ['a broken %-escape in the password', 'postgres://ann:hunter2-secret%ZZ@h/db', 'flag'],
    ['a broken %-escape in the user', 'postgres://ann%E0%A4:hunter2-secret@h/db', 'flag'],
    ['a broken %-escape in the database', 'postgres://ann:hunter2-secret@h/d%b', 'flag'],
  ] as const)('%s → BAD_INPUT, never echoing the password', (_what, url, source) => {
    let err: AppError | null = null;
    try {
      parseDatabaseUrl(url, source);
    } catch (e) {
      err = e as AppError;
    }
    expect(err).toMatchObject({ code: 'BAD_INPUT' });
    expect(visible(err!)).not.toContain('hunter2-secret');
  });

  it('schema names PostgreSQL reserves (pg_*) or drills drop (stateward_drill_*) are BAD_INPUT in a URL and DATABASE_BINDING_INVALID in database.json', () => {
    for (const schema of ['pg_foo', 'pg_toast', 'pg_temp', 'stateward_drill_prod']) {
      expect(() => parseDatabaseUrl(`postgres://ann@h/db?schema=${schema}`)).toThrow(
        expect.objectContaining({ code: 'BAD_INPUT', message: expect.stringMatching(/reserved/) }),
      );
      const dir = world.dir();
      const file = path.join(dir, 'database.json');
      fs.writeFileSync(
        file,
        JSON.stringify({
          backend: 'postgres',
          host: 'h',
          port: 5432,
          database: 'db',
          user: 'ann',
          sslmode: 'prefer',
          schema,
        }),
      );
      expect(() => readBinding(dir)).toThrow(
        expect.objectContaining({ code: 'DATABASE_BINDING_INVALID' }),
      );
    }
    // Plain names that merely look odd still work, up to PostgreSQL's 63 bytes.
    for (const schema of ['public', 'user', 'select', 'stateward_drills', 'a'.repeat(63)])
      expect(parseDatabaseUrl(`postgres://ann@h/db?schema=${schema}`).schema).toBe(schema);
    expect(() => parseDatabaseUrl(`postgres://ann@h/db?schema=${'a'.repeat(64)}`)).toThrow(
      expect.objectContaining({ code: 'BAD_INPUT' }),
    );
  });

  it('servers older than PostgreSQL 13 are refused, naming the minimum', () => {
    expect(() => checkServerVersion(120017, '12.17')).toThrow(
      expect.objectContaining({
        code: 'PG_SERVER_TOO_OLD',
        message: expect.stringMatching(/12\.17.*at least PostgreSQL 13/),
      }),
    );
    expect(() => checkServerVersion(90624, '9.6.24')).toThrow(
      expect.objectContaining({ code: 'PG_SERVER_TOO_OLD' }),
    );
    expect(() => checkServerVersion(130000, '13.0')).not.toThrow();
    expect(() => checkServerVersion(170002, '17.2')).not.toThrow();
  });

  it('application_name is stateward/<version>/<transport>@<hostname>/<pid>, at most 63 bytes', () => {
    expect(applicationName('http', { hostname: 'box', pid: 42, version: '1.2.3' })).toBe(
      'stateward/1.2.3/http@box/42',
    );
    expect(applicationName('cli', { hostname: 'h'.repeat(100), pid: 1 })).toHaveLength(63);
  });

  it('the server texts of a TLS-only pg_hba entry classify as PG_TLS_REQUIRED (13 and 14+ wording)', () => {
    const t = parseDatabaseUrl('postgres://ann:pw-xyz@h/db?sslmode=disable');
    for (const message of [
      'no pg_hba.conf entry for host "10.0.0.9", user "ann", database "db", no encryption',
      'no pg_hba.conf entry for host "10.0.0.9", user "ann", database "db", SSL off',
    ])
      expect(classifyConnectError({ code: '28000', message }, t).code).toBe('PG_TLS_REQUIRED');
  });

  it('.pgpass: the first matching line, * wildcards, \\: escapes; ignored when others can read it', () => {
    const file = path.join(world.dir(), 'pgpass');
    fs.writeFileSync(
      file,
      '# comment\nother:5432:*:ann:nope\n127.0.0.1:*:team:ann:pa\\:ss\n*:*:*:*:fallback\n',
      { mode: 0o600 },
    );
    const q = { host: '127.0.0.1', port: 6000, database: 'team', user: 'ann' };
    expect(pgpassLookup(q, { file })).toBe('pa:ss');
    expect(pgpassLookup({ ...q, database: 'x' }, { file })).toBe('fallback');
    fs.chmodSync(file, 0o644);
    const warnings: string[] = [];
    expect(pgpassLookup(q, { file, warn: (m) => warnings.push(m) })).toBeUndefined();
    expect(warnings.join()).toMatch(/group or world access/);
  });
});

describe('where the tests get PostgreSQL from', () => {
  it('the exported URL first, then a cluster of their own; without either CI fails and elsewhere they skip, saying why', () => {
    expect(pgTestPlan({ STATEWARD_TEST_PG_URL: 'postgres://x@h/db', CI: 'true' }, null)).toEqual({
      use: 'url',
    });
    expect(pgTestPlan({}, '/usr/lib/postgresql/15/bin')).toEqual({
      use: 'cluster',
      bin: '/usr/lib/postgresql/15/bin',
    });
    expect(pgTestPlan({}, null)).toMatchObject({
      use: 'skip',
      why: expect.stringMatching(/STATEWARD_TEST_PG_URL.*postgresql/),
    });
    expect(() => pgTestPlan({ CI: 'true' }, null)).toThrow(/CI needs PostgreSQL/);
  });

  it('findPgBin finds the newest version with initdb, pg_ctl and postgres, or none', () => {
    const root = world.dir();
    for (const [v, tools] of [
      ['13', ['initdb', 'pg_ctl', 'postgres']],
      ['16', ['initdb', 'pg_ctl', 'postgres']],
      ['17', ['psql']], // a client-only install is not a server
    ] as const) {
      fs.mkdirSync(path.join(root, v, 'bin'), { recursive: true });
      for (const t of tools) fs.writeFileSync(path.join(root, v, 'bin', t), '');
    }
    expect(findPgBin(root)).toBe(path.join(root, '16', 'bin'));
    expect(findPgBin(path.join(root, 'none'))).toBeNull();
  });
});

const skip = pgSkipReason();

describe.skipIf(skip !== null)('connecting to a real server', () => {
  const db = usePgDatabase();
  const role = `sw_pw_${crypto.randomBytes(4).toString('hex')}`;
  const rolePassword = `pw-${crypto.randomBytes(9).toString('hex')}`;

  beforeAll(async () => {
    await withClient(db.serverUrl(), async (c) => {
      await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${rolePassword}'`);
      await c.query(`GRANT CREATE, CONNECT ON DATABASE ${db.name()} TO ${role}`);
    });
  });
  afterAll(async () => {
    await withClient(db.serverUrl(), async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${db.name()} WITH (FORCE)`);
      await c.query(`DROP ROLE IF EXISTS ${role}`);
    });
  });

  /** The role's URL on this file's database (with the password unless `password` is null). */
  function roleUrl(password: string | null = rolePassword, params = 'sslmode=disable'): string {
    const u = new URL(db.url());
    u.username = role;
    u.password = password ?? '';
    u.search = params;
    return u.toString();
  }

  it('connects with the password from the URL, PGPASSWORD or the password file, named in pg_stat_activity', async () => {
    const log = memoryLog();
    const fromUrl = await connectPostgres(parseDatabaseUrl(roleUrl()), {
      transport: 'cli',
      log,
      env: {},
    });
    const name = `stateward/${APP_VERSION}/cli@`;
    expect(fromUrl.applicationName.startsWith(name)).toBe(true);
    const seen = await fromUrl.client.query(
      `SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()`,
    );
    expect(seen.rows[0].application_name).toBe(fromUrl.applicationName);
    expect(fromUrl.serverVersionNum).toBeGreaterThanOrEqual(130000);
    await fromUrl.client.end();

    const t = parseDatabaseUrl(roleUrl(null));
    const viaEnv = await connectPostgres(t, {
      transport: 'http',
      env: { PGPASSWORD: rolePassword },
    });
    await viaEnv.client.end();
    const pgpass = path.join(world.dir(), 'pgpass');
    fs.writeFileSync(pgpass, `127.0.0.1:${t.port}:${t.database}:${role}:${rolePassword}\n`, {
      mode: 0o600,
    });
    const viaFile = await connectPostgres(t, {
      transport: 'electron',
      env: { PGPASSFILE: pgpass },
    });
    await viaFile.client.end();
    expect(log.lines.join('\n')).not.toContain(rolePassword);
  });

  it('each failure has its code, and no message, hint, detail or log line holds the password', async () => {
    const log = memoryLog();
    const cases: [string, PgTarget, NodeJS.ProcessEnv][] = [];
    const closed = await freePort();
    const u = new URL(roleUrl('the-wrong-one'));
    u.port = String(closed);
    cases.push(['PG_UNREACHABLE', parseDatabaseUrl(u.toString()), {}]);
    // A port that accepts and then says nothing: connect_timeout decides.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((sock) => sockets.push(sock));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    world.defer(
      () =>
        new Promise<void>((r) => {
          for (const sock of sockets) sock.destroy();
          silent.close(() => r());
        }),
    );
    const quiet = new URL(roleUrl('the-wrong-one', 'sslmode=disable&connect_timeout=0.3'));
    quiet.port = String((silent.address() as net.AddressInfo).port);
    cases.push(['PG_UNREACHABLE', parseDatabaseUrl(quiet.toString()), {}]);
    cases.push(['PG_AUTH_FAILED', parseDatabaseUrl(roleUrl('the-wrong-one')), {}]);
    cases.push([
      'PG_AUTH_FAILED',
      parseDatabaseUrl(roleUrl(null)),
      { PGPASSFILE: path.join(world.dir(), 'none') },
    ]);
    cases.push([
      'PG_DATABASE_MISSING',
      parseDatabaseUrl(
        withDatabase(db.serverUrl(), `sw_missing_${crypto.randomBytes(3).toString('hex')}`),
      ),
      {},
    ]);
    cases.push([
      'PG_TLS_FAILED', // this server offers no TLS; require insists
      parseDatabaseUrl(roleUrl(rolePassword, 'sslmode=require')),
      {},
    ]);
    const passwords = ['the-wrong-one', rolePassword, new URL(db.serverUrl()).password];
    for (const [code, t, env] of cases) {
      const err = await failure(t, log, env);
      expect(err.code, `${code} for ${describeTarget(t)}: ${err.message}`).toBe(code);
      expect(err.hint?.length).toBeGreaterThan(0);
      for (const p of passwords) expect(visible(err)).not.toContain(p);
    }
    expect(log.lines.length).toBeGreaterThanOrEqual(cases.length * 2);
    for (const line of log.lines) for (const p of passwords) expect(line).not.toContain(p);
  });

  it('sslmode=prefer falls back to plain on a server without TLS', async () => {
    const c = await connectPostgres(parseDatabaseUrl(roleUrl(rolePassword, 'sslmode=prefer')), {
      transport: 'cli',
      env: {},
    });
    expect(c.tls).toBe(false);
    await c.client.end();
  });

  it("a schema holding another app's tables → PG_SCHEMA_FOREIGN, and the migrator changes nothing", async () => {
    await withClient(db.url(), async (c) => {
      const schema = `app_${crypto.randomBytes(4).toString('hex')}`;
      await c.query(`CREATE SCHEMA ${schema}`);
      await c.query(`CREATE TABLE ${schema}.notes (id serial PRIMARY KEY, body text)`);
      await expect(inspectSchema(c, schema, db.name())).rejects.toMatchObject({
        code: 'PG_SCHEMA_FOREIGN',
        message: expect.stringContaining('notes'),
      });
      await expect(migratePostgres(c, { schema })).rejects.toMatchObject({
        code: 'PG_SCHEMA_FOREIGN',
      });
      const tables = await c.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`,
        [schema],
      );
      expect(tables.rows).toEqual([{ table_name: 'notes' }]);

      // Another tool's schema_migrations (Rails-style) is not Stateward's either.
      const rails = `rails_${crypto.randomBytes(4).toString('hex')}`;
      await c.query(`CREATE SCHEMA ${rails}`);
      await c.query(`CREATE TABLE ${rails}.schema_migrations (version varchar PRIMARY KEY)`);
      await expect(migratePostgres(c, { schema: rails })).rejects.toMatchObject({
        code: 'PG_SCHEMA_FOREIGN',
        message: expect.stringMatching(/schema_migrations table is not Stateward/),
      });

      const empty = `empty_${crypto.randomBytes(4).toString('hex')}`;
      expect(await inspectSchema(c, empty)).toBe('absent');
      await c.query(`CREATE SCHEMA ${empty}`);
      expect(await inspectSchema(c, empty)).toBe('empty');
      await migratePostgres(c, { schema: empty });
      expect(await inspectSchema(c, empty)).toBe('stateward');
    });
  });
});

// A second cluster whose pg_hba.conf lets TCP in over TLS only (hostssl), with a
// self-signed certificate for 127.0.0.1.
const tlsSkip =
  skip ?? (findPgBin() === null ? 'no PostgreSQL server binaries for a TLS-only cluster' : null);
if (tlsSkip !== null && process.env.CI === 'true')
  throw new Error(`CI needs a TLS-only test cluster: ${tlsSkip}`);

describe.skipIf(tlsSkip !== null)('a server that accepts TLS only', () => {
  let cluster: ClusterState | null = null;
  let certFile = '';

  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'sw-cert-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          path.join(dir, 'key'),
          '-out',
          path.join(dir, 'crt'),
          '-days',
          '2',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { stdio: 'ignore' },
      );
      const crt = fs.readFileSync(path.join(dir, 'crt'), 'utf8');
      cluster = await startCluster({
        files: { 'server.crt': crt, 'server.key': fs.readFileSync(path.join(dir, 'key'), 'utf8') },
        settings: { ssl: 'on', ssl_cert_file: '../server.crt', ssl_key_file: '../server.key' },
        hba: 'local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n',
      });
      certFile = path.join(cluster.dir, 'server.crt');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
  afterAll(async () => {
    if (cluster) await stopCluster(cluster);
  });

  function url(params: string): string {
    const u = new URL(cluster!.url);
    u.search = params;
    return u.toString();
  }

  it('sslmode=disable → PG_TLS_REQUIRED (password kept out of the message)', async () => {
    const log = memoryLog();
    const err = await failure(parseDatabaseUrl(url('sslmode=disable')), log);
    expect(err.code).toBe('PG_TLS_REQUIRED');
    expect(err.message).toMatch(/only over TLS/);
    for (const s of [visible(err), ...log.lines]) expect(s).not.toContain(cluster!.password);
  });

  it('require and allow connect encrypted; verify-full checks the certificate against sslrootcert', async () => {
    for (const mode of ['require', 'allow', 'prefer']) {
      const c = await connectPostgres(parseDatabaseUrl(url(`sslmode=${mode}`)), {
        transport: 'cli',
        env: {},
      });
      expect(c.tls, mode).toBe(true);
      const ssl = await c.client.query(`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`);
      expect(ssl.rows[0].ssl, mode).toBe(true);
      await c.client.end();
    }
    const unverified = await failure(parseDatabaseUrl(url('sslmode=verify-full')), memoryLog());
    expect(unverified.code).toBe('PG_TLS_FAILED');
    for (const mode of ['verify-ca', 'verify-full']) {
      const c = await connectPostgres(
        parseDatabaseUrl(url(`sslmode=${mode}&sslrootcert=${encodeURIComponent(certFile)}`)),
        { transport: 'cli', env: {} },
      );
      expect(c.tls).toBe(true);
      await c.client.end();
    }
  });
});
