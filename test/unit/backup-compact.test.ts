// Compact must be smaller or say why it is not (compared with the live database's
// page_count × page_size), in the manifest; and the service's progress events
// carry one figure for the whole backup, off-site copy included.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { compactionOf, createBackup } from '../../electron/core/backup/engine.ts';
import { readManifest } from '../../electron/core/backup/list.ts';
import type { Runtime } from '../../electron/core/runtime.ts';
import type { Events } from '../../shared/events.ts';
import { manifestPathOf, seededRuntime } from '../helpers/backup-util.ts';
import { cli } from '../helpers/cli.ts';
import { readyDb } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

/** A manual backup of the runtime's live database into a new folder. */
const backupOf = (rt: Runtime, compact: boolean) =>
  createBackup({ source: rt.layout.db, outDir: world.dir(), kind: 'manual', compact });

describe('compact backups compared with the live database', () => {
  it('with nothing to strip: not smaller, and the manifest says why with both sizes', async () => {
    const rt = await seededRuntime(world, 40);
    world.defer(() => rt.close());
    const db = readyDb(rt);
    db.exec('DELETE FROM metrics; DELETE FROM resource_status;');
    db.exec('VACUUM'); // no free pages left for the compact backup's vacuum to drop
    const live =
      (db.pragma('page_count', { simple: true }) as number) *
      (db.pragma('page_size', { simple: true }) as number);

    const r = await backupOf(rt, true);
    const c = r.manifest.compaction!;
    expect(c).toMatchObject({ liveBytes: live, bytes: r.manifest.bytes, strippedRows: 0 });
    expect(c.bytes).toBeGreaterThanOrEqual(c.liveBytes);
    expect(c.smaller).toBe(false);
    expect(c.reason).toContain('nothing to strip: metrics and status rows are already empty');
    expect(c.reason).toContain(`${live.toLocaleString('en-US')} bytes`);
    // The sidecar keeps it (a listing and the UI read it from there).
    expect(readManifest(manifestPathOf(r.path))?.compaction).toEqual(c);
  });

  it('with metrics to strip: smaller than the live database, no reason needed', async () => {
    const rt = await seededRuntime(world, 40);
    world.defer(() => rt.close());
    const db = readyDb(rt);
    const ins = db.prepare(`INSERT INTO metrics (ts, name, value, labels) VALUES (?, ?, ?, ?)`);
    db.transaction(() => {
      for (let i = 0; i < 5000; i++) ins.run(i, 'cpu.load', i % 7, '{"host":"demo"}');
    })();
    const metrics = (db.prepare('SELECT count(*) AS n FROM metrics').get() as { n: number }).n;
    const statuses = (
      db.prepare('SELECT count(*) AS n FROM resource_status').get() as { n: number }
    ).n;

    const r = await backupOf(rt, true);
    const c = r.manifest.compaction!;
    expect(c.strippedRows).toBe(metrics + statuses);
    expect(c.smaller).toBe(true);
    expect(c.bytes).toBeLessThan(c.liveBytes);
    expect(c.reason).toBeNull();
  });

  it('the CLI says why a compact backup is not smaller, and its progress ends at done 100%', async () => {
    const rt = await seededRuntime(world, 40);
    const db = readyDb(rt);
    db.exec('DELETE FROM metrics; DELETE FROM resource_status;');
    db.exec('VACUUM');
    rt.close();
    const r = await cli('--data-dir', rt.layout.dir, 'backup', '--compact');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('nothing to strip: metrics and status rows are already empty');
    const shown = [...r.stderr.matchAll(/backup: (\w+) (\d+)%/g)].map((m) => [m[1], Number(m[2])]);
    expect(shown.at(-1)).toEqual(['done', 100]);
    for (let i = 1; i < shown.length; i++)
      expect(shown[i]![1]).toBeGreaterThanOrEqual(shown[i - 1]![1] as number);
  });

  it('a full backup records no compaction', async () => {
    const rt = await seededRuntime(world, 10);
    world.defer(() => rt.close());
    const r = await backupOf(rt, false);
    expect(r.manifest.compaction).toBeUndefined();
  });

  it('rows stripped that free no space are a reason too', () => {
    const c = compactionOf(8192, 8192, 3);
    expect(c.smaller).toBe(false);
    expect(c.reason).toContain('the 3 metrics and status rows stripped freed less');
    expect(compactionOf(8192, 4096, 3)).toMatchObject({ smaller: true, reason: null });
  });
});

describe('the service reports one figure for the whole backup', () => {
  it('percent rises from the snapshot through the off-site copy to 100 at done', async () => {
    const rt = await seededRuntime(world, 300);
    world.defer(() => rt.close());
    const offsite = world.dir();
    rt.backups.saveSettings({ offsiteDir: offsite });
    const seen: Events['progress'][] = [];
    rt.events.on('progress', (p) => seen.push(p));
    const entry = await rt.backups.run({ kind: 'manual', compact: true, opId: 'op-1' });

    expect(fs.readdirSync(offsite)).toContain(entry.fileName);
    const stages = seen.map((p) => p.phase).filter((p, i, all) => i === 0 || all[i - 1] !== p);
    expect(stages).toEqual(['snapshot', 'verify', 'finalize', 'offsite', 'done']);
    const percents = seen.map((p) => p.percent!);
    expect(percents[0]).toBe(0);
    for (let i = 1; i < percents.length; i++)
      expect(percents[i], JSON.stringify(seen[i])).toBeGreaterThanOrEqual(percents[i - 1]!);
    // 100 only once it is done; the off-site copy starts well past half of a backup.
    expect(seen.filter((p) => p.percent === 100).map((p) => p.phase)).toEqual(['done']);
    expect(seen.find((p) => p.phase === 'offsite')!.percent).toBeGreaterThan(50);
    for (const p of seen) expect(p.done).toBeLessThanOrEqual(p.total);
  });
});
