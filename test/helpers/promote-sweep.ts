// The data dir the promote crash tests start from: live with one project more
// than the backup it was drilled from, and a drilled copy of that backup ready
// to promote. Plus what every crash test asks after a kill: what `status` says,
// and what the next locking start comes up with.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, expect } from 'vitest';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { PROMOTE_JOURNAL } from '../../electron/core/restore/promote.ts';
import { createProject } from '../../electron/core/store/resources/projects.ts';
import { seededWithBackup } from './backup-util.ts';
import { cli, onlyJson } from './cli.ts';
import { integrityOf, projectNames, projectNamesOfFile } from './restore-util.ts';
import { readyDb, startTestRuntime } from './runtime.ts';
import type { World } from './world.ts';
import { useTemplateDir } from './world.ts';
import { runSqlite, SQLITE } from '../../electron/core/store/sql.ts';

export interface StatusJson {
  initialized: boolean;
  promote: { state: string; nextStart: string; restoreId: string } | null;
  error?: { code: string; message: string };
}

export interface PromoteFixture {
  /** The drilled copy's id. */
  readonly restoreId: string;
  /** Live project names before the promote, and those of the drilled copy. */
  readonly oldNames: string[];
  readonly newNames: string[];
  /** A copy of the template data dir (removed after the test). */
  freshDataDir(): string;
  promoteArgs(dir: string): string[];
  /** `status` with --json and as text. */
  statusOf(dir: string): Promise<{ code: number; json: StatusJson; text: string }>;
  /**
   * The next locking start: ready, writable, integrity ok, nothing of the promote
   * left behind; returns 'old' or 'new' by the live project names.
   */
  startAfterCrash(dir: string, label: string): Promise<'old' | 'new'>;
}

/** Call at file level: builds the template once (beforeAll) and removes it after. */
export function usePromoteFixture(world: World): PromoteFixture {
  const template = useTemplateDir(world);
  let restoreId = '';
  let oldNames: string[] = [];
  let newNames: string[] = [];

  beforeAll(async () => {
    const { rt, db, backup } = await seededWithBackup(template.dir, {
      projects: 2,
      deployments: 12,
    });
    runSqlite(
      db,
      createProject(SQLITE, { name: 'made-after-the-backup', description: '' }, Date.now()),
    );
    oldNames = projectNames(db).sort();
    const staged = await rt.restores.stage({ backupId: backup.id });
    restoreId = staged.restoreId!;
    expect((await rt.restores.drill(restoreId)).passed).toBe(true);
    rt.close();
    newNames = projectNamesOfFile(
      path.join(template.dir, 'restores', restoreId, 'stateward.db'),
    ).sort();
    expect(newNames).not.toEqual(oldNames);
  });

  return {
    get restoreId() {
      return restoreId;
    },
    get oldNames() {
      return oldNames;
    },
    get newNames() {
      return newNames;
    },
    freshDataDir: () => template.fresh(),
    promoteArgs: (dir) => ['--data-dir', dir, 'promote', restoreId, '--yes'],
    async statusOf(dir) {
      const j = await cli('--data-dir', dir, '--json', 'status');
      const t = await cli('--data-dir', dir, 'status');
      return {
        code: j.code,
        json: onlyJson(j) as unknown as StatusJson,
        text: t.stdout + t.stderr,
      };
    },
    async startAfterCrash(dir, label) {
      const rt = await startTestRuntime(world, dir);
      try {
        expect(rt.startup, `${label}: start-up after the kill`).toEqual({ state: 'ready' });
        const db = readyDb(rt);
        expect(integrityOf(db), label).toBe('ok');
        const names = projectNames(db).sort();
        const state = JSON.stringify(names) === JSON.stringify(newNames) ? 'new' : 'old';
        expect(names, `${label}: live is neither the old state nor the new one`).toEqual(
          state === 'new' ? newNames : oldNames,
        );
        expect(fs.existsSync(path.join(dir, PROMOTE_JOURNAL)), `${label}: promote.json left`).toBe(
          false,
        );
        expect(fs.existsSync(`${dataDirLayout(dir).db}-journal`), `${label}: journal left`).toBe(
          false,
        );
        if (state === 'new') expect(rt.restores.get(restoreId).status, label).toBe('promoted');
        // Writable again (no write guard of the promote left in the old database).
        runSqlite(
          db,
          createProject(SQLITE, { name: `written-after-${state}`, description: '' }, Date.now()),
        );
        return state;
      } finally {
        rt.close();
      }
    },
  };
}
