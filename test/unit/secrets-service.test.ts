// Secrets through the registry, as a UI uses them: set up (passphrase, key file,
// OS keychain), set/list/reveal/unset, lock and unlock, restart, rotation, and
// snapshots that must carry references instead of values.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../electron/core/runtime.ts';
import { decodeRecoveryKey, keyIdOf } from '../../electron/core/secrets/crypto.ts';
import { keyringPath, readKeyring } from '../../electron/core/secrets/keyring.ts';
import type { CommandRegistry } from '../../electron/handlers/registry.ts';
import type {
  AuditEntry,
  BackupEntry,
  ConfigSnapshot,
  DrillReport,
  Page,
  SecretEntry,
  SecretsStatus,
} from '../../shared/domain.ts';
import { call, callError } from '../helpers/restore-util.ts';
import { readyDb, startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import {
  fullRegistry,
  makeKeyFile,
  needlesFor,
  RECOVERY_KEY_RE,
  scanBuffer,
  SECRET_COMMANDS,
  seedEnvs,
  strongKeychain,
  useSecretsEnv,
  weakKeychain,
} from '../helpers/secrets-util.ts';
import type { SeededEnv } from '../helpers/secrets-util.ts';
import { modeOf, useWorld } from '../helpers/world.ts';

const world = useWorld();
const env = useSecretsEnv();

const PASS = 'correct horse battery staple';

interface Machine {
  rt: Runtime;
  reg: CommandRegistry;
}

async function machine(dir: string = world.dir()): Promise<Machine> {
  const rt = await startTestRuntime(world, dir);
  readyDb(rt);
  return { rt, reg: fullRegistry(rt) };
}

/** Close a machine and start it again on the same data dir (a restart of the app). */
async function restart(m: Machine): Promise<Machine> {
  const dir = m.rt.layout.dir;
  m.rt.close();
  return machine(dir);
}

/** secrets.setup with PASS (or with no passphrase when null). */
async function setUp(m: Machine, passphrase: string | null = PASS) {
  return call<{ recoveryKey: string; keyId: string }>(
    m.reg,
    'secrets.setup',
    passphrase === null ? {} : { passphrase },
  );
}

const status = (m: Machine) => call<SecretsStatus>(m.reg, 'secrets.status', {});
const list = (m: Machine, e: SeededEnv) =>
  call<SecretEntry[]>(m.reg, 'secrets.list', { environmentId: e.env.id });
const setSecret = (m: Machine, e: SeededEnv, name: string, value: string) =>
  call<SecretEntry>(m.reg, 'secrets.set', { environmentId: e.env.id, name, value });
const reveal = async (m: Machine, id: string) =>
  (await call<{ value: string }>(m.reg, 'secrets.reveal', { id })).value;
const audit = async (m: Machine, action: string) =>
  (await call<Page<AuditEntry>>(m.reg, 'audit.list', { action })).items;
const keyIdsInDb = (m: Machine) =>
  (
    readyDb(m.rt).prepare('SELECT id, key_id FROM secrets ORDER BY id').all() as {
      id: string;
      key_id: string;
    }[]
  ).map((r) => r.key_id);

describe('the registry the host and the app build', () => {
  it('createRegistry wires every secrets.* command and restores.secrets', async () => {
    const { rt } = await machine();
    // Without secretHandlers in coreHandlers, createRegistry throws "Commands without a handler".
    let reg: CommandRegistry | null = null;
    let error = '';
    try {
      reg = testRegistry(rt);
    } catch (e) {
      error = (e as Error).message;
    }
    expect(error).toBe('');
    expect(SECRET_COMMANDS.filter((n) => !reg?.has(n))).toEqual([]);
  });
});

describe('before set-up', () => {
  it('status says nothing is set up; set, reveal, rotate and unlock say SECRETS_NOT_SET_UP', async () => {
    const m = await machine();
    const [e] = await seedEnvs(m.reg, 'shop', ['prod']);
    expect(await status(m)).toEqual({
      initialized: false,
      unlocked: false,
      keyState: null,
      activeKeyId: null,
      providers: [],
      keychain: null,
      keyFileConfigured: false,
      recoveryPending: [],
      secretCount: 0,
    });
    const set = await callError(m.reg, 'secrets.set', {
      environmentId: e!.env.id,
      name: 'DB_URL',
      value: 'postgres://x',
    });
    expect(set.code).toBe('SECRETS_NOT_SET_UP');
    expect(JSON.stringify(set)).not.toContain('postgres://x');
    expect((await callError(m.reg, 'secrets.rotate', {})).code).toBe('SECRETS_NOT_SET_UP');
    expect((await callError(m.reg, 'secrets.unlock', { passphrase: PASS })).code).toBe(
      'SECRETS_NOT_SET_UP',
    );
    expect(await list(m, e!)).toEqual([]);
    expect(fs.existsSync(keyringPath(m.rt.layout.keys))).toBe(false);
  });

  it('setup with no passphrase, no key file and no keychain → SECRETS_PASSPHRASE_REQUIRED, nothing written', async () => {
    const m = await machine();
    const err = await callError(m.reg, 'secrets.setup', {});
    expect(err.code).toBe('SECRETS_PASSPHRASE_REQUIRED');
    expect(fs.existsSync(keyringPath(m.rt.layout.keys))).toBe(false);
    expect((await status(m)).initialized).toBe(false);
    // A passphrase shorter than 8 characters is refused by the contract.
    expect((await callError(m.reg, 'secrets.setup', { passphrase: 'short' })).code).toBe(
      'BAD_INPUT',
    );
  });
});

describe('set-up with a passphrase', () => {
  it('returns a recovery key once; keys/keyring.json is 0600 in a 0700 folder and holds no key bytes', async () => {
    const m = await machine();
    const { recoveryKey, keyId } = await setUp(m);
    expect(recoveryKey).toMatch(new RegExp(`^${RECOVERY_KEY_RE.source}$`));
    const key = decodeRecoveryKey(recoveryKey)!;
    expect(key).not.toBeNull();
    expect(keyIdOf(key)).toBe(keyId);

    const file = keyringPath(m.rt.layout.keys);
    expect(modeOf(m.rt.layout.keys)).toBe(0o700);
    expect(modeOf(file)).toBe(0o600);
    expect(fs.readdirSync(m.rt.layout.keys)).toEqual(['keyring.json']);
    const bytes = fs.readFileSync(file);
    const hits = scanBuffer('keyring.json', bytes, [
      ...needlesFor('data key', key),
      ...needlesFor('recovery key', recoveryKey),
      ...needlesFor('recovery key symbols', recoveryKey.slice(5).replace(/-/g, '')),
      ...needlesFor('passphrase', PASS),
    ]);
    expect(hits).toEqual([]);

    const ring = readKeyring(m.rt.layout.keys)!;
    expect(ring.active).toBe(keyId);
    expect(ring.keys).toHaveLength(1);
    expect(ring.keys[0]!.retiredAt).toBeNull();
    expect(ring.keys[0]!.wraps.map((w) => w.by)).toEqual(['passphrase']);

    expect(await status(m)).toMatchObject({
      initialized: true,
      unlocked: true,
      activeKeyId: keyId,
      providers: ['passphrase'],
      keyFileConfigured: false,
    });
    const created = await audit(m, 'secrets.key_created');
    expect(created).toHaveLength(1);
    expect(JSON.stringify(created)).not.toContain(recoveryKey);
    expect((await callError(m.reg, 'secrets.setup', { passphrase: PASS })).code).toBe(
      'SECRETS_ALREADY_SET_UP',
    );
  });

  it('the default scrypt parameters recorded in keyring.json are memory-hard (N ≥ 2^17, r = 8)', async () => {
    env.set('STATEWARD_SCRYPT_N', undefined);
    try {
      const m = await machine();
      await setUp(m);
      const wrap = readKeyring(m.rt.layout.keys)!.keys[0]!.wraps[0]!;
      expect(wrap.by).toBe('passphrase');
      if (wrap.by !== 'passphrase') return;
      expect(wrap.kdf.N).toBeGreaterThanOrEqual(2 ** 17);
      expect(Math.log2(wrap.kdf.N) % 1).toBe(0);
      expect(wrap.kdf.r).toBe(8);
      expect(wrap.kdf.p).toBeGreaterThanOrEqual(1);
      // 128 · N · r bytes of memory per derivation: at least 128 MiB.
      expect(128 * wrap.kdf.N * wrap.kdf.r).toBeGreaterThanOrEqual(128 * 1024 * 1024);
      expect(Buffer.from(wrap.kdf.salt, 'base64').length).toBeGreaterThanOrEqual(16);
    } finally {
      env.set('STATEWARD_SCRYPT_N', '1024');
    }
  });
});

describe('values', () => {
  it('set / list / reveal / unset: list carries names and references, never a value', async () => {
    const m = await machine();
    const { keyId } = await setUp(m);
    const [prod, staging] = await seedEnvs(m.reg, 'shop', ['prod', 'staging']);
    const values: Record<string, string> = {
      DATABASE_URL: 'postgres://shop:Wq9-unique-db-pass@db:5432/shop',
      API_KEY: 'sk_live_51HxUniqueApiKeyValue',
      'app.session-secret': 'пароль-秘密-🔑-unique',
    };
    for (const [name, value] of Object.entries(values)) {
      const entry = await setSecret(m, prod!, name, value);
      expect(entry).toMatchObject({ environmentId: prod!.env.id, name, keyId, resolves: true });
      expect(entry.id).toMatch(/^sec_[0-9a-f]{20}$/);
      expect(JSON.stringify(entry)).not.toContain(value);
    }
    await setSecret(m, staging!, 'DATABASE_URL', 'postgres://staging-only-value');

    const entries = await list(m, prod!);
    expect(entries.map((e) => e.name)).toEqual(['API_KEY', 'app.session-secret', 'DATABASE_URL']);
    expect(entries.every((e) => e.resolves && e.keyId === keyId)).toBe(true);
    expect(new Set(entries.map((e) => e.id)).size).toBe(3);
    const json = JSON.stringify(entries);
    for (const v of Object.values(values))
      expect(scanBuffer('secrets.list', Buffer.from(json), needlesFor('v', v))).toEqual([]);
    expect((await list(m, staging!)).map((e) => e.name)).toEqual(['DATABASE_URL']);
    expect((await status(m)).secretCount).toBe(4);

    // Updating keeps the reference.
    const db = entries.find((e) => e.name === 'DATABASE_URL')!;
    const updated = await setSecret(m, prod!, 'DATABASE_URL', 'postgres://rotated-password');
    expect(updated.id).toBe(db.id);
    expect(await reveal(m, db.id)).toBe('postgres://rotated-password');

    // Reveal: the value, and an audit entry naming the secret but not carrying the value.
    const api = entries.find((e) => e.name === 'API_KEY')!;
    expect(await reveal(m, api.id)).toBe(values.API_KEY);
    const uni = entries.find((e) => e.name === 'app.session-secret')!;
    expect(await reveal(m, uni.id)).toBe(values['app.session-secret']);
    const revealed = await audit(m, 'secret.revealed');
    expect(revealed.length).toBe(3);
    const apiAudit = revealed.find((a) => a.detail.ref === api.id)!;
    expect(apiAudit.detail).toMatchObject({ name: 'API_KEY' });
    expect(JSON.stringify(revealed)).not.toContain(values.API_KEY);
    const allAudit = JSON.stringify((await call<Page<AuditEntry>>(m.reg, 'audit.list', {})).items);
    for (const v of Object.values(values)) expect(allAudit).not.toContain(v);
    expect(
      (await callError(m.reg, 'secrets.reveal', { id: 'sec_00000000000000000000' })).code,
    ).toBe('NOT_FOUND');

    // Unset.
    expect(
      await call(m.reg, 'secrets.unset', { environmentId: prod!.env.id, name: 'API_KEY' }),
    ).toEqual({ removed: true });
    expect((await list(m, prod!)).map((e) => e.name)).not.toContain('API_KEY');
    expect((await callError(m.reg, 'secrets.reveal', { id: api.id })).code).toBe('NOT_FOUND');
    expect(
      (await callError(m.reg, 'secrets.unset', { environmentId: prod!.env.id, name: 'API_KEY' }))
        .code,
    ).toBe('NOT_FOUND');
    expect((await audit(m, 'secret.deleted')).map((a) => a.detail.name)).toEqual(['API_KEY']);
    expect((await callError(m.reg, 'secrets.list', { environmentId: 999 })).code).toBe('NOT_FOUND');
  });

  it('a name that is not env-like → BAD_INPUT; a too-long or empty value → BAD_INPUT without echoing it', async () => {
    const m = await machine();
    await setUp(m);
    const [e] = await seedEnvs(m.reg, 'shop', ['prod']);
    const value = 'distinctive-value-Kq81';
    for (const name of [
      'not a name',
      '1ABC',
      'DB-URL$',
      'ä',
      '',
      'A'.repeat(129),
      '../x',
      'X\n',
      '$secret',
      'a/b',
    ]) {
      const err = await callError(m.reg, 'secrets.set', { environmentId: e!.env.id, name, value });
      expect(err.code, JSON.stringify(name)).toBe('BAD_INPUT');
      expect(JSON.stringify(err)).not.toContain(value);
    }
    for (const name of ['DATABASE_URL', '_x', 'a.b-c', 'A'.repeat(128), 'lower_case1'])
      expect((await setSecret(m, e!, name, value)).name).toBe(name);

    const tooLong = `too-long-${'Zx7'.repeat(21846)}`;
    expect(tooLong.length).toBeGreaterThan(65536);
    const err = await callError(m.reg, 'secrets.set', {
      environmentId: e!.env.id,
      name: 'BIG',
      value: tooLong,
    });
    expect(err.code).toBe('BAD_INPUT');
    expect(JSON.stringify(err)).not.toContain('Zx7Zx7Zx7');
    expect(
      (await callError(m.reg, 'secrets.set', { environmentId: e!.env.id, name: 'E', value: '' }))
        .code,
    ).toBe('BAD_INPUT');
    // Exactly 64 KiB is accepted.
    expect((await setSecret(m, e!, 'MAX', 'v'.repeat(65536))).resolves).toBe(true);
  });

  it('lock: list says resolves false, reveal and set → SECRETS_LOCKED; a wrong passphrase → SECRETS_WRONG_PASSPHRASE (audited), the right one unlocks', async () => {
    const m = await machine();
    await setUp(m);
    const [e] = await seedEnvs(m.reg, 'shop', ['prod']);
    const s = await setSecret(m, e!, 'TOKEN', 'tok-value-1234');
    m.rt.secrets.lock();

    expect(await status(m)).toMatchObject({ initialized: true, unlocked: false });
    const locked = await list(m, e!);
    expect(locked.map((x) => [x.name, x.resolves])).toEqual([['TOKEN', false]]);
    expect((await callError(m.reg, 'secrets.reveal', { id: s.id })).code).toBe('SECRETS_LOCKED');
    expect(
      (
        await callError(m.reg, 'secrets.set', {
          environmentId: e!.env.id,
          name: 'OTHER',
          value: 'x-value-1',
        })
      ).code,
    ).toBe('SECRETS_LOCKED');
    expect((await callError(m.reg, 'secrets.rotate', {})).code).toBe('SECRETS_LOCKED');
    expect((await callError(m.reg, 'secrets.unlock', {})).code).toBe('SECRETS_LOCKED');

    const wrong = await callError(m.reg, 'secrets.unlock', { passphrase: 'not the passphrase' });
    expect(wrong.code).toBe('SECRETS_WRONG_PASSPHRASE');
    expect(JSON.stringify(wrong)).not.toContain('not the passphrase');
    const failed = await audit(m, 'secrets.unlock_failed');
    expect(failed).toHaveLength(1);
    expect(JSON.stringify(failed)).not.toContain('not the passphrase');
    expect((await status(m)).unlocked).toBe(false);

    const st = await call<SecretsStatus>(m.reg, 'secrets.unlock', { passphrase: PASS });
    expect(st.unlocked).toBe(true);
    expect((await list(m, e!))[0]!.resolves).toBe(true);
    expect(await reveal(m, s.id)).toBe('tok-value-1234');
  });
});

describe('restarting', () => {
  it('a fresh runtime starts locked (passphrase) and unlocks by itself only with the key file the keyring was wrapped with', async () => {
    const keyFile = makeKeyFile(world.dir());
    env.set('STATEWARD_KEY_FILE', keyFile);
    let m = await machine();
    await setUp(m);
    expect((await status(m)).providers).toEqual(['passphrase', 'keyfile']);
    const [e] = await seedEnvs(m.reg, 'shop', ['prod']);
    const s = await setSecret(m, e!, 'TOKEN', 'tok-restart-value');

    // No key file: locked until the passphrase is given.
    env.set('STATEWARD_KEY_FILE', undefined);
    m = await restart(m);
    expect(await status(m)).toMatchObject({ initialized: true, unlocked: false });
    expect((await list(m, e!))[0]!.resolves).toBe(false);
    await call(m.reg, 'secrets.unlock', { passphrase: PASS });
    expect(await reveal(m, s.id)).toBe('tok-restart-value');

    // Another key file: still locked (and it says so in the log, not by crashing).
    env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir(), 'other.key'));
    m = await restart(m);
    expect((await status(m)).unlocked).toBe(false);
    expect(fs.readFileSync(m.rt.logger.file!, 'utf8')).toMatch(/secrets stay locked/);

    // The key file it was wrapped with: unlocked at start, with no passphrase.
    env.set('STATEWARD_KEY_FILE', keyFile);
    m = await restart(m);
    expect(await status(m)).toMatchObject({ unlocked: true, keyFileConfigured: true });
    expect((await list(m, e!))[0]!.resolves).toBe(true);
    expect(await reveal(m, s.id)).toBe('tok-restart-value');
  });
});

