// A drill is evidence about the file it read. A copy of a backup kept elsewhere
// (the off-site folder, or an upload to the browser host) carries the backup's
// id, but drilling it says nothing about the file in backups/: that one is
// neither "verified" by the copy's pass (its own bytes may be damaged) nor
// "changed since its drill" (it was not the file drilled).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { flipMiddleByte, seededRuntime } from '../helpers/backup-util.ts';
import { sha256 } from '../helpers/restore-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

async function withCopyElsewhere() {
  const rt = await seededRuntime(world, 4, { projects: 1 });
  const b = await rt.backups.run({ kind: 'manual', compact: false });
  const local = path.join(rt.layout.backups, b.fileName);
  const elsewhere = path.join(world.dir(), b.fileName);
  fs.copyFileSync(local, elsewhere);
  const manifest = b.fileName.replace(/\.sqlite$/, '.manifest.json');
  fs.copyFileSync(
    path.join(rt.layout.backups, manifest),
    path.join(path.dirname(elsewhere), manifest),
  );
  const state = () => rt.backups.list().find((e) => e.id === b.id)!.verification;
  return { rt, b, local, elsewhere, state };
}

describe('a drill of a copy of a backup kept elsewhere', () => {
  it('opened from its folder: the file in backups/ is not called changed', async () => {
    const { rt, elsewhere, state } = await withCopyElsewhere();
    const r = await rt.restores.verify({ path: elsewhere });
    expect(r.passed, r.summary).toBe(true);
    // Before: 'damaged', BACKUP_CHANGED_SINCE_DRILL (another file's time).
    expect(state().state).toBe('not-verified');
  });

  it('uploaded: the damaged file in backups/ is not called verified', async () => {
    const { rt, local, elsewhere, state } = await withCopyElsewhere();
    flipMiddleByte(local);
    const staged = await rt.restores.stage({ path: elsewhere }, undefined, {
      upload: { fileName: path.basename(elsewhere), sha256: sha256(elsewhere) },
    });
    expect((await rt.restores.drill(staged.restoreId!)).passed).toBe(true);
    // Before: 'verified' by the upload's pass.
    expect(state().state).not.toBe('verified');
    // Its own drill says what it is.
    await rt.restores.verify({ backupId: rt.backups.list()[0]!.id });
    expect(state()).toMatchObject({ state: 'damaged', code: 'BACKUP_HASH_MISMATCH' });
  });
});
