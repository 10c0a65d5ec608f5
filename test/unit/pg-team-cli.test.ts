// `stateward postgres connect` and `stateward postgres status` through the real
// executable, against a real PostgreSQL server.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { migratePostgres } from '../../electron/core/pg/migrate.ts';
import { MIGRATIONS } from '../../electron/core/store/migrations/index.ts';
import { REPO_ROOT } from '../helpers/child.ts';
import { pgSkipReason, usePgDatabase, withClient } from '../helpers/pg.ts';
import { modeOf, useWorld } from '../helpers/world.ts';

const world = useWorld();
const run = promisify(execFile);
const BIN = path.join(REPO_ROOT, 'bin', 'stateward.mjs');
const LAST = MIGRATIONS[MIGRATIONS.length - 1]!.version;

interface Ran {
  code: number;
  json: Record<string, unknown>;
  stderr: string;
}

/** The CLI as a user runs it, with `--json`; no password in the environment unless given. */
async function stateward(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  const { PGPASSWORD: _ignored, STATEWARD_DATABASE_URL: _alsoIgnored, ...base } = process.env;
  const r = await run(process.execPath, [BIN, '--json', ...args], {
    cwd: REPO_ROOT,
    env: { ...base, ...env },
  }).then(
    (ok) => ({ code: 0, stdout: ok.stdout, stderr: ok.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  const lines = r.stdout.split('\n').filter(Boolean);
  expect(lines, r.stderr).toHaveLength(1);
  return { code: r.code, json: JSON.parse(lines[0]!) as Record<string, unknown>, stderr: r.stderr };
}

const skip = pgSkipReason();

describe.skipIf(skip !== null)('stateward postgres connect / status (real server)', () => {
  const db = usePgDatabase();
  const schemaName = () => `cli_${crypto.randomBytes(5).toString('hex')}`;
  const password = () => new URL(db.url()).password;
  /** `postgres connect <server URL> --schema <schema>` on data dir `dir`. */
  const connect = (dir: string, schema: string) =>
    stateward(['--data-dir', dir, 'postgres', 'connect', db.url(), '--schema', schema]);

  it('connect on an empty database initializes the schema and binds the data dir without the password; status reports it', async () => {
    const dir = world.dir();
    const schema = schemaName();
    const connected = await connect(dir, schema);
    expect(connected.code, connected.stderr).toBe(0);
    expect(connected.json).toMatchObject({
      schemaState: 'initialized',
      schemaVersion: LAST,
      applied: MIGRATIONS.map((m) => m.name),
      pending: [],
      passwordNotStored: true,
      binding: { backend: 'postgres', database: db.name(), schema },
    });
    const file = path.join(dir, 'database.json');
    expect(modeOf(file)).toBe(0o600);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(password());
    expect(JSON.parse(text)).toMatchObject({ backend: 'postgres', schema, sslmode: 'disable' });
    const versions = await withClient(db.url(), async (c) =>
      (await c.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`)).rows.map(
        (r: { version: number }) => r.version,
      ),
    );
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));

    // Later commands read the binding; the password comes from PGPASSWORD.
    const status = await stateward(['--data-dir', dir, 'postgres', 'status'], {
      PGPASSWORD: password(),
    });
    expect(status.code, status.stderr).toBe(0);
    expect(status.json).toMatchObject({
      database: db.name(),
      schema,
      schemaVersion: LAST,
      appSchemaVersion: LAST,
      problem: null,
    });
    expect(status.json.migrations).toHaveLength(MIGRATIONS.length);
    expect(status.json.instances).toEqual(
      expect.arrayContaining([expect.objectContaining({ self: true, transport: 'cli' })]),
    );
    expect(status.json.schemaBytes as number).toBeGreaterThan(0);

    // A second data dir connects to the same schema: Stateward's, its history checked, nothing applied.
    const other = await stateward([
      '--data-dir',
      world.dir(),
      'postgres',
      'connect',
      `${db.url()}&schema=${schema}`,
    ]);
    expect(other.code, other.stderr).toBe(0);
    expect(other.json).toMatchObject({ schemaState: 'existing', applied: [], pending: [] });
  });

  it('team commands print nothing but their answer on stderr (no pg warning about a query queued behind another)', async () => {
    const dir = world.dir();
    const bound = await stateward(['--data-dir', dir, 'postgres', 'connect', db.url()]);
    expect(bound.code, bound.stderr).toBe(0);
    const listed = await stateward(['--data-dir', dir, 'project', 'list'], {
      PGPASSWORD: password(),
    });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).not.toMatch(/Warning/);
    // status of a schema nobody initialized yet: its problem, still no warning.
    const fresh = await stateward([
      '--data-dir',
      world.dir(),
      '--database-url',
      `${db.url()}&schema=${schemaName()}`,
      'status',
    ]);
    expect(JSON.stringify(fresh.json)).toContain('STORE_NOT_READY');
    expect(fresh.stderr).not.toMatch(/Warning/);
  });

  it('connect to a schema holding someone else’s tables: PG_SCHEMA_FOREIGN, exit 2, nothing written or changed', async () => {
    const dir = world.dir();
    const schema = schemaName();
    await withClient(db.url(), async (c) => {
      await c.query(`CREATE SCHEMA ${schema}`);
      await c.query(`CREATE TABLE ${schema}.orders (id int PRIMARY KEY)`);
    });
    const r = await connect(dir, schema);
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ error: { code: 'PG_SCHEMA_FOREIGN' } });
    expect((r.json.error as { message: string }).message).toContain('orders');
    expect(fs.existsSync(path.join(dir, 'database.json'))).toBe(false);
    const tables = await withClient(db.url(), async (c) =>
      (
        await c.query(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
          [schema],
        )
      ).rows.map((row: { table_name: string }) => row.table_name),
    );
    expect(tables).toEqual(['orders']);
  });

  it('migrate --database-url on an older team schema: the dry run lists, the run applies after a pre-upgrade backup', async () => {
    const dir = world.dir();
    const schema = schemaName();
    const url = `${db.url()}&schema=${schema}`;
    await withClient(db.url(), (c) =>
      migratePostgres(c, { schema, migrations: MIGRATIONS.slice(0, -1), host: 'old-host' }),
    );
    await withClient(db.url(), (c) =>
      c.query(
        `INSERT INTO ${schema}.projects (name, description, created_at, updated_at) VALUES ('kept', '', 1, 1)`,
      ),
    );
    const dry = await stateward(['--data-dir', dir, '--database-url', url, 'migrate', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json).toEqual({
      dryRun: true,
      schemaVersion: LAST - 1,
      pending: [MIGRATIONS[MIGRATIONS.length - 1]!.name],
      schema,
    });
    // A read-only status never migrates: it says the schema is behind (exit 3 with the reason).
    const behind = await stateward([
      '--data-dir',
      dir,
      '--database-url',
      url,
      'postgres',
      'status',
    ]);
    expect(behind.json).toMatchObject({
      schemaVersion: LAST - 1,
      problem: { code: 'STORE_NOT_READY' },
    });
    const done = await stateward(['--data-dir', dir, '--database-url', url, 'migrate']);
    expect(done.code, done.stderr).toBe(0);
    expect(done.json).toMatchObject({
      dryRun: false,
      applied: [MIGRATIONS[MIGRATIONS.length - 1]!.name],
      schemaVersion: LAST,
    });
    const backups = fs.readdirSync(path.join(dir, 'backups'));
    expect(backups.filter((f) => f.endsWith('.manifest.json'))).toHaveLength(1);
    // Nothing of the data went to a local SQLite file, and no password was written anywhere.
    expect(fs.existsSync(path.join(dir, 'stateward.db'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'database.json'))).toBe(false);
  });

  it('status of a data dir on SQLite: NOT_IN_TEAM_MODE, exit 2', async () => {
    const dir = world.dir();
    const r = await stateward(['--data-dir', dir, 'postgres', 'status']);
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ error: { code: 'NOT_IN_TEAM_MODE' } });
    // Nothing was opened or created there.
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
