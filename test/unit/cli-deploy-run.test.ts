// `stateward deploy run` through the real executable (issue 13.2): a script that
// prints, one that fails, one interrupted with Ctrl-C (SIGINT: cancelled, exit 130),
// a wrapper killed with SIGKILL (marked interrupted at the next start and at the next
// deploy command, never "running" forever), and a pause of automation in the middle of
// a deploy: the wrapper waits, loses no line and finishes once writes resume.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentDetail, DeployRun } from '../../shared/domain.ts';
import { processStart } from '../../electron/core/deploy-runs.ts';
import { call } from '../helpers/restore-util.ts';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { SPAWNS_TIMEOUT, spawnStateward, stateward } from '../helpers/cli-bin.ts';
import { HAVE_STRACE, killAtCallArgs, straceCli } from '../helpers/syscall-sweep.ts';
import { HELPERS_DIR, holdLockInChild, spawnUntilLine } from '../helpers/child.ts';
import type { WritableDB } from '../../electron/core/store/db.ts';
import { applyMigrations, planMigrations } from '../../electron/core/store/migrate.ts';
import { MIGRATIONS } from '../../electron/core/store/migrations/index.ts';
import { startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { cliOnDir, makeKeyFile, useSecretsEnv } from '../helpers/secrets-util.ts';
import { useTemplateDir, useWorld } from '../helpers/world.ts';

const world = useWorld();
const env = useSecretsEnv();
/** A data dir with environment shop/prod. */
const shopProd = useTemplateDir(world);

const SCRIPT = `
import fs from 'node:fs';
const [mode, gate] = process.argv.slice(2);
if (mode === 'ok') {
  console.log('building web');
  console.log('pushing image');
  console.error('warning: cache cold');
  console.log('done');
} else if (mode === 'fail') {
  console.log('migrating');
  console.error('error: migration 7 failed');
  process.exit(3);
} else if (mode === 'hang') {
  console.log('ready');
  setInterval(() => {}, 1000);
} else if (mode === 'euro') {
  // One character in two writes (two chunks on the pipe).
  process.stdout.write(Buffer.from([0xe2, 0x82]));
  setTimeout(() => process.stdout.write(Buffer.from([0xac, 0x0a])), 200);
} else if (mode === 'many') {
  for (let i = 1; i <= 3000; i++) console.log('line ' + i);
} else if (mode === 'say') {
  for (const line of process.argv.slice(3)) console.log(line);
} else if (mode === 'tree') {
  // A shell running a deploy tool: it passes no signal on, it waits for the tool to end.
  const { spawn } = await import('node:child_process');
  const tool = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  fs.writeFileSync(gate, String(tool.pid));
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
  tool.on('exit', (code, signal) => {
    console.log('tool ended by ' + signal);
    process.exit(signal ? 1 : code);
  });
  console.log('ready');
} else if (mode === 'gate') {
  console.log('ready');
  const t = setInterval(() => {
    if (!fs.existsSync(gate)) return;
    clearInterval(t);
    for (let i = 1; i <= 300; i++) console.log('after ' + i);
  }, 50);
}
`;
let script = '';

beforeAll(async () => {
  const rt = await startTestRuntime(world, shopProd.dir);
  const registry = testRegistry(rt);
  expect(await registry.dispatch('projects.create', { name: 'shop' })).toMatchObject({ ok: true });
  expect(
    await registry.dispatch('environments.create', { projectId: 1, name: 'prod' }),
  ).toMatchObject({ ok: true });
  rt.close();
  script = path.join(shopProd.dir, '..', `deploy-${process.pid}.mjs`);
  fs.writeFileSync(script, SCRIPT);
  return () => fs.rmSync(script, { force: true });
});

/** `stateward --data-dir DIR deploy run shop/prod --version V <flags> -- node script <args>`. */
function runArgs(dir: string, version: string, args: string[], flags: string[] = []): string[] {
  return [
    '--data-dir',
    dir,
    'deploy',
    'run',
    'shop/prod',
    '--version',
    version,
    ...flags,
    '--',
    process.execPath,
    script,
    ...args,
  ];
}

function deployments(dir: string): DeploymentDetail[] {
  const db = new Database(dataDirLayout(dir).db, { readonly: true });
  try {
    const ds = db
      .prepare(
        `SELECT id, version, status, diagnostic_summary AS diagnosticSummary, finished_at AS finishedAt FROM deployments ORDER BY id`,
      )
      .all() as DeploymentDetail[];
    const logs = db.prepare(
      `SELECT level, message FROM deployment_logs WHERE deployment_id = ? ORDER BY ts, id`,
    );
    return ds.map((d) => ({ ...d, logs: logs.all(d.id) as DeploymentDetail['logs'] }));
  } finally {
    db.close();
  }
}

/** Resolves once the child's stdout+stderr match `pattern`. */
function untilOutput(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const look = (c: Buffer) => {
      seen += c.toString('utf8');
      if (pattern.test(seen)) resolve(seen);
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.once('exit', () => reject(new Error(`exited before ${pattern}: ${seen}`)));
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

describe('deploy run', { timeout: SPAWNS_TIMEOUT }, () => {
  it('a script that prints: its output streamed to the terminal and the log, succeeded, a diagnostic summary, exit 0', async () => {
    const dir = shopProd.fresh();
    const r = await stateward(runArgs(dir, '1.0', ['ok']));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('building web\npushing image\ndone\n');
    expect(r.stderr).toContain('warning: cache cold\n');
    expect(r.stderr).toMatch(/deployment 1 succeeded \(exit code 0/);
    const [d] = deployments(dir);
    expect(d).toMatchObject({
      version: '1.0',
      status: 'succeeded',
      finishedAt: expect.any(Number),
    });
    const byLevel = (level: string) =>
      d!.logs.filter((l) => l.level === level).map((l) => l.message);
    expect(byLevel('info')).toEqual(['building web', 'pushing image', 'done']);
    expect(byLevel('warn')).toEqual(['warning: cache cold']);
    expect(d!.diagnosticSummary).toMatch(/ exited with code 0 after \d+\.\d s\./);
    expect(d!.diagnosticSummary).toContain(`Host ${os.hostname()}, wrapper pid `);
    expect(d!.diagnosticSummary).toContain('\n\nLast 4 line(s) of output:\n');
    expect(d!.diagnosticSummary).toMatch(/\ndone(\n|$)/);
  });

  it('a character split between two chunks of output reaches the terminal and the log whole', async () => {
    const dir = shopProd.fresh();
    const r = await stateward(runArgs(dir, '1.1', ['euro']));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('€\n');
    expect(deployments(dir)[0]!.logs.map((l) => l.message)).toEqual(['€']);
  });

  it('the terminal going away (stdout closed, as `| head` does) does not end the deploy: every line is recorded', async () => {
    const dir = shopProd.fresh();
    const wrapper = spawnStateward(world, runArgs(dir, '1.2', ['many']));
    await untilOutput(wrapper, /line 1\n/);
    wrapper.stdout!.destroy();
    expect(await exited(wrapper)).toEqual({ code: 0, signal: null });
    const [d] = deployments(dir);
    expect(d!.status).toBe('succeeded');
    expect(d!.logs).toHaveLength(3000);
    expect(d!.logs.at(-1)!.message).toBe('line 3000');
  });

  it('deploy show read by `| head` (stdout closed early): no crash, no stack trace, exit 0', async () => {
    const dir = shopProd.fresh();
    expect((await stateward(runArgs(dir, '1.4', ['many']))).code).toBe(0);
    const show = spawnStateward(world, ['--data-dir', dir, '--json', 'deploy', 'show', '1']);
    let stderr = '';
    show.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    await untilOutput(show, /"line 1"/);
    show.stdout!.destroy();
    // Before: an unhandled EPIPE error event, its stack trace on stderr, exit 1.
    expect(await exited(show), stderr).toEqual({ code: 0, signal: null });
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
  });

  it('a script that leaves a process in the background holding its output: the deploy ends when the script does', async () => {
    const dir = shopProd.fresh();
    const args = runArgs(dir, '1.3', []);
    const command = ['sh', '-c', 'sleep 300 & echo "background $!"; echo partial | tr -d "\\n"'];
    args.splice(args.indexOf('--') + 1, args.length, ...command);
    const wrapper = spawnStateward(world, args);
    const bg = Number(/background (\d+)/.exec(await untilOutput(wrapper, /background \d+\n/))![1]);
    try {
      // Before, the wrapper waited for the background process to close the pipe (300 s here).
      expect(await exited(wrapper)).toEqual({ code: 0, signal: null });
      const [d] = deployments(dir);
      expect(d!.status).toBe('succeeded');
      expect(d!.logs.map((l) => l.message)).toEqual([`background ${bg}`, 'partial']);
    } finally {
      process.kill(bg, 'SIGKILL');
    }
  });

  it('a script that fails: failed, its last lines in the summary, the wrapper exits with its code (3); --json prints one object', async () => {
    const dir = shopProd.fresh();
    const r = await stateward(runArgs(dir, '2.0', ['fail']));
    expect(r.code).toBe(3);
    const [d] = deployments(dir);
    expect(d!.status).toBe('failed');
    expect(d!.diagnosticSummary).toMatch(/ exited with code 3 after /);
    expect(d!.diagnosticSummary).toContain('error: migration 7 failed');

    const j = await stateward(['--json', ...runArgs(dir, '2.1', ['fail'])]);
    expect(j.code).toBe(3);
    // The command's own output goes to stderr: stdout holds the one JSON object.
    expect(j.json).toMatchObject({
      status: 'failed',
      exitCode: 3,
      recorded: true,
      deployment: { version: '2.1', status: 'failed' },
    });
    expect(j.stderr).toContain('migrating\n');
  });

  it('bad input runs nothing and records nothing (exit 2); a command that cannot start is a failed deployment (exit 127)', async () => {
    const dir = shopProd.fresh();
    const noEnv = await stateward(
      runArgs(dir, '1', ['ok']).map((a) => (a === 'shop/prod' ? 'shop/nope' : a)),
    );
    expect(noEnv.code).toBe(2);
    expect(noEnv.stderr).toMatch(/NOT_FOUND: There is no environment shop\/nope/);
    expect(noEnv.stdout).toBe('');
    const noCommand = await stateward([
      '--data-dir',
      dir,
      'deploy',
      'run',
      'shop/prod',
      '--version',
      '1',
    ]);
    expect(noCommand.code).toBe(2);
    expect(noCommand.stderr).toMatch(/needs the command to run after "--"/);
    const badWait = await stateward(runArgs(dir, '1', ['ok'], ['--pause-wait', 'soon']));
    expect(badWait.code).toBe(2);
    expect(badWait.stdout).toBe('');
    expect(deployments(dir)).toEqual([]);

    const missing = await stateward([
      '--data-dir',
      dir,
      'deploy',
      'run',
      'shop/prod',
      '--version',
      '1',
      '--',
      path.join(dir, 'no-such-script'),
    ]);
    expect(missing.code).toBe(127);
    expect(deployments(dir)).toMatchObject([
      {
        status: 'failed',
        diagnosticSummary: expect.stringMatching(/could not be started \(ENOENT\)/),
      },
    ]);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'Ctrl-C or a stop (%s to the wrapper) is forwarded: cancelled, exit %i',
    async (signal, code) => {
      const dir = shopProd.fresh();
      const wrapper = spawnStateward(world, runArgs(dir, '3.0', ['hang']));
      await untilOutput(wrapper, /ready\n/);
      expect(deployments(dir)[0]!.status).toBe('running');
      process.kill(wrapper.pid!, signal);
      expect(await exited(wrapper)).toEqual({ code, signal: null });
      const [d] = deployments(dir);
      expect(d!.status).toBe('cancelled');
      expect(d!.diagnosticSummary).toContain(`was killed by ${signal} after `);
      expect(d!.diagnosticSummary).toContain(`(cancelled: the wrapper got ${signal})`);
      expect(d!.logs.map((l) => l.message)).toEqual(['ready']);
    },
  );

  it('a stop reaches what the command started, not only the command (a shell waiting for its tool)', async () => {
    const dir = shopProd.fresh();
    const pidFile = path.join(world.dir(), 'tool.pid');
    const wrapper = spawnStateward(world, runArgs(dir, '3.1', ['tree', pidFile]));
    await untilOutput(wrapper, /ready\n/);
    const tool = Number(fs.readFileSync(pidFile, 'utf8'));
    process.kill(wrapper.pid!, 'SIGTERM');
    const ended = await Promise.race([
      exited(wrapper),
      new Promise((r) => setTimeout(() => r('still running after 10 s'), 10_000)),
    ]);
    // Whatever happens, leave no process behind.
    for (const pid of [tool, wrapper.pid!])
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    // The wrapper exits with the command's own code once what it started has stopped.
    expect(ended).toEqual({ code: 1, signal: null });
    const [d] = deployments(dir);
    expect(d!.status).toBe('cancelled');
    expect(d!.logs.map((l) => l.message)).toEqual(['ready', 'tool ended by SIGTERM']);
  });

  it('a wrapper killed with SIGKILL: marked interrupted at the next start of the app, and at the next deploy command', async () => {
    const dir = shopProd.fresh();
    const killWrapper = async (version: string) => {
      const wrapper = spawnStateward(world, runArgs(dir, version, ['hang']));
      await untilOutput(wrapper, /ready\n/);
      process.kill(wrapper.pid!, 'SIGKILL');
      await exited(wrapper);
      return wrapper.pid!;
    };
    const first = await killWrapper('4.0');
    expect(deployments(dir)[0]!.status).toBe('running');
    // The app (or host) starting on the data dir.
    (await startTestRuntime(world, dir)).close();
    expect(deployments(dir)[0]).toMatchObject({
      status: 'failed',
      diagnosticSummary: `interrupted: the wrapper (pid ${first} on host ${os.hostname()}) died before the deployment finished.`,
    });

    const second = await killWrapper('4.1');
    const list = await stateward(['--data-dir', dir, '--json', 'deploy', 'list']);
    expect(list.code).toBe(0);
    expect(list.json).toMatchObject({
      deployments: [
        { version: '4.1', status: 'failed' },
        { version: '4.0', status: 'failed' },
      ],
    });
    expect(deployments(dir)[1]!.diagnosticSummary).toContain(`(pid ${second} on host `);
    const audit = new Database(dataDirLayout(dir).db, { readonly: true });
    try {
      expect(
        audit
          .prepare(`SELECT count(*) AS n FROM audit_log WHERE action = 'deployment.interrupted'`)
          .get(),
      ).toEqual({ n: 2 });
    } finally {
      audit.close();
    }
  });

  /**
   * A wrapper (--pause-wait 120) deploying `version` whose command prints "ready",
   * waits for a gate file, then prints 300 lines; returned once "ready" is out.
   * release() opens the gate and waits for the wrapper's output to match `waitFor`.
   */
  async function gatedWrapper(dir: string, version: string) {
    const gate = path.join(world.dir(), 'go');
    const wrapper = spawnStateward(
      world,
      runArgs(dir, version, ['gate', gate], ['--pause-wait', '120']),
    );
    await untilOutput(wrapper, /ready\n/);
    const release = async (waitFor: RegExp) => {
      const waiting = untilOutput(wrapper, waitFor);
      fs.writeFileSync(gate, '');
      await waiting;
    };
    return { wrapper, release };
  }

  it('paused mid-deploy: the wrapper waits instead of failing, loses no line, and finishes once resumed', async () => {
    const dir = shopProd.fresh();
    const { wrapper, release } = await gatedWrapper(dir, '5.0');
    const paused = await stateward(['--data-dir', dir, 'pause', '--reason', 'promote']);
    expect(paused.code, paused.stderr).toBe(0);
    await release(/Waiting up to 120 s for writes to resume/);
    expect(deployments(dir)[0]!.status).toBe('running');
    expect((await stateward(['--data-dir', dir, 'resume'])).code).toBe(0);
    expect(await exited(wrapper)).toEqual({ code: 0, signal: null });
    const [d] = deployments(dir);
    expect(d!.status).toBe('succeeded');
    expect(d!.logs.map((l) => l.message)).toEqual([
      'ready',
      ...Array.from({ length: 300 }, (_, i) => `after ${i + 1}`),
    ]);
  });

  it('another process holding a write transaction: the wrapper waits (DATA_DIR_BUSY) and loses no line', async () => {
    const dir = shopProd.fresh();
    const { wrapper, release } = await gatedWrapper(dir, '6.0');
    const { child: holder } = await spawnUntilLine(world, [
      path.join(HELPERS_DIR, 'tx-holder.ts'),
      dataDirLayout(dir).db,
    ]);
    await release(/DATA_DIR_BUSY|Waiting up to 120 s/);
    await holder.kill();
    expect(await exited(wrapper)).toEqual({ code: 0, signal: null });
    const [d] = deployments(dir);
    expect(d!.status).toBe('succeeded');
    expect(d!.logs).toHaveLength(301);
  });

  it('a line with a secret value is withheld from the log and the summary; the others are kept and the status recorded', async () => {
    const dir = shopProd.fresh();
    env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
    const value = 'tok-0123456789-very-secret';
    expect((await cliOnDir(dir, ['secret', 'set', 'shop/prod', 'API_TOKEN'], value)).code).toBe(0);
    const r = await stateward(
      runArgs(dir, '7.0', ['say', 'connecting', `using token ${value}`, 'done']),
    );
    expect(r.code, r.stderr).toBe(0);
    const [d] = deployments(dir);
    expect(d!.status).toBe('succeeded');
    expect(d!.logs.map((l) => l.message)).toEqual([
      'connecting',
      '[a line of output was withheld: it held the value of a secret]',
      'done',
    ]);
    expect(d!.diagnosticSummary).toMatch(/exited with code 0/);
    expect(d!.diagnosticSummary).toContain('The last lines of output are left out');
    expect(JSON.stringify(deployments(dir))).not.toContain(value);
    const db = new Database(dataDirLayout(dir).db, { readonly: true });
    try {
      const recorded = db
        .prepare(`SELECT detail FROM runs UNION ALL SELECT detail FROM audit_log`)
        .all();
      expect(recorded.length).toBeGreaterThan(0);
      expect(JSON.stringify(recorded)).not.toContain(value);
    } finally {
      db.close();
    }
  });

  it('a pid reused by a later process is not taken for the wrapper: its deployment is marked interrupted', async () => {
    const rt = await startTestRuntime(world, shopProd.fresh());
    const registry = testRegistry(rt);
    const start = (pidStart: string | null) =>
      call<DeployRun>(registry, 'deployments.runStart', {
        environmentId: 1,
        version: '8.0',
        pid: process.pid,
        pidStart,
        host: os.hostname(),
      });
    const alive = await start(processStart(process.pid));
    const reused = await start('1');
    const unknown = await start(null);
    expect(await call(registry, 'deployments.sweepInterrupted', {})).toEqual({
      interrupted: [reused.deployment.id],
    });
    const status = async (r: DeployRun) =>
      (await call<DeploymentDetail>(registry, 'deployments.get', { id: r.deployment.id })).status;
    expect([await status(alive), await status(reused), await status(unknown)]).toEqual([
      'running',
      'failed',
      'running',
    ]);
  });

  it('an upgrade under way when it starts (the app migrating): waits, then runs once the schema is current', async () => {
    const dir = world.dir();
    const layout = dataDirLayout(dir);
    const db = new Database(layout.db) as unknown as WritableDB;
    applyMigrations(db, planMigrations(db, MIGRATIONS.slice(0, -1)));
    db.exec(`INSERT INTO projects (name, description, created_at, updated_at) VALUES ('shop', '', 1, 1);
             INSERT INTO environments (project_id, name, kind, created_at, updated_at) VALUES (1, 'prod', 'production', 1, 1);`);
    await holdLockInChild(world, layout.lock, 'host');
    const wrapper = spawnStateward(world, runArgs(dir, '9.0', ['ok'], ['--pause-wait', '120']));
    const waited = await untilOutput(wrapper, /Waiting up to 120 s/);
    expect(waited).not.toContain('building web');
    // The app holding the data dir finishes its upgrade.
    applyMigrations(db, planMigrations(db, MIGRATIONS));
    db.close();
    expect(await exited(wrapper)).toEqual({ code: 0, signal: null });
    expect(deployments(dir)).toMatchObject([{ version: '9.0', status: 'succeeded' }]);
  });

  it.skipIf(!HAVE_STRACE)(
    'the wrapper killed right as it reaps its finished command (strace: SIGKILL at wait4): marked interrupted at the next deploy command',
    async () => {
      const dir = shopProd.fresh();
      await straceCli(killAtCallArgs('wait4', { when: 1 }), runArgs(dir, '10.0', ['ok']), {
        world,
      });
      expect(deployments(dir)[0]!.status).toBe('running');
      const list = await stateward(['--data-dir', dir, '--json', 'deploy', 'list']);
      expect(list.json).toMatchObject({ deployments: [{ version: '10.0', status: 'failed' }] });
      expect(deployments(dir)[0]!.diagnosticSummary).toMatch(
        /^interrupted: the wrapper \(pid \d+ on host .*\) died before the deployment finished\.$/,
      );
    },
  );
});
