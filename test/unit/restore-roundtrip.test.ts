// The whole restore path in one data dir: backup → stage → drill → preview
// through the registry → compare → promote, and what each step leaves behind
// (pre-restore backup, audit, drill index and files, permissions); discard,
// the RESTORE_NOT_VERIFIED guards, and the auditor exports.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type {
  BackupEntry,
  Comparison,
  Deployment,
  DeploymentDetail,
  DrillReport,
  DrillSummary,
  Page,
  PreflightReport,
  Project,
  RestoreCopy,
  AuditEntry,
} from '../../shared/domain.ts';
import type { Runtime } from '../../electron/core/runtime.ts';
import { manifestPathOf, seededRuntime } from '../helpers/backup-util.ts';
import { readyDb, testRegistry } from '../helpers/runtime.ts';
import {
  APP_SCHEMA,
  RESTORE_COMMANDS,
  call,
  callError,
  expectDrillStepOrder,
  loosePermissions,
  projectNamesOfFile,
} from '../helpers/restore-util.ts';
import { modeOf, useWorld } from '../helpers/world.ts';

const world = useWorld();

async function seededWithBackup(deployments = 60): Promise<{ rt: Runtime; backup: BackupEntry }> {
  const rt = await seededRuntime(world, deployments, { projects: 3 });
  const backup = await rt.backups.run({ kind: 'manual', compact: false });
  return { rt, backup };
}

describe('the registry the host and the app build', () => {
  it('createRegistry wires every restores.* and drills.* command', async () => {
    const { rt } = await seededWithBackup(5);
    // (At commit 6348116 electron/handlers/index.ts imported restoreHandlers but left it out of
    // coreHandlers, so createRegistry threw "Commands without a handler: restores.preflight, …".)
    const reg = testRegistry(rt);
    expect(RESTORE_COMMANDS.filter((n) => !reg.has(n))).toEqual([]);
  });
});

