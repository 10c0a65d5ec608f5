// STATEWARD_KEY_FILE set by mistake to a named pipe or a device: every command
// answers SECRETS_KEY_UNAVAILABLE at once and says what the path is. Before, a
// FIFO blocked `secret set` and `secret list` for ever and a /dev/zero-like
// device was read without end. Run as child processes (a hang must not take the
// test runner with it).
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import { fullRegistry, makeKeyFile, seedEnvs } from '../helpers/secrets-util.ts';
import { isRoot, useWorld } from '../helpers/world.ts';

const world = useWorld();
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
