import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { USAGE } from '../../electron/cli/main.ts';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { MIGRATIONS } from '../../electron/core/store/migrations/index.ts';
import { APP_VERSION } from '../../electron/core/version.ts';
import { holdLockInChild, REPO_ROOT } from '../helpers/child.ts';
import { cli, onlyJson } from '../helpers/cli.ts';
import { editDatabase, sha256File } from '../helpers/store.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const ALL = MIGRATIONS.map((m) => m.name);
const LAST = MIGRATIONS[MIGRATIONS.length - 1]!.version;

interface StatusJson {
  dataDir: string;
  dataDirSource: string;
  initialized: boolean;
  schemaVersion: number;
  appSchemaVersion: number;
  pendingMigrations: string[];
  counts?: { projects: number; environments: number; deployments: number; auditEntries: number };
  lock: { pid: number; host: string; mode: string } | null;
  error?: { code: string; message: string };
}

describe('usage', () => {
  it('--help prints the usage and exits 0', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${USAGE}\n`);
  });

  it('--version prints the version', async () => {
    expect((await cli('--version')).stdout).toBe(`${APP_VERSION}\n`);
    expect(onlyJson(await cli('--version', '--json'))).toEqual({ version: APP_VERSION });
  });

  it.each([
    [['frobnicate'], /Unknown command "frobnicate"/],
    [[], /No command given/],
    [['status', 'extra'], /Unexpected argument "extra"/],
    [['demo', '--projects', 'abc'], /--projects must be a whole number/],
    [['demo', '--projects', '0'], /--projects must be a whole number/],
    [['demo', '--projects', '1.5'], /--projects must be a whole number/],
    [['demo', '--deployments', '-3'], /--deployments|ERR_PARSE_ARGS|option/i],
    [['status', '--projects', '3'], /--projects is not an option of "status"/],
    [['status', '--dry-run'], /--dry-run is not an option of "status"/],
    [['--no-such-flag', 'status'], /no-such-flag/],
    [['--data-dir', '', 'status'], /--data-dir must not be empty/],
    // The same option twice: which one was meant is not guessed (the last silently won).
    [['demo', '--projects', '1', '--projects', '2'], /--projects is given twice/],
  ])('%j is a usage error: exit 2, nothing created', async (args, message) => {
    const dir = world.dir();
    const r = await cli(...(args.includes('--data-dir') ? args : ['--data-dir', dir, ...args]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('control characters typed on the command line', () => {
  // A screen clear, a carriage return (overwrites the line), a newline and a C1 CSI.
  const EVIL = 'x\x1b[2J\ry\nz\x9b';
  // eslint-disable-next-line no-control-regex -- the raw characters are what must not appear
  const raw = /[\x1b\r\x9b]/;

  it('are escaped in error messages, not sent raw to the terminal', async () => {
    const dir = world.dir();
    for (const args of [[EVIL], ['promote', '--yes', EVIL]]) {
      const r = await cli('--data-dir', dir, ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(raw);
      expect(r.stderr).toContain('x\\x1b[2J\\x0dy');
    }
    // --json output is JSON already: the value round-trips exactly.
    const j = await cli('--data-dir', dir, '--json', EVIL);
    expect((onlyJson(j).error as { message: string }).message).toContain(EVIL);
  });

  it('a bidi override (U+202E: the rest of the line shows reversed, dorp reads as prod) is escaped too', async () => {
    const r = await cli('--data-dir', world.dir(), 'x\u202Edorp');
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('\u202E');
    expect(r.stderr).toContain('x\\u202edorp');
  });

  it('are escaped in text output (a data dir path holding them)', async () => {
    const dir = path.join(world.dir(), EVIL);
    const r = await cli('--data-dir', dir, 'demo', '--projects', '1', '--deployments', '0');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(raw);
    expect(r.stdout).toContain('x\\x1b[2J\\x0dy');
  });
});

describe('demo and status', () => {
  it('demo fills a new data dir; status --json on it shows the same counts', async () => {
    const dir = world.dir();
    const demo = await cli(
      '--data-dir',
      dir,
      '--json',
      'demo',
      '--projects',
      '3',
      '--deployments',
      '120',
    );
    expect(demo.code).toBe(0);
    expect(onlyJson(demo)).toMatchObject({
      projects: 3,
      environments: 9,
      deployments: 120,
      dataDir: dir,
    });
    expect(demo.stderr).toContain('120/120');

    const status = await cli('--data-dir', dir, 'status', '--json');
    expect(status.code).toBe(0);
    const s = onlyJson(status) as unknown as StatusJson;
    expect(s).toMatchObject({
      dataDir: dir,
      dataDirSource: 'flag',
      initialized: true,
      schemaVersion: LAST,
      appSchemaVersion: LAST,
      pendingMigrations: [],
      counts: { projects: 3, environments: 9, deployments: 120, auditEntries: 1 },
      lock: null,
    });
  });

  it('status in text form names the data dir and the counts', async () => {
    const dir = world.dir();
    expect(
      (await cli('--data-dir', dir, 'demo', '--projects', '1', '--deployments', '5')).code,
    ).toBe(0);
    const r = await cli('--data-dir', dir, 'status');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(dir);
    expect(r.stdout).toMatch(/1 projects, 3 environments, 5 deployments/);
    expect(r.stdout).toMatch(/In use by\s+nobody/);
  });

  it('status reports the last backup and the last restore drill', async () => {
    const dir = world.dir();
    expect((await cli('--data-dir', dir, 'demo', '--deployments', '5')).code).toBe(0);
    let s = onlyJson(await cli('--data-dir', dir, 'status', '--json'));
    expect(s.lastBackup).toBeNull();
    expect(s.lastDrill).toBeNull();
    expect((await cli('--data-dir', dir, 'status')).stdout).toMatch(
      /Backup\s+none yet[\s\S]*Drill\s+none yet/,
    );
    const backup = await cli('--data-dir', dir, 'backup');
    expect(backup.code).toBe(0);
    const file = backup.lines[0]!;
    expect((await cli('--data-dir', dir, 'verify', file)).code).toBe(0);
    s = onlyJson(await cli('--data-dir', dir, 'status', '--json'));
    expect(s.lastBackup).toMatchObject({ fileName: path.basename(file), kind: 'manual' });
    expect(s.lastDrill).toMatchObject({ passed: true, fileName: path.basename(file) });
    const text = (await cli('--data-dir', dir, 'status')).stdout;
    expect(text).toContain(`Backup     manual`);
    expect(text).toContain('Drill      passed');
  });

  it('status on a new data dir creates nothing', async () => {
    const dir = world.dir();
    const r = await cli('--data-dir', dir, '--json', 'status');
    expect(r.code).toBe(0);
    expect(onlyJson(r)).toMatchObject({
      initialized: false,
      schemaVersion: 0,
      appSchemaVersion: LAST,
      lock: null,
    });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('demo twice: the second is refused with DEMO_NEEDS_EMPTY_DATA_DIR (exit 2), data unchanged', async () => {
    const dir = world.dir();
    expect(
      (await cli('--data-dir', dir, 'demo', '--projects', '1', '--deployments', '3')).code,
    ).toBe(0);
    const before = onlyJson(await cli('--data-dir', dir, '--json', 'status')).counts;
    const again = await cli('--data-dir', dir, '--json', 'demo');
    expect(again.code).toBe(2);
    expect(onlyJson(again)).toMatchObject({ error: { code: 'DEMO_NEEDS_EMPTY_DATA_DIR' } });
    expect(again.stderr).toContain('DEMO_NEEDS_EMPTY_DATA_DIR');
    expect(onlyJson(await cli('--data-dir', dir, '--json', 'status')).counts).toEqual(before);
  });
});

describe('migrate', () => {
  it('--dry-run on a new dir lists every migration and creates no database', async () => {
    const dir = world.dir();
    const text = await cli('--data-dir', dir, 'migrate', '--dry-run');
    expect(text.code).toBe(0);
    for (const name of ALL) expect(text.stdout).toContain(name);
    const json = await cli('--data-dir', dir, '--json', 'migrate', '--dry-run');
    expect(onlyJson(json)).toEqual({ dryRun: true, schemaVersion: 0, pending: ALL });
    expect(fs.existsSync(dataDirLayout(dir).db)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('applies every migration once; a second run applies nothing', async () => {
    const dir = world.dir();
    const first = await cli('--data-dir', dir, '--json', 'migrate');
    expect(first.code).toBe(0);
    expect(onlyJson(first)).toMatchObject({ dryRun: false, applied: ALL, schemaVersion: LAST });
    expect(fs.existsSync(dataDirLayout(dir).db)).toBe(true);
    const second = await cli('--data-dir', dir, '--json', 'migrate');
    expect(onlyJson(second)).toMatchObject({ applied: [] });
    expect(onlyJson(await cli('--data-dir', dir, '--json', 'migrate', '--dry-run'))).toMatchObject({
      pending: [],
    });
    expect(fs.existsSync(dataDirLayout(dir).lock), 'migrate releases its lock').toBe(false);
  });
});

describe('refusals', () => {
  it('with the lock held by another process, demo exits 3 while status still works and shows the lock', async () => {
    const dir = world.dir();
    const child = await holdLockInChild(world, dataDirLayout(dir).lock, 'host');
    const demo = await cli('--data-dir', dir, '--json', 'demo');
    expect(demo.code).toBe(3);
    const err = onlyJson(demo).error as { code: string; message: string };
    expect(err.code).toBe('DATA_DIR_LOCKED');
    expect(err.message).toContain(`pid ${child.pid}`);
    expect(fs.existsSync(dataDirLayout(dir).db), 'a refused demo opens no database').toBe(false);

    const status = await cli('--data-dir', dir, '--json', 'status');
    expect(status.code).toBe(0);
    expect((onlyJson(status) as unknown as StatusJson).lock).toMatchObject({
      pid: child.pid,
      host: os.hostname(),
      mode: 'host',
    });
    const text = await cli('--data-dir', dir, 'status');
    expect(text.stdout).toContain(`pid ${child.pid}`);
    expect(fs.existsSync(dataDirLayout(dir).lock)).toBe(true);
  });

  it('a database from a newer version: status and migrate exit 3 and the file is untouched', async () => {
    const dir = world.dir();
    expect((await cli('--data-dir', dir, 'migrate')).code).toBe(0);
    const { db } = dataDirLayout(dir);
    editDatabase(db, (d) => {
      d.prepare(`INSERT INTO schema_migrations VALUES (99, '0099_future', 'x', 1, '9.9.9')`).run();
      d.pragma('user_version = 99');
    });
    const before = sha256File(db);

    const status = await cli('--data-dir', dir, '--json', 'status');
    expect(status.code).toBe(3);
    const s = onlyJson(status) as unknown as StatusJson;
    expect(s.error).toMatchObject({ code: 'SCHEMA_FROM_NEWER_VERSION' });
    expect(s.error!.message).toContain('9.9.9');

    const text = await cli('--data-dir', dir, 'status');
    expect(text.code).toBe(3);
    expect(text.stderr).toContain('SCHEMA_FROM_NEWER_VERSION');

    for (const args of [['migrate'], ['migrate', '--dry-run'], ['demo']]) {
      const r = await cli('--data-dir', dir, '--json', ...args);
      expect(r.code, args.join(' ')).toBe(3);
      expect(onlyJson(r)).toMatchObject({ error: { code: 'SCHEMA_FROM_NEWER_VERSION' } });
    }
    expect(sha256File(db)).toBe(before);
  });

  it('a foreign file as stateward.db: status exits 2 with NOT_A_STATEWARD_DB', async () => {
    const dir = world.dir();
    fs.writeFileSync(dataDirLayout(dir).db, 'hello, I am a text file\n'.repeat(10));
    const r = await cli('--data-dir', dir, '--json', 'status');
    expect(r.code).toBe(2);
    expect(onlyJson(r)).toMatchObject({ error: { code: 'NOT_A_STATEWARD_DB' } });
  });
});

describe('--json prints exactly one JSON line on stdout', () => {
  it.each([
    ['status (success)', ['status'], 0],
    ['migrate --dry-run (success)', ['migrate', '--dry-run'], 0],
    ['an unknown command', ['nope'], 2],
    ['a bad option value', ['demo', '--projects', 'abc'], 2],
    ['an unknown flag', ['--bogus', 'status'], 2],
    ['a flag missing its value', ['demo', '--projects'], 2],
  ])('%s', async (_what, args, code) => {
    const dir = world.dir();
    const r = await cli('--json', '--data-dir', dir, ...args);
    expect(r.code).toBe(code);
    const obj = onlyJson(r);
    if (code !== 0) expect(obj).toMatchObject({ error: { code: 'BAD_INPUT' } });
  });
});

describe('the real executable', () => {
  const run = promisify(execFile);
  const bin = path.join(REPO_ROOT, 'bin', 'stateward.mjs');

  it('`stateward --data-dir DIR demo` then `status --json`', async () => {
    const dir = world.dir();
    const demo = await run(
      process.execPath,
      [bin, '--data-dir', dir, 'demo', '--projects', '2', '--deployments', '40'],
      {
        cwd: REPO_ROOT,
      },
    );
    expect(demo.stdout).toMatch(/Created 2 projects, 6 environments and 40 deployments/);
    const status = await run(process.execPath, [bin, '--data-dir', dir, 'status', '--json'], {
      cwd: REPO_ROOT,
    });
    const lines = status.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      initialized: true,
      counts: { projects: 2, environments: 6, deployments: 40 },
    });

    const again = await run(process.execPath, [bin, '--data-dir', dir, 'demo'], {
      cwd: REPO_ROOT,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('DEMO_NEEDS_EMPTY_DATA_DIR');
  });
});
