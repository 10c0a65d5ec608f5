// Named pipes and devices where Stateward reads a small file: STATEWARD_KEY_FILE,
// and a backup's sidecar manifest (beside a file to verify, or in the backups
// folder). Each is refused at once, saying what the path is. Before, a FIFO
// blocked `secret set`/`secret list`/`verify`/`backups` for ever and a
// /dev/zero-like device was read without end. Run as child processes (a hang
// must not take the test runner with it).
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import { fullRegistry, makeKeyFile, seedEnvs, useSecretsEnv } from '../helpers/secrets-util.ts';
import { runCli } from '../../electron/cli/main.ts';
import { isRoot, useWorld } from '../helpers/world.ts';

const world = useWorld();
const env = useSecretsEnv();
const BIN = path.resolve(import.meta.dirname, '../../bin/stateward.mjs');

function stateward(dir: string, keyFile: string, args: string[], input = '') {
  const r = spawnSync(process.execPath, [BIN, '--data-dir', dir, ...args], {
    input,
    encoding: 'utf8',
    // Only a hang reaches this; an answer comes in well under a second.
    timeout: 20_000,
    env: { ...process.env, STATEWARD_KEY_FILE: keyFile, STATEWARD_PASSPHRASE: '' },
  });
  return { code: r.status, signal: r.signal, stderr: r.stderr };
}

