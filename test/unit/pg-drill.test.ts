// The restore drill against a real PostgreSQL server (issue 11.6): a backup is
// loaded into a scratch schema, checked through the PostgreSQL store (the same
// probes and secret checks as the local drill), and the schema is dropped after,
// also when a step fails; leftovers of dead drills older than an hour go too.
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DRILL_SCHEMA_PREFIX,
  dropDrillLeftovers,
  runPgDrill,
} from '../../electron/core/pg/drill.ts';
import { runDrill } from '../../electron/core/restore/drill.ts';
import { stageRestore } from '../../electron/core/restore/preflight.ts';
import type { Runtime } from '../../electron/core/runtime.ts';
import { PG_TYPES } from '../../electron/core/store/sql.ts';
import type { BackupEntry, DrillReport, SecretEntry } from '../../shared/domain.ts';
import { call, editFile } from '../helpers/restore-util.ts';
import { pgSkipReason, usePgDatabase } from '../helpers/pg.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import { fullRegistry, seedEnvs, useSecretsEnv } from '../helpers/secrets-util.ts';
import { useWorld } from '../helpers/world.ts';

const skip = pgSkipReason();

const world = useWorld();
useSecretsEnv();

/** A data dir with two environments, secrets in both, deployments; its backup file. */
async function source(): Promise<{ rt: Runtime; backupFile: string }> {
  const rt = await startTestRuntime(world, world.dir());
  readyDb(rt);
  const reg = fullRegistry(rt);
  await call(reg, 'secrets.setup', { passphrase: 'drill passphrase' });
  const envs = await seedEnvs(reg, 'shop', ['prod', 'staging']);
  for (const e of envs) {
    await call<SecretEntry>(reg, 'secrets.set', {
      environmentId: e.env.id,
      name: 'API_KEY',
      value: `value-of-${e.label}`,
    });
    await call(reg, 'snapshots.create', {
      environmentId: e.env.id,
      content: { replicas: 2, key: { $secret: 'API_KEY' } },
    });
    await call(reg, 'deployments.create', { environmentId: e.env.id, version: `v-${e.env.name}` });
  }
  const backup = await call<BackupEntry>(reg, 'backups.create', {});
  return { rt, backupFile: path.join(rt.layout.backups, backup.fileName) };
}

describe.each(['local', 'server'] as const)('the secrets step of a %s drill', (target) => {
  const pgdb = target === 'server' && skip === null ? usePgDatabase() : null;

  it.skipIf(target === 'server' && skip !== null)(
    'a value moved to another environment fails as tampered, even though its old reference now dangles',
    async () => {
      const { rt, backupFile } = await source();
      const staged = await stageRestore(backupFile, path.join(world.dir(), 'stage'));
      editFile(staged.copy!, (db) => {
        db.exec(
          `DELETE FROM secrets WHERE environment_id = (SELECT max(environment_id) FROM secrets)`,
        );
        db.exec(`UPDATE secrets SET environment_id = (SELECT max(id) FROM environments)`);
      });
      const common = { copy: staged.copy!, restoreId: null, preflight: staged.report, copyMs: 0 };
      let report: DrillReport;
      if (pgdb) {
        const pool = new pg.Pool({ connectionString: pgdb.url(), types: PG_TYPES, max: 2 });
        pool.on('error', () => undefined);
        world.defer(() => pool.end());
        report = await runPgDrill({
          ...common,
          pool,
          resolveSecrets: (rows) => rt.secrets.resolveRows(rows),
        });
      } else {
        report = await runDrill({
          ...common,
          boot: false,
          resolveSecrets: (db) => rt.secrets.resolveAll(db),
        });
      }
      expect(report.passed).toBe(false);
      const step = report.steps.find((s) => s.key === 'secrets')!;
      expect(step.status).toBe('fail');
      expect(step.facts!['code']).toBe('SECRET_TAMPERED');
      expect(step.detail).toMatch(
        /tampered with \(shop\/staging API_KEY\).*Also: 1 secret reference .*points at no secret/,
      );
      expect(report.warnings.join(' ')).toMatch(/points at no secret/);
    },
    60_000,
  );
});