describe('OS keychain', () => {
  it('a weak keychain (basic_text) is not used: setup still needs a passphrase, and nothing is wrapped by it', async () => {
    const m = await machine();
    const kc = weakKeychain();
    m.rt.secrets.setKeychain(kc);
    const err = await callError(m.reg, 'secrets.setup', {});
    expect(err.code).toBe('SECRETS_PASSPHRASE_REQUIRED');
    expect(err.message).toContain('basic_text');
    expect(fs.existsSync(keyringPath(m.rt.layout.keys))).toBe(false);

    await setUp(m);
    const st = await status(m);
    expect(st.providers).toEqual(['passphrase']);
    expect(st.keychain).toEqual({ available: true, weak: true, backend: 'basic_text' });
    expect(readKeyring(m.rt.layout.keys)!.keys[0]!.wraps.map((w) => w.by)).toEqual(['passphrase']);
    expect(kc.calls.wrap).toBe(0);
  });

  it('a strong keychain is used: setup needs no passphrase, the key is wrapped by os-keychain, and a restart unlocks with it', async () => {
    let m = await machine();
    const kc = strongKeychain();
    m.rt.secrets.setKeychain(kc);
    const { recoveryKey } = await setUp(m, null);
    const ring = readKeyring(m.rt.layout.keys)!;
    expect(ring.keys[0]!.wraps.map((w) => w.by)).toEqual(['os-keychain']);
    expect(kc.calls.wrap).toBe(1);
    const key = decodeRecoveryKey(recoveryKey)!;
    expect(
      scanBuffer(
        'keyring.json',
        fs.readFileSync(keyringPath(m.rt.layout.keys)),
        needlesFor('key', key),
      ),
    ).toEqual([]);
    expect((await status(m)).providers).toEqual(['os-keychain']);
    const [e] = await seedEnvs(m.reg, 'shop', ['prod']);
    const s = await setSecret(m, e!, 'TOKEN', 'keychain-protected-value');

    // Restart without the keychain: locked; with it: unlocked without a passphrase.
    m = await restart(m);
    expect((await status(m)).unlocked).toBe(false);
    expect((await callError(m.reg, 'secrets.unlock', {})).code).toBe('SECRETS_LOCKED');
    m.rt.secrets.setKeychain(kc);
    expect((await call<SecretsStatus>(m.reg, 'secrets.unlock', {})).unlocked).toBe(true);
    expect(await reveal(m, s.id)).toBe('keychain-protected-value');
    // Another machine's keychain cannot unwrap it.
    m = await restart(m);
    m.rt.secrets.setKeychain(strongKeychain());
    expect((await callError(m.reg, 'secrets.unlock', {})).code).toBe('SECRETS_LOCKED');
  });
});

