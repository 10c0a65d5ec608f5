// A recovery key that is well formed (its checksum is right) but belongs to no key
// this data dir's secrets use is refused — CLI and app — and changes nothing: it
// would open none of them, and keeping it would only add a stranger to the keyring.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeRecoveryKey } from '../../electron/core/secrets/crypto.ts';
import { call, callError } from '../helpers/restore-util.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import {
  cliOnDir,
  fullRegistry,
  makeKeyFile,
  shopDataDir,
  useSecretsEnv,
} from '../helpers/secrets-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const env = useSecretsEnv();

const strangerKey = () => encodeRecoveryKey(crypto.randomBytes(32));

describe('a recovery key of no key this data dir uses', () => {
  it('is refused by the CLI and the app with SECRETS_RECOVERY_KEY_INVALID; the keyring stays byte-identical', async () => {
    const dir = await shopDataDir(world, ['prod']);
    env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
    const set = await cliOnDir(dir, ['secret', 'set', 'shop/prod', 'TOKEN'], 'tok-unrelated-1');
    expect(set.code, set.stderr).toBe(0);
    const ringFile = path.join(dir, 'keys', 'keyring.json');
    const before = fs.readFileSync(ringFile);

    const cli = await cliOnDir(dir, ['--json', 'key', 'recovery'], strangerKey());
    expect(cli.code, cli.stdout + cli.stderr).not.toBe(0);
    const err = (JSON.parse(cli.stdout) as { error: { code: string; message: string } }).error;
    expect(err.code).toBe('SECRETS_RECOVERY_KEY_INVALID');
    expect(err.message).toMatch(/none of the 1 secret/);
    expect(fs.readFileSync(ringFile).equals(before)).toBe(true);

    const rt = await startTestRuntime(world, dir);
    try {
      const e = await callError(fullRegistry(rt), 'secrets.unlockWithRecoveryKey', {
        recoveryKey: strangerKey(),
      });
      expect(e.code).toBe('SECRETS_RECOVERY_KEY_INVALID');
      expect(fs.readFileSync(ringFile).equals(before)).toBe(true);
    } finally {
      rt.close();
    }
  });

  it('is kept as today when there are no secrets at all (nothing to check it against)', async () => {
    const dir = await shopDataDir(world, ['prod']);
    env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
    const rt = await startTestRuntime(world, dir);
    try {
      const r = await call<{ keyId: string; saved: boolean }>(
        fullRegistry(rt),
        'secrets.unlockWithRecoveryKey',
        { recoveryKey: strangerKey() },
      );
      expect(r.saved).toBe(true);
    } finally {
      rt.close();
    }
  });
});