describe.skipIf(skip !== null)('drill against the server', () => {
  const pgdb = usePgDatabase();
  let pool: pg.Pool;

  beforeAll(() => {
    pool = new pg.Pool({ connectionString: pgdb.url(), types: PG_TYPES, max: 3 });
    // The file's database is dropped WITH (FORCE) after the tests: idle connections end then.
    pool.on('error', () => undefined);
  });
  afterAll(() => pool.end());

  const scratchSchemas = async () =>
    (
      await pool.query<{ nspname: string }>(
        `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'stateward\\_drill\\_%' ORDER BY 1`,
      )
    ).rows.map((r) => r.nspname);

  async function drill(
    rt: Runtime,
    backupFile: string,
    edit?: Parameters<typeof editFile>[1],
    onStep?: () => void,
  ): Promise<DrillReport> {
    const staged = await stageRestore(backupFile, path.join(world.dir(), 'stage'));
    expect(staged.report.ok, staged.report.reason).toBe(true);
    if (edit) editFile(staged.copy!, edit);
    return runPgDrill({
      pool,
      copy: staged.copy!,
      restoreId: null,
      preflight: staged.report,
      copyMs: 0,
      resolveSecrets: (rows) => rt.secrets.resolveRows(rows),
      ...(onStep ? { onStep } : {}),
    });
  }

  it('loads the backup into a scratch schema, checks it through the PostgreSQL store, and drops it; old leftovers go, young ones stay', async () => {
    const { rt, backupFile } = await source();
    const hourAgo = Date.now() - 2 * 60 * 60 * 1000;
    await pool.query(`CREATE SCHEMA ${DRILL_SCHEMA_PREFIX}dead`);
    await pool.query(
      `COMMENT ON SCHEMA ${DRILL_SCHEMA_PREFIX}dead IS 'stateward drill scratch, started ${hourAgo} on elsewhere'`,
    );
    await pool.query(`CREATE SCHEMA ${DRILL_SCHEMA_PREFIX}running`);
    await pool.query(
      `COMMENT ON SCHEMA ${DRILL_SCHEMA_PREFIX}running IS 'stateward drill scratch, started ${Date.now()} on elsewhere'`,
    );
    const seen: string[] = [];
    const report = await drill(rt, backupFile, undefined, () => {
      // The scratch schema exists while the drill runs (checked on the next tick).
      void scratchSchemas().then((s) => seen.push(...s));
    });
    expect(report.passed, report.summary).toBe(true);
    expect(report.steps.map((s) => s.key)).toEqual([
      'preflight',
      'copy',
      'migrations',
      'boot',
      'probes',
      'secrets',
      'host',
    ]);
    // The real app booted on a (migrated) copy of the backup and listed its project over HTTP.
    expect(report.steps[6]!.probes!.find((p) => p.name === 'Projects')).toMatchObject({
      httpStatus: 200,
      detail: '1 project (as the manifest says).',
    });
    const scratch = report.steps[1]!.facts!['schema'] as string;
    expect(scratch).toMatch(/^stateward_drill_[0-9a-f]{16}$/);
    expect(seen).toContain(scratch);
    // Migrations once and not twice: the history holds the backup's rows, a second run applied nothing.
    const migrations = report.steps[2]!;
    expect(migrations.detail).toMatch(/a second run applied nothing/);
    expect(migrations.facts!['history']).toBeGreaterThan(0);
    expect(report.steps[3]!.facts).toMatchObject({ projects: 1, environments: 2, deployments: 2 });
    expect(report.steps[4]!.detail).toMatch(
      /1 project \(as the manifest says\); newest deployment shop\//,
    );
    expect(report.steps[5]!.detail).toMatch(/All 2 secret references resolve/);
    // Dropped after: its own schema and the dead drill's; the young one is left alone.
    expect(await scratchSchemas()).toEqual([`${DRILL_SCHEMA_PREFIX}running`]);
    await pool.query(`DROP SCHEMA ${DRILL_SCHEMA_PREFIX}running`);
  }, 60_000);

  it("never drops a stateward_drill_* schema that has no drill's mark (somebody's data, not a dead drill's)", async () => {
    const other = `${DRILL_SCHEMA_PREFIX}unmarked`;
    await pool.query(`CREATE SCHEMA ${other}`);
    await pool.query(`CREATE TABLE ${other}.keep (id int)`);
    await pool.query(`COMMENT ON SCHEMA ${other} IS 'the ops team'`);
    try {
      expect(await dropDrillLeftovers(pool, Date.now())).toEqual([]);
      expect(await scratchSchemas()).toContain(other);
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS ${other} CASCADE`);
    }
  });

  it('fails with a clear step when a row points at a missing environment, or a secret was tampered with, and still drops the schema', async () => {
    const { rt, backupFile } = await source();
    const orphan = await drill(rt, backupFile, (db) => {
      db.pragma('foreign_keys = OFF');
      db.exec(
        `UPDATE deployments SET environment_id = 999 WHERE id = (SELECT max(id) FROM deployments)`,
      );
    });
    expect(orphan.passed).toBe(false);
    const load = orphan.steps.find((s) => s.status === 'fail')!;
    expect(load.key).toBe('copy');
    expect(load.facts!['code']).toBe('PG_COPY_FAILED');
    expect(load.detail).toMatch(/deployments/);
    expect(orphan.summary).toMatch(/^Failed at “Load into a scratch schema on the server”/);
    expect(await scratchSchemas()).toEqual([]);

    const tampered = await drill(rt, backupFile, (db) => {
      // One value's authentication tag edited outside Stateward: it no longer verifies.
      db.exec(
        `UPDATE secrets SET tag = zeroblob(16) WHERE rowid = (SELECT min(rowid) FROM secrets)`,
      );
    });
    expect(tampered.passed).toBe(false);
    const secrets = tampered.steps.find((s) => s.status === 'fail')!;
    expect(secrets.key).toBe('secrets');
    expect(secrets.facts!['code']).toBe('SECRET_TAMPERED');
    expect(secrets.detail).toMatch(/tampered with \(shop\/(prod|staging) API_KEY\)/);
    expect(await scratchSchemas()).toEqual([]);
  }, 60_000);
});
