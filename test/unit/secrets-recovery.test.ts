// The recovery key is never lost: a key whose recovery key was not shown (a busy
// database, a crash, a lost output) is shown again — CLI, app and host — until
// the user acknowledges it; key material and the database change commit together.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeRecoveryKey, keyIdOf } from '../../electron/core/secrets/crypto.ts';
import { readKeyring } from '../../electron/core/secrets/keyring.ts';
import type { SecretsStatus } from '../../shared/domain.ts';
import { HELPERS_DIR, spawnUntilLine } from '../helpers/child.ts';
import { call, callError } from '../helpers/restore-util.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import {
  cliOnDir,
  fullRegistry,
  makeKeyFile,
  RECOVERY_KEY_RE,
  shopDataDir,
  useSecretsEnv,
} from '../helpers/secrets-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const env = useSecretsEnv();

/** A closed data dir holding project "shop" with environment prod. */
const dataDir = () => shopDataDir(world, ['prod']);
const sw = cliOnDir;

describe('the first secret while another process holds a write transaction', () => {
  it('fails with DATA_DIR_BUSY and writes no key; the retry shows the recovery key of the active key', async () => {
    const dir = await dataDir();
    env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
    const { child } = await spawnUntilLine(world, [
      path.join(HELPERS_DIR, 'tx-holder.ts'),
      path.join(dir, 'stateward.db'),
    ]);
    const busy = await sw(dir, ['--json', 'secret', 'set', 'shop/prod', 'TOKEN'], 'tok-busy-1');
    expect(busy.code, busy.stdout + busy.stderr).toBe(3);
    expect((JSON.parse(busy.stdout) as { error: { code: string } }).error.code).toBe(
      'DATA_DIR_BUSY',
    );
    // Nothing half-done: no key whose recovery key nobody saw.
    expect(readKeyring(path.join(dir, 'keys'))?.active ?? null).toBeNull();
    await child.kill();

    const retry = await sw(dir, ['--json', 'secret', 'set', 'shop/prod', 'TOKEN'], 'tok-busy-1');
    expect(retry.code, retry.stderr).toBe(0);
    const rk = RECOVERY_KEY_RE.exec(retry.stderr)?.[0];
    expect(rk, 'the retry never showed a recovery key').toBeDefined();
    const st = JSON.parse((await sw(dir, ['--json', 'key', 'status'])).stdout) as SecretsStatus;
    expect(keyIdOf(decodeRecoveryKey(rk!)!)).toBe(st.activeKeyId);
  });
});

describe('a recovery key whose output was lost', () => {
  it('is shown again by the app, the host and the CLI until acknowledged, then never again', async () => {
    const dir = await dataDir();
    env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
    let rt = await startTestRuntime(world, dir);
    let reg = fullRegistry(rt);
    const first = await call<{ keyId: string }>(reg, 'secrets.setup', {});
    await call(reg, 'secrets.set', { environmentId: 1, name: 'TOKEN', value: 'tok-lost-output' });
    await call(reg, 'secrets.acknowledgeRecoveryKey', { keyId: first.keyId });
    // A rotation whose result never reached the user (the window closed, the process died).
    await rt.secrets.rotate();
    rt.close();

    rt = await startTestRuntime(world, dir);
    reg = fullRegistry(rt);
    const st = await call<SecretsStatus>(reg, 'secrets.status', {});
    expect(st.activeKeyId).not.toBe(first.keyId);
    expect(st.recoveryPending).toEqual([st.activeKeyId]);
    const pending = await call<{ keyId: string; recoveryKey: string }[]>(
      reg,
      'secrets.pendingRecoveryKeys',
      {},
    );
    expect(pending.map((p) => p.keyId)).toEqual([st.activeKeyId]);
    expect(keyIdOf(decodeRecoveryKey(pending[0]!.recoveryKey)!)).toBe(st.activeKeyId);
    rt.close();

    // The CLI shows it too (after any command that has the key unlocked).
    const cliStatus = await sw(dir, ['key', 'status']);
    expect(RECOVERY_KEY_RE.exec(cliStatus.stderr)?.[0]).toBe(pending[0]!.recoveryKey);

    rt = await startTestRuntime(world, dir);
    reg = fullRegistry(rt);
    expect(
      (await callError(reg, 'secrets.acknowledgeRecoveryKey', { keyId: '0123456789abcdef' })).code,
    ).toBe('NOT_FOUND');
    const acked = await call<SecretsStatus>(reg, 'secrets.acknowledgeRecoveryKey', {
      keyId: st.activeKeyId!,
    });
    expect(acked.recoveryPending).toEqual([]);
    expect(await call(reg, 'secrets.pendingRecoveryKeys', {})).toEqual([]);
    rt.close();
    const after = await sw(dir, ['key', 'status']);
    expect(`${after.stdout}${after.stderr}`).not.toMatch(/SWRK/);
    // The keyring file itself never holds the key in plain form.
    expect(fs.readFileSync(path.join(dir, 'keys', 'keyring.json'), 'utf8')).not.toContain(
      pending[0]!.recoveryKey.slice(5, 30),
    );
  });

  it('while locked, status lists the pending key id; unlocking makes it showable', async () => {
    const dir = await dataDir();
    let rt = await startTestRuntime(world, dir);
    let reg = fullRegistry(rt);
    const { keyId } = await call<{ keyId: string }>(reg, 'secrets.setup', {
      passphrase: 'correct horse battery',
    });
    rt.close();
    rt = await startTestRuntime(world, dir);
    reg = fullRegistry(rt);
    expect((await call<SecretsStatus>(reg, 'secrets.status', {})).recoveryPending).toEqual([keyId]);
    expect(await call(reg, 'secrets.pendingRecoveryKeys', {})).toEqual([]);
    await call(reg, 'secrets.unlock', { passphrase: 'correct horse battery' });
    const shown = await call<{ keyId: string }[]>(reg, 'secrets.pendingRecoveryKeys', {});
    expect(shown.map((p) => p.keyId)).toEqual([keyId]);
  });
});
