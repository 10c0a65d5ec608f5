// Kill during promote: a child process stages, drills and promotes a backup and
// is SIGKILLed at each fault point (STATEWARD_FAULT). The next start-up (with
// the lock) must come up ready with the old state or the new one — never
// neither, never a mix — with an intact database, no promote journal, no -wal
// of the old database beside the new one; which of the two each point gives
// follows the design (before promote:renamed-in → old, from it on → new). After
// a rollback the restored copy is still there and promoting it again works.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { createProject } from '../../electron/core/store/resources/projects.ts';
import { createDeployment } from '../../electron/core/store/resources/deployments.ts';
import { PROMOTE_JOURNAL } from '../../electron/core/restore/promote.ts';
import { HELPERS_DIR, holdLockInChild } from '../helpers/child.ts';
import { cli } from '../helpers/cli.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import {
  auditSince,
  dataDigest,
  dataDirState,
  folderState,
  inodeOf,
  integrityOf,
  lineValue,
  projectNames,
  projectNamesOfFile,
  spawnNode,
} from '../helpers/restore-util.ts';
import { walIdentity } from '../helpers/restore-wal.ts';
import { useTemplateDir, useWorld } from '../helpers/world.ts';
import { seededWithBackup } from '../helpers/backup-util.ts';
import type { WritableDB } from '../../electron/core/store/db.ts';
import { runSqlite, SQLITE } from '../../electron/core/store/sql.ts';

const world = useWorld();
const CHILD = path.join(HELPERS_DIR, 'restore-promote-child.ts');

/** Every fault point of a promote, in the order a promote passes them. */
const FAULTS = [
  'promote:backed-up',
  'promote:journal-written',
  'promote:live-closed',
  'promote:aside-created',
  'promote:moved-db-wal',
  'promote:moved-db-shm',
  'promote:moved-db',
  'promote:live-aside',
  'promote:renamed-in',
  'promote:synced',
  'promote:reopened',
  'promote:done',
] as const;
/** The design: the copy is live from the rename on; before it, the old database is. */
const expectedOutcome = (fault: string): 'old' | 'new' =>
  FAULTS.indexOf(fault as (typeof FAULTS)[number]) >= FAULTS.indexOf('promote:renamed-in')
    ? 'new'
    : 'old';
/** These two fire only while the live -wal/-shm outlive the store's close (another reader). */
const NEEDS_READER = new Set(['promote:moved-db-wal', 'promote:moved-db-shm']);

interface Signature {
  projects: string[];
  deployments: number;
  environments: number;
}

const signatureOf = (db: WritableDB): Signature => {
  const c = dataDigest(db).counts;
  return {
    projects: projectNames(db).sort(),
    deployments: c['deployments'] ?? -1,
    environments: c['environments'] ?? -1,
  };
};

const template = useTemplateDir(world);
let backupId = '';
let backupSig: Signature;
let templateSig: Signature;

beforeAll(async () => {
  const { rt, db, backup } = await seededWithBackup(template.dir, { projects: 3, deployments: 30 });
  backupId = backup.id;
  backupSig = signatureOf(db);
  // Live moves on after the backup: one more project and one more deployment.
  runSqlite(db, createProject(SQLITE, { name: 'after-the-backup', description: '' }, Date.now()));
  const env = db.prepare('SELECT id FROM environments ORDER BY id LIMIT 1').get() as { id: number };
  runSqlite(
    db,
    createDeployment(
      SQLITE,
      {
        environmentId: env.id,
        version: '9.9.9-after',
        status: 'succeeded',
        accessUrl: null,
        diagnosticSummary: null,
        snapshotId: null,
      },
      Date.now(),
    ),
  );
  templateSig = signatureOf(db);
  rt.close();
  expect(projectNamesOfFile(path.join(template.dir, 'backups', backup.fileName)).sort()).toEqual(
    backupSig.projects,
  );
});

const freshDataDir = () => template.fresh();

interface Observed {
  outcome: 'old' | 'new' | 'neither';
  details: string;
}