describe('rotation', () => {
  it('re-encrypts every value under a new key; the old key stays retired so an older backup still resolves (after a restart too)', async () => {
    let m = await machine();
    const first = await setUp(m);
    const [prod, staging] = await seedEnvs(m.reg, 'shop', ['prod', 'staging']);
    const values = ['rot-value-one-1111', 'rot-value-two-2222', 'rot-value-three-3333'];
    const ids = [
      (await setSecret(m, prod!, 'A', values[0]!)).id,
      (await setSecret(m, prod!, 'B', values[1]!)).id,
      (await setSecret(m, staging!, 'C', values[2]!)).id,
    ];
    const before = await call<BackupEntry>(m.reg, 'backups.create', {});
    expect(keyIdsInDb(m)).toEqual([first.keyId, first.keyId, first.keyId]);

    const r = await call<{ recoveryKey: string; keyId: string; reencrypted: number }>(
      m.reg,
      'secrets.rotate',
      {},
    );
    expect(r.reencrypted).toBe(3);
    expect(r.keyId).not.toBe(first.keyId);
    expect(r.recoveryKey).toMatch(RECOVERY_KEY_RE);
    expect(r.recoveryKey).not.toBe(first.recoveryKey);
    expect(keyIdOf(decodeRecoveryKey(r.recoveryKey)!)).toBe(r.keyId);
    expect(keyIdsInDb(m)).toEqual([r.keyId, r.keyId, r.keyId]);
    for (let i = 0; i < 3; i++) expect(await reveal(m, ids[i]!)).toBe(values[i]);
    expect((await status(m)).activeKeyId).toBe(r.keyId);
    const rotated = await audit(m, 'secrets.key_rotated');
    expect(rotated.map((a) => a.detail)).toEqual([{ from: first.keyId, reencrypted: 3 }]);

    const ring = readKeyring(m.rt.layout.keys)!;
    expect(ring.active).toBe(r.keyId);
    const old = ring.keys.find((k) => k.id === first.keyId)!;
    expect(old.retiredAt).not.toBeNull();
    expect(old.wraps.map((w) => w.by)).toEqual(['passphrase']);
    expect(ring.keys.find((k) => k.id === r.keyId)!.retiredAt).toBeNull();

    // After a restart and the passphrase, both keys unlock: the pre-rotation backup resolves.
    m = await restart(m);
    await call(m.reg, 'secrets.unlock', { passphrase: PASS });
    const drill = await call<DrillReport>(m.reg, 'restores.verify', {
      source: { backupId: before.id },
    });
    expect(drill.passed, drill.summary).toBe(true);
    const step = drill.steps.find((s) => s.key === 'secrets')!;
    expect(step.status, step.detail).toBe('pass');
    expect(step.facts).toMatchObject({ total: 3, resolved: 3, unresolved: [] });
    for (let i = 0; i < 3; i++) expect(await reveal(m, ids[i]!)).toBe(values[i]);
  });

  it('keeps every protection of the old key: a passphrase still unlocks after a rotation done with the key file', async () => {
    const keyFile = makeKeyFile(world.dir());
    env.set('STATEWARD_KEY_FILE', keyFile);
    let m = await machine();
    await setUp(m);
    const [e] = await seedEnvs(m.reg, 'shop', ['prod']);
    const s = await setSecret(m, e!, 'TOKEN', 'survives-rotation-value');
    expect((await status(m)).providers).toEqual(['passphrase', 'keyfile']);

    // A restart unlocked by the key file alone (as automation does), then a rotation.
    m = await restart(m);
    expect((await status(m)).unlocked).toBe(true);
    // Without the passphrase the new key could not be protected by it: refused, nothing rotated.
    const refused = await m.reg.dispatch('secrets.rotate', {});
    expect(refused.ok ? 'ok' : refused.error.code).toBe('SECRETS_PASSPHRASE_REQUIRED');
    await call(m.reg, 'secrets.rotate', { passphrase: PASS });
    expect((await status(m)).providers).toEqual(['passphrase', 'keyfile']);

    env.set('STATEWARD_KEY_FILE', undefined);
    m = await restart(m);
    const unlock = await m.reg.dispatch('secrets.unlock', { passphrase: PASS });
    expect(unlock.ok ? 'ok' : unlock.error.code).toBe('ok');
    expect(await reveal(m, s.id)).toBe('survives-rotation-value');
  });

  it('a rotation whose keyring write fails leaves every value readable after a restart', async () => {
    let m = await machine();
    await setUp(m);
    const [e] = await seedEnvs(m.reg, 'shop', ['prod']);
    const s = await setSecret(m, e!, 'TOKEN', 'must-not-be-lost-value');
    // writeFileAtomic writes keys/.keyring.json.<pid>.tmp first: a folder there makes it fail.
    const blocker = path.join(m.rt.layout.keys, `.keyring.json.${process.pid}.tmp`);
    fs.mkdirSync(blocker);
    const r = await m.reg.dispatch('secrets.rotate', {});
    fs.rmdirSync(blocker);
    expect(r.ok).toBe(false);

    m = await restart(m);
    await call(m.reg, 'secrets.unlock', { passphrase: PASS });
    // service.ts rotate commits the re-encrypted rows before writing the keyring: the rows
    // now name a key that exists nowhere (and whose recovery key was never shown).
    expect((await list(m, e!)).map((x) => x.resolves)).toEqual([true]);
    const got = await m.reg.dispatch('secrets.reveal', { id: s.id });
    expect(got.ok ? got.value : got.error.code).toEqual({ value: 'must-not-be-lost-value' });
  });
});

