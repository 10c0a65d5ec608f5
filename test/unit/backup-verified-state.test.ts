// A backup's verified state says what the newest evidence says: a backup that
// passed a drill and then failed a later one (its file tampered with) is
// 'damaged' in the list, the CLI's `backups` (text and JSON) and retention,
// which keeps the older verified backup instead; a damaged manifest is
// 'damaged', not "no manifest"; the state rules as a table of cases.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackupEntry, DrillReport, DrillStep } from '../../shared/domain.ts';
import { verificationOf } from '../../electron/core/backup/verification.ts';
import { manifestNameFor } from '../../electron/core/backup/manifest.ts';
import { flipMiddleByte, seededRuntime } from '../helpers/backup-util.ts';
import { cli, onlyJson } from '../helpers/cli.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

const tamper = flipMiddleByte;

describe('the newest drill decides a backup’s state', () => {
  it('passed, then tampered and refused: damaged in the list, the CLI and retention', async () => {
    const rt = await seededRuntime(world, 5, { projects: 2 });
    const older = await rt.backups.run({ kind: 'scheduled', compact: false });
    const newer = await rt.backups.run({ kind: 'scheduled', compact: false });
    for (const b of [older, newer]) {
      const r = await rt.restores.verify({ backupId: b.id });
      expect(r.passed, r.summary).toBe(true);
    }
    const byId = (list: BackupEntry[], id: string) => list.find((e) => e.id === id)!;
    expect(byId(rt.backups.list(), newer.id).verification).toMatchObject({
      state: 'verified',
      code: null,
    });

    tamper(path.join(rt.layout.backups, newer.fileName));
    const again = await rt.restores.verify({ backupId: newer.id });
    expect(again.passed).toBe(false);

    const list = rt.backups.list();
    const bad = byId(list, newer.id);
    // Before: "verified 6 min ago" (the older pass still counted).
    expect(bad.verifiedAt).toBeNull();
    expect(bad.verification).toMatchObject({
      state: 'damaged',
      code: 'BACKUP_HASH_MISMATCH',
      drillId: again.id,
      at: again.finishedAt,
    });
    expect(bad.verification.lastPassedAt).not.toBeNull();
    expect(bad.verification.reason).toMatch(/refused.*does not match its manifest/);
    expect(byId(list, older.id).verification.state).toBe('verified');

    // The CLI says so too, in text and JSON.
    const text = await cli('--data-dir', rt.layout.dir, 'backups');
    expect(text.code).toBe(0);
    const line = text.lines.find((l) => l.startsWith(newer.fileName))!;
    expect(line).toContain('DAMAGED (BACKUP_HASH_MISMATCH)');
    expect(line).not.toContain('verified');
    expect(text.lines.find((l) => l.startsWith(older.fileName))).toMatch(/ verified \d+ \w+ ago$/);
    const json = onlyJson(await cli('--data-dir', rt.layout.dir, 'backups', '--json'));
    const listed = json['backups'] as BackupEntry[];
    expect(byId(listed, newer.id).verification.state).toBe('damaged');
    expect(byId(listed, older.id).verification.state).toBe('verified');

    // Retention keeps the newest backup whose state is verified: the older one, not the damaged one.
    const removed = await rt.backups.prune({
      ...rt.backups.settings(),
      retention: { keepLast: 1, daily: 0, weekly: 0, monthly: 0 },
    });
    expect(removed).toEqual([]);
    expect(fs.existsSync(path.join(rt.layout.backups, older.fileName))).toBe(true);
  });

  it('a manifest that cannot be read lists the backup as damaged, not as "no manifest"', async () => {
    const rt = await seededRuntime(world, 3, { projects: 1 });
    const b = await rt.backups.run({ kind: 'manual', compact: false });
    fs.writeFileSync(
      path.join(rt.layout.backups, manifestNameFor(b.fileName)),
      '{"format": 1, "id": ',
    );
    const entry = rt.backups.list().find((e) => e.id === b.id)!;
    expect(entry.verification).toMatchObject({
      state: 'damaged',
      code: 'BACKUP_MANIFEST_UNREADABLE',
    });
    // Restore refuses it with the same code.
    const r = await rt.restores.verify({ backupId: b.id });
    expect(r.steps[0]).toMatchObject({
      status: 'fail',
      facts: { code: 'BACKUP_MANIFEST_UNREADABLE' },
    });
    const text = await cli('--data-dir', rt.layout.dir, 'backups');
    expect(text.stdout).toContain('DAMAGED (BACKUP_MANIFEST_UNREADABLE)');
    expect(text.stdout).not.toContain('(no manifest)');
  });

  it('a restore refused at preflight counts as the backup’s newest drill', async () => {
    const rt = await seededRuntime(world, 3, { projects: 1 });
    const b = await rt.backups.run({ kind: 'manual', compact: false });
    expect((await rt.restores.verify({ backupId: b.id })).passed).toBe(true);
    tamper(path.join(rt.layout.backups, b.fileName));
    const staged = await rt.restores.stage({ backupId: b.id });
    expect(staged.report.code).toBe('BACKUP_HASH_MISMATCH');
    expect(rt.backups.list()[0]!.verification.state).toBe('damaged');
  });
});

