// Record commands through the real `stateward` executable (issue 13.1, 13.5): project,
// env, deploy start|log|finish|list|show, run and resource, in text and JSON; the exit
// codes of DESIGN.md; bad input changing nothing; the same audit entries as the app;
// and the writes working while a host holds the data dir.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { BIN, SPAWNS_TIMEOUT } from '../helpers/cli-bin.ts';
import { REPO_ROOT } from '../helpers/child.ts';
import { startTestHost } from '../helpers/http.ts';
import { startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { cliOnDir, makeKeyFile, useSecretsEnv } from '../helpers/secrets-util.ts';
import { useTemplateDir, useWorld } from '../helpers/world.ts';

const world = useWorld();
const secretsEnv = useSecretsEnv();
/** A data dir with project shop, environment shop/prod and deployment 1 (running) in it. */
const shopProd = useTemplateDir(world);

beforeAll(async () => {
  const rt = await startTestRuntime(world, shopProd.dir);
  const registry = testRegistry(rt);
  for (const [name, input] of [
    ['projects.create', { name: 'shop', description: 'the web shop' }],
    ['environments.create', { projectId: 1, name: 'prod', kind: 'production' }],
    ['deployments.create', { environmentId: 1, version: '1.0', status: 'running' }],
  ] as const)
    expect(await registry.dispatch(name, input)).toMatchObject({ ok: true });
  rt.close();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `stateward --data-dir DIR <args…>` with `input` on stdin, to its end. A broken pipe
 * (the command stopped reading stdin before its end) fails the run.
 */
function sw(dir: string, args: string[], input = '', env = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--data-dir', dir, ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.stdin.on('error', reject);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** The one JSON object a `--json` run printed on stdout. */
function json(r: Run): Record<string, unknown> {
  const lines = r.stdout.split('\n').filter(Boolean);
  expect(lines, r.stderr).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

/** A data dir with a current, empty database. */
async function dataDir(): Promise<string> {
  const dir = world.dir();
  (await startTestRuntime(world, dir)).close();
  return dir;
}

/** Rows of the live database, read as another process would. */
function query<T>(dir: string, sql: string): T[] {
  const db = new Database(dataDirLayout(dir).db, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

const counts = (dir: string) =>
  query<Record<string, number>>(
    dir,
    `SELECT (SELECT count(*) FROM projects) AS projects, (SELECT count(*) FROM environments) AS environments,
            (SELECT count(*) FROM deployments) AS deployments, (SELECT count(*) FROM deployment_logs) AS logs,
            (SELECT count(*) FROM runs) AS runs, (SELECT count(*) FROM resource_status) AS resources,
            (SELECT count(*) FROM config_snapshots) AS snapshots, (SELECT count(*) FROM audit_log) AS audit`,
  )[0]!;

/** Each of `cases` fails with exit `exit` and its message, and changes nothing. */
async function refusedUnchanged(
  dir: string,
  cases: readonly (readonly [string[], RegExp])[],
  exit = 2,
): Promise<void> {
  const before = counts(dir);
  for (const [args, message] of cases) {
    // In this process (the real executable's exit codes and messages: a few above, every other test).
    const r = await cliOnDir(dir, args, 'not json\n');
    expect(r.code, args.join(' ')).toBe(exit);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    const j = await cliOnDir(dir, ['--json', ...args], 'not json\n');
    expect(json(j), args.join(' ')).toMatchObject({ error: { code: expect.any(String) } });
  }
  expect(counts(dir)).toEqual(before);
}

describe('project and env', { timeout: SPAWNS_TIMEOUT }, () => {
  it('add, list and show in text (one tab-separated row per line) and JSON; audited as the app audits', async () => {
    const dir = await dataDir();
    const added = await sw(
      dir,
      ['project', 'add', 'shop', '--description-file', '-'],
      'the web shop\n',
    );
    expect(added).toMatchObject({ code: 0, stdout: 'shop\n' });
    expect(json(await sw(dir, ['--json', 'project', 'add', 'blog']))).toMatchObject({
      project: { name: 'blog', description: '', environmentCount: 0 },
    });
    expect((await sw(dir, ['env', 'add', 'shop/prod', '--kind', 'production'])).stdout).toBe(
      'shop/prod\n',
    );
    expect((await sw(dir, ['env', 'add', 'SHOP/staging'])).stdout).toBe('shop/staging\n');

    const list = await sw(dir, ['project', 'list']);
    expect(list.code).toBe(0);
    expect(
      list.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')),
    ).toEqual([
      ['blog', '0', '0', '-'],
      ['shop', '2', '0', '-'],
    ]);
    expect(json(await sw(dir, ['--json', 'project', 'show', 'shop']))).toMatchObject({
      project: { name: 'shop', description: 'the web shop' },
      environments: [
        { name: 'prod', kind: 'production' },
        { name: 'staging', kind: 'other' },
      ],
    });
    expect((await sw(dir, ['env', 'list', 'shop'])).stdout).toBe(
      'shop/prod\tproduction\t0\t-\t-\nshop/staging\tother\t0\t-\t-\n',
    );
    const audit = query<{ action: string; actor: string }>(
      dir,
      `SELECT action, actor FROM audit_log ORDER BY id`,
    );
    expect(audit.map((a) => a.action)).toEqual([
      'project.created',
      'project.created',
      'environment.created',
      'environment.created',
    ]);
    expect(new Set(audit.map((a) => a.actor))).toEqual(new Set([`cli@${os.hostname()}`]));
  });

  it('bad input: exit 2, a clear error (as JSON with --json), nothing changed', async () => {
    const dir = shopProd.fresh();
    const viaBin = await sw(dir, ['project', 'add', 'shop']);
    expect(viaBin.code).toBe(2);
    expect(viaBin.stderr).toMatch(/^stateward: CONFLICT: /);
    await refusedUnchanged(dir, [
      [['project', 'add'], /Use: project add NAME/],
      [['project', 'add', 'SHOP'], /CONFLICT/],
      [['project', 'add', 'x'.repeat(121)], /BAD_INPUT: Invalid name: must be at most 120/],
      [['project', 'show', 'nope'], /NOT_FOUND: There is no project nope/],
      [['project', 'frob'], /Use: project add\|list\|show/],
      [
        ['project', 'list', '--description', 'x'],
        /--description is not an option of "project list"/,
      ],
      [['env', 'list', 'shop', '--kind', 'production'], /--kind is not an option of "env list"/],
      [['env', 'add', 'shop'], /"shop" is not <project>\/<environment>/],
      [['env', 'add', 'nope/prod'], /NOT_FOUND/],
      [['env', 'add', 'shop/qa', '--kind', 'moon'], /--kind must be one of/],
      [['env', 'add', 'shop/qa', '--url', 'http://x'], /--url is not an option of "env"/],
      [['project', 'add', 'a', '--description', 'd', '--description-file', '-'], /not both/],
    ]);
  });

  it('needs a current database: STORE_NOT_READY (exit 3) on an empty data dir, which is left empty', async () => {
    const dir = world.dir();
    const r = await sw(dir, ['project', 'list']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/STORE_NOT_READY.*\n.*stateward migrate/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('bad input on an empty data dir is still bad input (exit 2), not STORE_NOT_READY, and leaves it empty', async () => {
    const dir = world.dir();
    const cases: [string[], RegExp][] = [
      [['deploy', 'list', '--limit', 'abc'], /--limit must be a whole number/],
      [['deploy', 'list', '--status', 'bogus'], /--status must be one of/],
      [['deploy', 'list', 'a/b/c'], /is not <project>\/<environment>/],
      [['deploy', 'start', 'nope', '--version', '1'], /is not <project>\/<environment>/],
      [['deploy', 'start', 'shop/prod'], /--version V is needed/],
      [['deploy', 'log', '1', '--level', 'loud'], /--level must be one of/],
      [['deploy', 'finish', '1'], /--status is needed/],
      [['deploy', 'run', 'nope', '--version', '1', '--', 'true'], /is not <project>/],
      [['resource', 'list', 'nope'], /is not <project>\/<environment>/],
      [['resource', 'set', 'nope', 'db', '--status', 'ok'], /is not <project>/],
      [['secret', 'set', 'shop/prod'], /Use: secret set/],
      [['secret', 'list', 'nope'], /is not <project>\/<environment>/],
    ];
    for (const [args, message] of cases) {
      const r = await sw(dir, args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/BAD_INPUT/);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('deploy start|log|finish|list|show', { timeout: SPAWNS_TIMEOUT }, () => {
  it('records a deployment from a script: start prints its id, log appends stdin in order, finish stores the summary', async () => {
    const dir = shopProd.fresh();
    const snapshot = path.join(world.dir(), 'config.json');
    fs.writeFileSync(snapshot, JSON.stringify({ replicas: 3, image: 'shop:1.2.3' }));
    const start = await sw(dir, [
      'deploy',
      'start',
      'shop/prod',
      '--version',
      '1.2.3',
      '--url',
      'https://shop.example',
      '--snapshot',
      snapshot,
    ]);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toMatch(/^\d+\n$/);
    const id = start.stdout.trim();

    // More lines than one batch holds, then a second writer with another level.
    const lines = Array.from({ length: 450 }, (_, i) => `step ${i + 1}`);
    const log = await sw(dir, ['--json', 'deploy', 'log', id], `${lines.join('\n')}\n`);
    expect(json(log)).toEqual({ deploymentId: Number(id), appended: 450 });
    expect(
      await sw(dir, ['deploy', 'log', id, '--level', 'error'], 'disk almost full\r\n'),
    ).toMatchObject({
      code: 0,
      stdout: '',
    });
    const finish = await sw(
      dir,
      ['deploy', 'finish', id, '--status', 'succeeded', '--summary-file', '-'],
      'rolled out to 3 replicas\n',
    );
    expect(finish).toMatchObject({ code: 0, stdout: `${id}\tsucceeded\n` });

    const shown = json(await sw(dir, ['--json', 'deploy', 'show', id])).deployment as {
      status: string;
      accessUrl: string;
      diagnosticSummary: string;
      snapshot: { content: unknown };
      logs: { level: string; message: string }[];
    };
    expect(shown).toMatchObject({
      status: 'succeeded',
      accessUrl: 'https://shop.example',
      diagnosticSummary: 'rolled out to 3 replicas',
      snapshot: { content: { replicas: 3, image: 'shop:1.2.3' } },
    });
    expect(shown.logs.map((l) => l.message)).toEqual([...lines, 'disk almost full']);
    expect(shown.logs.at(-1)!.level).toBe('error');

    const text = await sw(dir, ['deploy', 'show', id]);
    expect(text.stdout).toMatch(new RegExp(`^Deployment ${id}: shop/prod 1\\.2\\.3 succeeded\\n`));
    expect(text.stdout).toMatch(/\nSummary\n {2}rolled out to 3 replicas\n/);
    expect(text.stdout).toMatch(/\tinfo\tstep 450\n\S+\terror\tdisk almost full\n$/);

    // The template's deployment 1 is running too.
    const list = (await sw(dir, ['deploy', 'list', 'shop/prod'])).stdout
      .split('\n')
      .filter(Boolean);
    expect(list.map((l) => l.split('\t').slice(0, 4))).toEqual([
      [id, 'shop/prod', '1.2.3', 'succeeded'],
      ['1', 'shop/prod', '1.0', 'running'],
    ]);
    expect(
      json(
        await sw(dir, ['--json', 'deploy', 'list', 'shop', '--status', 'running', '--limit', '5']),
      ),
    ).toMatchObject({ deployments: [{ id: 1, status: 'running' }], total: 1 });
    const audit = query<{ action: string }>(dir, `SELECT action FROM audit_log ORDER BY id`);
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['snapshot.created', 'deployment.recorded', 'deployment.status']),
    );
  });

  it('bad input: exit 2, a clear error, nothing changed', async () => {
    const dir = shopProd.fresh();
    const viaBin = await sw(dir, ['deploy', 'finish', '1', '--status', 'rolled_back']);
    expect(viaBin.code).toBe(2);
    expect(viaBin.stderr).toMatch(/--status must be one of succeeded, failed, cancelled/);
    await refusedUnchanged(dir, [
      [['deploy', 'start', 'shop/prod'], /--version V is needed/],
      [
        ['deploy', 'start', 'shop/prod', '--version', '1', '--url', 'ftp://x'],
        /Invalid accessUrl: must be an http\(s\) URL/,
      ],
      [
        ['deploy', 'start', 'shop/nope', '--version', '1'],
        /NOT_FOUND: There is no environment shop\/nope/,
      ],
      [
        ['deploy', 'start', 'shop/prod', '--version', '1', '--snapshot', '-'],
        /--snapshot: - is not JSON/,
      ],
      [
        ['deploy', 'start', 'shop/prod', '--version', '1', '--snapshot', '/nonexistent/x.json'],
        /cannot read/,
      ],
      [['deploy', 'log', '999'], /NOT_FOUND: Deployment 999 does not exist/],
      [
        ['deploy', 'log', '1', '--level', 'loud'],
        /--level must be one of debug, info, warn, error/,
      ],
      [
        ['deploy', 'finish', '1', '--status', 'rolled_back'],
        /--status must be one of succeeded, failed, cancelled/,
      ],
      [['deploy', 'finish', '1'], /--status is needed/],
      [['deploy', 'show', 'abc'], /"abc" is not a deployment id/],
      [['deploy', 'list', '--limit', '0'], /--limit must be a whole number from 1 to 500/],
      [['deploy', 'show', '1', '--level', 'info'], /--level is not an option of "deploy show"/],
      [['deploy', 'start', 'shop/prod', '--version', '1', '--', 'true'], /does not run a command/],
      [
        ['deploy', 'run', 'shop/prod', '--version', '1', '--level', 'info', '--', 'true'],
        /--level is not an option of "deploy run"/,
      ],
      [['deploy', 'run'], /"deploy run" needs <project>\/<env>/],
      [['deploy', 'frob'], /Use: deploy start\|log\|finish\|list\|show\|run/],
    ]);
  });

  it('deploy log streams: a line is in the log while stdin is still open', async () => {
    const dir = shopProd.fresh();
    const child = spawn(process.execPath, [BIN, '--data-dir', dir, 'deploy', 'log', '1'], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    world.defer(() => {
      child.kill('SIGKILL');
    });
    const messages = () =>
      query<{ message: string }>(dir, `SELECT message FROM deployment_logs ORDER BY id`).map(
        (r) => r.message,
      );
    child.stdin.write('first\n');
    for (let i = 0; messages().length === 0; i++) {
      expect(i, 'the first line never arrived while stdin stayed open').toBeLessThan(600);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(messages()).toEqual(['first']);
    child.stdin.end('second\n');
    expect(await new Promise((r) => child.once('close', r))).toBe(0);
    expect(messages()).toEqual(['first', 'second']);
  });

  it('deploy log while automation is paused waits (--pause-wait), then appends every line once resumed', async () => {
    const dir = shopProd.fresh();
    expect((await sw(dir, ['pause', '--reason', 'upgrade'])).code).toBe(0);
    const child = spawn(
      process.execPath,
      [BIN, '--data-dir', dir, 'deploy', 'log', '1', '--pause-wait', '120'],
      { cwd: REPO_ROOT, stdio: ['pipe', 'ignore', 'pipe'] },
    );
    world.defer(() => {
      child.kill('SIGKILL');
    });
    const closed = new Promise((r) => child.once('close', r));
    let stderr = '';
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString('utf8');
        if (/Waiting up to 120 s for writes to resume/.test(stderr)) resolve();
      });
      child.stdin.end('one\ntwo\n');
    });
    expect(stderr).toMatch(/paused/i);
    expect(counts(dir).logs).toBe(0);
    expect((await sw(dir, ['resume'])).code).toBe(0);
    expect(await closed).toBe(0);
    expect(
      query<{ message: string }>(dir, `SELECT message FROM deployment_logs ORDER BY id`),
    ).toEqual([{ message: 'one' }, { message: 'two' }]);
  });

  it('deploy log that cannot record (secrets locked) still reads its stdin to the end: the writer is not killed; exit 3', async () => {
    const dir = shopProd.fresh();
    secretsEnv.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
    expect(
      (await cliOnDir(dir, ['secret', 'set', 'shop/prod', 'TOKEN'], 'tok-0123456789')).code,
    ).toBe(0);
    const { STATEWARD_KEY_FILE: _key, ...withoutKey } = process.env;
    const lines = 'a deploy script talking a lot\n'.repeat(100_000);
    const r = await sw(dir, ['deploy', 'log', '1'], lines, withoutKey);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/SECRETS_LOCKED: .*\(0 line\(s\) were appended before\.\)/);
    expect(counts(dir).logs).toBe(0);
  });

  it('a finished deployment cannot be finished again (INVALID_TRANSITION, exit 2); its status stays', async () => {
    const dir = shopProd.fresh();
    const id = '1';
    expect((await sw(dir, ['deploy', 'finish', id, '--status', 'failed'])).code).toBe(0);
    const again = await sw(dir, ['--json', 'deploy', 'finish', id, '--status', 'succeeded']);
    expect(again.code).toBe(2);
    expect(json(again)).toMatchObject({ error: { code: 'INVALID_TRANSITION' } });
    expect(query<{ status: string }>(dir, `SELECT status FROM deployments`)).toEqual([
      { status: 'failed' },
    ]);
  });
});

describe('run and resource', { timeout: SPAWNS_TIMEOUT }, () => {
  it('run start|finish|list|show; Stateward’s own kinds are refused', async () => {
    const dir = await dataDir();
    const detail = path.join(world.dir(), 'detail.json');
    fs.writeFileSync(detail, JSON.stringify({ commit: 'abc123' }));
    const start = await sw(dir, ['run', 'start', '--kind', 'ci.tests', '--detail-file', detail]);
    expect(start.stdout).toMatch(/^\d+\n$/);
    const id = start.stdout.trim();
    expect(
      (
        await sw(
          dir,
          ['run', 'finish', id, '--status', 'failed', '--detail-file', '-'],
          '{"failed":2}',
        )
      ).stdout,
    ).toBe(`${id}\tfailed\n`);
    expect(json(await sw(dir, ['--json', 'run', 'show', id]))).toMatchObject({
      run: { kind: 'ci.tests', status: 'failed', detail: { failed: 2 } },
    });
    const rows = (await sw(dir, ['run', 'list', '--kind', 'ci.tests'])).stdout
      .split('\n')
      .filter(Boolean);
    expect(rows.map((r) => r.split('\t').slice(0, 3))).toEqual([[id, 'ci.tests', 'failed']]);

    await refusedUnchanged(dir, [
      [
        ['run', 'start', '--kind', 'backup'],
        /Runs of kind "backup" are recorded by Stateward itself/,
      ],
      [['run', 'start', '--kind', 'deploy.run'], /recorded by Stateward itself/],
      [['run', 'start', '--kind', 'CI Tests'], /must be a lowercase name like ci\.tests/],
      [['run', 'start', '--kind', 'ci', '--detail-file', '-'], /--detail-file: - is not JSON/],
      [
        ['run', 'finish', id, '--status', 'succeeded'],
        /INVALID_TRANSITION: Run \d+ is already failed/,
      ],
      [['run', 'show', 'x'], /"x" is not a run id/],
      [
        ['run', 'start', '--kind', 'ci', '--status', 'failed'],
        /--status is not an option of "run start"/,
      ],
      [
        ['resource', 'list', 'shop/prod', '--status', 'ok'],
        /--status is not an option of "resource list"/,
      ],
    ]);
  });

  it('resource set|list keep the last status of each resource', async () => {
    const dir = shopProd.fresh();
    expect(
      (
        await sw(dir, [
          'resource',
          'set',
          'shop/prod',
          'db',
          '--status',
          'degraded',
          '--detail',
          'slow',
        ])
      ).stdout,
    ).toBe('shop/prod\tdb\tdegraded\n');
    expect((await sw(dir, ['resource', 'set', 'shop/prod', 'db', '--status', 'ok'])).code).toBe(0);
    expect(
      (await sw(dir, ['resource', 'set', 'shop/prod', 'cache', '--status', 'down'])).code,
    ).toBe(0);
    // The same status again (a health check) is not another audit entry.
    expect(
      (await sw(dir, ['resource', 'set', 'shop/prod', 'cache', '--status', 'down'])).code,
    ).toBe(0);
    expect(
      query<{ detail: string }>(
        dir,
        `SELECT detail FROM audit_log WHERE action = 'resource.status' ORDER BY id`,
      ).map((a) => JSON.parse(a.detail) as unknown),
    ).toEqual([
      { resource: 'db', status: 'degraded', was: null },
      { resource: 'db', status: 'ok', was: 'degraded' },
      { resource: 'cache', status: 'down', was: null },
    ]);
    const rows = (await sw(dir, ['resource', 'list', 'shop/prod'])).stdout
      .split('\n')
      .filter(Boolean);
    expect(rows.map((r) => r.split('\t'))).toEqual([
      ['cache', 'down', expect.any(String), '-'],
      ['db', 'ok', expect.any(String), '-'],
    ]);
    const before = counts(dir);
    const bad = await sw(dir, ['resource', 'set', 'shop/prod', 'db', '--status', 'fine']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--status must be one of ok, degraded, down, unknown/);
    expect(counts(dir)).toEqual(before);
  });
});

describe('while the app runs', { timeout: SPAWNS_TIMEOUT }, () => {
  it('record commands write without the data-dir lock while a host holds it; the host sees them', async () => {
    const dir = await dataDir();
    const host = await startTestHost(world, { dataDir: dir });
    expect(JSON.parse(fs.readFileSync(dataDirLayout(dir).lock, 'utf8'))).toMatchObject({
      pid: process.pid,
    });
    expect((await sw(dir, ['project', 'add', 'shop'])).code).toBe(0);
    expect((await sw(dir, ['env', 'add', 'shop/prod'])).code).toBe(0);
    const id = (await sw(dir, ['deploy', 'start', 'shop/prod', '--version', '7'])).stdout.trim();
    expect((await sw(dir, ['deploy', 'log', id], 'hello\n')).code).toBe(0);
    const res = await host.invoke('deployments.get', { id: Number(id) });
    expect(JSON.parse(res.body)).toMatchObject({
      ok: true,
      value: { version: '7', status: 'running', logs: [{ message: 'hello' }] },
    });
  });

  it('`deploy --help` prints the deploy commands and options (exit 0)', async () => {
    const r = await sw(world.dir(), ['deploy', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: stateward \[--data-dir DIR\] \[--json\] deploy …\n/);
    expect(r.stdout).toContain('deploy run <project>/<env> --version V');
    expect(r.stdout).not.toContain('restore-diff');
    // With --json: one JSON object, the same text in `help`.
    const j = await sw(world.dir(), ['--json', 'deploy', '--help']);
    expect(j.code).toBe(0);
    expect(json(j)).toEqual({ help: r.stdout.replace(/\n$/, '') });
  });
});