describe('STATEWARD_KEY_FILE that is not a regular file', () => {
  it.runIf(isRoot)('a FIFO, a /dev/zero-like device and a folder are refused at once', async () => {
    const dir = world.dir();
    const rt = await startTestRuntime(world, dir);
    readyDb(rt);
    await seedEnvs(fullRegistry(rt), 'shop', ['prod']);
    rt.close();
    const keys = world.dir();
    expect(stateward(dir, makeKeyFile(keys), ['secret', 'set', 'shop/prod', 'A'], 'v').code).toBe(
      0,
    );

    const fifo = path.join(keys, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const zero = path.join(keys, 'zero');
    execFileSync('mknod', [zero, 'c', '1', '5']);
    const folder = path.join(keys, 'folder');
    fs.mkdirSync(folder);
    for (const [file, what] of [
      [fifo, 'a named pipe'],
      [zero, 'a device'],
      [folder, 'a folder'],
    ] as const) {
      const set = stateward(dir, file, ['secret', 'set', 'shop/prod', 'B'], 'v');
      expect(set.signal, `${what}: hung`).toBeNull();
      expect(set.code, set.stderr).toBe(3);
      expect(set.stderr).toContain('SECRETS_KEY_UNAVAILABLE');
      expect(set.stderr).toContain(`is ${what}`);
      const list = stateward(dir, file, ['secret', 'list']);
      expect(list.signal, `${what}: list hung`).toBeNull();
      expect(list.code, list.stderr).toBe(0);
    }
  });
});

describe('a sidecar manifest that is not a regular file', () => {
  it.runIf(isRoot)(
    'verify refuses it as damaged and backups lists it as damaged, at once',
    async () => {
      const dir = world.dir();
      const keys = world.dir();
      const keyFile = makeKeyFile(keys);
      const demo = spawnSync(process.execPath, [
        BIN,
        '--data-dir',
        dir,
        'demo',
        '--deployments',
        '3',
      ]);
      expect(demo.status).toBe(0);
      const b = spawnSync(process.execPath, [BIN, '--data-dir', dir, '--json', 'backup'], {
        encoding: 'utf8',
      });
      const file = (JSON.parse(b.stdout) as { path: string }).path;
      const sidecar = file.replace(/\.sqlite$/, '.manifest.json');
      for (const [make, what] of [
        [(p: string) => execFileSync('mkfifo', [p]), 'a named pipe'],
        [(p: string) => execFileSync('mknod', [p, 'c', '1', '5']), 'a device'],
      ] as const) {
        fs.rmSync(sidecar, { force: true });
        make(sidecar);
        const verify = stateward(dir, keyFile, ['verify', file]);
        expect(verify.signal, `${what}: verify hung`).toBeNull();
        expect(verify.code).toBe(1);
        const list = spawnSync(process.execPath, [BIN, '--data-dir', dir, 'backups'], {
          encoding: 'utf8',
          timeout: 20_000,
        });
        expect(list.signal, `${what}: backups hung`).toBeNull();
        expect(list.stdout).toContain('BACKUP_MANIFEST_UNREADABLE');
        expect(list.stdout).toContain(`is ${what} and cannot be read as a manifest`);
      }
    },
  );
});

describe('an endless stdin', () => {
  /** `yes |`: stdin that never ends. */
  function* endless(): Generator<Buffer> {
    const chunk = Buffer.from('y\n'.repeat(8192));
    for (;;) yield chunk;
  }

  it('secret set and key recovery stop reading and answer BAD_INPUT; nothing is stored', async () => {
    const dir = world.dir();
    const rt = await startTestRuntime(world, dir);
    readyDb(rt);
    await seedEnvs(fullRegistry(rt), 'shop', ['prod']);
    rt.close();
    env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
    for (const [args, says] of [
      [['secret', 'set', 'shop/prod', 'Y'], 'longer than 64 KiB'],
      [['key', 'recovery'], 'far too long'],
    ] as const) {
      let stderr = '';
      const code = await runCli(
        ['--data-dir', dir, ...args],
        { stdout: () => undefined, stderr: (s) => (stderr += s) },
        Readable.from(endless()),
      );
      expect(code, stderr).toBe(2);
      expect(stderr).toContain(says);
    }
    let listed = '';
    await runCli(['--data-dir', dir, 'secret', 'list'], {
      stdout: (s) => (listed += s),
      stderr: () => undefined,
    });
    expect(listed).not.toContain(' Y ');
  });
});

describe('a data dir whose stateward.db is a named pipe or a device', () => {
  it.runIf(isRoot)(
    'every command says DB_UNREADABLE "is not a file" at once (not "not created yet", never a hang)',
    () => {
      const keys = world.dir();
      const keyFile = makeKeyFile(keys);
      for (const [make, what] of [
        [(p: string) => execFileSync('mkfifo', [p]), 'a named pipe'],
        [(p: string) => execFileSync('mknod', [p, 'c', '1', '5']), 'a device'],
      ] as const) {
        const dir = world.dir();
        make(path.join(dir, 'stateward.db'));
        for (const args of [['status'], ['backup'], ['migrate'], ['secret', 'list']]) {
          const r = spawnSync(process.execPath, [BIN, '--data-dir', dir, ...args], {
            encoding: 'utf8',
            timeout: 20_000,
            env: { ...process.env, STATEWARD_KEY_FILE: keyFile },
          });
          expect(r.signal, `${what}: ${args.join(' ')} hung`).toBeNull();
          expect(r.status, `${what}: ${args.join(' ')}: ${r.stderr}`).toBe(2);
          expect(`${r.stdout}${r.stderr}`).toContain('DB_UNREADABLE');
          expect(`${r.stdout}${r.stderr}`).toContain('is not a file');
        }
      }
    },
  );
});

describe('a record command reading a named pipe as its file option', () => {
  it('deploy finish --summary-file FIFO (and --description-file) is refused at once, nothing changed', async () => {
    const dir = world.dir();
    const rt = await startTestRuntime(world, dir);
    readyDb(rt);
    await seedEnvs(fullRegistry(rt), 'shop', ['prod']);
    rt.close();
    const keyFile = makeKeyFile(world.dir());
    const start = spawnSync(
      process.execPath,
      [BIN, '--data-dir', dir, 'deploy', 'start', 'shop/prod', '--version', '1'],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(start.status, start.stderr).toBe(0);
    const fifo = path.join(world.dir(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    // Before, opening the pipe waited for a writer: the command hung.
    for (const args of [
      ['deploy', 'finish', start.stdout.trim(), '--status', 'failed', '--summary-file', fifo],
      ['project', 'add', 'web', '--description-file', fifo],
    ]) {
      const r = stateward(dir, keyFile, args);
      expect(r.signal, `${args[0]}: hung`).toBeNull();
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`${fifo} is not a regular file`);
    }
    const list = spawnSync(process.execPath, [BIN, '--data-dir', dir, '--json', 'deploy', 'list'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(JSON.parse(list.stdout)).toMatchObject({
      deployments: [{ status: 'running', diagnosticSummary: null }],
    });
  });
});
