// "Connect to a team database" in the app (postgres.connect through the command
// registry, as the dialog calls it) against a real server: the same checks as
// `stateward postgres connect` (an empty schema initialized, someone else's
// refused with nothing written, a wrong password PG_AUTH_FAILED), database.json
// without the password, and the running app switched to PostgreSQL without a
// restart. The password remembered with the OS keychain (a fake KeyWrapper):
// wrapped in keys/ (0600, never in plain text), used by the next team start;
// refused with nothing written where there is no real keychain.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { bindingPath, readBinding } from '../../electron/core/pg/binding.ts';
import { parseDatabaseUrl } from '../../electron/core/pg/connect.ts';
import { pgPasswordPath } from '../../electron/core/pg/password.ts';
import type { KeyWrapper } from '../../electron/core/secrets/keyring.ts';
import type { PgConnectReport } from '../../shared/domain.ts';
import { pgSkipReason, usePgDatabase, withClient } from '../helpers/pg.ts';
import { call, callError } from '../helpers/restore-util.ts';
import { startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { strongKeychain, weakKeychain } from '../helpers/secrets-util.ts';
import { sha256File } from '../helpers/store.ts';
import { useWorld } from '../helpers/world.ts';
import { passwordApart, seedTeam, startTeamRuntime } from '../helpers/pg-team.ts';
import { startWatcher } from '../../electron/core/watch.ts';
import { HELPERS_DIR, REPO_ROOT } from '../helpers/child.ts';
import { HAVE_STRACE, killAtCallArgs } from '../helpers/syscall-sweep.ts';

const skip = pgSkipReason();
const world = useWorld();
const db = usePgDatabase();

/** The file's database, the password taken out of the URL. */
const target = () => passwordApart(db.url());

const newSchema = () => `conn_${crypto.randomBytes(4).toString('hex')}`;

async function app() {
  const dir = world.dir();
  const rt = await startTestRuntime(world, dir);
  const reg = testRegistry(rt);
  await call(reg, 'projects.create', { name: 'local-only' });
  return { dir, rt, reg };
}

describe.skipIf(skip)('postgres.connect in the app', { timeout: 60_000 }, () => {
  it('an empty schema: initialized, bound (no password in database.json), and the running app works on it; the local file is untouched', async () => {
    const { dir, rt, reg } = await app();
    const { url, password } = target();
    const schema = newSchema();
    const localFile = path.join(dir, 'stateward.db');
    const changed = new Set<string>();
    world.defer(rt.events.on('data.changed', (e) => changed.add(e.area)));
    // The host's scheduler runs: it goes on, in team mode.
    rt.backups.startScheduler();
    world.defer(() => rt.backups.stopScheduler());

    const r = await call<PgConnectReport>(reg, 'postgres.connect', { url, password, schema });
    expect(r).toMatchObject({
      schema,
      schemaState: 'initialized',
      connected: true,
      passwordRemembered: false,
      localDatabaseKept: true,
    });
    expect(r.applied.length).toBeGreaterThan(0);
    expect(readBinding(dir)).toMatchObject({ backend: 'postgres', schema });
    expect(fs.readFileSync(bindingPath(dir), 'utf8')).not.toContain(password);
    expect(fs.statSync(bindingPath(dir)).mode & 0o777).toBe(0o600);

    // The local store is closed (checkpointed): from now on its file does not change.
    expect(rt.store).toBeNull();
    const before = sha256File(localFile);
    expect(rt.data?.backend).toBe('postgres');
    expect([...changed]).toEqual(expect.arrayContaining(['projects', 'backups', 'audit']));
    expect(rt.backups.scheduling).toBe(true);
    // Its first team-mode tick is under way (busy); the next ones run in team mode, never failing.
    let ticked = '';
    await expect
      .poll(async () => (ticked = await rt.backups.tick()), { timeout: 30_000 })
      .not.toBe('busy');
    expect(ticked).not.toBe('failed');
    // The team database, not the local one: its projects, and a write lands there.
    const team = await call<{ schema: string } | null>(reg, 'app.team', {});
    expect(team?.schema).toBe(schema);
    expect((await call<{ items: { name: string }[] }>(reg, 'projects.list', {})).items).toEqual([]);
    await call(reg, 'projects.create', { name: 'in-the-team' });
    await withClient(db.url(), async (c) => {
      const rows = await c.query(`SELECT name FROM ${schema}.projects`);
      expect(rows.rows).toEqual([{ name: 'in-the-team' }]);
    });
    expect(sha256File(localFile)).toBe(before);
    const local = new Database(localFile, { readonly: true });
    try {
      expect(local.prepare('SELECT name FROM projects').all()).toEqual([{ name: 'local-only' }]);
    } finally {
      local.close();
    }
    // The change watcher follows the switch: another instance's write to the team database
    // reaches this runtime's screens.
    const watcher = startWatcher(rt, 50);
    world.defer(() => watcher.stop());
    await watcher.ready;
    const heard = new Set<string>();
    world.defer(rt.events.on('data.changed', (e) => heard.add(e.area)));
    const other = await startTeamRuntime(world, db.url(), schema);
    await call(testRegistry(other), 'projects.create', { name: 'from-another-instance' });
    await expect.poll(() => heard.has('projects'), { timeout: 10_000 }).toBe(true);
    // Connected once: a second connect is refused.
    expect((await callError(reg, 'postgres.connect', { url, password, schema })).code).toBe(
      'CONFLICT',
    );
  });

  it("the team's existing schema: found (not initialized), and the app shows the team's projects", async () => {
    const { reg } = await app();
    const { url, password } = target();
    const schema = newSchema();
    await withClient(db.url(), (c) => seedTeam(c, schema, 'joined', 2, 1));
    const r = await call<PgConnectReport>(reg, 'postgres.connect', {
      url: `${url}${url.includes('?') ? '&' : '?'}schema=${schema}`,
      password,
    });
    expect(r).toMatchObject({ schema, schemaState: 'existing', applied: [], connected: true });
    const listed = await call<{ items: { name: string }[] }>(reg, 'projects.list', {});
    expect(listed.items.map((p) => p.name).sort()).toEqual(['joined-p1', 'joined-p2']);
  });

  it("a schema holding someone else's tables: PG_SCHEMA_FOREIGN, nothing written, the app stays local", async () => {
    const { dir, rt, reg } = await app();
    const { url, password } = target();
    const schema = newSchema();
    await withClient(db.url(), async (c) => {
      await c.query(`CREATE SCHEMA ${schema}`);
      await c.query(`CREATE TABLE ${schema}.notes (id serial PRIMARY KEY, body text)`);
    });
    const err = await callError(reg, 'postgres.connect', { url, password, schema });
    expect(err.code).toBe('PG_SCHEMA_FOREIGN');
    expect(fs.existsSync(bindingPath(dir))).toBe(false);
    expect(rt.team).toBeNull();
    // The runtime's own switch refuses it the same way, and stays on its local database.
    await expect(rt.connectTeam({ ...parseDatabaseUrl(db.url()), schema })).rejects.toMatchObject({
      code: 'PG_SCHEMA_FOREIGN',
    });
    expect(rt.team).toBeNull();
    expect(rt.data?.backend).toBe('sqlite');
    const listed = await call<{ items: { name: string }[] }>(reg, 'projects.list', {});
    expect(listed.items.map((p) => p.name)).toEqual(['local-only']);
    await withClient(db.url(), async (c) => {
      const tables = await c.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`,
        [schema],
      );
      expect(tables.rows).toEqual([{ table_name: 'notes' }]);
    });
  });

  it('a wrong password: PG_AUTH_FAILED (not echoed); a password in the URL: BAD_INPUT on the url field; nothing written', async () => {
    const { dir, rt, reg } = await app();
    const { url, password } = target();
    const wrong = `wrong-${crypto.randomBytes(6).toString('hex')}`;
    const err = await callError(reg, 'postgres.connect', { url, password: wrong });
    expect(err.code).toBe('PG_AUTH_FAILED');
    expect(JSON.stringify(err)).not.toContain(wrong);
    const inUrl = new URL(url);
    inUrl.password = password;
    const refused = await callError(reg, 'postgres.connect', { url: inUrl.toString() });
    expect(refused).toMatchObject({ code: 'BAD_INPUT', details: { field: 'url' } });
    expect(fs.existsSync(bindingPath(dir))).toBe(false);
    expect(rt.store).not.toBeNull();
  });

  it('a reserved schema name (pg_*, a drill scratch stateward_drill_*): BAD_INPUT on the schema field, nothing written or created', async () => {
    const { dir, rt, reg } = await app();
    const { url, password } = target();
    for (const schema of ['pg_team', 'stateward_drill_team']) {
      const err = await callError(reg, 'postgres.connect', { url, password, schema });
      expect(err, schema).toMatchObject({ code: 'BAD_INPUT' });
      expect(JSON.stringify(err)).toContain('schema');
    }
    expect(fs.existsSync(bindingPath(dir))).toBe(false);
    expect(rt.store).not.toBeNull();
    const created = await withClient(db.url(), async (c) =>
      (
        await c.query(
          `SELECT nspname FROM pg_namespace WHERE nspname IN ('pg_team', 'stateward_drill_team')`,
        )
      ).rows.map((r: { nspname: string }) => r.nspname),
    );
    expect(created).toEqual([]);
  });

  it('remember the password: wrapped by the keychain in keys/ (0600), never in plain text, and the next start uses it; without a real keychain it is refused and nothing is written', async () => {
    const { url, password } = target();
    // No password from libpq's ways in this process: only the remembered one can open it.
    const savedPassfile = process.env.PGPASSFILE;
    process.env.PGPASSFILE = path.join(world.dir(), 'no-pgpass');
    world.defer(() => {
      if (savedPassfile === undefined) delete process.env.PGPASSFILE;
      else process.env.PGPASSFILE = savedPassfile;
    });

    // A browser host (no keychain) and Linux's obfuscating fallback: refused, nothing written.
    for (const keychain of [null, weakKeychain()]) {
      const { dir, rt, reg } = await app();
      rt.secrets.setKeychain(keychain);
      const schema = newSchema();
      const err = await callError(reg, 'postgres.connect', {
        url,
        password,
        schema,
        rememberPassword: true,
      });
      expect(err).toMatchObject({ code: 'BAD_INPUT', details: { field: 'rememberPassword' } });
      expect(fs.existsSync(bindingPath(dir))).toBe(false);
      expect(fs.existsSync(pgPasswordPath(path.join(dir, 'keys')))).toBe(false);
      expect(rt.team).toBeNull();
    }

    const keychain = strongKeychain();
    const { dir, rt, reg } = await app();
    rt.secrets.setKeychain(keychain);
    const schema = newSchema();
    const r = await call<PgConnectReport>(reg, 'postgres.connect', {
      url,
      password,
      schema,
      rememberPassword: true,
    });
    expect(r).toMatchObject({ connected: true, passwordRemembered: true });
    const file = pgPasswordPath(path.join(dir, 'keys'));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(file, 'utf8')).not.toContain(password);
    expect(fs.readFileSync(file, 'utf8')).not.toContain(Buffer.from(password).toString('base64'));
    rt.close();
    await rt.closed();

    // The next start: the remembered password opens the team database with this keychain only.
    const without = await startTestRuntime(world, dir);
    expect(without.startup).toMatchObject({ state: 'refused', code: 'PG_AUTH_FAILED' });
    without.close();
    await without.closed();
    const next = await startTestRuntime(world, dir, { keychain });
    expect(next.startup.state).toBe('ready');
    expect(next.team?.schema).toBe(schema);
    expect(keychain.calls.unwrap).toBeGreaterThan(0);
  });

  it.skipIf(!HAVE_STRACE)(
    'killed (strace) right after database.json is renamed into place: the remembered password is already stored, so the next start opens the team database',
    async () => {
      const dir = world.dir();
      // keys/ exists already: the first fsync of the data dir itself is the binding's.
      fs.mkdirSync(path.join(dir, 'keys'), { mode: 0o700 });
      const { url, password } = target();
      const schema = newSchema();
      const proc = spawn(
        process.execPath,
        [path.join(HELPERS_DIR, 'pg-connect-child.ts'), dir, url, password, schema],
        { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
      );
      const gone = (p: ChildProcess) => p.exitCode !== null || p.signalCode !== null;
      world.defer(() => void (gone(proc) || proc.kill('SIGKILL')));
      const exited = new Promise<NodeJS.Signals | null>((r) =>
        proc.once('exit', (_c, sig) => r(sig)),
      );
      let out = '';
      await new Promise<void>((resolve, reject) => {
        proc.stdout.on('data', (c: Buffer) => {
          out += c.toString('utf8');
          if (out.includes('ready')) resolve();
        });
        void exited.then(() => reject(new Error(`child exited: ${out}`)));
      });
      const tracer = spawn('strace', [
        '-qq',
        '-f',
        '-p',
        String(proc.pid),
        ...killAtCallArgs('fsync', { onPath: dir }),
      ]);
      world.defer(() => void (gone(tracer) || tracer.kill('SIGKILL')));
      const traced = () =>
        /TracerPid:\s+[1-9]/.test(fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
      await expect.poll(traced, { timeout: 10_000 }).toBe(true);
      proc.stdin.write('go\n');
      expect(await exited, out).toBe('SIGKILL');
      expect(out).not.toContain('done');

      expect(readBinding(dir)).toMatchObject({ backend: 'postgres', schema });
      expect(fs.existsSync(pgPasswordPath(path.join(dir, 'keys')))).toBe(true);
      // The child's keychain stand-in (it reverses the bytes); no password the libpq ways.
      const keychain: KeyWrapper = {
        kind: 'os-keychain',
        status: () => Promise.resolve({ available: true, weak: false, backend: 'test' }),
        wrap: (key) => Promise.resolve(Buffer.from(key).reverse()),
        unwrap: (w) => Promise.resolve({ key: Buffer.from(w).reverse(), rewrap: false }),
      };
      const saved = process.env.PGPASSFILE;
      process.env.PGPASSFILE = path.join(world.dir(), 'no-pgpass');
      world.defer(() => {
        if (saved === undefined) delete process.env.PGPASSFILE;
        else process.env.PGPASSFILE = saved;
      });
      const next = await startTestRuntime(world, dir, { keychain });
      expect(next.startup.state).toBe('ready');
      expect(next.team?.schema).toBe(schema);
    },
  );
});
