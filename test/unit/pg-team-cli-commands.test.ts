// The data commands of `stateward` on a data dir bound to PostgreSQL, through the
// real executable (issue 11.2: "the CLI works unchanged on either backend"): demo,
// status, backup, backups, verify, restore and promote answer from the team
// database, in text and --json, with their exit codes, and never create or read a
// local SQLite database (nor one a move left behind).
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MIGRATIONS } from '../../electron/core/store/migrations/index.ts';
import { REPO_ROOT } from '../helpers/child.ts';
import { killGroup, spawnStateward, stateward } from '../helpers/cli-bin.ts';
import { pgSkipReason, usePgDatabase, withClient } from '../helpers/pg.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const skip = pgSkipReason();
const LAST = MIGRATIONS[MIGRATIONS.length - 1]!.version;

describe.skipIf(skip !== null)('CLI data commands on a team-bound data dir', () => {
  const pg = usePgDatabase();

  /** A new local (SQLite) data dir holding one demo project and no deployments. */
  async function localDemoDir(): Promise<string> {
    const dir = world.dir();
    const local = await stateward([
      '--data-dir',
      dir,
      'demo',
      '--projects',
      '1',
      '--deployments',
      '0',
    ]);
    expect(local.code, local.stderr).toBe(0);
    return dir;
  }

  /** A data dir bound (database.json) to a new schema; commands get the password from PGPASSWORD. */
  async function boundDir(dir = world.dir()) {
    const schema = `cli_${crypto.randomBytes(5).toString('hex')}`;
    const password = new URL(pg.url()).password;
    const { PGPASSWORD: _p, STATEWARD_DATABASE_URL: _u } = process.env;
    const bound = await stateward([
      '--json',
      '--data-dir',
      dir,
      'postgres',
      'connect',
      pg.url(),
      '--schema',
      schema,
    ]);
    expect(bound.code, bound.stderr).toBe(0);
    const sw = (...args: string[]) =>
      stateward(['--data-dir', dir, ...args], {
        PGPASSWORD: password,
        STATEWARD_DATABASE_URL: '',
      });
    return { dir, schema, sw };
  }

  it('demo, status, backup, backups, verify, restore and promote work on the team database', async () => {
    const { dir, schema, sw } = await boundDir();
    const localDb = path.join(dir, 'stateward.db');

    const demo = await sw('--json', 'demo', '--projects', '2', '--deployments', '20');
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.json).toMatchObject({ projects: 2, environments: 6, deployments: 20, schema });
    const again = await sw('demo');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('DEMO_NEEDS_EMPTY_DATA_DIR');

    const status = await sw('--json', 'status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.json).toMatchObject({
      backend: 'postgres',
      dataDir: dir,
      schemaVersion: LAST,
      pendingMigrations: [],
      counts: { projects: 2, environments: 6, deployments: 20 },
      team: { database: pg.name(), schema, schemaVersion: LAST },
      lastBackup: null,
      keys: { initialized: false },
    });
    expect((status.json!.team as { schemaBytes: number }).schemaBytes).toBeGreaterThan(0);
    const text = await sw('status');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`bound to PostgreSQL`);
    expect(text.stdout).toContain(`schema ${schema}`);
    expect(text.stdout).toContain('2 projects, 6 environments, 20 deployments');

    const backup = await sw('--json', 'backup');
    expect(backup.code, backup.stderr).toBe(0);
    const file = backup.json!.path as string;
    expect(path.dirname(file)).toBe(path.join(dir, 'backups'));
    expect(fs.existsSync(file)).toBe(true);
    const manifest = backup.json!.manifest as { id: string; source?: Record<string, unknown> };
    expect(manifest.source).toMatchObject({ backend: 'postgres', database: pg.name(), schema });
    const out = world.dir();
    const compact = await sw('backup', '--compact', '--out', out);
    expect(compact.code, compact.stderr).toBe(0);
    expect(path.dirname(compact.stdout.trim())).toBe(out);

    const listed = await sw('--json', 'backups');
    expect(listed.code, listed.stdout + listed.stderr).toBe(0);
    expect(listed.json!.backups).toEqual([
      expect.objectContaining({
        id: manifest.id,
        verification: expect.objectContaining({ state: 'not-verified' }),
      }),
    ]);
    expect((await sw('backups')).stdout).toContain('not verified');

    const verify = await sw('--json', 'verify', manifest.id);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.json).toMatchObject({ passed: true });
    expect((await sw('backups')).stdout).toMatch(/ verified [^\n]+ ago/);

    // A project recorded after the backup is gone once the restored copy is promoted.
    expect((await sw('project', 'add', 'after-backup')).code).toBe(0);
    const restore = await sw('--json', 'restore', manifest.id);
    expect(restore.code, restore.stdout + restore.stderr).toBe(0);
    const restoreId = restore.json!.restoreId as string;
    // What promoting it changes, against the team database: the later project is lost.
    const diff = await sw('--json', 'restore-diff', restoreId);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.json!.items).toEqual([
      expect.objectContaining({ change: 'removed', kind: 'project', name: 'after-backup' }),
    ]);
    const promoted = await sw('--json', 'promote', restoreId, '--yes');
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.json).toMatchObject({ promoted: restoreId });
    const after = await sw('--json', 'status');
    expect(after.json).toMatchObject({ counts: { projects: 2 } });

    // No command made (or looked for) a local SQLite database.
    expect(fs.existsSync(localDb)).toBe(false);
  }, 180_000);

  it('a local database the move left behind is neither backed up nor counted: the team database is', async () => {
    // A local data dir with one project…
    const dir = await localDemoDir();
    expect(fs.existsSync(path.join(dir, 'stateward.db'))).toBe(true);
    // …then bound to an empty team schema (the local file is kept and no longer used).
    const { schema, sw } = await boundDir(dir);

    const status = await sw('--json', 'status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.json).toMatchObject({ backend: 'postgres', counts: { projects: 0 } });
    // The demo goes into the empty team schema, not refused by the local file's project.
    const demo = await sw('demo', '--projects', '1', '--deployments', '3');
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toContain(`schema ${schema}`);
    const backup = await sw('--json', 'backup');
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.json!.manifest).toMatchObject({ source: { backend: 'postgres', schema } });
  });

  it('--database-url over a local data dir: restore works on files and never writes the local database', async () => {
    const dir = await localDemoDir();
    // A team schema (initialized by binding another data dir to it), named by the URL only.
    const { schema } = await boundDir();
    const url = `${pg.url()}&schema=${schema}`;
    const sw = (...args: string[]) =>
      stateward(['--data-dir', dir, '--database-url', url, ...args]);
    const localDb = path.join(dir, 'stateward.db');
    const before = fs.readFileSync(localDb);
    const backup = await sw('--json', 'backup');
    expect(backup.code, backup.stderr).toBe(0);
    const id = (backup.json!.manifest as { id: string }).id;
    const restore = await sw('--json', 'restore', id);
    expect(restore.code, restore.stdout + restore.stderr).toBe(0);
    expect(fs.readFileSync(localDb).equals(before)).toBe(true);
    const db = new Database(localDb, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM restores').get()).toEqual({ n: 0 });
      expect(
        db.prepare(`SELECT count(*) AS n FROM audit_log WHERE action LIKE 'restore%'`).get(),
      ).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  }, 120_000);

  it('an unreachable team server: status says why with its exit code, and still shows the local facts', async () => {
    const { dir, sw } = await boundDir();
    const wrong = await sw('--json', 'status', '--database-url', 'postgres://nobody@127.0.0.1:1/x');
    expect(wrong.code).toBe(2);
    expect(wrong.json).toMatchObject({
      backend: 'postgres',
      error: { code: 'PG_UNREACHABLE' },
      lastBackup: null,
    });
    // A keyring this machine cannot read: the status still answers, without the keys.
    fs.mkdirSync(path.join(dir, 'keys'), { mode: 0o700 });
    fs.writeFileSync(path.join(dir, 'keys', 'keyring.json'), '{ not json', { mode: 0o600 });
    const damaged = await sw('--json', 'status');
    expect(damaged.code, damaged.stderr).toBe(0);
    expect(damaged.json).toMatchObject({
      backend: 'postgres',
      keys: null,
      counts: { projects: 0 },
    });
    const backup = await sw('backup', '--database-url', 'postgres://nobody@127.0.0.1:1/x');
    expect(backup.code).toBe(2);
    expect(backup.stderr).toContain('PG_UNREACHABLE');
  });
  it('the HTTP host on a team-bound data dir takes the scheduled backup (its scheduler runs in team mode too)', async () => {
    const { dir, schema, sw } = await boundDir();
    const host = spawn(
      process.execPath,
      [
        path.join(REPO_ROOT, 'electron', 'host', 'serve.ts'),
        '--data-dir',
        dir,
        '--no-renderer',
        '--port',
        '0',
      ],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, PGPASSWORD: new URL(pg.url()).password, STATEWARD_DATABASE_URL: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    world.defer(async () => {
      if (host.exitCode !== null) return;
      const exited = new Promise((r) => host.once('exit', r));
      host.kill('SIGKILL');
      await exited;
    });
    let stderr = '';
    host.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // A first start with the default schedule: the catch-up backup is due at once.
    const scheduled = async () =>
      ((await sw('--json', 'backups')).json!.backups as { kind: string }[]).filter(
        (b) => b.kind === 'scheduled',
      );
    let found = await scheduled();
    for (let i = 0; i < 20 && found.length === 0 && host.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      found = await scheduled();
    }
    expect(found, stderr).toEqual([
      expect.objectContaining({
        kind: 'scheduled',
        manifest: expect.objectContaining({
          source: expect.objectContaining({ backend: 'postgres', schema }),
        }),
      }),
    ]);
  }, 120_000);
  it('a demo killed mid-seed leaves the team schema empty (one transaction); the re-run succeeds', async () => {
    const { dir, schema, sw } = await boundDir();
    const child = spawnStateward(world, [
      '--data-dir',
      dir,
      '--database-url',
      `${pg.url()}&schema=${schema}`,
      'demo',
      '--deployments',
      '20000',
    ]);
    child.stderr!.setEncoding('utf8');
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (t: string) => {
        stderr += t;
        if (stderr.includes('demo: 5000/20000')) resolve();
      });
      child.once('exit', () => reject(new Error(`demo ended first: ${stderr}`)));
    });
    await killGroup(child);
    const projects = await withClient(pg.url(), async (c) =>
      Number((await c.query(`SELECT count(*) AS n FROM ${schema}.projects`)).rows[0].n),
    );
    expect(projects).toBe(0);
    const again = await sw('--json', 'demo', '--projects', '1', '--deployments', '10');
    expect(again.code, again.stderr).toBe(0);
    expect((await sw('--json', 'status')).json).toMatchObject({
      counts: { projects: 1, deployments: 10 },
    });
  }, 120_000);
});
