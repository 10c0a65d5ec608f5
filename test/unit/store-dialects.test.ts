// The store's resources behave the same on SQLite and on PostgreSQL: the same
// calls, through the same DataStore API, give the same results, refusals and
// bytes on both. Every test below runs once per backend.
import crypto from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { DataStore } from '../../electron/core/store/data.ts';
import { pgData, sqliteData } from '../../electron/core/store/data.ts';
import { migratePostgres } from '../../electron/core/pg/migrate.ts';
import type { Query, Sql } from '../../electron/core/store/sql.ts';
import { PG_TYPES, row, tableExists } from '../../electron/core/store/sql.ts';
import { createProject } from '../../electron/core/store/resources/projects.ts';
import {
  countEnvironments,
  createEnvironment,
  getEnvironment,
  listEnvironments,
  updateEnvironment,
} from '../../electron/core/store/resources/environments.ts';
import {
  canonicalJson,
  createSnapshot,
  danglingSecretRefs,
  getSnapshot,
  listSnapshots,
} from '../../electron/core/store/resources/snapshots.ts';
import { getSetting, setSetting } from '../../electron/core/store/resources/settings.ts';
import {
  countMetrics,
  metricSeries,
  recordMetric,
} from '../../electron/core/store/resources/metrics.ts';
import {
  listResourceStatus,
  upsertResourceStatus,
} from '../../electron/core/store/resources/resourceStatus.ts';
import type { SecretRow } from '../../electron/core/store/resources/secrets.ts';
import {
  allSecrets,
  countSecrets,
  deleteSecret,
  secretById,
  secretByName,
  secretsOf,
  upsertSecret,
} from '../../electron/core/store/resources/secrets.ts';
import { MIGRATIONS } from '../../electron/core/store/migrations/index.ts';
import { pgSkipReason, usePgDatabase, withClient } from '../helpers/pg.ts';
import { call } from '../helpers/restore-util.ts';
import { startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { seedEnvs } from '../helpers/secrets-util.ts';
import { openTestStore } from '../helpers/store.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

/** Run `fn`, expecting it to reject with an AppError of `code`. */
async function rejects(code: string, fn: () => Promise<unknown>): Promise<void> {
  await expect(fn()).rejects.toMatchObject({ code });
}

function* rowsIn(c: Sql, table: 'environments' | 'settings' | 'config_snapshots'): Query<number> {
  const r = yield* row(c.k.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')));
  return r?.n ?? 0;
}

/** Every byte value, in a random order, so nothing is lost or re-encoded on the way. */
function allBytes(): Buffer {
  const b = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  for (let i = b.length - 1; i > 0; i--) {
    const j = crypto.randomInt(i + 1);
    [b[i], b[j]] = [b[j]!, b[i]!];
  }
  return b;
}

function secretRow(environmentId: number, name: string, over: Partial<SecretRow> = {}): SecretRow {
  return {
    id: `sec_${crypto.randomBytes(6).toString('hex')}`,
    environment_id: environmentId,
    name,
    key_id: 'k1',
    iv: Buffer.from([2, 0, 0, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 0]),
    tag: crypto.randomBytes(16),
    ciphertext: allBytes(),
    created_at: 100,
    updated_at: 100,
    ...over,
  };
}

/** The same tests on one backend; `open` gives a fresh, migrated, empty store. */
function sameOnEach(open: () => Promise<DataStore>): void {
  async function seeded(): Promise<{ data: DataStore; projectId: number; envId: number }> {
    const data = await open();
    const p = await data.write((c) => createProject(c, { name: 'shop', description: '' }, 1));
    const e = await data.write((c) =>
      createEnvironment(
        c,
        { projectId: p.id, name: 'prod', kind: 'production', description: '' },
        2,
      ),
    );
    return { data, projectId: p.id, envId: e.id };
  }

  it('environments: create, get, list by name ignoring case, update; a missing one is NOT_FOUND', async () => {
    const data = await open();
    const p = await data.write((c) => createProject(c, { name: 'p', description: '' }, 1));
    const create = (name: string, now: number) =>
      data.write((c) =>
        createEnvironment(c, { projectId: p.id, name, kind: 'staging', description: 'd' }, now),
      );
    const zeta = await create('zeta', 10);
    await create('Alpha', 11);
    await create('beta', 12);
    expect(zeta).toEqual({
      id: zeta.id,
      projectId: p.id,
      name: 'zeta',
      kind: 'staging',
      description: 'd',
      createdAt: 10,
      updatedAt: 10,
      deploymentCount: 0,
      lastDeploymentAt: null,
      lastStatus: null,
    });
    expect(await data.read((c) => getEnvironment(c, zeta.id))).toEqual(zeta);
    const listed = await data.read((c) => listEnvironments(c, p.id));
    expect(listed.map((e) => e.name)).toEqual(['Alpha', 'beta', 'zeta']);
    const updated = await data.write((c) =>
      updateEnvironment(c, { id: zeta.id, name: 'Zeta', kind: 'production' }, 20),
    );
    expect(updated).toMatchObject({
      name: 'Zeta',
      kind: 'production',
      description: 'd',
      updatedAt: 20,
    });
    expect(await data.read(countEnvironments)).toBe(3);
    await rejects('NOT_FOUND', () => data.read((c) => getEnvironment(c, 999)));
    await rejects('NOT_FOUND', () => data.read((c) => listEnvironments(c, 999)));
    await rejects('NOT_FOUND', () =>
      data.write((c) =>
        createEnvironment(c, { projectId: 999, name: 'x', kind: 'other', description: '' }, 1),
      ),
    );
  });

  it('environment names differing only in case conflict (create, update, and two writes at once); nothing is written', async () => {
    const { data, projectId, envId } = await seeded();
    const other = await data.write((c) =>
      createEnvironment(c, { projectId, name: 'staging', kind: 'staging', description: '' }, 3),
    );
    const before = await data.read((c) => rowsIn(c, 'environments'));
    await rejects('CONFLICT', () =>
      data.write((c) =>
        createEnvironment(c, { projectId, name: 'PROD', kind: 'other', description: '' }, 4),
      ),
    );
    await rejects('CONFLICT', () =>
      data.write((c) => updateEnvironment(c, { id: other.id, name: 'Prod' }, 5)),
    );
    expect(await data.read((c) => getEnvironment(c, other.id))).toMatchObject({ name: 'staging' });
    expect(await data.read((c) => rowsIn(c, 'environments'))).toBe(before);
    // Renaming to its own name in another case is no clash.
    expect(
      (await data.write((c) => updateEnvironment(c, { id: envId, name: 'PROD' }, 6))).name,
    ).toBe('PROD');

    // Racing writers: one wins, the other is CONFLICT (never two rows, never INTERNAL).
    const racing = await Promise.allSettled(
      ['Canary', 'CANARY', 'canary'].map((name, i) =>
        data.write((c) =>
          createEnvironment(c, { projectId, name, kind: 'other', description: '' }, 10 + i),
        ),
      ),
    );
    expect(racing.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of racing.filter((x) => x.status === 'rejected'))
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT' });
    expect(await data.read((c) => rowsIn(c, 'environments'))).toBe(before + 1);
  });

  it('snapshots: versions count up per environment, listed newest first, content and sha256 exact', async () => {
    const { data, projectId, envId } = await seeded();
    const second = await data.write((c) =>
      createEnvironment(c, { projectId, name: 'dev', kind: 'development', description: '' }, 3),
    );
    const content = { b: 1, a: { d: [1, { z: 'ü', y: null }], c: 'x"y' } };
    const one = await data.write((c) => createSnapshot(c, { environmentId: envId, content }, 10));
    const two = await data.write((c) =>
      createSnapshot(c, { environmentId: envId, content: { n: 2 } }, 11),
    );
    const elsewhere = await data.write((c) =>
      createSnapshot(c, { environmentId: second.id, content: {} }, 12),
    );
    expect([one.version, two.version, elsewhere.version]).toEqual([1, 2, 1]);
    expect(one).toEqual({
      id: one.id,
      environmentId: envId,
      version: 1,
      content: { a: { c: 'x"y', d: [1, { y: null, z: 'ü' }] }, b: 1 },
      sha256: crypto.createHash('sha256').update(canonicalJson(content)).digest('hex'),
      createdAt: 10,
    });
    expect(await data.read((c) => getSnapshot(c, one.id))).toEqual(one);
    expect(await data.read((c) => listSnapshots(c, envId))).toEqual([two, one]);
    await rejects('NOT_FOUND', () => data.read((c) => getSnapshot(c, 999)));
    await rejects('NOT_FOUND', () => data.read((c) => listSnapshots(c, 999)));
    const before = await data.read((c) => rowsIn(c, 'config_snapshots'));
    await rejects('NOT_FOUND', () =>
      data.write((c) => createSnapshot(c, { environmentId: 999, content: {} }, 13)),
    );
    expect(await data.read((c) => rowsIn(c, 'config_snapshots'))).toBe(before);
  });

  it('snapshots: a reference to a secret the environment lacks is refused; one removed later dangles', async () => {
    const { data, envId } = await seeded();
    const refers = { db: { $secret: 'DB_URL' }, list: [{ $secret: 'TOKEN' }] };
    await rejects('SECRET_REFERENCE_UNKNOWN', () =>
      data.write((c) => createSnapshot(c, { environmentId: envId, content: refers }, 10)),
    );
    const dbUrl = secretRow(envId, 'DB_URL');
    await data.write((c) => upsertSecret(c, dbUrl));
    await data.write((c) => upsertSecret(c, secretRow(envId, 'TOKEN')));
    await data.write((c) => createSnapshot(c, { environmentId: envId, content: refers }, 11));
    expect(await data.read(danglingSecretRefs)).toEqual([]);
    await data.write((c) => deleteSecret(c, dbUrl.id));
    expect(await data.read(danglingSecretRefs)).toEqual([
      { project: 'shop', environment: 'prod', version: 1, name: 'DB_URL' },
    ]);
  });

  it('settings: JSON values by key, overwritten in place', async () => {
    const data = await open();
    expect(await data.read((c) => getSetting(c, 'backup'))).toBeUndefined();
    await data.write((c) => setSetting(c, 'backup', { every: 60, on: true, note: 'ü' }, 1));
    expect(await data.read((c) => getSetting(c, 'backup'))).toEqual({
      every: 60,
      on: true,
      note: 'ü',
    });
    await data.write((c) => setSetting(c, 'backup', false, 2));
    expect(await data.read((c) => getSetting(c, 'backup'))).toBe(false);
    await data.write((c) => setSetting(c, 'other', [1, 'two'], 3));
    expect(await data.read((c) => getSetting(c, 'other'))).toEqual([1, 'two']);
    expect(await data.read((c) => rowsIn(c, 'settings'))).toBe(2);
  });

  it('metrics: a series since a time, in time order, labels and fractions exact', async () => {
    const data = await open();
    await data.write(function* (c) {
      yield* recordMetric(c, { ts: 30, name: 'deploy.s', value: 3.25, labels: { env: 'prod' } });
      yield* recordMetric(c, { ts: 10, name: 'deploy.s', value: 1, labels: {} });
      yield* recordMetric(c, { ts: 20, name: 'other', value: 9, labels: {} });
      yield* recordMetric(c, { ts: 5, name: 'deploy.s', value: 0.5, labels: {} });
    });
    expect(await data.read((c) => metricSeries(c, 'deploy.s', 10, 10))).toEqual([
      { ts: 10, name: 'deploy.s', value: 1, labels: {} },
      { ts: 30, name: 'deploy.s', value: 3.25, labels: { env: 'prod' } },
    ]);
    expect(await data.read((c) => metricSeries(c, 'deploy.s', 0, 1))).toEqual([
      { ts: 5, name: 'deploy.s', value: 0.5, labels: {} },
    ]);
    expect(await data.read(countMetrics)).toBe(4);
  });

  it('resource status: one row per resource, updated in place, listed by name', async () => {
    const { data, envId } = await seeded();
    const set = (resource: string, status: 'ok' | 'down' | 'degraded', at: number, detail = '') =>
      data.write((c) =>
        upsertResourceStatus(c, { environmentId: envId, resource, status, checkedAt: at, detail }),
      );
    await set('web', 'ok', 1);
    await set('db', 'down', 1, 'refused');
    await set('Worker', 'ok', 1);
    await set('web', 'degraded', 2, 'slow');
    expect(await data.read((c) => listResourceStatus(c, envId))).toEqual([
      { environmentId: envId, resource: 'Worker', status: 'ok', checkedAt: 1, detail: '' },
      { environmentId: envId, resource: 'db', status: 'down', checkedAt: 1, detail: 'refused' },
      { environmentId: envId, resource: 'web', status: 'degraded', checkedAt: 2, detail: 'slow' },
    ]);
  });

  it('secrets: rows round-trip every byte exactly; listed by name ignoring case; replaced and removed', async () => {
    const { data, envId } = await seeded();
    expect(await data.read((c) => tableExists(c, 'secrets'))).toBe(true);
    expect(await data.read((c) => tableExists(c, 'no_such_table'))).toBe(false);
    const b = secretRow(envId, 'b_TOKEN');
    const a = secretRow(envId, 'A_KEY');
    await data.write((c) => upsertSecret(c, b));
    await data.write((c) => upsertSecret(c, a));
    const got = await data.read((c) => secretById(c, b.id));
    expect(got).toEqual(b);
    for (const k of ['iv', 'tag', 'ciphertext'] as const) {
      expect(Buffer.isBuffer(got![k])).toBe(true);
      expect(got![k].equals(b[k])).toBe(true);
    }
    expect((await data.read((c) => secretsOf(c, envId))).map((r) => r.name)).toEqual([
      'A_KEY',
      'b_TOKEN',
    ]);
    expect(await data.read((c) => secretByName(c, envId, 'A_KEY'))).toEqual(a);
    expect(await data.read((c) => secretByName(c, envId, 'a_key'))).toBeUndefined();
    expect(
      (await data.read(allSecrets)).map((r) => [r.project_name, r.environment_name, r.name]),
    ).toEqual([
      ['shop', 'prod', 'A_KEY'],
      ['shop', 'prod', 'b_TOKEN'],
    ]);

    // Replacing keeps the id and created time; the new bytes are stored exactly.
    const replaced = {
      ...b,
      key_id: 'k2',
      iv: crypto.randomBytes(13),
      tag: crypto.randomBytes(16),
      ciphertext: Buffer.concat([allBytes(), Buffer.alloc(3)]),
      created_at: 999,
      updated_at: 200,
    };
    await data.write((c) => upsertSecret(c, replaced));
    expect(await data.read((c) => secretById(c, b.id))).toEqual({ ...replaced, created_at: 100 });

    // The same name twice in one environment is refused by the unique index on both.
    await expect(
      data.write((c) => upsertSecret(c, secretRow(envId, 'A_KEY'))),
    ).rejects.toBeTruthy();

    await data.write((c) => deleteSecret(c, a.id));
    expect(await data.read((c) => secretById(c, a.id))).toBeUndefined();
    expect(await data.read(countSecrets)).toBe(1);
    await rejects('INTERNAL', () => data.write((c) => deleteSecret(c, a.id)));
  });
}

describe('SQLite', () => {
  sameOnEach(async () => sqliteData(openTestStore(world).db));
});

const skip = pgSkipReason();

describe.skipIf(skip !== null)('PostgreSQL', () => {
  const server = usePgDatabase();
  sameOnEach(async () => {
    const schema = `s_${crypto.randomBytes(5).toString('hex')}`;
    await withClient(server.url(), (c) => migratePostgres(c, { schema }));
    const pool = new pg.Pool({
      connectionString: server.url(),
      options: `-c search_path=${schema}`,
      types: PG_TYPES,
      max: 3,
    });
    world.defer(() => pool.end());
    return pgData(pool);
  });

  it('app.status counts the team schema and names its schema version', async () => {
    const url = new URL(server.url());
    url.searchParams.set('schema', `team_${crypto.randomBytes(5).toString('hex')}`);
    const rt = await startTestRuntime(world, world.dir(), { databaseUrl: url.toString() });
    expect(rt.store).toBeNull();
    const reg = testRegistry(rt);
    await seedEnvs(reg, 'shop', ['prod', 'staging']);
    expect(await call(reg, 'app.status', {})).toMatchObject({
      schemaVersion: MIGRATIONS[MIGRATIONS.length - 1]!.version,
      counts: { projects: 1, environments: 2, deployments: 0, auditEntries: 3 },
      empty: false,
    });
  });
});
