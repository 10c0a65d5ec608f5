// The Dashboard's "Last backup" follows the newest evidence too: when the newest
// backup failed its drill or is damaged, backups.overview says so in a warning
// (LAST_BACKUP_UNSAFE, with why) instead of a plain "Last backup 2 min ago".
// Before, the overview had no warning and the Safety panel showed a green check.
import { describe, expect, it } from 'vitest';
import type { BackupOverview } from '../../shared/domain.ts';
import { flipMiddleByte, seededRuntime } from '../helpers/backup-util.ts';
import { call } from '../helpers/restore-util.ts';
import { testRegistry } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';
import path from 'node:path';

const world = useWorld();

describe('overview of a newest backup that is not safe', () => {
  it('warns with the reason; a newer safe backup clears it', async () => {
    const rt = await seededRuntime(world, 3, { projects: 1 });
    const reg = testRegistry(rt);
    const b = await rt.backups.run({ kind: 'manual', compact: false });
    const warnings = async () =>
      (await call<BackupOverview>(reg, 'backups.overview', {})).warnings.filter(
        (w) => w.code === 'LAST_BACKUP_UNSAFE',
      );
    expect(await warnings()).toEqual([]);

    flipMiddleByte(path.join(rt.layout.backups, b.fileName));
    expect((await rt.restores.verify({ backupId: b.id })).passed).toBe(false);
    const [w] = await warnings();
    expect(w?.message).toMatch(/newest backup .*damaged/i);
    expect(w?.message).toContain('does not match its manifest');

    await rt.backups.run({ kind: 'manual', compact: false });
    expect(await warnings()).toEqual([]);
  });
});
