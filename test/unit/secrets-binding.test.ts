// A secret's value is bound to its id, environment, name and key: a row moved to
// another environment or renamed outside Stateward (sqlite3 on the file, or a
// tampered backup restored) no longer resolves, reveal says SECRET_TAMPERED and
// the drill fails its secrets step. Values stored before the binding existed
// (bound to the id only) still resolve and are re-sealed with it on unlock.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeRecoveryKey, seal } from '../../electron/core/secrets/crypto.ts';
import type {
  DrillReport,
  PreflightReport,
  SecretEntry,
  SecretResolution,
} from '../../shared/domain.ts';
import { call, callError, copyInto, editFile } from '../helpers/restore-util.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import { editDatabase } from '../helpers/store.ts';
import { fullRegistry, makeKeyFile, seedEnvs, useSecretsEnv } from '../helpers/secrets-util.ts';
import type { BackupEntry } from '../../shared/domain.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const env = useSecretsEnv();

async function machine(dir = world.dir()) {
  const rt = await startTestRuntime(world, dir);
  readyDb(rt);
  return { rt, reg: fullRegistry(rt) };
}

/** shop/prod and shop/staging, secrets set up with a key file, API_KEY in prod and DB_URL in staging. */
async function seeded() {
  env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
  const m = await machine();
  const [prod, staging] = await seedEnvs(m.reg, 'shop', ['prod', 'staging']);
  const { recoveryKey } = await call<{ recoveryKey: string }>(m.reg, 'secrets.setup', {});
  const api = await call<SecretEntry>(m.reg, 'secrets.set', {
    environmentId: prod!.env.id,
    name: 'API_KEY',
    value: 'sk_live_bound_0001',
  });
  const db = await call<SecretEntry>(m.reg, 'secrets.set', {
    environmentId: staging!.env.id,
    name: 'DB_URL',
    value: 'postgres://staging@db/shop',
  });
  return { ...m, prod: prod!, staging: staging!, api, db, recoveryKey };
}

describe('a row changed outside Stateward', () => {
  it('moved to another environment and renamed: does not resolve; reveal says SECRET_TAMPERED', async () => {
    const s = await seeded();
    const dir = s.rt.layout.dir;
    s.rt.close();
    editDatabase(path.join(dir, 'stateward.db'), (db) => {
      db.prepare(`UPDATE secrets SET environment_id = ?, name = 'DB_URL_PROD' WHERE id = ?`).run(
        s.staging.env.id,
        s.api.id,
      );
    });
    const m = await machine(dir);
    const list = await call<SecretEntry[]>(m.reg, 'secrets.list', {
      environmentId: s.staging.env.id,
    });
    expect(list.map((e) => [e.name, e.resolves])).toEqual([
      ['DB_URL', true],
      ['DB_URL_PROD', false],
    ]);
    expect((await callError(m.reg, 'secrets.reveal', { id: s.api.id })).code).toBe(
      'SECRET_TAMPERED',
    );
    const r = m.rt.secrets.resolveAll(readyDb(m.rt));
    expect(r.tampered.map((t) => t.id)).toEqual([s.api.id]);
    expect(r.resolved).toBe(1);
  });

  it('only renamed, in place: does not resolve either', async () => {
    const s = await seeded();
    const dir = s.rt.layout.dir;
    s.rt.close();
    editDatabase(path.join(dir, 'stateward.db'), (db) => {
      db.prepare(`UPDATE secrets SET name = 'API_KEY_OLD' WHERE id = ?`).run(s.api.id);
    });
    const m = await machine(dir);
    expect((await callError(m.reg, 'secrets.reveal', { id: s.api.id })).code).toBe(
      'SECRET_TAMPERED',
    );
  });

  it('in a backup restored as a file: the drill fails its secrets step with SECRET_TAMPERED', async () => {
    const s = await seeded();
    const backup = await call<BackupEntry>(s.reg, 'backups.create', {});
    const file = copyInto(
      world,
      path.join(s.rt.layout.backups, backup.fileName),
      'shop-backup.sqlite',
    );
    editFile(file, (db) => {
      db.prepare(`UPDATE secrets SET environment_id = ?, name = 'DB_URL_PROD' WHERE id = ?`).run(
        s.staging.env.id,
        s.api.id,
      );
    });
    s.rt.grantedPaths.add(file);
    const staged = await call<{ restoreId: string | null; report: PreflightReport }>(
      s.reg,
      'restores.preflight',
      { source: { path: file } },
    );
    expect(staged.restoreId, staged.report.reason).not.toBeNull();
    const drill = await call<DrillReport>(s.reg, 'restores.drill', { restoreId: staged.restoreId });
    const step = drill.steps.find((x) => x.key === 'secrets')!;
    expect(step.status).toBe('fail');
    expect(step.facts).toMatchObject({ code: 'SECRET_TAMPERED' });
    expect((step.facts as unknown as SecretResolution).tampered.map((t) => t.id)).toEqual([
      s.api.id,
    ]);
    expect(step.detail).toContain('shop/staging DB_URL_PROD');
  });
});

describe('values stored before the binding (bound to the id only)', () => {
  it('still resolve, and are re-sealed with the binding at the next unlock', async () => {
    const s = await seeded();
    const dir = s.rt.layout.dir;
    s.rt.close();
    // Rewrite API_KEY as an older version stored it: a 12-byte iv, the id as the only AAD.
    const key = decodeRecoveryKey(s.recoveryKey)!;
    const legacy = seal(key, Buffer.from('sk_live_legacy_0002'), `stateward-secret:${s.api.id}`);
    editDatabase(path.join(dir, 'stateward.db'), (db) => {
      db.prepare(`UPDATE secrets SET iv = ?, tag = ?, ciphertext = ? WHERE id = ?`).run(
        legacy.iv,
        legacy.tag,
        legacy.ciphertext,
        s.api.id,
      );
    });
    // The key file unlocks at start; the older value is re-sealed then.
    const m = await machine(dir);
    const iv = (
      readyDb(m.rt).prepare('SELECT iv FROM secrets WHERE id = ?').get(s.api.id) as {
        iv: Buffer;
      }
    ).iv;
    expect(iv.length).toBe(13);
    expect((await call<{ value: string }>(m.reg, 'secrets.reveal', { id: s.api.id })).value).toBe(
      'sk_live_legacy_0002',
    );
    // Now bound: moving it makes it stop resolving.
    m.rt.close();
    editDatabase(path.join(dir, 'stateward.db'), (db) => {
      db.prepare(`UPDATE secrets SET environment_id = ? WHERE id = ?`).run(
        s.staging.env.id,
        s.api.id,
      );
    });
    const after = await machine(dir);
    expect((await callError(after.reg, 'secrets.reveal', { id: s.api.id })).code).toBe(
      'SECRET_TAMPERED',
    );
  });
});
