// Locked is not missing. After a restart the passphrase-wrapped key is still in
// this machine's keyring, just locked: the drill, secrets.status and the secret
// list say 'locked' (unlock with the passphrase), not 'missing'. On a machine
// whose keyring lacks the key (none at all, or its own other key, even while
// locked) they say 'missing' (the recovery key). A wrong passphrase makes the key
// 'wrong' until it is unlocked. Each change emits the 'secrets' event every view
// refreshes on.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../electron/core/runtime.ts';
import type { CommandRegistry } from '../../electron/handlers/registry.ts';
import type {
  BackupEntry,
  DrillReport,
  DrillStep,
  KeyAvailability,
  PreflightReport,
  SecretEntry,
  SecretResolution,
  SecretsStatus,
} from '../../shared/domain.ts';
import { call, callError } from '../helpers/restore-util.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import { fullRegistry, seedEnvs, useSecretsEnv } from '../helpers/secrets-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
useSecretsEnv();

const PASSPHRASE = 'machine A passphrase';

interface Machine {
  rt: Runtime;
  reg: CommandRegistry;
  /** How many 'secrets' change events this runtime emitted. */
  secretEvents(): number;
}

async function machine(dir: string = world.dir()): Promise<Machine> {
  const rt = await startTestRuntime(world, dir);
  readyDb(rt);
  let events = 0;
  rt.events.on('data.changed', ({ area }) => {
    if (area === 'secrets') events++;
  });
  return { rt, reg: fullRegistry(rt), secretEvents: () => events };
}

interface Stored extends Machine {
  keyId: string;
  environmentId: number;
  backup: BackupEntry;
}

/** Secrets set up with a passphrase, two secrets in one environment, one backup. */
async function storedWithPassphrase(): Promise<Stored> {
  const m = await machine();
  const { keyId } = await call<{ keyId: string }>(m.reg, 'secrets.setup', {
    passphrase: PASSPHRASE,
  });
  const [e] = await seedEnvs(m.reg, 'shop', ['prod']);
  for (const name of ['API_KEY', 'DATABASE_URL'])
    await call(m.reg, 'secrets.set', { environmentId: e!.env.id, name, value: `${name}-v4lue-77` });
  const backup = await call<BackupEntry>(m.reg, 'backups.create', {});
  return { ...m, keyId, environmentId: e!.env.id, backup };
}

/** Stop and start again on the same data dir: keys are in memory only, so they are locked. */
async function restart(m: Machine): Promise<Machine> {
  const dir = m.rt.layout.dir;
  m.rt.close();
  return machine(dir);
}

const secretsStep = (r: DrillReport): DrillStep => {
  const s = r.steps.find((x) => x.key === 'secrets');
  if (!s) throw new Error(`no secrets step: ${r.summary}`);
  return s;
};

const verify = async (m: Machine, backupId: string) =>
  secretsStep(await call<DrillReport>(m.reg, 'restores.verify', { source: { backupId } }));

/** Another machine: the first one's backup file, staged from its path and drilled. */
async function drillFileOn(m: Machine, file: string): Promise<DrillStep> {
  m.rt.grantedPaths.add(file);
  const staged = await call<{ restoreId: string | null; report: PreflightReport }>(
    m.reg,
    'restores.preflight',
    { source: { path: file } },
  );
  expect(staged.restoreId, staged.report.reason).not.toBeNull();
  const drill = await call<DrillReport>(m.reg, 'restores.drill', { restoreId: staged.restoreId });
  return secretsStep(drill);
}

const keysOf = (step: DrillStep) => (step.facts as unknown as SecretResolution).keys;

