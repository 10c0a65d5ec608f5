// A drill's evidence covers the file it read, not whatever the name holds later:
// a verified backup written to afterwards (same size, manifest untouched, no new
// drill) is no longer "verified" in the list, the CLI or retention, which keeps
// an older backup whose drill still covers it instead.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackupEntry } from '../../shared/domain.ts';
import { flipMiddleByte, seededRuntime } from '../helpers/backup-util.ts';
import { cli } from '../helpers/cli.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

describe('a backup changed after its drill passed', () => {
  it('is not verified anywhere until drilled again', async () => {
    const rt = await seededRuntime(world, 5, { projects: 2 });
    const older = await rt.backups.run({ kind: 'scheduled', compact: false });
    const newer = await rt.backups.run({ kind: 'scheduled', compact: false });
    for (const b of [older, newer])
      expect((await rt.restores.verify({ backupId: b.id })).passed).toBe(true);
    const file = path.join(rt.layout.backups, newer.fileName);
    const byId = (list: BackupEntry[], id: string) => list.find((e) => e.id === id)!;
    expect(byId(rt.backups.list(), newer.id).verification.state).toBe('verified');

    // Changed in place after the drill; a clock tick later so its time differs on any file system.
    await new Promise((r) => setTimeout(r, 20));
    flipMiddleByte(file);

    const bad = byId(rt.backups.list(), newer.id);
    // Before: still "verified 0 min ago", and retention kept it as the newest verified.
    expect(bad.verifiedAt).toBeNull();
    // Not called damaged (the bytes may be the same, e.g. a copy put back), but no longer verified.
    expect(bad.verification).toMatchObject({
      state: 'not-verified',
      code: 'BACKUP_CHANGED_SINCE_DRILL',
    });
    expect(bad.verification.reason).toMatch(/written to after its last restore drill passed/);
    expect(byId(rt.backups.list(), older.id).verification.state).toBe('verified');

    const text = await cli('--data-dir', rt.layout.dir, 'backups');
    expect(text.lines.find((l) => l.startsWith(newer.fileName))).not.toMatch(/ verified /);

    const removed = await rt.backups.prune({
      ...rt.backups.settings(),
      retention: { keepLast: 1, daily: 0, weekly: 0, monthly: 0 },
    });
    expect(removed).toEqual([]);
    expect(fs.existsSync(path.join(rt.layout.backups, older.fileName))).toBe(true);

    // A drill of the file as it is now is the newest evidence again (refused: its hash).
    expect((await rt.restores.verify({ backupId: newer.id })).passed).toBe(false);
    expect(byId(rt.backups.list(), newer.id).verification.code).toBe('BACKUP_HASH_MISMATCH');
  });
});