describe('restore round trip', () => {
  it('backup → stage → drill → preview → compare → promote brings back exactly the backup', async () => {
    const { rt, backup } = await seededWithBackup();
    const reg = testRegistry(rt);
    const db = readyDb(rt);

    // Stage: ok, same schema, nothing to migrate.
    const staged = await call<{ restoreId: string | null; report: PreflightReport }>(
      reg,
      'restores.preflight',
      { source: { backupId: backup.id } },
    );
    const restoreId = staged.restoreId!;
    expect(restoreId).toMatch(/^[0-9a-f]{16}$/);
    const pre = staged.report;
    expect(pre.ok).toBe(true);
    expect(pre.code).toBeNull();
    expect(pre.reason).toMatch(/no migration/i);

    // Drill: passed, six steps in order, each timed and explained.
    const drill = await call<DrillReport>(reg, 'restores.drill', { restoreId });
    expect(drill.passed, drill.summary).toBe(true);
    expect(drill.restoreId).toBe(restoreId);
    expectDrillStepOrder(drill.steps.map((s) => s.key));
    for (const s of drill.steps) {
      expect(s.status, `${s.key}: ${s.detail}`).toBe('pass');
      expect(typeof s.ms).toBe('number');
      expect(s.ms).toBeGreaterThanOrEqual(0);
      expect(s.detail.trim().length, s.key).toBeGreaterThan(0);
      expect(s.title.trim().length).toBeGreaterThan(0);
    }
    expect(drill.source.sha256).toBe(backup.sha256);
    expect(drill.source.backupId).toBe(backup.id);

    // Preview through the registry: the copy reads like live.
    const liveProjects = await call<Page<Project>>(reg, 'projects.list', {});
    const copyProjects = await call<Page<Project>>(reg, 'projects.list', { restoreId });
    expect(copyProjects).toEqual(liveProjects);
    expect(copyProjects.total).toBe(3);
    const withSummary = db
      .prepare(
        `SELECT id, diagnostic_summary AS s FROM deployments WHERE diagnostic_summary IS NOT NULL ORDER BY id DESC LIMIT 1`,
      )
      .get() as { id: number; s: string } | undefined;
    expect(withSummary, 'the demo data has a deployment with a diagnostic summary').toBeDefined();
    const dep = await call<DeploymentDetail>(reg, 'deployments.get', {
      id: withSummary!.id,
      restoreId,
    });
    expect(dep.diagnosticSummary).toBe(withSummary!.s);
    expect(dep).toEqual(await call<DeploymentDetail>(reg, 'deployments.get', { id: dep.id }));
    const copyDeployments = await call<Page<Deployment>>(reg, 'deployments.list', {
      restoreId,
      limit: 500,
    });

    // Compare: every table counts the same as live, except the audit log live keeps writing.
    const cmp = await call<Comparison>(reg, 'restores.compare', { restoreId });
    expect(cmp.schemaVersion).toEqual({ live: APP_SCHEMA, copy: APP_SCHEMA });
    for (const t of cmp.tables) {
      if (t.table === 'audit_log') expect(t.copy).toBeLessThanOrEqual(t.live!);
      else expect(t.copy, t.table).toBe(t.live);
    }
    expect(cmp.newestDeployment.copy).toEqual(cmp.newestDeployment.live);

    // Change live, then promote: the change is gone, and kept in the pre-restore backup.
    await call(reg, 'projects.create', { name: 'made-after-the-backup' });
    expect((await call<Page<Project>>(reg, 'projects.list', {})).total).toBe(4);
    const promoted = await call<{ preRestoreBackup: boolean }>(reg, 'restores.promote', {
      restoreId,
      confirm: true,
    });
    expect(promoted).toEqual({ preRestoreBackup: true });
    expect(rt.startup.state).toBe('ready');

    expect(await call<Page<Project>>(reg, 'projects.list', {})).toEqual(copyProjects);
    expect(
      (await call<Page<Project>>(reg, 'projects.list', {})).items.map((p) => p.name).sort(),
    ).toEqual(projectNamesOfFile(path.join(rt.layout.backups, backup.fileName)).sort());
    expect(await call<Page<Deployment>>(reg, 'deployments.list', { limit: 500 })).toEqual(
      copyDeployments,
    );
    const backups = await call<BackupEntry[]>(reg, 'backups.list', {});
    const preRestore = backups.filter((b) => b.kind === 'pre-restore');
    expect(preRestore).toHaveLength(1);
    const preFile = path.join(rt.layout.backups, preRestore[0]!.fileName);
    expect(projectNamesOfFile(preFile)).toContain('made-after-the-backup');
    expect(fs.existsSync(manifestPathOf(preFile))).toBe(true);

    const audit = await call<Page<AuditEntry>>(reg, 'audit.list', { action: 'restore.promoted' });
    expect(audit.items.map((a) => a.target)).toEqual([`restore:${restoreId}`]);

    // The drill is in the new live database's index and on disk (owner-only).
    const live = readyDb(rt);
    expect(live.prepare('SELECT passed FROM drills WHERE id = ?').get(drill.id)).toEqual({
      passed: 1,
    });
    const drills = await call<DrillSummary[]>(reg, 'drills.list', {});
    expect(drills.map((d) => d.id)).toContain(drill.id);
    const drillFile = path.join(rt.layout.drills, `${drill.id}.json`);
    expect(fs.existsSync(drillFile)).toBe(true);
    expect(modeOf(drillFile)).toBe(0o600);
    expect(modeOf(rt.layout.drills)).toBe(0o700);
    expect(loosePermissions(rt.layout.restores)).toEqual([]);
    const copies = await call<RestoreCopy[]>(reg, 'restores.list', {});
    expect(copies.find((c) => c.id === restoreId)?.status).toBe('promoted');
  });

  it('discard removes restores/<id>; an undrilled copy cannot be browsed or promoted', async () => {
    const { rt, backup } = await seededWithBackup(10);
    const reg = testRegistry(rt);
    const { restoreId } = await call<{ restoreId: string }>(reg, 'restores.preflight', {
      source: { backupId: backup.id },
    });
    const dir = path.join(rt.layout.restores, restoreId);
    expect(fs.existsSync(path.join(dir, 'stateward.db'))).toBe(true);
    expect(loosePermissions(rt.layout.restores)).toEqual([]);

    expect((await callError(reg, 'projects.list', { restoreId })).code).toBe(
      'RESTORE_NOT_VERIFIED',
    );
    expect((await callError(reg, 'deployments.get', { id: 1, restoreId })).code).toBe(
      'RESTORE_NOT_VERIFIED',
    );
    expect((await callError(reg, 'restores.compare', { restoreId })).code).toBe(
      'RESTORE_NOT_VERIFIED',
    );
    const before = fs.readFileSync(rt.layout.db);
    const err = await callError(reg, 'restores.promote', { restoreId, confirm: true });
    expect(err.code).toBe('RESTORE_NOT_VERIFIED');
    expect(err.hint).toMatch(/drill first/i);
    expect(fs.readFileSync(rt.layout.db).equals(before)).toBe(true);
    expect((await call<BackupEntry[]>(reg, 'backups.list', {})).map((b) => b.kind)).toEqual([
      'manual',
    ]);

    expect(await call(reg, 'restores.discard', { restoreId })).toEqual({ discarded: true });
    expect(fs.existsSync(dir)).toBe(false);
    expect((await call<RestoreCopy[]>(reg, 'restores.list', {})).map((c) => c.id)).not.toContain(
      restoreId,
    );
    expect((await callError(reg, 'restores.discard', { restoreId })).code).toBe(
      'RESTORE_NOT_FOUND',
    );
    const audit = await call<Page<AuditEntry>>(reg, 'audit.list', { action: 'restore.discarded' });
    expect(audit.items.map((a) => a.target)).toEqual([`restore:${restoreId}`]);
  });

  it('a copy whose drill failed is refused for promote (RESTORE_NOT_VERIFIED), live untouched', async () => {
    const { rt, backup } = await seededWithBackup(10);
    const reg = testRegistry(rt);
    const { restoreId } = await call<{ restoreId: string }>(reg, 'restores.preflight', {
      source: { backupId: backup.id },
    });
    // Damage the staged copy: a deployment pointing at an environment that does not exist.
    const copy = path.join(rt.layout.restores, restoreId, 'stateward.db');
    const raw = new Database(copy);
    raw.pragma('foreign_keys = OFF');
    raw
      .prepare(
        `INSERT INTO deployments (environment_id, version, status, started_at) VALUES (9999, 'orphan', 'succeeded', 1)`,
      )
      .run();
    raw.close();

    const drill = await call<DrillReport>(reg, 'restores.drill', { restoreId });
    expect(drill.passed).toBe(false);
    const failed = drill.steps.find((s) => s.status === 'fail');
    expect(failed?.key).toBe('integrity');
    expect(failed?.detail).toMatch(/point at rows that do not exist/);
    expect(drill.summary).toMatch(/^Failed at/);
    expect((await call<RestoreCopy[]>(reg, 'restores.list', {}))[0]).toMatchObject({
      id: restoreId,
      status: 'failed',
      passed: false,
    });

    const names = (await call<Page<Project>>(reg, 'projects.list', {})).items.map((p) => p.name);
    const err = await callError(reg, 'restores.promote', { restoreId, confirm: true });
    expect(err.code).toBe('RESTORE_NOT_VERIFIED');
    expect(err.hint).toMatch(/drill failed/i);
    expect((await call<Page<Project>>(reg, 'projects.list', {})).items.map((p) => p.name)).toEqual(
      names,
    );
    expect(fs.existsSync(copy)).toBe(true);
    expect(fs.existsSync(path.join(rt.layout.dir, 'promote.json'))).toBe(false);
  });
});

