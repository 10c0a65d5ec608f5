// A restored copy whose restore.json is not JSON (edited by hand, or a torn disk) is a damaged
// record: listed as nothing, every use refused with RESTORE_NOT_FOUND, never INTERNAL; the other
// copies are still listed.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RestoreCopy } from '../../shared/domain.ts';
import { RECORD } from '../../electron/core/restore/records.ts';
import { seededRuntime } from '../helpers/backup-util.ts';
import { testRegistry } from '../helpers/runtime.ts';
import { call, callError } from '../helpers/restore-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

describe('a restored copy whose record is not JSON', () => {
  it('is refused as damaged (RESTORE_NOT_FOUND) and the list still shows the others', async () => {
    const rt = await seededRuntime(world, 10, { projects: 1 });
    const reg = testRegistry(rt);
    const backup = await rt.backups.run({ kind: 'manual', compact: false });
    const file = path.join(rt.layout.backups, backup.fileName);
    const good = await rt.restores.stage({ path: file });
    const bad = await rt.restores.stage({ path: file });
    expect(good.report.ok && bad.report.ok, good.report.reason).toBe(true);
    fs.writeFileSync(path.join(rt.layout.restores, bad.restoreId!, RECORD), '{"id": "tor', {
      mode: 0o600,
    });

    const listed = await call<RestoreCopy[]>(reg, 'restores.list', {});
    expect(listed.map((c) => c.id)).toEqual([good.restoreId]);
    for (const [name, input] of [
      ['restores.compare', { restoreId: bad.restoreId }],
      ['restores.discard', { restoreId: bad.restoreId }],
      ['projects.list', { restoreId: bad.restoreId }],
    ] as const) {
      const err = await callError(reg, name, input);
      expect(err.code, `${name}: ${err.message}`).toBe('RESTORE_NOT_FOUND');
    }
    rt.close();
  });
});
