// Secrets in team mode: the encrypted rows and their audit entries live in the
// team's PostgreSQL schema (the keyring stays in the data dir), and every
// secrets command works there as it does on SQLite — set, list, reveal, the
// refusal of a value in stored text, rotation (keyring written inside the
// database transaction) and unset.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AuditEntry, Page, SecretEntry } from '../../shared/domain.ts';
import { call, callError } from '../helpers/restore-util.ts';
import { pgSkipReason, usePgDatabase, withClient } from '../helpers/pg.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { fullRegistry, makeKeyFile, seedEnvs, useSecretsEnv } from '../helpers/secrets-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const env = useSecretsEnv();
const VALUE = 'postgres://shop:team-Pw-4410@db/shop';
const skip = pgSkipReason();

describe.skipIf(skip !== null)('secrets in team mode (PostgreSQL)', () => {
  const server = usePgDatabase();

  it('set, list, reveal, refuse a value in a snapshot, rotate and unset: rows and audit in the team schema', async () => {
    env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
    const schema = `team_${crypto.randomBytes(5).toString('hex')}`;
    const url = new URL(server.url());
    url.searchParams.set('schema', schema);
    const rt = await startTestRuntime(world, world.dir(), { databaseUrl: url.toString() });
    expect(rt.startup).toEqual({ state: 'ready' });
    expect(rt.store).toBeNull();
    expect(rt.data?.backend).toBe('postgres');
    const reg = fullRegistry(rt);
    const [prod] = await seedEnvs(reg, 'shop', ['prod']);
    const environmentId = prod!.env.id;
    const stored = async () =>
      withClient(server.url(), async (c) => {
        const r = await c.query<{ name: string; key_id: string; n: number }>(
          `SELECT name, key_id, length(ciphertext) AS n FROM "${schema}".secrets ORDER BY name`,
        );
        return r.rows;
      });

    const { keyId } = await call<{ keyId: string }>(reg, 'secrets.setup', {});
    const entry = await call<SecretEntry>(reg, 'secrets.set', {
      environmentId,
      name: 'DATABASE_URL',
      value: VALUE,
    });
    expect(entry).toMatchObject({
      name: 'DATABASE_URL',
      keyId,
      resolves: true,
      keyState: 'unlocked',
    });
    expect(await stored()).toEqual([
      { name: 'DATABASE_URL', key_id: keyId, n: Buffer.byteLength(VALUE) },
    ]);
    expect(await call(reg, 'secrets.list', { environmentId })).toEqual([entry]);
    expect(await call(reg, 'secrets.reveal', { id: entry.id })).toEqual({ value: VALUE });
    expect(await call(reg, 'secrets.status', {})).toMatchObject({ secretCount: 1, unlocked: true });

    // A value in text about to be stored is refused, and the refusal audited, on PostgreSQL too.
    const refused = await callError(reg, 'snapshots.create', {
      environmentId,
      content: { db: VALUE },
    });
    expect(refused.code).toBe('SECRET_VALUE_REFUSED');
    expect(refused.message).not.toContain('DATABASE_URL');

    const rotated = await call<{ keyId: string; reencrypted: number }>(reg, 'secrets.rotate', {});
    expect(rotated.reencrypted).toBe(1);
    expect((await stored()).map((r) => r.key_id)).toEqual([rotated.keyId]);
    expect(await call(reg, 'secrets.reveal', { id: entry.id })).toEqual({ value: VALUE });

    expect(await call(reg, 'secrets.unset', { environmentId, name: 'DATABASE_URL' })).toEqual({
      removed: true,
    });
    expect(await stored()).toEqual([]);
    expect(await call(reg, 'secrets.list', { environmentId })).toEqual([]);

    const audit = await call<Page<AuditEntry>>(reg, 'audit.list', { offset: 0, limit: 50 });
    expect(audit.items.map((a) => a.action).reverse()).toEqual([
      'project.created',
      'environment.created',
      'secrets.key_created',
      'secret.created',
      'secret.revealed',
      'secret.value_refused',
      'secrets.key_rotated',
      'secret.revealed',
      'secret.deleted',
    ]);
  });
});
