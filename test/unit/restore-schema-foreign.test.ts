// A crafted backup whose schema carries its own trigger or view (or lacks one of
// Stateward's) fails the drill and can never be promoted: before, a trigger that
// empties the audit log on every new deployment passed the drill, was promoted
// and then ran in live on every write.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DrillReport } from '../../shared/domain.ts';
import { cli, onlyJson } from '../helpers/cli.ts';
import { copyInto, editFile, olderSchemaBackup } from '../helpers/restore-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

async function demoWithBackup(): Promise<{ dir: string; file: string }> {
  const dir = world.dir();
  const demo = await cli('--data-dir', dir, 'demo', '--projects', '1', '--deployments', '5');
  expect(demo.code, demo.stderr).toBe(0);
  const b = await cli('--data-dir', dir, '--json', 'backup');
  expect(b.code, b.stderr).toBe(0);
  return { dir, file: (onlyJson(b) as { path: string }).path };
}

/** Live's schema objects: unchanged when nothing was promoted. */
function liveSchema(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (
      db.prepare(`SELECT type || ' ' || name AS n FROM sqlite_schema ORDER BY 1`).all() as {
        n: string;
      }[]
    ).map((r) => r.n);
  } finally {
    db.close();
  }
}

async function expectRefusedAndNeverLive(dir: string, crafted: string, says: RegExp) {
  const live = path.join(dir, 'stateward.db');
  const before = liveSchema(live);
  const verify = await cli('--data-dir', dir, '--json', 'verify', crafted);
  expect(verify.code).toBe(2); // NOT_A_STATEWARD_DB
  const report = onlyJson(verify) as unknown as DrillReport;
  const step = report.steps.find((s) => s.key === 'migrations');
  expect(step?.status).toBe('fail');
  expect(step?.detail).toMatch(says);
  expect(step?.facts?.code).toBe('NOT_A_STATEWARD_DB');

  const restore = await cli('--data-dir', dir, 'restore', crafted);
  expect(restore.code).toBe(2);
  const id = fs.readdirSync(path.join(dir, 'restores'))[0];
  expect(id).toBeDefined();
  const promote = await cli('--data-dir', dir, 'promote', id!, '--yes');
  expect(promote.code).not.toBe(0);
  expect(promote.stderr).toContain('RESTORE_NOT_VERIFIED');
  expect(liveSchema(live)).toEqual(before);
}

describe('a backup with a schema of its own', () => {
  it('an extra trigger (empties the audit log on every new deployment) and a view', async () => {
    const { dir, file } = await demoWithBackup();
    const crafted = copyInto(world, file, 'crafted.sqlite');
    editFile(crafted, (db) =>
      db.exec(`CREATE TRIGGER evil AFTER INSERT ON deployments BEGIN DELETE FROM audit_log; END;
               CREATE VIEW v_evil AS SELECT 1`),
    );
    await expectRefusedAndNeverLive(
      dir,
      crafted,
      /2 objects Stateward never creates \(first: trigger evil\)/,
    );
  });

  it("one of Stateward's own triggers dropped (snapshots no longer immutable)", async () => {
    const { dir, file } = await demoWithBackup();
    const crafted = copyInto(world, file, 'crafted.sqlite');
    editFile(crafted, (db) => db.exec(`DROP TRIGGER config_snapshots_no_update`));
    await expectRefusedAndNeverLive(
      dir,
      crafted,
      /missing or changed \(first: trigger config_snapshots_no_update\)/,
    );
  });

  it('genuine backups pass: this schema and an older one migrated in the drill', async () => {
    const { dir, file } = await demoWithBackup();
    expect((await cli('--data-dir', dir, 'verify', file)).code).toBe(0);
    const older = await olderSchemaBackup(world, ['old-project']);
    const r = await cli('--data-dir', dir, 'verify', older.path);
    expect(r.code, r.stdout).toBe(0);
  });
});

describe('promote, careless', () => {
  it('the same copy twice: the second says it is already live (was DB_UNREADABLE "unable to open database file")', async () => {
    const { dir, file } = await demoWithBackup();
    expect((await cli('--data-dir', dir, 'restore', file)).code).toBe(0);
    const id = fs.readdirSync(path.join(dir, 'restores'))[0]!;
    expect((await cli('--data-dir', dir, 'promote', id, '--yes')).code).toBe(0);
    const live = liveSchema(path.join(dir, 'stateward.db'));
    const again = await cli('--data-dir', dir, 'promote', id, '--yes');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('RESTORE_NOT_FOUND');
    expect(again.stderr).toContain('already made live');
    expect(liveSchema(path.join(dir, 'stateward.db'))).toEqual(live);
  });
});
