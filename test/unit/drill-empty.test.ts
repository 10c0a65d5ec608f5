// A drill that proves nothing says so: a drill of an empty backup warns and is
// not the dashboard's "last successful restore drill" (nor retention's newest
// verified backup); the overview counts live changes since the last backup; a
// snapshot naming a secret its environment lacks is refused, and one in a
// backup (written outside the app) is named by the drill's secrets step.
import { describe, expect, it } from 'vitest';
import type { BackupOverview, DrillOverview } from '../../shared/domain.ts';
import { seedDemo } from '../../electron/core/demo.ts';
import { drillWithRawSnapshot } from '../helpers/backup-util.ts';
import { call, callError } from '../helpers/restore-util.ts';
import { readyDb, startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { seedEnvs } from '../helpers/secrets-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

describe('a drill of an empty backup', () => {
  it('passes with a warning, and is not the dashboard’s last successful drill', async () => {
    const rt = await startTestRuntime(world);
    const reg = testRegistry(rt);
    const empty = await rt.backups.run({ kind: 'scheduled', compact: false });
    const report = await rt.restores.verify({ backupId: empty.id });
    expect(report.passed, report.summary).toBe(true);
    expect(report.empty).toBe(true);
    expect(report.summary).toMatch(/^Passed, but empty/);
    expect(report.summary).not.toContain('shows its data');
    expect(report.steps.find((s) => s.key === 'probes')).toMatchObject({ status: 'warn' });
    expect(report.warnings.join(' ')).toContain('not that your data does');

    const overview = await call<DrillOverview>(reg, 'drills.overview', {});
    expect(overview.lastPassed).toBeNull();
    expect(overview.warnings.map((w) => w.code)).toEqual(['ONLY_EMPTY_DRILLED']);
    expect(overview.warnings[0]!.message).toContain('Only an empty backup was drilled');

    // Listed as verified but empty; retention does not protect it as "the newest verified".
    expect(rt.backups.list()[0]!.verification).toMatchObject({ state: 'verified', empty: true });

    // A backup with data, drilled, becomes the last successful drill.
    seedDemo(readyDb(rt), { projects: 1, deployments: 3, actor: 'test', now: Date.now() });
    const full = await rt.backups.run({ kind: 'manual', compact: false });
    const ok = await rt.restores.verify({ backupId: full.id });
    expect(ok.empty).toBeUndefined();
    const after = await call<DrillOverview>(reg, 'drills.overview', {});
    expect(after.lastPassed?.id).toBe(ok.id);
    expect(after.warnings).toEqual([]);
  });
});

describe('live data changed since the last backup', () => {
  it('the overview says how many changes since the newest backup', async () => {
    const rt = await startTestRuntime(world);
    const reg = testRegistry(rt);
    const b = await rt.backups.run({ kind: 'scheduled', compact: false });
    expect(
      (await call<BackupOverview>(reg, 'backups.overview', {})).changedSinceLastBackup,
    ).toBeNull();
    const seq = () =>
      (readyDb(rt).prepare(`SELECT seq FROM change_counter`).get() as { seq: number }).seq;
    const before = seq();
    seedDemo(readyDb(rt), { projects: 2, deployments: 10, actor: 'test', now: Date.now() });
    const o = await call<BackupOverview>(reg, 'backups.overview', {});
    expect(o.changedSinceLastBackup).toEqual({ changes: seq() - before, since: b.createdAt });
    expect(o.changedSinceLastBackup!.changes).toBeGreaterThan(10);
    await rt.backups.run({ kind: 'manual', compact: false });
    expect(
      (await call<BackupOverview>(reg, 'backups.overview', {})).changedSinceLastBackup,
    ).toBeNull();
  });
});

describe('secret references that point at nothing', () => {
  it('snapshots.create refuses a reference to a secret the environment lacks, storing nothing', async () => {
    const rt = await startTestRuntime(world);
    const reg = testRegistry(rt);
    const [e] = await seedEnvs(reg, 'billing', ['production']);
    const err = await callError(reg, 'snapshots.create', {
      environmentId: e!.env.id,
      content: { replicas: 2, db: { $secret: 'DATABASE_URL' } },
    });
    expect(err.code).toBe('SECRET_REFERENCE_UNKNOWN');
    expect(err.message).toContain('"DATABASE_URL"');
    expect(await call<unknown[]>(reg, 'snapshots.list', { environmentId: e!.env.id })).toEqual([]);
    // Without references it is stored as before.
    await call(reg, 'snapshots.create', { environmentId: e!.env.id, content: { replicas: 2 } });
  });

  it('the drill names a dangling reference in a backup instead of "holds no secrets"', async () => {
    // Written outside the app (the app refuses it): the environment's newest snapshot names a missing secret.
    const { report, step } = await drillWithRawSnapshot(
      world,
      JSON.stringify({ db: { $secret: 'GHOST_TOKEN' } }),
    );
    expect(step.status).toBe('warn');
    expect(step.detail).toContain('"GHOST_TOKEN"');
    expect(step.detail).not.toContain('holds no secrets');
    expect(step.facts).toMatchObject({ code: 'SECRET_REFERENCE_UNKNOWN' });
    expect(report.warnings.join(' ')).toContain('GHOST_TOKEN');
  });
});