const FILE = { id: 'b1', fileName: 'b1.sqlite', bytes: 1000, sha256: 'aa', damage: null };

function drill(
  finishedAt: number,
  failing: { key: DrillStep['key']; code: string } | null,
  source: Partial<DrillReport['source']> = {},
): DrillReport {
  return {
    id: `d${finishedAt}`,
    restoreId: null,
    startedAt: finishedAt - 1,
    finishedAt,
    passed: failing === null,
    summary: failing ? 'Failed' : 'Passed',
    appVersion: '0',
    machine: 'm',
    source: { backupId: 'b1', bytes: 1000, sha256: 'aa', ...source } as DrillReport['source'],
    steps: failing
      ? [
          {
            key: failing.key,
            title: failing.key,
            status: 'fail',
            ms: 0,
            detail: 'it broke',
            facts: { code: failing.code },
          },
        ]
      : [],
    warnings: [],
  };
}

describe('verificationOf', () => {
  it.each([
    ['no drill', 'not-verified', null, []],
    ['one pass', 'verified', null, [drill(1, null)]],
    [
      'pass, then a failed integrity step',
      'failed',
      'DB_CORRUPT',
      [drill(1, null), drill(2, { key: 'integrity', code: 'DB_CORRUPT' })],
    ],
    [
      'failed, then a pass (newest wins)',
      'verified',
      null,
      [drill(2, null), drill(1, { key: 'integrity', code: 'DB_CORRUPT' })],
    ],
    [
      'pass, then refused for a hash mismatch',
      'damaged',
      'BACKUP_HASH_MISMATCH',
      [drill(1, null), drill(2, { key: 'preflight', code: 'BACKUP_HASH_MISMATCH' })],
    ],
    [
      'pass, then refused as from a newer version (not damage)',
      'failed',
      'SCHEMA_FROM_NEWER_VERSION',
      [drill(1, null), drill(2, { key: 'preflight', code: 'SCHEMA_FROM_NEWER_VERSION' })],
    ],
    [
      'pass, then a full disk (no evidence about the backup)',
      'verified',
      null,
      [drill(1, null), drill(2, { key: 'integrity', code: 'DISK_FULL' })],
    ],
    [
      'pass of a file of another size',
      'damaged',
      'BACKUP_CHANGED_SINCE_DRILL',
      [drill(1, null, { bytes: 999 })],
    ],
    [
      'pass of a file with another hash than the manifest records',
      'damaged',
      'BACKUP_CHANGED_SINCE_DRILL',
      [drill(1, null, { sha256: 'bb' })],
    ],
    ['another backup’s drill', 'not-verified', null, [drill(1, null, { backupId: 'b2' })]],
  ] as const)('%s → %s', (_what, state, code, drills) => {
    const v = verificationOf(FILE, drills);
    expect(v.state).toBe(state);
    expect(v.code).toBe(code);
  });

  it('damage seen in the file now outranks any drill', () => {
    const v = verificationOf(
      { ...FILE, damage: { code: 'BACKUP_MANIFEST_UNREADABLE', reason: 'broken' } },
      [drill(5, null)],
    );
    expect(v).toMatchObject({
      state: 'damaged',
      code: 'BACKUP_MANIFEST_UNREADABLE',
      lastPassedAt: 5,
    });
  });
});
