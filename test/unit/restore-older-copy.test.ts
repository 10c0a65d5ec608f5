// A restored copy drilled by an older version (its schema older than this
// app's): after the upgrade it is listed as needing a re-drill, and every way
// of using it (browse, compare, diff, secrets, promote) refuses with
// RESTORE_NEEDS_REDRILL instead of failing on a table the older schema lacks;
// drilling it again migrates it and makes it usable. A copy with a newer
// schema is refused the same way.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Comparison, DrillReport, Page, Project, RestoreCopy } from '../../shared/domain.ts';
import type { CommandName } from '../../shared/contract.ts';
import type { Runtime } from '../../electron/core/runtime.ts';
import { RECORD } from '../../electron/core/restore/records.ts';
import type { RestoreRecord } from '../../electron/core/restore/records.ts';
import { seededRuntime } from '../helpers/backup-util.ts';
import { testRegistry } from '../helpers/runtime.ts';
import {
  APP_SCHEMA,
  call,
  callError,
  editFile,
  makeNewerSchema,
  olderSchemaBackup,
  projectNames,
  sha256,
} from '../helpers/restore-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

/** Rewrite a copy's record, as another version's drill left it. */
function rewriteRecord(rt: Runtime, id: string, change: Partial<RestoreRecord>): void {
  const file = path.join(rt.layout.restores, id, RECORD);
  const record = JSON.parse(fs.readFileSync(file, 'utf8')) as RestoreRecord;
  fs.writeFileSync(file, JSON.stringify({ ...record, ...change }), { mode: 0o600 });
}

/** Every command that reads or promotes the copy, with the input it takes. */
const USES: [CommandName, (restoreId: string) => unknown][] = [
  ['projects.list', (restoreId) => ({ restoreId })],
  ['deployments.list', (restoreId) => ({ restoreId })],
  ['restores.compare', (restoreId) => ({ restoreId })],
  ['restores.diff', (restoreId) => ({ restoreId })],
  ['restores.secrets', (restoreId) => ({ restoreId })],
  ['restores.promote', (restoreId) => ({ restoreId, confirm: true })],
];

async function setUp() {
  const rt = await seededRuntime(world, 20, { projects: 2 });
  const reg = testRegistry(rt);
  const live = (await call<Page<Project>>(reg, 'projects.list', {})).items.map((p) => p.name);
  const old = await olderSchemaBackup(world, ['old-one', 'old-two']);
  const staged = await rt.restores.stage({ path: old.path });
  expect(staged.report.ok, staged.report.reason).toBe(true);
  return { rt, reg, live, restoreId: staged.restoreId! };
}

describe('a restored copy whose schema is not this version’s', () => {
  it('drilled by the previous version: listed as needs-redrill, every use refused with RESTORE_NEEDS_REDRILL, live untouched; a re-drill makes it usable', async () => {
    const { rt, reg, live, restoreId } = await setUp();
    // The previous version (schema N-1) drilled it: passed, single-file, record at its schema.
    const copy = path.join(rt.layout.restores, restoreId, 'stateward.db');
    editFile(copy, (db) => db.pragma('journal_mode = DELETE'));
    rewriteRecord(rt, restoreId, {
      status: 'ready',
      drillId: '0123456789abcdef',
      passed: true,
      schemaVersion: APP_SCHEMA - 1,
      owner: null,
    });

    const listed = (await call<RestoreCopy[]>(reg, 'restores.list', {})).find(
      (c) => c.id === restoreId,
    );
    expect(listed).toMatchObject({ status: 'needs-redrill', schemaVersion: APP_SCHEMA - 1 });

    const liveBefore = sha256(rt.layout.db);
    for (const [name, input] of USES) {
      const err = await callError(reg, name, input(restoreId));
      expect(err.code, `${name}: ${err.message}`).toBe('RESTORE_NEEDS_REDRILL');
      expect(err.message, name).toMatch(new RegExp(`schema ${APP_SCHEMA - 1}`));
      expect(err.hint, name).toMatch(/drill it again/i);
    }
    expect(sha256(rt.layout.db)).toBe(liveBefore);
    expect(rt.backups.list().map((b) => b.kind)).not.toContain('pre-restore');
    expect(fs.existsSync(path.join(rt.layout.dir, 'promote.json'))).toBe(false);

    // The record is not the only witness: a record claiming this schema over an older file is refused too.
    rewriteRecord(rt, restoreId, { schemaVersion: APP_SCHEMA });
    expect((await callError(reg, 'deployments.list', { restoreId })).code).toBe(
      'RESTORE_NEEDS_REDRILL',
    );

    // Drilling again migrates the copy (N-1 → N) and checks it; then it is a ready copy of this version.
    const again = await call<DrillReport>(reg, 'restores.drill', { restoreId });
    expect(again.passed, again.summary).toBe(true);
    expect(again.steps.find((s) => s.key === 'migrations')?.facts).toMatchObject({
      from: APP_SCHEMA - 1,
      to: APP_SCHEMA,
    });
    expect(again.source.appSchemaVersion).toBe(APP_SCHEMA);
    expect(rt.restores.get(restoreId)).toMatchObject({
      status: 'ready',
      passed: true,
      schemaVersion: APP_SCHEMA,
    });
    expect(
      (await call<Page<Project>>(reg, 'projects.list', { restoreId })).items.map((p) => p.name),
    ).toEqual(['old-one', 'old-two']);
    expect((await call<Page<unknown>>(reg, 'deployments.list', { restoreId })).total).toBe(0);
    const cmp = await call<Comparison>(reg, 'restores.compare', { restoreId });
    expect(cmp.schemaVersion).toEqual({ live: APP_SCHEMA, copy: APP_SCHEMA });
    await call(reg, 'restores.diff', { restoreId });
    expect(await call(reg, 'restores.promote', { restoreId, confirm: true })).toEqual({
      preRestoreBackup: true,
    });
    expect((await call<Page<Project>>(reg, 'projects.list', {})).items.map((p) => p.name)).toEqual([
      'old-one',
      'old-two',
    ]);
    expect(live).not.toEqual(['old-one', 'old-two']);
  });

  it('a copy with a newer schema than this version: refused the same way, with discard as the way out', async () => {
    const { rt, reg, restoreId } = await setUp();
    expect((await rt.restores.drill(restoreId)).passed).toBe(true);
    const copy = path.join(rt.layout.restores, restoreId, 'stateward.db');
    makeNewerSchema(copy, APP_SCHEMA + 1);
    rewriteRecord(rt, restoreId, { schemaVersion: APP_SCHEMA + 1 });
    expect(rt.restores.get(restoreId).status).toBe('needs-redrill');
    const liveBefore = sha256(rt.layout.db);
    for (const [name, input] of USES) {
      const err = await callError(reg, name, input(restoreId));
      expect(err.code, `${name}: ${err.message}`).toBe('RESTORE_NEEDS_REDRILL');
      expect(err.message, name).toMatch(/newer/);
      expect(err.hint, name).toMatch(/discard/i);
    }
    expect(sha256(rt.layout.db)).toBe(liveBefore);
    expect(projectNames(rt.store!.db)).not.toContain('old-one');
    expect(await call(reg, 'restores.discard', { restoreId })).toEqual({ discarded: true });
  });
});