describe('drill report exports', () => {
  it('Markdown and HTML say PASSED, name every step and the sha256, and escape the file name', async () => {
    const { rt, backup } = await seededWithBackup(10);
    const reg = testRegistry(rt);
    const src = path.join(rt.layout.backups, backup.fileName);
    const dir = world.dir();
    const evilName = 'evil<script>alert(1)<img src=x onerror=alert(2)>.sqlite';
    const evil = path.join(dir, evilName);
    fs.copyFileSync(src, evil);
    fs.copyFileSync(manifestPathOf(src), manifestPathOf(evil));
    rt.grantedPaths.add(evil);

    const report = await call<DrillReport>(reg, 'restores.verify', { source: { path: evil } });
    expect(report.passed, report.summary).toBe(true);
    expect(report.source.fileName).toBe(evilName);
    expect(report.source.manifest).toBe('sidecar');
    // verify discards its temporary copy.
    expect(fs.readdirSync(rt.layout.restores)).toEqual([]);

    const md = await call<{ fileName: string; mime: string; content: string }>(
      reg,
      'drills.export',
      { id: report.id, format: 'markdown' },
    );
    expect(md.mime).toBe('text/markdown');
    expect(md.fileName).toBe(`stateward-drill-${report.id}.md`);
    expect(md.content).toContain('PASSED');
    expect(md.content).not.toContain('FAILED');
    for (const s of report.steps) expect(md.content).toContain(s.title);
    expect(md.content).toContain(backup.sha256);

    const html = await call<{ fileName: string; mime: string; content: string }>(
      reg,
      'drills.export',
      { id: report.id, format: 'html' },
    );
    expect(html.mime).toBe('text/html');
    expect(html.content).toContain('PASSED');
    for (const s of report.steps) expect(html.content).toContain(s.title);
    expect(html.content).toContain(backup.sha256);
    expect(html.content).toContain('evil&lt;script&gt;alert(1)&lt;img src=x onerror=alert(2)&gt;');
    expect(html.content).not.toMatch(/<script/i);
    expect(html.content).not.toMatch(/<img/i);

    expect(
      (await callError(reg, 'drills.export', { id: 'ffffffffffffffff', format: 'html' })).code,
    ).toBe('NOT_FOUND');
  });
});
