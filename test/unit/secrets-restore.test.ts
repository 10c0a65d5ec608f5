// Secrets across a restore: on the machine that stored them every reference
// resolves; on another machine (another key, or no keyring at all) the drill
// warns and lists each reference to re-bind until the first machine's recovery
// key is given.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../electron/core/runtime.ts';
import type { CommandRegistry } from '../../electron/handlers/registry.ts';
import type {
  BackupEntry,
  DrillReport,
  DrillStep,
  KeyProvider,
  KeyState,
  PreflightReport,
  SecretEntry,
  SecretResolution,
  SecretsStatus,
} from '../../shared/domain.ts';
import { call, callError } from '../helpers/restore-util.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import { fullRegistry, makeKeyFile, seedEnvs, useSecretsEnv } from '../helpers/secrets-util.ts';
import type { SeededEnv } from '../helpers/secrets-util.ts';
import { readKeyring } from '../../electron/core/secrets/keyring.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const env = useSecretsEnv();

interface Machine {
  rt: Runtime;
  reg: CommandRegistry;
}

async function machine(dir: string = world.dir()): Promise<Machine> {
  const rt = await startTestRuntime(world, dir);
  readyDb(rt);
  return { rt, reg: fullRegistry(rt) };
}

const REFS = [
  ['blog', 'live', 'SMTP_PASSWORD', 'smtp-pass-Blog-4411'],
  ['shop', 'prod', 'API_KEY', 'sk_live_shop_prod_7788'],
  ['shop', 'prod', 'DATABASE_URL', 'postgres://shop:prod-Pw-9921@db/shop'],
  ['shop', 'staging', 'DATABASE_URL', 'postgres://shop:staging-Pw-3310@db/shop'],
] as const;

interface First extends Machine {
  recoveryKey: string;
  keyId: string;
  backup: BackupEntry;
  backupFile: string;
  envs: Record<string, SeededEnv>;
  ids: Record<string, string>;
}

/** Machine A: secrets set up with a passphrase, four references in three environments, one backup. */
async function firstMachine(): Promise<First> {
  const m = await machine();
  const { recoveryKey, keyId } = await call<{ recoveryKey: string; keyId: string }>(
    m.reg,
    'secrets.setup',
    { passphrase: 'machine A passphrase' },
  );
  const envs: Record<string, SeededEnv> = {};
  for (const e of await seedEnvs(m.reg, 'shop', ['prod', 'staging'])) envs[e.label] = e;
  for (const e of await seedEnvs(m.reg, 'blog', ['live'])) envs[e.label] = e;
  const ids: Record<string, string> = {};
  for (const [p, e, name, value] of REFS) {
    const entry = await call<SecretEntry>(m.reg, 'secrets.set', {
      environmentId: envs[`${p}/${e}`]!.env.id,
      name,
      value,
    });
    ids[`${p}/${e} ${name}`] = entry.id;
  }
  const backup = await call<BackupEntry>(m.reg, 'backups.create', {});
  return {
    ...m,
    recoveryKey,
    keyId,
    backup,
    backupFile: path.join(m.rt.layout.backups, backup.fileName),
    envs,
    ids,
  };
}

/** Stage the first machine's backup file on `m` (as a file the user picked) and drill it. */
async function restoreOn(m: Machine, a: First): Promise<{ restoreId: string; drill: DrillReport }> {
  m.rt.grantedPaths.add(a.backupFile);
  const staged = await call<{ restoreId: string | null; report: PreflightReport }>(
    m.reg,
    'restores.preflight',
    { source: { path: a.backupFile } },
  );
  expect(staged.restoreId, staged.report.reason).not.toBeNull();
  const drill = await call<DrillReport>(m.reg, 'restores.drill', { restoreId: staged.restoreId });
  return { restoreId: staged.restoreId!, drill };
}

const secretsStep = (r: DrillReport): DrillStep => {
  const s = r.steps.find((x) => x.key === 'secrets');
  if (!s) throw new Error(`no secrets step in ${JSON.stringify(r.steps.map((x) => x.key))}`);
  return s;
};

/** The one key A's references use, in the state this machine sees it (a resolution's `keys`). */
const keyOf = (a: First, state: KeyState, unlockWith: KeyProvider[] = []) => ({
  keys: [{ keyId: a.keyId, state, unlockWith, references: 4 }],
  keyState: state,
});

/** What a machine without `a`'s key says (drill step facts, restores.secrets): nothing resolves, the key is missing. */
const noneResolves = (a: First) => ({
  total: 4,
  resolved: 0,
  unresolved: expectedUnresolved(a),
  tampered: [],
  ...keyOf(a, 'missing'),
});

