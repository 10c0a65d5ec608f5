// STATEWARD_SCRYPT_N lowers the passphrase cost only under the test runner; in
// production a keyring always gets N = 2^17. Parameters read back from a keyring
// are capped (a huge N is refused with a code, not tried), and a wrap made with
// a cheap N is made again with today's cost once the passphrase is known.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { scryptCost } from '../../electron/core/secrets/crypto.ts';
import { keyringPath, readKeyring } from '../../electron/core/secrets/keyring.ts';
import type { Wrap } from '../../electron/core/secrets/keyring.ts';
import { call, callError } from '../helpers/restore-util.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import { fullRegistry, useSecretsEnv } from '../helpers/secrets-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const env = useSecretsEnv();
const PASS = 'correct horse battery staple';

// What production looks like: no test runner in the environment.
const runner = { VITEST: process.env.VITEST, NODE_ENV: process.env.NODE_ENV };
function asProduction(): void {
  delete process.env.VITEST;
  delete process.env.NODE_ENV;
}
afterEach(() => {
  for (const [k, v] of Object.entries(runner)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

async function machine(dir = world.dir()) {
  const rt = await startTestRuntime(world, dir);
  readyDb(rt);
  return { rt, reg: fullRegistry(rt), dir };
}

const passphraseWrap = (dir: string) =>
  readKeyring(`${dir}/keys`)!.keys[0]!.wraps.find(
    (w): w is Extract<Wrap, { by: 'passphrase' }> => w.by === 'passphrase',
  )!;

describe('the scrypt cost of a new keyring', () => {
  it('ignores STATEWARD_SCRYPT_N=2 outside tests: the keyring stores N = 2^17', async () => {
    env.set('STATEWARD_SCRYPT_N', '2');
    asProduction();
    const m = await machine();
    await call(m.reg, 'secrets.setup', { passphrase: PASS });
    expect(passphraseWrap(m.dir).kdf.N).toBe(2 ** 17);
  });

  it('under the test runner obeys only a power of two from 2^10 to 2^17', () => {
    const cost = (n: string) => scryptCost({ VITEST: 'true', STATEWARD_SCRYPT_N: n });
    expect(cost('1024')).toBe(1024);
    expect(cost('2')).toBe(2 ** 17);
    expect(cost('1000')).toBe(2 ** 17);
    expect(cost('4194304')).toBe(2 ** 17);
    expect(cost('abc')).toBe(2 ** 17);
    expect(scryptCost({ NODE_ENV: 'test', STATEWARD_SCRYPT_N: '2048' })).toBe(2048);
    expect(scryptCost({ NODE_ENV: 'production', STATEWARD_SCRYPT_N: '2048' })).toBe(2 ** 17);
  });
});

describe('parameters read back from a keyring', () => {
  for (const [what, kdf] of [
    ['a huge N', { N: 2 ** 40, r: 8, p: 1 }],
    ['a huge r', { N: 2 ** 14, r: 1_000_000, p: 1 }],
    ['a huge p', { N: 2 ** 10, r: 8, p: 1_000_000 }],
    ['an N that is not a power of two', { N: 3000, r: 8, p: 1 }],
  ] as const) {
    it(`${what}: unlocking is refused with SECRETS_KEY_UNAVAILABLE, nothing is tried`, async () => {
      const m = await machine();
      await call(m.reg, 'secrets.setup', { passphrase: PASS });
      m.rt.close();
      const file = keyringPath(`${m.dir}/keys`);
      const ring = JSON.parse(fs.readFileSync(file, 'utf8'));
      ring.keys[0].wraps[0].kdf = { ...ring.keys[0].wraps[0].kdf, ...kdf };
      fs.writeFileSync(file, JSON.stringify(ring));
      const again = await machine(m.dir);
      const err = await callError(again.reg, 'secrets.unlock', { passphrase: PASS });
      expect(err.code).toBe('SECRETS_KEY_UNAVAILABLE');
      expect(err.message).toContain('scrypt');
    });
  }

  it('a cheap N (a keyring written while the variable was obeyed): unlocks, then is re-wrapped with 2^17', async () => {
    env.set('STATEWARD_SCRYPT_N', '1024');
    const m = await machine();
    await call(m.reg, 'secrets.setup', { passphrase: PASS });
    m.rt.close();
    expect(passphraseWrap(m.dir).kdf.N).toBe(1024);
    asProduction();
    const again = await machine(m.dir);
    await call(again.reg, 'secrets.unlock', { passphrase: PASS });
    expect(passphraseWrap(m.dir).kdf.N).toBe(2 ** 17);
    again.rt.close();
    const third = await machine(m.dir);
    expect(
      (await call<{ unlocked: boolean }>(third.reg, 'secrets.unlock', { passphrase: PASS }))
        .unlocked,
    ).toBe(true);
  });
});