/** One run: the child promotes and dies at `fault`; then start up and check what is live. */
async function crashAndRecover(fault: string, reader: boolean): Promise<Observed> {
  const dir = freshDataDir();
  const layout = dataDirLayout(dir);
  const child = spawnNode(world, [CHILD, dir, backupId, ...(reader ? ['--reader'] : [])], {
    STATEWARD_FAULT: fault,
  });
  const exit = await child.exited;
  const label = `${fault}${reader ? ' (reader)' : ''}`;
  expect(exit.signal, `${label}: the fault must kill the child; ${child.stderr()}`).toBe('SIGKILL');
  expect(lineValue(child.lines, 'drilled'), label).toBe('true');
  const [restoreId, copyIno] = lineValue(child.lines, 'staged')!.split(' ');
  const oldNames = JSON.parse(lineValue(child.lines, 'old')!) as string[];
  const [, oldWal] = lineValue(child.lines, 'live')!.split(' ');
  const oldSig: Signature = { ...templateSig, projects: [...oldNames].sort() };
  expect(oldSig.projects).toEqual(
    [...templateSig.projects, oldNames.find((n) => n.startsWith('written-by-child'))!].sort(),
  );

  // Right after the crash: never a -wal of the old database beside the new one.
  if (inodeOf(layout.db) === Number(copyIno) && oldWal !== '-') {
    expect(walIdentity(layout.wal), `${label}: the old -wal is beside the new database`).not.toBe(
      oldWal,
    );
  }

  const rt = await startTestRuntime(world, dir);
  expect(rt.startup, label).toEqual({ state: 'ready' });
  expect(rt.lock, label).not.toBeNull();
  const db = readyDb(rt);
  expect(integrityOf(db), label).toBe('ok');
  expect(fs.existsSync(path.join(dir, PROMOTE_JOURNAL)), `${label}: promote.json left`).toBe(false);
  const sig = signatureOf(db);
  const outcome =
    JSON.stringify(sig) === JSON.stringify(oldSig)
      ? 'old'
      : JSON.stringify(sig) === JSON.stringify(backupSig)
        ? 'new'
        : 'neither';
  const details = `${label}: live ${JSON.stringify(sig)}; old ${JSON.stringify(oldSig)}; backup ${JSON.stringify(backupSig)}`;
  expect(outcome, details).not.toBe('neither');

  if (outcome === 'new') {
    if (oldWal !== '-') expect(walIdentity(layout.wal), label).not.toBe(oldWal);
    // Bookkeeping of a finished promote: recorded, audited, old files aside cleaned up.
    expect.soft(rt.restores.get(restoreId!).status, `${label}: restore record`).toBe('promoted');
    expect
      .soft(
        db.prepare(`SELECT count(*) AS n FROM audit_log WHERE action = 'restore.promoted'`).get(),
        `${label}: audit restore.promoted`,
      )
      .toEqual({ n: 1 });
    expect
      .soft(
        fs.readdirSync(dir).filter((n) => n.startsWith('promote-aside-')),
        `${label}: the old database files aside (a pre-restore backup was taken)`,
      )
      .toEqual([]);
  } else {
    // Rolled back: the copy is still there, still verified, and promoting it again works.
    const copy = rt.restores.get(restoreId!);
    expect(copy.status, label).toBe('ready');
    expect(copy.passed, label).toBe(true);
    expect(fs.statSync(path.join(layout.restores, restoreId!, 'stateward.db')).ino).toBe(
      Number(copyIno),
    );
    expect(
      fs.readdirSync(dir).filter((n) => n.startsWith('promote-aside-')),
      label,
    ).toEqual([]);
    const r = await rt.restores.promote(restoreId!);
    expect(r.preRestoreBackup, label).not.toBeNull();
    expect(signatureOf(readyDb(rt)), label).toEqual(backupSig);
    expect(integrityOf(readyDb(rt))).toBe('ok');
    expect(rt.restores.get(restoreId!).status).toBe('promoted');
    expect(projectNamesOfFile(r.preRestoreBackup!).sort(), label).toEqual(oldSig.projects);
  }
  return { outcome, details };
}

describe('kill during promote: the next start-up has the old state or the new one', () => {
  for (const fault of FAULTS) {
    it(`${fault} → ${expectedOutcome(fault)} state`, async () => {
      const runs = NEEDS_READER.has(fault) ? [true, true] : [true, false];
      // The two runs use separate data dirs and processes: run them side by side.
      const seen = await Promise.all(runs.map((reader) => crashAndRecover(fault, reader)));
      for (const s of seen) expect(s.outcome, s.details).toBe(expectedOutcome(fault));
    });
  }
});

describe('promote needs the data directory to itself', () => {
  it('refused with DATA_DIR_LOCKED while another process holds the lock; nothing changes', async () => {
    const dir = freshDataDir();
    const layout = dataDirLayout(dir);
    const holder = await holdLockInChild(world, layout.lock);
    const rt = await startTestRuntime(world, dir, { lockMode: null });
    expect(rt.startup.state).toBe('ready');
    const staged = await rt.restores.stage({ backupId });
    const drill = await rt.restores.drill(staged.restoreId!);
    expect(drill.passed).toBe(true);

    const state = dataDirState(rt);
    const all = dataDigest(readyDb(rt)).digest;
    const noShm = () => {
      const s = folderState(dir);
      delete s['stateward.db-shm'];
      return s;
    };
    const files = noShm();
    await expect(rt.restores.promote(staged.restoreId!)).rejects.toMatchObject({
      code: 'DATA_DIR_LOCKED',
    });
    expect(noShm()).toEqual(files);
    expect(dataDigest(readyDb(rt)).digest).toBe(all);
    expect(auditSince(rt, state)).toEqual([]);
    expect(rt.restores.get(staged.restoreId!).status).toBe('ready');
    expect(JSON.parse(fs.readFileSync(layout.lock, 'utf8')).pid).toBe(holder.pid);

    // The CLI: without --yes it is a usage error; with it, refused while the lock is held.
    const noYes = await cli('--data-dir', dir, 'promote', staged.restoreId!);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toMatch(/--yes/);
    const locked = await cli('--data-dir', dir, 'promote', staged.restoreId!, '--yes');
    expect(locked.code, locked.stderr).toBe(3);
    expect(locked.stderr).toMatch(/DATA_DIR_LOCKED/);
    expect(noShm()).toEqual(files);
    expect(signatureOf(readyDb(rt))).toEqual(templateSig);
  });
});