/** The references as the drill and restores.secrets list them. */
const expectedUnresolved = (a: First) =>
  REFS.map(([project, environment, name]) => ({
    id: a.ids[`${project}/${environment} ${name}`],
    project,
    environment,
    name,
    keyId: a.keyId,
  }));

describe('on the machine that stored them', () => {
  it('verify: the secrets step passes with total = resolved, and no value is in the report', async () => {
    const a = await firstMachine();
    const report = await call<DrillReport>(a.reg, 'restores.verify', {
      source: { backupId: a.backup.id },
    });
    expect(report.passed, report.summary).toBe(true);
    const step = secretsStep(report);
    expect(step.status, step.detail).toBe('pass');
    expect(step.facts).toEqual({
      total: 4,
      resolved: 4,
      unresolved: [],
      tampered: [],
      ...keyOf(a, 'unlocked', ['passphrase']),
    });
    const json = JSON.stringify(report);
    for (const [, , , value] of REFS) expect(json).not.toContain(value);

    // A staged copy: restores.secrets and the preview's secrets.list resolve too.
    const { restoreId, drill } = await restoreOn(a, a);
    expect(secretsStep(drill).status).toBe('pass');
    expect(await call<SecretResolution>(a.reg, 'restores.secrets', { restoreId })).toEqual({
      total: 4,
      resolved: 4,
      unresolved: [],
      tampered: [],
      ...keyOf(a, 'unlocked', ['passphrase']),
    });
    const preview = await call<SecretEntry[]>(a.reg, 'secrets.list', {
      environmentId: a.envs['shop/prod']!.env.id,
      restoreId,
    });
    expect(preview.map((s) => [s.name, s.resolves])).toEqual([
      ['API_KEY', true],
      ['DATABASE_URL', true],
    ]);

    // Locked, the same machine says so (nothing was checked) instead of asking to re-bind.
    a.rt.secrets.lock();
    const locked = secretsStep(
      await call<DrillReport>(a.reg, 'restores.verify', { source: { backupId: a.backup.id } }),
    );
    expect(locked.status).toBe('warn');
    expect(locked.detail).toMatch(/locked/i);
    expect(locked.facts).toMatchObject({ total: 4, resolved: 0 });
  });
});

