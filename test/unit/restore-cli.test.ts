// `stateward verify`, `restore` and `promote`: what they print and their exit
// codes (0 ok, 1 a check failed, 2 bad input, 3 refused), and promote refused
// while the HTTP host holds the data directory.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DrillReport } from '../../shared/domain.ts';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { manifestPathOf } from '../helpers/backup-util.ts';
import { HELPERS_DIR, spawnUntilLine } from '../helpers/child.ts';
import { cli, onlyJson } from '../helpers/cli.ts';
import { INDEX_HTML } from '../helpers/http.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import {
  copyInto,
  damageIndexPage,
  expectDrillStepOrder,
  folderState,
  makeNewerSchema,
  projectNamesOfFile,
} from '../helpers/restore-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

async function demoWithBackup(): Promise<{ dir: string; file: string; id: string }> {
  const dir = world.dir();
  const demo = await cli('--data-dir', dir, 'demo', '--projects', '2', '--deployments', '30');
  expect(demo.code, demo.stderr).toBe(0);
  const b = await cli('--data-dir', dir, '--json', 'backup');
  expect(b.code, b.stderr).toBe(0);
  const out = onlyJson(b) as { path: string; manifest: { id: string } };
  return { dir, file: out.path, id: out.manifest.id };
}

describe('stateward verify', () => {
  it('a good backup, by file and by id: exit 0, PASSED; --json prints one report', async () => {
    const { dir, file, id } = await demoWithBackup();
    const byFile = await cli('--data-dir', dir, 'verify', file);
    expect(byFile.code, byFile.stderr).toBe(0);
    expect(byFile.lines[0]).toMatch(/^PASSED {2}Passed: /);
    for (const step of [
      'Preflight',
      'Integrity and foreign keys',
      'Migrations',
      'Your data reads back',
    ])
      expect(byFile.stdout).toContain(step);
    const byId = await cli('--data-dir', dir, 'verify', id);
    expect(byId.code, byId.stderr).toBe(0);
    expect(byId.lines[0]).toMatch(/^PASSED/);

    const json = onlyJson(
      await cli('--data-dir', dir, '--json', 'verify', id),
    ) as unknown as DrillReport;
    expect(json.passed).toBe(true);
    expect(json.source.backupId).toBe(id);
    expectDrillStepOrder(json.steps.map((s) => s.key));
    expect(json.steps.every((s) => s.status === 'pass')).toBe(true);
    // verify leaves no copy behind.
    expect(fs.readdirSync(dataDirLayout(dir).restores)).toEqual([]);
  });

  it('exit 1 for a damaged or hash-mismatched file, 2 for a text file, 3 for a newer schema', async () => {
    const { dir, file } = await demoWithBackup();

    const flipped = copyInto(world, file, path.basename(file), {
      [manifestPathOf(file)]: path.basename(manifestPathOf(file)),
    });
    const fd = fs.openSync(flipped, 'r+');
    fs.writeSync(fd, Buffer.from([0x5a, 0xa5]), 0, 2, fs.statSync(flipped).size - 300);
    fs.closeSync(fd);
    const folder = folderState(path.dirname(flipped));
    const mismatch = await cli('--data-dir', dir, 'verify', flipped);
    expect(mismatch.code, mismatch.stdout + mismatch.stderr).toBe(1);
    expect(mismatch.lines[0]).toMatch(/^FAILED/);
    expect(mismatch.stdout).toContain('BACKUP_HASH_MISMATCH');
    expect(folderState(path.dirname(flipped))).toEqual(folder);

    // No manifest to compare with, and one index page damaged: the drill's integrity step finds it.
    const damaged = copyInto(world, file, 'damaged.sqlite');
    damageIndexPage(damaged, 'deployments_status_started');
    const corrupt = await cli('--data-dir', dir, '--json', 'verify', damaged);
    expect(corrupt.code, corrupt.stderr).toBe(1);
    const report = onlyJson(corrupt) as unknown as DrillReport;
    expect(report.passed).toBe(false);
    const failed = report.steps.find((s) => s.status === 'fail');
    expect(failed?.key).toBe('integrity');
    expect(failed?.facts?.['code']).toBe('DB_CORRUPT');
    expect(failed?.detail).toMatch(/integrity_check found|damaged/);

    const text = path.join(world.dir(), 'dump.sqlite');
    fs.writeFileSync(text, 'BEGIN TRANSACTION;\nCREATE TABLE t(x);\nCOMMIT;\n');
    const notSqlite = await cli('--data-dir', dir, 'verify', text);
    expect(notSqlite.code).toBe(2);
    expect(notSqlite.stdout).toContain('NOT_SQLITE');

    const newer = copyInto(world, file, 'newer.sqlite');
    makeNewerSchema(newer);
    const refused = await cli('--data-dir', dir, 'verify', newer);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain('SCHEMA_FROM_NEWER_VERSION');
  });
});

