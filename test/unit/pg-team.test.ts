// Team mode: a data dir bound to PostgreSQL through database.json (or
// --database-url / STATEWARD_DATABASE_URL), the runtime on a real server
// (migrations under the advisory lock, a pre-upgrade backup, a schema upgraded
// by a newer version refused by name), two instances on one database, and the
// team dashboard's data (app.team).
import { describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { AppError } from '../../shared/errors.ts';
import type { TeamStatus } from '../../shared/domain.ts';
import type { Binding } from '../../electron/core/pg/binding.ts';
import {
  bindingPath,
  readBinding,
  resolveBinding,
  writeBinding,
} from '../../electron/core/pg/binding.ts';
import { parseDatabaseUrl } from '../../electron/core/pg/connect.ts';
import { migratePostgres } from '../../electron/core/pg/migrate.ts';
import { advisoryKey } from '../../electron/core/pg/locks.ts';
import type { Runtime } from '../../electron/core/runtime.ts';
import { MIGRATIONS } from '../../electron/core/store/migrations/index.ts';
import { pgSkipReason, usePgDatabase, withClient } from '../helpers/pg.ts';
import { startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { makeKeyFile, useSecretsEnv } from '../helpers/secrets-util.ts';
import { modeOf, useWorld } from '../helpers/world.ts';

const world = useWorld();
const secretsEnv = useSecretsEnv();
const LAST = MIGRATIONS[MIGRATIONS.length - 1]!.version;

const BOUND: Binding = {
  backend: 'postgres',
  host: 'db.example.internal',
  port: 5433,
  database: 'control',
  user: 'stateward',
  sslmode: 'verify-full',
  schema: 'team_a',
};

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e.code;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('database.json: the binding of a data dir', () => {
  it('is SQLite when the file is missing; a PostgreSQL binding round-trips, owner-only', () => {
    const dir = world.dir();
    expect(readBinding(dir)).toEqual({ backend: 'sqlite' });
    expect(resolveBinding(dir, { env: {} })).toEqual({
      binding: { backend: 'sqlite' },
      target: null,
      source: 'default',
    });
    writeBinding(dir, BOUND);
    expect(modeOf(bindingPath(dir))).toBe(0o600);
    expect(readBinding(dir)).toEqual(BOUND);
    const r = resolveBinding(dir, { env: {} });
    expect(r.source).toBe('file');
    expect(r.target).toMatchObject({
      host: 'db.example.internal',
      port: 5433,
      database: 'control',
      user: 'stateward',
      sslmode: 'verify-full',
      schema: 'team_a',
      password: null,
    });
    // No temporary left beside it.
    expect(fs.readdirSync(dir)).toEqual(['database.json']);
  });

  it('a database.json others can read is made owner-only at start (and an explicit SQLite binding is honoured)', async () => {
    const dir = world.dir();
    writeBinding(dir, { backend: 'sqlite' });
    fs.chmodSync(bindingPath(dir), 0o644);
    const rt = await startTestRuntime(world, dir);
    expect(rt.startup).toEqual({ state: 'ready' });
    expect(rt.store).not.toBeNull();
    expect(rt.team).toBeNull();
    expect(modeOf(bindingPath(dir))).toBe(0o600);
    expect(resolveBinding(dir, { env: {} }).source).toBe('file');
  });

  it('never takes a password: writing one is refused and the file stays as it was', () => {
    const dir = world.dir();
    writeBinding(dir, BOUND);
    const before = fs.readFileSync(bindingPath(dir), 'utf8');
    const withPassword = { ...BOUND, password: 'hunter2-secret' } as unknown as Binding;
    let err: AppError | null = null;
    try {
      writeBinding(dir, withPassword);
    } catch (e) {
      err = e as AppError;
    }
    expect(err?.code).toBe('DATABASE_BINDING_INVALID');
    expect(err?.message).not.toContain('hunter2');
    expect(err?.hint).toMatch(/PGPASSWORD|pgpass/);
    expect(fs.readFileSync(bindingPath(dir), 'utf8')).toBe(before);
    expect(fs.readdirSync(dir)).toEqual(['database.json']);
  });

  it('a file holding a password is refused (the password is never echoed)', () => {
    const dir = world.dir();
    fs.writeFileSync(bindingPath(dir), JSON.stringify({ ...BOUND, password: 'hunter2-secret' }), {
      mode: 0o600,
    });
    let err: AppError | null = null;
    try {
      readBinding(dir);
    } catch (e) {
      err = e as AppError;
    }
    expect(err?.code).toBe('DATABASE_BINDING_INVALID');
    expect(`${err?.message} ${err?.hint}`).not.toContain('hunter2');
  });

  it.each([
    ['not JSON', '{"backend": "postgres",'],
    ['an unknown backend', '{"backend":"mysql"}'],
    ['a port out of range', JSON.stringify({ ...BOUND, port: 70000 })],
    ['a schema that is not a plain name', JSON.stringify({ ...BOUND, schema: 'a;drop' })],
    ['an unknown key', JSON.stringify({ ...BOUND, extra: 1 })],
    ['a missing host', JSON.stringify({ ...BOUND, host: undefined })],
    [
      'a host holding a URL with a password',
      JSON.stringify({ ...BOUND, host: 'postgres://ann:hunter2-secret@db.example' }),
    ],
  ])(
    '%s: DATABASE_BINDING_INVALID, and start-up is refused with nothing changed',
    async (_what, content) => {
      const dir = world.dir();
      fs.writeFileSync(bindingPath(dir), content, { mode: 0o600 });
      expect(codeOf(() => readBinding(dir))).toBe('DATABASE_BINDING_INVALID');
      expect(codeOf(() => resolveBinding(dir, { env: {} }))).toBe('DATABASE_BINDING_INVALID');
      const rt = await startTestRuntime(world, dir);
      expect(rt.startup).toMatchObject({ state: 'refused', code: 'DATABASE_BINDING_INVALID' });
      expect(JSON.stringify(rt.startup)).not.toContain('hunter2');
      expect(rt.data).toBeNull();
      expect(fs.readFileSync(bindingPath(dir), 'utf8')).toBe(content);
      // No SQLite database was made beside a binding that says PostgreSQL (or cannot be read).
      expect(fs.existsSync(path.join(dir, 'stateward.db'))).toBe(false);
    },
  );

  it('--database-url beats STATEWARD_DATABASE_URL beats the file (which a URL never makes read)', () => {
    const dir = world.dir();
    writeBinding(dir, BOUND);
    const flag = 'postgres://ann@flag-host:5432/flagdb?schema=from_flag';
    const env = { STATEWARD_DATABASE_URL: 'postgres://bob@env-host/envdb?schema=from_env' };
    expect(resolveBinding(dir, { databaseUrl: flag, env })).toMatchObject({
      source: 'flag',
      binding: { backend: 'postgres', host: 'flag-host', database: 'flagdb', schema: 'from_flag' },
    });
    expect(resolveBinding(dir, { env })).toMatchObject({
      source: 'env',
      binding: { host: 'env-host', user: 'bob', schema: 'from_env' },
    });
    expect(resolveBinding(dir, { env: {} })).toMatchObject({
      source: 'file',
      binding: { host: 'db.example.internal' },
    });
    // An unusable file does not matter when a URL is given.
    fs.writeFileSync(bindingPath(dir), 'not json');
    expect(resolveBinding(dir, { env })).toMatchObject({ source: 'env' });
  });
});

const skip = pgSkipReason();

describe.skipIf(skip !== null)('team mode on a real PostgreSQL server', () => {
  const db = usePgDatabase();

  function newSchema(): string {
    return `team_${crypto.randomBytes(5).toString('hex')}`;
  }

  function urlFor(schema: string): string {
    const u = new URL(db.url());
    u.searchParams.set('schema', schema);
    return u.toString();
  }

  async function start(
    schema: string,
    opts: { dir?: string; transport?: Runtime['transport']; url?: boolean } = {},
  ): Promise<Runtime> {
    return startTestRuntime(world, opts.dir ?? world.dir(), {
      ...(opts.url === false ? {} : { databaseUrl: urlFor(schema) }),
      ...(opts.transport ? { transport: opts.transport } : {}),
    });
  }

  function ready(rt: Runtime): Runtime {
    if (rt.startup.state !== 'ready')
      throw new Error(`refused: ${JSON.stringify(rt.startup, null, 1)}`);
    return rt;
  }

  async function historyRows(schema: string): Promise<number[]> {
    return withClient(db.url(), async (c) =>
      (
        await c.query<{ version: number }>(
          `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
        )
      ).rows.map((r) => r.version),
    );
  }

  async function invoke<T>(rt: Runtime, name: string, input: unknown = {}): Promise<T> {
    const r = await testRegistry(rt).dispatch(name, input);
    if (!r.ok) throw new Error(`${name} failed: ${JSON.stringify(r.error)}`);
    return r.value as T;
  }

  it('starts on an empty schema (migrating it), keeps a project across a restart, and audits who made it', async () => {
    const schema = newSchema();
    const dir = world.dir();
    const rt = ready(await start(schema, { dir }));
    expect(rt.store).toBeNull();
    expect(rt.data?.backend).toBe('postgres');
    expect(rt.team).toMatchObject({ schema, target: { database: db.name() } });
    expect(await historyRows(schema)).toEqual(MIGRATIONS.map((m) => m.version));
    const created = await invoke<{ id: number; name: string }>(rt, 'projects.create', {
      name: 'shared-api',
    });
    rt.close();
    await rt.closed();
    expect(rt.team).toBeNull();
    // Nothing of the data lives in the data dir: no SQLite database was made.
    expect(fs.existsSync(path.join(dir, 'stateward.db'))).toBe(false);

    const again = ready(await start(schema, { dir }));
    const list = await invoke<{ items: { id: number; name: string }[] }>(again, 'projects.list');
    expect(list.items).toEqual([expect.objectContaining({ id: created.id, name: 'shared-api' })]);
    const audit = await invoke<{ items: { actor: string; action: string }[] }>(again, 'audit.list');
    const entry = audit.items.find((a) => a.action === 'project.created');
    // The instance and the OS user: transport:user@host/pid.
    expect(entry?.actor).toMatch(new RegExp(`^http:[^@]+@[^/]+/${process.pid}$`));
  });

  it('two data dirs bound to one database see each other’s writes; app.team lists both instances', async () => {
    const schema = newSchema();
    // One bound through database.json (password from PGPASSWORD), one through --database-url.
    const fileBound = world.dir();
    const target = parseDatabaseUrl(urlFor(schema));
    const { password, ...bindingFields } = target;
    writeBinding(fileBound, {
      backend: 'postgres',
      host: bindingFields.host,
      port: bindingFields.port,
      database: bindingFields.database,
      user: bindingFields.user,
      sslmode: bindingFields.sslmode,
      schema,
    });
    const before = process.env.PGPASSWORD;
    process.env.PGPASSWORD = password ?? '';
    world.defer(() => {
      if (before === undefined) delete process.env.PGPASSWORD;
      else process.env.PGPASSWORD = before;
    });
    const a = ready(await start(schema, { dir: fileBound, url: false, transport: 'http' }));
    const b = ready(await start(schema, { transport: 'cli' }));
    await invoke(a, 'projects.create', { name: 'written-by-a' });
    const seen = await invoke<{ items: { name: string }[] }>(b, 'projects.list');
    expect(seen.items.map((p) => p.name)).toEqual(['written-by-a']);

    const team = await invoke<TeamStatus>(b, 'app.team');
    expect(team).toMatchObject({
      database: db.name(),
      schema,
      schemaVersion: LAST,
      appSchemaVersion: LAST,
    });
    expect(team.serverVersion).toMatch(/^\d+/);
    expect(team.databaseBytes).toBeGreaterThan(0);
    expect(team.schemaBytes).toBeGreaterThan(0);
    expect(team.schemaBytes).toBeLessThanOrEqual(team.databaseBytes);
    expect(team.migrations.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const names = team.instances.map((i) => i.applicationName);
    expect(names).toEqual(
      expect.arrayContaining([a.team!.applicationName, b.team!.applicationName]),
    );
    // An instance of another team (another schema of the same database) is not one of ours.
    // (Its own transport, so its application_name differs from a's and b's in this process.)
    const stranger = ready(await start(newSchema(), { transport: 'electron' }));
    const again = await invoke<TeamStatus>(b, 'app.team');
    expect(again.instances.map((i) => i.applicationName)).not.toContain(
      stranger.team!.applicationName,
    );
    expect(again.instances).toHaveLength(team.instances.length);
    const self = team.instances.find((i) => i.self);
    expect(self).toMatchObject({
      applicationName: b.team!.applicationName,
      transport: 'cli',
      pid: process.pid,
    });
    expect(team.instances.find((i) => i.transport === 'http')?.connections).toBeGreaterThan(0);
    // SQLite data dirs have no team database.
    const local = await startTestRuntime(world);
    expect(await invoke(local, 'app.team')).toBeNull();
  });

  it('two instances starting at once on an empty schema: exactly one migrates, both come up', async () => {
    const schema = newSchema();
    const dirs = [world.dir(), world.dir()];
    const [a, b] = await Promise.all([
      start(schema, { dir: dirs[0]!, transport: 'http' }),
      start(schema, { dir: dirs[1]!, transport: 'cli' }),
    ]);
    ready(a!);
    ready(b!);
    expect(await historyRows(schema)).toEqual(MIGRATIONS.map((m) => m.version));
    const migrated = dirs.filter((d) =>
      fs
        .readdirSync(path.join(d, 'logs'))
        .some((f) =>
          fs.readFileSync(path.join(d, 'logs', f), 'utf8').includes('applied migrations:'),
        ),
    );
    expect(migrated).toHaveLength(1);
  });

  it('pending migrations on a schema with data: a pre-upgrade backup of the team state first, recorded in its audit log', async () => {
    const schema = newSchema();
    await withClient(db.url(), async (c) => {
      await migratePostgres(c, { schema, migrations: MIGRATIONS.slice(0, -1), host: 'old-host' });
      await c.query(
        `INSERT INTO ${schema}.projects (name, description, created_at, updated_at) VALUES ('before-upgrade', '', 1, 1)`,
      );
    });
    const dir = world.dir();
    const rt = ready(await start(schema, { dir }));
    expect(await historyRows(schema)).toEqual(MIGRATIONS.map((m) => m.version));
    const manifests = fs
      .readdirSync(path.join(dir, 'backups'))
      .filter((f) => f.endsWith('.manifest.json'))
      .map(
        (f) =>
          JSON.parse(fs.readFileSync(path.join(dir, 'backups', f), 'utf8')) as {
            kind: string;
            schemaVersion: number;
            source?: { schema: string };
          },
      );
    expect(manifests).toEqual([
      expect.objectContaining({
        kind: 'pre-upgrade',
        schemaVersion: LAST - 1,
        source: expect.objectContaining({ schema }),
      }),
    ]);
    const team = await invoke<TeamStatus>(rt, 'app.team');
    expect(team.lastBackup).toMatchObject({ kind: 'pre-upgrade', by: rt.actor });
  });

  it('a schema upgraded by a newer version is refused, naming the version and the host; app.team still answers', async () => {
    const schema = newSchema();
    await withClient(db.url(), async (c) => {
      await migratePostgres(c, { schema, host: 'host-a' });
      await c.query(
        `INSERT INTO ${schema}.schema_migrations (version, name, checksum, applied_at, app_version, host)
         VALUES (999, '0999_future', 'x', 1, '9.9.9', 'build-box-7')`,
      );
    });
    const rt = await start(schema);
    expect(rt.startup).toMatchObject({ state: 'refused', code: 'SCHEMA_FROM_NEWER_VERSION' });
    const message = (rt.startup as { message: string }).message;
    expect(message).toContain('999');
    expect(message).toContain('9.9.9');
    expect(message).toContain('build-box-7');
    expect(rt.data).toBeNull();
    // Nothing was migrated or backed up.
    expect(await historyRows(schema)).toEqual([...MIGRATIONS.map((m) => m.version), 999]);
    // The refusal screen can still show who upgraded it.
    const team = await invoke<TeamStatus>(rt, 'app.team');
    expect(team.migrations.at(-1)).toMatchObject({
      version: 999,
      appVersion: '9.9.9',
      host: 'build-box-7',
    });
    const projects = await testRegistry(rt).dispatch('projects.list', {});
    expect(projects).toMatchObject({ ok: false, error: { code: 'STORE_NOT_READY' } });
  });

  it('a write while another session holds the promote lock is refused with PROMOTE_IN_PROGRESS and changes nothing', async () => {
    const schema = newSchema();
    const rt = ready(await start(schema));
    await withClient(db.url(), async (c) => {
      await c.query('SELECT pg_advisory_lock($1::bigint)', [advisoryKey('promote', schema)]);
      const r = await testRegistry(rt).dispatch('projects.create', { name: 'during-promote' });
      expect(r).toMatchObject({ ok: false, error: { code: 'PROMOTE_IN_PROGRESS' } });
      await c.query('SELECT pg_advisory_unlock($1::bigint)', [advisoryKey('promote', schema)]);
    });
    const list = await invoke<{ items: unknown[] }>(rt, 'projects.list');
    expect(list.items).toEqual([]);
    await invoke(rt, 'projects.create', { name: 'after-promote' });
  });

  it('STATEWARD_KEY_FILE unlocks secrets at start in team mode too', async () => {
    const schema = newSchema();
    const dir = world.dir();
    secretsEnv.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
    const first = ready(await start(schema, { dir }));
    await first.secrets.setup({});
    first.close();
    await first.closed();
    const again = ready(await start(schema, { dir }));
    expect(await again.secrets.status()).toMatchObject({ initialized: true, unlocked: true });
  });

  it('a read-only (lockless) start never migrates the team schema: STORE_NOT_READY, schema untouched', async () => {
    const schema = newSchema();
    const rt = await startTestRuntime(world, world.dir(), {
      databaseUrl: urlFor(schema),
      lockMode: null,
    });
    expect(rt.startup).toMatchObject({ state: 'refused', code: 'STORE_NOT_READY' });
    const exists = await withClient(
      db.url(),
      async (c) =>
        (await c.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema])).rowCount,
    );
    expect(exists).toBe(0);
    // Once an instance that owns its data dir has migrated it, lockless starts open it.
    ready(await start(schema));
    ready(
      await startTestRuntime(world, world.dir(), { databaseUrl: urlFor(schema), lockMode: null }),
    );
  });

  it('a command whose connection dies under it is PG_CONNECTION_LOST and changes nothing; the next one connects afresh', async () => {
    const schema = newSchema();
    const rt = ready(await start(schema));
    const self = rt.team!.applicationName;
    await withClient(db.url(), async (c) => {
      await c.query('BEGIN');
      await c.query(`LOCK TABLE ${schema}.projects IN ACCESS EXCLUSIVE MODE`);
      const pending = testRegistry(rt).dispatch('projects.create', { name: 'cut-off' });
      // The insert waits for the lock; then its backend is terminated (a server restart, an admin).
      let pid: number | undefined;
      for (let i = 0; i < 500 && pid === undefined; i++) {
        const r = await c.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
          [self],
        );
        pid = r.rows[0]?.pid;
        if (pid === undefined) await new Promise((res) => setTimeout(res, 20));
      }
      expect(pid).toBeDefined();
      await c.query('SELECT pg_terminate_backend($1)', [pid]);
      const r = await pending;
      expect(r).toMatchObject({ ok: false, error: { code: 'PG_CONNECTION_LOST' } });
      expect(JSON.stringify(r)).not.toContain(new URL(db.url()).password);
      await c.query('ROLLBACK');
    });
    await invoke(rt, 'projects.create', { name: 'after-reconnect' });
    const list = await invoke<{ items: { name: string }[] }>(rt, 'projects.list');
    expect(list.items.map((p) => p.name)).toEqual(['after-reconnect']);
  });

  it('the server going away after the start: reads, writes and app.team are PG_CONNECTION_LOST (not INTERNAL); once it is back the next command works', async () => {
    // The instance reaches the server through a TCP relay this test can take down and bring back.
    const real = new URL(db.url());
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((s) => {
      const up = net.connect(Number(real.port), real.hostname);
      for (const x of [s, up]) {
        sockets.add(x);
        x.on('error', () => undefined);
        x.on('close', () => (x === s ? up : s).destroy());
      }
      s.pipe(up).pipe(s);
    });
    const listen = (p: number) =>
      new Promise<number>((res) =>
        relay.listen(p, '127.0.0.1', () => res((relay.address() as net.AddressInfo).port)),
      );
    const port = await listen(0);
    const u = new URL(urlFor(newSchema()));
    u.port = String(port);
    const rt = ready(await startTestRuntime(world, world.dir(), { databaseUrl: u.toString() }));
    await invoke(rt, 'projects.create', { name: 'before' });
    for (const x of sockets) x.destroy();
    await new Promise((res) => relay.close(res));
    for (const [name, input] of [
      ['projects.list', {}],
      ['projects.create', { name: 'while-down' }],
      ['app.team', {}],
    ] as const) {
      const r = await testRegistry(rt).dispatch(name, input);
      expect(r, name).toMatchObject({ ok: false, error: { code: 'PG_CONNECTION_LOST' } });
      expect(JSON.stringify(r)).not.toContain(real.password);
    }
    await listen(port);
    try {
      const list = await invoke<{ items: { name: string }[] }>(rt, 'projects.list');
      expect(list.items.map((p) => p.name)).toEqual(['before']);
    } finally {
      for (const x of sockets) x.destroy();
      relay.close();
    }
  });

  it.each([
    ['a wrong password', (u: URL) => (u.password = 'wrong-password-123'), 'PG_AUTH_FAILED'],
    [
      'a database that does not exist',
      (u: URL) => (u.pathname = '/no_such_db'),
      'PG_DATABASE_MISSING',
    ],
    [
      'sslmode=require on a server without TLS',
      (u: URL) => u.searchParams.set('sslmode', 'require'),
      'PG_TLS_FAILED',
    ],
  ])('%s: the start-up is refused with %s, the password never shown', async (_what, edit, code) => {
    const u = new URL(urlFor(newSchema()));
    edit(u);
    const dir = world.dir();
    const rt = await startTestRuntime(world, dir, { databaseUrl: u.toString() });
    expect(rt.startup).toMatchObject({ state: 'refused', code });
    expect(rt.team).toBeNull();
    expect(rt.data).toBeNull();
    const shown = JSON.stringify(rt.startup);
    expect(shown).not.toContain(u.password);
    expect(shown).not.toContain(new URL(db.url()).password);
    // Neither the log nor the data dir holds it.
    for (const f of fs.readdirSync(path.join(dir, 'logs')))
      expect(fs.readFileSync(path.join(dir, 'logs', f), 'utf8')).not.toContain(u.password);
    expect(fs.existsSync(path.join(dir, 'stateward.db'))).toBe(false);
  });

  it('a server that cannot be reached: the start-up is refused with PG_UNREACHABLE', async () => {
    const rt = await startTestRuntime(world, world.dir(), {
      databaseUrl: 'postgres://nobody@127.0.0.1:1/nowhere?sslmode=disable&connect_timeout=2',
    });
    expect(rt.startup).toMatchObject({ state: 'refused', code: 'PG_UNREACHABLE' });
    expect(rt.team).toBeNull();
  });
});