describe('on another machine', () => {
  it('with a different key: the step warns and lists every reference to re-bind; the first machine’s recovery key resolves them all', async () => {
    const a = await firstMachine();
    env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
    let b = await machine();
    const own = await call<{ recoveryKey: string; keyId: string }>(b.reg, 'secrets.setup', {});
    expect(own.keyId).not.toBe(a.keyId);

    const { restoreId, drill } = await restoreOn(b, a);
    expect(drill.passed, drill.summary).toBe(true);
    const step = secretsStep(drill);
    expect(step.status, step.detail).toBe('warn');
    expect(step.detail).toMatch(/re-bound/);
    expect(step.detail).not.toMatch(/locked/i);
    expect(step.facts).toEqual(noneResolves(a));
    for (const [p, e, name] of REFS) expect(step.detail).toContain(`${p}/${e} ${name}`);

    expect(await call<SecretResolution>(b.reg, 'restores.secrets', { restoreId })).toEqual(
      noneResolves(a),
    );
    const preview = await call<SecretEntry[]>(b.reg, 'secrets.list', {
      environmentId: a.envs['shop/prod']!.env.id,
      restoreId,
    });
    expect(preview.map((s) => s.resolves)).toEqual([false, false]);

    // A wrong recovery key is refused and changes nothing.
    const symbols = a.recoveryKey.slice(5).replace(/-/g, '');
    const badChecksum = `SWRK-${symbols.slice(0, 52)}${symbols[52] === 'A' ? 'B' : 'A'}${symbols[53]}`;
    for (const wrong of [badChecksum, 'SWRK-AAAA-BBBB-CCCC', 'not a recovery key at all']) {
      const err = await callError(b.reg, 'secrets.unlockWithRecoveryKey', { recoveryKey: wrong });
      expect(err.code, wrong).toBe('SECRETS_RECOVERY_KEY_INVALID');
    }
    expect((await call<SecretResolution>(b.reg, 'restores.secrets', { restoreId })).resolved).toBe(
      0,
    );

    // The right one: kept in B's keyring (wrapped by B's key file), B's own key stays active.
    expect(
      await call(b.reg, 'secrets.unlockWithRecoveryKey', {
        recoveryKey: a.recoveryKey.toLowerCase(),
      }),
    ).toEqual({ keyId: a.keyId, saved: true });
    expect(await call<SecretResolution>(b.reg, 'restores.secrets', { restoreId })).toEqual({
      total: 4,
      resolved: 4,
      unresolved: [],
      tampered: [],
      ...keyOf(a, 'unlocked', ['keyfile']),
    });
    const again = await call<DrillReport>(b.reg, 'restores.drill', { restoreId });
    expect(again.passed, again.summary).toBe(true);
    expect(secretsStep(again).status, secretsStep(again).detail).toBe('pass');
    expect(secretsStep(again).facts).toMatchObject({ total: 4, resolved: 4 });
    const ring = readKeyring(b.rt.layout.keys)!;
    expect(ring.active).toBe(own.keyId);
    expect(ring.keys.find((k) => k.id === a.keyId)?.wraps.map((w) => w.by)).toEqual(['keyfile']);
    expect((await call<SecretsStatus>(b.reg, 'secrets.status', {})).activeKeyId).toBe(own.keyId);

    // After a restart (key file: unlocked at start) it still resolves; promoted, the values reveal.
    const dir = b.rt.layout.dir;
    b.rt.close();
    b = await machine(dir);
    expect((await call<SecretResolution>(b.reg, 'restores.secrets', { restoreId })).resolved).toBe(
      4,
    );
    await call(b.reg, 'restores.promote', { restoreId, confirm: true });
    const live = await call<SecretEntry[]>(b.reg, 'secrets.list', {
      environmentId: a.envs['shop/prod']!.env.id,
    });
    expect(live.map((s) => s.resolves)).toEqual([true, true]);
    const revealed = await call<{ value: string }>(b.reg, 'secrets.reveal', {
      id: a.ids['shop/prod DATABASE_URL'],
    });
    expect(revealed.value).toBe('postgres://shop:prod-Pw-9921@db/shop');
  });

  it('with no keyring at all: every reference is listed as unresolved (not as "locked"); a recovery key resolves them for this session', async () => {
    const a = await firstMachine();
    const c = await machine();
    expect((await call<SecretsStatus>(c.reg, 'secrets.status', {})).initialized).toBe(false);

    const { restoreId, drill } = await restoreOn(c, a);
    const step = secretsStep(drill);
    expect(step.status, step.detail).toBe('warn');
    expect(step.detail).not.toMatch(/locked/i);
    expect(step.detail).toMatch(/re-bound/);
    expect(step.facts).toEqual(noneResolves(a));
    expect(await call<SecretResolution>(c.reg, 'restores.secrets', { restoreId })).toEqual(
      noneResolves(a),
    );

    expect(
      (await callError(c.reg, 'secrets.unlockWithRecoveryKey', { recoveryKey: 'SWRK-XXXX-YYYY' }))
        .code,
    ).toBe('SECRETS_RECOVERY_KEY_INVALID');
    // Nothing on this machine can protect the key: it is used for this session only.
    expect(
      await call(c.reg, 'secrets.unlockWithRecoveryKey', { recoveryKey: a.recoveryKey }),
    ).toEqual({ keyId: a.keyId, saved: false });
    expect((await call<SecretResolution>(c.reg, 'restores.secrets', { restoreId })).resolved).toBe(
      4,
    );
    const again = await call<DrillReport>(c.reg, 'restores.drill', { restoreId });
    expect(secretsStep(again).status, secretsStep(again).detail).toBe('pass');
    expect(readKeyring(c.rt.layout.keys)).toBeNull();
  });

  it('a damaged keyring does not stop a restore drill: the copy is checked, its secrets step warns', async () => {
    const a = await firstMachine();
    fs.writeFileSync(path.join(a.rt.layout.keys, 'keyring.json'), '{"version": 1, "keys": [');
    // rt.secrets.status() throws SECRETS_KEY_UNAVAILABLE on a damaged keyring: a drill that
    // asks it (restore/service.ts once did, for secretsUnlocked) fails whole, and so does verify.
    const r = await a.reg.dispatch('restores.verify', { source: { backupId: a.backup.id } });
    expect(r.ok ? 'report' : r.error.code).toBe('report');
    if (!r.ok) return;
    const report = r.value as DrillReport;
    expect(report.steps.slice(0, 6).every((s) => s.status === 'pass')).toBe(true);
    // The key unlocked in memory still opens every value; after a restart the damaged keyring
    // holds no usable key, so the key is missing and the recovery key (which rebuilds it) is asked.
    expect(secretsStep(report).status).toBe('pass');
    const dir = a.rt.layout.dir;
    a.rt.close();
    const again = await machine(dir);
    const later = await call<DrillReport>(again.reg, 'restores.verify', {
      source: { backupId: a.backup.id },
    });
    expect(secretsStep(later).status).toBe('warn');
    expect(secretsStep(later).facts).toMatchObject({ keyState: 'missing' });
    expect(secretsStep(later).detail).toMatch(/recovery key/);
  });
});