describe('after a restart, the passphrase-wrapped key is locked, not missing', () => {
  it('the drill, secrets.status and the list say locked and offer the passphrase; unlocking resolves them', async () => {
    const a = await storedWithPassphrase();
    const b = await restart(a);

    const st = await call<SecretsStatus>(b.reg, 'secrets.status', {});
    expect(st).toMatchObject({ initialized: true, unlocked: false, keyState: 'locked' });
    const list = await call<SecretEntry[]>(b.reg, 'secrets.list', {
      environmentId: a.environmentId,
    });
    expect(list.map((s) => [s.name, s.resolves, s.keyState])).toEqual([
      ['API_KEY', false, 'locked'],
      ['DATABASE_URL', false, 'locked'],
    ]);

    const step = await verify(b, a.backup.id);
    expect(step.status, step.detail).toBe('warn');
    expect(step.facts).toMatchObject({ total: 2, resolved: 0, keyState: 'locked' });
    expect(keysOf(step)).toEqual<KeyAvailability[]>([
      { keyId: a.keyId, state: 'locked', unlockWith: ['passphrase'], references: 2 },
    ]);
    expect(step.detail).toMatch(/holds but is locked: unlock with the passphrase/);
    expect(step.detail).not.toMatch(/does not have|re-bound|recovery key of the machine/);

    // Unlocking emits the 'secrets' event (every view refetches) and the same drill now passes.
    const before = b.secretEvents();
    const unlocked = await call<SecretsStatus>(b.reg, 'secrets.unlock', {
      passphrase: PASSPHRASE,
    });
    expect(unlocked).toMatchObject({ unlocked: true, keyState: 'unlocked' });
    expect(b.secretEvents()).toBeGreaterThan(before);
    const after = await verify(b, a.backup.id);
    expect(after.status, after.detail).toBe('pass');
    expect(after.facts).toMatchObject({ total: 2, resolved: 2, keyState: 'unlocked' });
    expect(
      (await call<SecretEntry[]>(b.reg, 'secrets.list', { environmentId: a.environmentId })).map(
        (s) => s.keyState,
      ),
    ).toEqual(['unlocked', 'unlocked']);

    // Locking again says locked again (and tells every view).
    const beforeLock = b.secretEvents();
    await call(b.reg, 'secrets.lock', {});
    expect(b.secretEvents()).toBeGreaterThan(beforeLock);
    expect((await call<SecretsStatus>(b.reg, 'secrets.status', {})).keyState).toBe('locked');
  });

  it('a wrong passphrase makes the key wrong (status, list and drill say so) until the right one unlocks it', async () => {
    const a = await storedWithPassphrase();
    const b = await restart(a);
    const before = b.secretEvents();
    const err = await callError(b.reg, 'secrets.unlock', { passphrase: 'not the passphrase' });
    expect(err.code).toBe('SECRETS_WRONG_PASSPHRASE');
    expect(b.secretEvents()).toBeGreaterThan(before);

    expect((await call<SecretsStatus>(b.reg, 'secrets.status', {})).keyState).toBe('wrong');
    expect(
      (await call<SecretEntry[]>(b.reg, 'secrets.list', { environmentId: a.environmentId })).map(
        (s) => s.keyState,
      ),
    ).toEqual(['wrong', 'wrong']);
    const step = await verify(b, a.backup.id);
    expect(step.status, step.detail).toBe('warn');
    expect(step.facts).toMatchObject({ keyState: 'wrong' });
    expect(keysOf(step)[0]).toMatchObject({ keyId: a.keyId, state: 'wrong' });
    expect(step.detail).toMatch(/the passphrase tried last did not unlock it/);
    expect(step.detail).not.toMatch(/does not have|re-bound/);

    await call(b.reg, 'secrets.unlock', { passphrase: PASSPHRASE });
    expect((await call<SecretsStatus>(b.reg, 'secrets.status', {})).keyState).toBe('unlocked');
    expect((await verify(b, a.backup.id)).status).toBe('pass');
  });
});

describe('on another machine the key is missing, not locked', () => {
  it('with no keyring at all, and with its own (locked) key: missing, the recovery key is offered', async () => {
    const a = await storedWithPassphrase();
    const file = path.join(a.rt.layout.backups, a.backup.fileName);

    const bare = await machine();
    const step = await drillFileOn(bare, file);
    expect(step.status, step.detail).toBe('warn');
    expect(step.facts).toMatchObject({ total: 2, resolved: 0, keyState: 'missing' });
    expect(keysOf(step)).toEqual<KeyAvailability[]>([
      { keyId: a.keyId, state: 'missing', unlockWith: [], references: 2 },
    ]);
    expect(step.detail).toMatch(/2 of 2 secret references must be re-bound/);
    expect(step.detail).toMatch(/does not have key [0-9a-f]{16}.*recovery key/);
    expect(step.detail).not.toMatch(/locked/i);

    // A machine with secrets of its own, locked after a restart: A's key is still missing there.
    const own = await machine();
    const ownKey = await call<{ keyId: string }>(own.reg, 'secrets.setup', {
      passphrase: 'machine B passphrase',
    });
    const ownAgain = await restart(own);
    expect((await call<SecretsStatus>(ownAgain.reg, 'secrets.status', {})).keyState).toBe('locked');
    const other = await drillFileOn(ownAgain, file);
    expect(other.facts).toMatchObject({ keyState: 'missing' });
    expect(keysOf(other).map((k) => [k.keyId, k.state])).toEqual([[a.keyId, 'missing']]);
    expect(keysOf(other)[0]!.keyId).not.toBe(ownKey.keyId);
    expect(other.detail).not.toMatch(/locked/i);
  });
});