describe('snapshots keep references, never values', () => {
  it('content containing a value → BAD_INPUT naming the secret (not the value); {"$secret": NAME} is stored', async () => {
    const m = await machine();
    await setUp(m);
    const [e] = await seedEnvs(m.reg, 'shop', ['prod']);
    const tricky = 'pa"ss\\wörd-✓-Quoted';
    await setSecret(m, e!, 'DATABASE_URL', 'postgres://u:Hx81-snap-pass@db/app');
    await setSecret(m, e!, 'TRICKY', tricky);
    const countBefore = (
      await call<ConfigSnapshot[]>(m.reg, 'snapshots.list', { environmentId: e!.env.id })
    ).length;

    for (const [content, name, value] of [
      [{ db: 'postgres://u:Hx81-snap-pass@db/app' }, 'DATABASE_URL', 'Hx81-snap-pass'],
      [
        { nested: { url: 'prefix postgres://u:Hx81-snap-pass@db/app suffix' } },
        'DATABASE_URL',
        'Hx81',
      ],
      [{ list: ['a', tricky] }, 'TRICKY', 'wörd'],
      [{ [tricky]: true }, 'TRICKY', 'wörd'],
    ] as [Record<string, unknown>, string, string][]) {
      const err = await callError(m.reg, 'snapshots.create', { environmentId: e!.env.id, content });
      expect(err.code, JSON.stringify(content)).toBe('SECRET_VALUE_REFUSED');
      // Never which secret matched (that would answer "is this the value of X?").
      expect(JSON.stringify(err)).not.toContain(name);
      expect(JSON.stringify(err)).not.toContain(value);
    }
    expect(
      (await call<ConfigSnapshot[]>(m.reg, 'snapshots.list', { environmentId: e!.env.id })).length,
    ).toBe(countBefore);

    const ok = await call<ConfigSnapshot>(m.reg, 'snapshots.create', {
      environmentId: e!.env.id,
      content: { db: { $secret: 'DATABASE_URL' }, replicas: 2 },
    });
    expect(ok.environmentId).toBe(e!.env.id);
  });

  it('the value of a secret of another environment is refused too', async () => {
    const m = await machine();
    await setUp(m);
    const [prod, staging] = await seedEnvs(m.reg, 'shop', ['prod', 'staging']);
    await setSecret(m, prod!, 'DATABASE_URL', 'postgres://prod-only-Pw77@db/app');
    // service.ts assertNoSecretValues checks only the values of the snapshot's own environment:
    // prod's password pasted into staging's configuration is stored in plain text.
    const r = await m.reg.dispatch('snapshots.create', {
      environmentId: staging!.env.id,
      content: { db: 'postgres://prod-only-Pw77@db/app' },
    });
    expect(r.ok ? 'stored' : r.error.code).toBe('SECRET_VALUE_REFUSED');
  });

  it('while secrets are locked, a configuration containing a value is not stored in plain text', async () => {
    const m = await machine();
    await setUp(m);
    const [e] = await seedEnvs(m.reg, 'shop', ['prod']);
    await setSecret(m, e!, 'DATABASE_URL', 'postgres://locked-Pw55@db/app');
    m.rt.secrets.lock();
    // assertNoSecretValues compares with the values it can decrypt: locked, it checks nothing.
    const r = await m.reg.dispatch('snapshots.create', {
      environmentId: e!.env.id,
      content: { db: 'postgres://locked-Pw55@db/app' },
    });
    expect(r.ok ? 'stored' : r.error.code).not.toBe('stored');
  });
});

describe('a damaged keyring', () => {
  it('the recovery key rebuilds it, as the SECRETS_KEY_UNAVAILABLE hint says', async () => {
    const m = await machine();
    const { recoveryKey } = await setUp(m);
    const [e] = await seedEnvs(m.reg, 'shop', ['prod']);
    const s = await setSecret(m, e!, 'TOKEN', 'damaged-ring-value');
    fs.writeFileSync(keyringPath(m.rt.layout.keys), '{"version": 1, "act');
    m.rt.secrets.lock();

    const st = await callError(m.reg, 'secrets.status', {});
    expect(st.code).toBe('SECRETS_KEY_UNAVAILABLE');
    expect(st.hint).toMatch(/recovery key/i);
    // service.ts unlockWithRecoveryKey reads the damaged keyring first and throws the same error.
    const r = await m.reg.dispatch('secrets.unlockWithRecoveryKey', {
      recoveryKey,
      passphrase: PASS,
    });
    expect(r.ok ? 'ok' : r.error.code).toBe('ok');
    expect(await reveal(m, s.id)).toBe('damaged-ring-value');
  });
});
