// Backups of a team-mode data dir through the backup service (issue 11.4/11.5):
// backups.create takes a logical snapshot of the team schema (a normal backup
// file naming its source server), and the scheduled run is exclusive across the
// team's instances: exactly one instance takes each scheduled backup.
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import path from 'node:path';
import type { Runtime } from '../../electron/core/runtime.ts';
import type { CommandName } from '../../shared/contract.ts';
import type { BackupEntry } from '../../shared/domain.ts';
import { pgSkipReason, usePgDatabase, withClient } from '../helpers/pg.ts';
import { call } from '../helpers/restore-util.ts';
import { testRegistry } from '../helpers/runtime.ts';
import { newTeamSchema, startTeamRuntime } from '../helpers/pg-team.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const skip = pgSkipReason();

describe.skipIf(skip !== null)('backups of a team-mode data dir', () => {
  const db = usePgDatabase();

  const start = (schema: string) => startTeamRuntime(world, db.url(), schema);
  const invoke = <T>(rt: Runtime, name: CommandName, input: unknown = {}) =>
    call<T>(testRegistry(rt), name, input);

  it('backups.create snapshots the team schema into a normal backup file naming its server', async () => {
    const schema = newTeamSchema();
    const rt = await start(schema);
    await invoke(rt, 'projects.create', { name: 'team-project' });
    const entry = await invoke<BackupEntry>(rt, 'backups.create', {});
    expect(entry.manifest?.source).toMatchObject({
      backend: 'postgres',
      database: db.name(),
      schema,
    });
    const file = new Database(path.join(rt.layout.backups, entry.fileName), { readonly: true });
    try {
      expect(file.prepare(`SELECT name FROM projects`).pluck().all()).toEqual(['team-project']);
    } finally {
      file.close();
    }
    // The run is in the team's history, where every instance sees it.
    const runs = await withClient(db.url(), (c) =>
      c.query(`SELECT status, detail FROM ${schema}.runs WHERE kind = 'backup'`),
    );
    expect(runs.rows).toEqual([
      expect.objectContaining({
        status: 'succeeded',
        detail: expect.objectContaining({ kind: 'manual' }),
      }),
    ]);
  }, 60_000);

  it('two instances due at once: exactly one takes the scheduled backup; the other skips, then finds it not due', async () => {
    const schema = newTeamSchema();
    const a = await start(schema);
    const b = await start(schema);
    // Each machine's own settings; the change is audited in the team's log.
    for (const rt of [a, b])
      await invoke(rt, 'backups.updateSettings', { scheduleEnabled: true, onlyIfChanged: false });
    const audit = await invoke<{ items: { action: string }[] }>(a, 'audit.list');
    expect(audit.items.filter((e) => e.action === 'backup.settings_changed')).toHaveLength(2);
    await invoke(a, 'projects.create', { name: 'scheduled' });
    const results = await Promise.all([a.backups.tick(), b.backups.tick()]);
    expect(results.filter((r) => r === 'ran')).toHaveLength(1);
    expect(results.filter((r) => r !== 'ran')).toEqual([expect.stringMatching(/^(busy|not-due)$/)]);
    // Later ticks of either instance: the team's newest scheduled run is recent, nothing is due.
    expect(await a.backups.tick()).toBe('not-due');
    expect(await b.backups.tick()).toBe('not-due');
    const files = [...a.backups.list(), ...b.backups.list()].filter((e) => e.kind === 'scheduled');
    expect(files).toHaveLength(1);
  }, 60_000);
});
