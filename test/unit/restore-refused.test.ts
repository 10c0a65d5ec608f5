// The rollback path from the refusal screen: the live database was written by a
// newer Stateward (after a downgrade), so start-up refuses it — but keeps the
// lock, and through the registry the user restores the older pre-upgrade
// backup into a copy, drills it, browses it and promotes it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import type {
  BackupEntry,
  DrillReport,
  DrillSummary,
  Page,
  PreflightReport,
  Project,
  StartupState,
} from '../../shared/domain.ts';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { readLock } from '../../electron/core/lock.ts';
import { seededRuntime } from '../helpers/backup-util.ts';
import { readyDb, startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import {
  call,
  callError,
  makeNewerSchema,
  projectNames,
  projectNamesOfFile,
} from '../helpers/restore-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

describe('restoring an older backup from the refusal screen', () => {
  it('a newer-schema live db is refused but locked; its pre-upgrade backup is drilled, browsed and promoted', async () => {
    const dir = world.dir();
    const layout = dataDirLayout(dir);
    const first = await seededRuntime(world, 20, { dir, projects: 3 });
    const preUpgrade = await first.backups.run({ kind: 'pre-upgrade', compact: false });
    const backupNames = projectNamesOfFile(path.join(layout.backups, preUpgrade.fileName)).sort();
    readyDb(first)
      .prepare(
        `INSERT INTO projects (name, description, created_at, updated_at) VALUES ('written-by-the-newer-version', '', 1, 1)`,
      )
      .run();
    first.close();
    makeNewerSchema(layout.db);

    const rt = await startTestRuntime(world, dir);
    expect(rt.startup).toMatchObject({ state: 'refused', code: 'SCHEMA_FROM_NEWER_VERSION' });
    expect(rt.store).toBeNull();
    expect(rt.lock, 'the lock is kept while the database itself is refused').not.toBeNull();
    expect(readLock(layout.lock)?.pid).toBe(process.pid);
    const reg = testRegistry(rt);

    expect(await call<StartupState>(reg, 'app.startup', {})).toMatchObject({
      state: 'refused',
      code: 'SCHEMA_FROM_NEWER_VERSION',
    });
    expect((await callError(reg, 'app.status', {})).code).toBe('STORE_NOT_READY');
    expect((await callError(reg, 'projects.list', {})).code).toBe('STORE_NOT_READY');
    expect((await callError(reg, 'projects.create', { name: 'x' })).code).toBe('STORE_NOT_READY');

    const backups = await call<BackupEntry[]>(reg, 'backups.list', {});
    expect(backups.map((b) => [b.id, b.kind])).toEqual([[preUpgrade.id, 'pre-upgrade']]);

    const staged = await call<{ restoreId: string | null; report: PreflightReport }>(
      reg,
      'restores.preflight',
      { source: { backupId: preUpgrade.id } },
    );
    expect(staged.report.ok, staged.report.reason).toBe(true);
    const restoreId = staged.restoreId!;
    const drill = await call<DrillReport>(reg, 'restores.drill', { restoreId });
    expect(drill.passed, drill.summary).toBe(true);
    expect((await call<DrillSummary[]>(reg, 'drills.list', {})).map((d) => d.id)).toEqual([
      drill.id,
    ]);

    const preview = await call<Page<Project>>(reg, 'projects.list', { restoreId });
    expect(preview.items.map((p) => p.name).sort()).toEqual(backupNames);
    expect((await callError(reg, 'app.status', {})).code).toBe('STORE_NOT_READY');

    const promoted = await call<{ preRestoreBackup: boolean }>(reg, 'restores.promote', {
      restoreId,
      confirm: true,
    });
    expect(promoted).toEqual({ preRestoreBackup: true });

    expect(await call<StartupState>(reg, 'app.startup', {})).toMatchObject({ state: 'ready' });
    const live = await call<Page<Project>>(reg, 'projects.list', {});
    expect(live.items.map((p) => p.name).sort()).toEqual(backupNames);
    expect(live).toEqual(preview);
    expect(await call(reg, 'app.status', {})).toMatchObject({ counts: { projects: 3 } });

    // The newer database was kept as a pre-restore backup, still newer, with its data.
    const after = await call<BackupEntry[]>(reg, 'backups.list', {});
    const pre = after.filter((b) => b.kind === 'pre-restore');
    expect(pre).toHaveLength(1);
    const preFile = path.join(layout.backups, pre[0]!.fileName);
    const old = new Database(preFile, { readonly: true, fileMustExist: true });
    try {
      expect(old.pragma('user_version', { simple: true })).toBe(99);
      expect(projectNames(old)).toContain('written-by-the-newer-version');
    } finally {
      old.close();
    }
    // The drill is now in the live index; the lock is still ours.
    expect(readyDb(rt).prepare('SELECT id FROM drills').all()).toEqual([{ id: drill.id }]);
    expect(readLock(layout.lock)?.pid).toBe(process.pid);
    expect(fs.existsSync(path.join(dir, 'promote.json'))).toBe(false);
    rt.close();

    // And it stays that way: the next start-up is ready with the backup's data.
    const next = await startTestRuntime(world, dir);
    expect(next.startup).toEqual({ state: 'ready' });
    expect(projectNames(readyDb(next)).sort()).toEqual(backupNames);
  });
});