describe('stateward restore and promote', () => {
  it('restore prints the copy’s path; promote --yes makes it live; status shows the restored counts', async () => {
    const { dir, file, id } = await demoWithBackup();
    const backupNames = projectNamesOfFile(file).sort();
    const restore = await cli('--data-dir', dir, 'restore', id);
    expect(restore.code, restore.stderr).toBe(0);
    const copy = restore.lines[0]!;
    const restoreId = path.basename(path.dirname(copy));
    expect(copy).toBe(path.join(dataDirLayout(dir).restores, restoreId, 'stateward.db'));
    expect(fs.existsSync(copy)).toBe(true);
    expect(restore.stdout).toContain(`stateward promote ${restoreId} --yes`);

    // Live moves on after the backup.
    const rt = await startTestRuntime(world, dir);
    readyDb(rt)
      .prepare(
        `INSERT INTO projects (name, description, created_at, updated_at) VALUES ('later', '', 1, 1)`,
      )
      .run();
    rt.close();
    const before = onlyJson(await cli('--data-dir', dir, '--json', 'status')) as {
      counts: { projects: number; deployments: number };
    };
    expect(before.counts.projects).toBe(3);

    const noYes = await cli('--data-dir', dir, 'promote', restoreId);
    expect(noYes.code).toBe(2);
    const promote = await cli('--data-dir', dir, 'promote', restoreId, '--yes');
    expect(promote.code, promote.stderr).toBe(0);
    expect(promote.stdout).toContain(`Promoted ${restoreId}`);
    const status = onlyJson(await cli('--data-dir', dir, '--json', 'status')) as {
      counts: { projects: number; deployments: number };
    };
    expect(status.counts).toMatchObject({ projects: 2, deployments: 30 });
    const after = await startTestRuntime(world, dir, { lockMode: null });
    expect(
      (readyDb(after).prepare('SELECT name FROM projects').all() as { name: string }[])
        .map((r) => r.name)
        .sort(),
    ).toEqual(backupNames);
  });

  it('promote while the HTTP host holds the data directory → exit 3', async () => {
    const { dir, id } = await demoWithBackup();
    const restore = await cli('--data-dir', dir, '--json', 'restore', id);
    expect(restore.code, restore.stderr).toBe(0);
    const restoreId = (onlyJson(restore) as { restoreId: string }).restoreId;
    const staticDir = path.join(world.dir(), 'dist');
    fs.mkdirSync(staticDir);
    fs.writeFileSync(path.join(staticDir, 'index.html'), INDEX_HTML);
    const { child } = await spawnUntilLine(world, [
      path.join(HELPERS_DIR, 'host-child.ts'),
      dir,
      staticDir,
    ]);
    const lock = JSON.parse(fs.readFileSync(dataDirLayout(dir).lock, 'utf8')) as { pid: number };
    expect(lock.pid).toBe(child.pid);
    const db = fs.readFileSync(dataDirLayout(dir).db);
    const promote = await cli('--data-dir', dir, 'promote', restoreId, '--yes');
    expect(promote.code, promote.stderr).toBe(3);
    expect(promote.stderr).toMatch(/DATA_DIR_LOCKED/);
    expect(fs.readFileSync(dataDirLayout(dir).db).equals(db)).toBe(true);
    expect(fs.existsSync(path.join(dataDirLayout(dir).restores, restoreId, 'stateward.db'))).toBe(
      true,
    );
  });
});
