// "Changes since the last backup" after a promote: the newest backup is then the
// pre-restore backup of the old live data, and the promoted copy's change counter
// is another history's. Before, once live had as many changes again as the copy
// was behind, the overview said nothing changed since that backup (the Dashboard
// turned green), although live held the restored data plus those changes.
import { describe, expect, it } from 'vitest';
import type { BackupOverview } from '../../shared/domain.ts';
import { seededRuntime } from '../helpers/backup-util.ts';
import { call } from '../helpers/restore-util.ts';
import { readyDb, testRegistry } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

describe('changes since the last backup, after a promote', () => {
  it('is never "none" against the pre-restore backup of another history', async () => {
    const rt = await seededRuntime(world, 3, { projects: 1 });
    const reg = testRegistry(rt);
    const seq = () =>
      (readyDb(rt).prepare(`SELECT seq FROM change_counter`).get() as { seq: number }).seq;
    const old = await rt.backups.run({ kind: 'manual', compact: false });
    for (let i = 0; i < 5; i++)
      readyDb(rt).prepare(`UPDATE projects SET description = ? WHERE id = 1`).run(`before ${i}`);
    const staged = await rt.restores.stage({ backupId: old.id });
    expect((await rt.restores.drill(staged.restoreId!)).passed).toBe(true);
    await rt.restores.promote(staged.restoreId!);

    const pre = rt.backups.list()[0]!;
    expect(pre.kind).toBe('pre-restore');
    const overview = async () =>
      (await call<BackupOverview>(reg, 'backups.overview', {})).changedSinceLastBackup;
    expect(await overview()).toEqual({ changes: null, since: pre.createdAt });

    // Live catches up with the pre-restore backup's counter, one change at a time.
    const target = pre.manifest!.changeSeq;
    const db = readyDb(rt);
    while (seq() < target)
      db.prepare(`UPDATE projects SET description = ? WHERE id = 1`).run(`edit ${seq()}`);
    expect(seq()).toBe(target);
    expect(await overview()).toEqual({ changes: null, since: pre.createdAt });

    // A backup taken since the promote counts changes as before.
    await rt.backups.run({ kind: 'manual', compact: false });
    expect(await overview()).toBeNull();
    db.prepare(`UPDATE projects SET description = 'one more' WHERE id = 1`).run();
    expect((await overview())?.changes).toBeGreaterThan(0);
  });
});
