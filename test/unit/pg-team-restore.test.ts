// Restores of a team-mode data dir through the command API (issue 11.6): the
// drill against the server (restores.drill / restores.verify with target
// 'server') and promote into PostgreSQL, seen by another instance of the team.
import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../electron/core/runtime.ts';
import type { CommandName } from '../../shared/contract.ts';
import type { BackupEntry, DrillReport, PreflightReport, TeamStatus } from '../../shared/domain.ts';
import { cli } from '../helpers/cli.ts';
import { pgSkipReason, usePgDatabase } from '../helpers/pg.ts';
import { call, callError } from '../helpers/restore-util.ts';
import { startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { newTeamSchema, startTeamRuntime, teamUrl } from '../helpers/pg-team.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const skip = pgSkipReason();

const invoke = <T>(rt: Runtime, name: CommandName, input: unknown = {}) =>
  call<T>(testRegistry(rt), name, input);
const refusal = async (rt: Runtime, name: CommandName, input: unknown) =>
  (await callError(testRegistry(rt), name, input)).code;

const names = async (rt: Runtime) =>
  (await invoke<{ items: { name: string }[] }>(rt, 'projects.list')).items.map((p) => p.name);

describe.skipIf(skip !== null)('restores in team mode', () => {
  const db = usePgDatabase();

  const start = (schema: string) => startTeamRuntime(world, db.url(), schema);

  it('drills a backup against the server, then promotes it into PostgreSQL: every instance sees the backup’s state, the pre-restore backup holds what came after', async () => {
    const schema = newTeamSchema();
    const a = await start(schema);
    const b = await start(schema);
    await invoke(a, 'projects.create', { name: 'in-the-backup' });
    const backup = await invoke<BackupEntry>(a, 'backups.create', {});
    await invoke(b, 'projects.create', { name: 'after-the-backup' });

    // verify against the server: a temporary copy, drilled in a scratch schema.
    const verified = await invoke<DrillReport>(a, 'restores.verify', {
      source: { backupId: backup.id },
      target: 'server',
    });
    expect(verified.passed, verified.summary).toBe(true);
    expect(verified.steps.map((s) => s.title)).toContain(
      'Load into a scratch schema on the server',
    );
    // The drill is in the team's shared audit log: the other instance's dashboard names who took it.
    await expect
      .poll(async () => (await invoke<TeamStatus>(b, 'app.team')).lastDrill)
      .toMatchObject({ passed: true, by: a.actor });

    const staged = await invoke<{ restoreId: string; report: PreflightReport }>(
      a,
      'restores.preflight',
      { source: { backupId: backup.id } },
    );
    const drill = await invoke<DrillReport>(a, 'restores.drill', {
      restoreId: staged.restoreId,
      target: 'server',
    });
    expect(drill.passed, drill.summary).toBe(true);
    expect(drill.summary).toMatch(/loads into PostgreSQL and shows its data/);

    const promoted = await invoke<{ preRestoreBackup: boolean }>(a, 'restores.promote', {
      restoreId: staged.restoreId,
      confirm: true,
    });
    expect(promoted.preRestoreBackup).toBe(true);
    expect(await names(a)).toEqual(['in-the-backup']);
    expect(await names(b)).toEqual(['in-the-backup']);
    // The pre-restore backup (in a's backups folder) holds the write made after the backup.
    const pre = a.backups.list().find((e) => e.kind === 'pre-restore')!;
    const file = new Database(path.join(a.layout.backups, pre.fileName), { readonly: true });
    try {
      expect(file.prepare(`SELECT name FROM projects ORDER BY name`).pluck().all()).toEqual([
        'after-the-backup',
        'in-the-backup',
      ]);
    } finally {
      file.close();
    }
    // The team's audit log says who promoted; the copy is gone from its folder.
    const audit = await invoke<{ items: { action: string; actor: string }[] }>(b, 'audit.list');
    expect(audit.items.find((e) => e.action === 'restore.promoted')?.actor).toBe(a.actor);
    const copies = await invoke<{ id: string; status: string }[]>(a, 'restores.list');
    expect(copies.find((c) => c.id === staged.restoreId)?.status).toBe('promoted');
    // Writes go on after it, with fresh ids.
    await invoke(b, 'projects.create', { name: 'after-the-promote' });
    expect(await names(a)).toEqual(['after-the-promote', 'in-the-backup']);
  }, 90_000);

  it('stateward verify --server drills a backup file in a scratch schema of the team database', async () => {
    const schema = newTeamSchema();
    const a = await start(schema);
    await invoke(a, 'projects.create', { name: 'verified-on-the-server' });
    const backup = await invoke<BackupEntry>(a, 'backups.create', {});
    const file = path.join(a.layout.backups, backup.fileName);
    const dir = world.dir();
    const run = await cli(
      '--data-dir',
      dir,
      '--database-url',
      teamUrl(db.url(), schema),
      'verify',
      file,
      '--server',
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.lines[0]).toMatch(/^PASSED/);
    expect(run.stdout).toMatch(/Load into a scratch schema on the server/);
    // A data dir bound to SQLite has no team database to drill in.
    const local = await cli('--data-dir', world.dir(), 'verify', file, '--server');
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/NOT_IN_TEAM_MODE|bound to SQLite/);
  }, 60_000);

  it('a drill against the server on a data dir bound to SQLite is refused (NOT_IN_TEAM_MODE), touching nothing', async () => {
    const rt = await startTestRuntime(world);
    const backup = await invoke<BackupEntry>(rt, 'backups.create', {});
    expect(
      await refusal(rt, 'restores.verify', { source: { backupId: backup.id }, target: 'server' }),
    ).toBe('NOT_IN_TEAM_MODE');
    expect(await invoke<unknown[]>(rt, 'restores.list')).toEqual([]);
  }, 30_000);
});
