// The move to PostgreSQL in the app (postgres.copy through the command registry,
// as the wizard calls it over HTTP or IPC) against a real server: the password
// only in its own field, progress events with one rising percentage, rows/s and
// the phases; a dry run changes nothing and the app keeps working; the move
// binds the data dir, and from then on no write lands in the local file; a CLI
// move while the app holds the data dir is DATA_DIR_LOCKED naming it.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seedDemo } from '../../electron/core/demo.ts';
import { readBinding } from '../../electron/core/pg/binding.ts';
import type { Events } from '../../shared/events.ts';
import type { PgMoveReport } from '../../shared/domain.ts';
import { onlyJson, postgresCopyCli } from '../helpers/cli.ts';
import { pgSkipReason, pgTargetState, usePgDatabase, withClient } from '../helpers/pg.ts';
import { call, callError } from '../helpers/restore-util.ts';
import { readyDb, startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { sha256File } from '../helpers/store.ts';
import { useWorld } from '../helpers/world.ts';
import { passwordApart, teamUrl } from '../helpers/pg-team.ts';

const skip = pgSkipReason();
const world = useWorld();
const db = usePgDatabase();

/** The file's database in `schema`, the password taken out of the URL. */
function target(schema: string): { url: string; password: string } {
  return passwordApart(teamUrl(db.url(), schema));
}

async function app() {
  const dir = world.dir();
  const rt = await startTestRuntime(world, dir);
  seedDemo(readyDb(rt), { projects: 2, deployments: 200, actor: 'test', now: 1_700_000_000_000 });
  const progress: Events['progress'][] = [];
  world.defer(rt.events.on('progress', (p) => progress.push(p)));
  return { dir, rt, reg: testRegistry(rt), progress };
}

describe.skipIf(skip)('postgres.copy in the app', { timeout: 60_000 }, () => {
  it('a password in the URL is refused (BAD_INPUT); the dry run reports, changes nothing, and the app keeps working', async () => {
    const { dir, reg, progress } = await app();
    const { url, password } = target('appdry');
    const withPassword = new URL(url);
    withPassword.password = password;
    const state = await pgTargetState(db.url());
    const refused = await callError(reg, 'postgres.copy', {
      url: withPassword.toString(),
      password,
    });
    expect(refused.code).toBe('BAD_INPUT');

    const opId = crypto.randomUUID();
    const r = await call<PgMoveReport & { restartNeeded: boolean }>(reg, 'postgres.copy', {
      url,
      password,
      opId,
    });
    expect(r).toMatchObject({ executed: false, bound: false, restartNeeded: false });
    expect(r.tables.find((t) => t.name === 'deployments')).toMatchObject({
      rowsRead: 200,
      rowsWritten: 200,
    });
    expect(await pgTargetState(db.url())).toEqual(state);
    expect(readBinding(dir)).toEqual({ backend: 'sqlite' });

    // Progress: this operation's events, one percentage that only rises, rows/s per table.
    const mine = progress.filter((p) => p.opId === opId);
    expect(new Set(mine.map((p) => p.op))).toEqual(new Set(['postgres.copy']));
    const pct = mine.map((p) => p.percent!);
    expect(pct).toEqual([...pct].sort((a, b) => a - b));
    expect(pct.at(-1)).toBe(100);
    expect(mine.some((p) => p.phase === 'copy deployments' && (p.rate ?? 0) > 0)).toBe(true);
    expect(mine.some((p) => p.phase.startsWith('verify '))).toBe(true);
    // Still the local app.
    await call(reg, 'projects.create', { name: 'after-the-dry-run' });
  });

  it('the move: writes refused while it runs (MOVE_IN_PROGRESS); pre-move backup, bound, and the running app switched to PostgreSQL: commands read and write the team database, the local file stays untouched', async () => {
    const { dir, rt, reg, progress } = await app();
    const { url, password } = target('appmove');
    const opId = crypto.randomUUID();
    let during: ReturnType<typeof reg.dispatch> | null = null;
    world.defer(
      rt.events.on('progress', (p) => {
        if (p.opId === opId && during === null)
          during = reg.dispatch('projects.create', { name: 'during-the-move' });
      }),
    );
    const changed = new Set<string>();
    world.defer(rt.events.on('data.changed', (e) => changed.add(e.area)));
    const r = await call<PgMoveReport & { restartNeeded: boolean; connected: boolean }>(
      reg,
      'postgres.copy',
      { url, password, execute: true, opId },
    );
    expect(r).toMatchObject({ executed: true, bound: true, restartNeeded: false, connected: true });
    const refused = await during!;
    expect(refused.ok ? 'ok' : refused.error.code).toBe('MOVE_IN_PROGRESS');
    expect(r.preMoveBackup?.fileName).toMatch(/-pre-move-/);
    expect(readBinding(dir)).toMatchObject({ backend: 'postgres', schema: 'appmove' });
    const phases = progress.filter((p) => p.opId === opId).map((p) => p.phase);
    expect(phases).toContain('backup');

    // The same runtime works on the team database now: no restart.
    expect(rt.store).toBeNull();
    expect(rt.team?.schema).toBe('appmove');
    expect(rt.data?.backend).toBe('postgres');
    expect(rt.startup.state).toBe('ready');
    // Every open screen is told to read again (the team banner, the lists).
    expect([...changed]).toEqual(expect.arrayContaining(['projects', 'backups', 'audit']));
    const file = path.join(dir, 'stateward.db');
    const before = sha256File(file);
    const created = await call<{ id: number }>(reg, 'projects.create', { name: 'after-the-move' });
    const listed = await call<{ items: { name: string }[] }>(reg, 'projects.list', {});
    expect(listed.items.map((p) => p.name)).toContain('after-the-move');
    const team = await call<{ schema: string } | null>(reg, 'app.team', {});
    expect(team?.schema).toBe('appmove');
    await withClient(db.url(), async (c) => {
      const row = await c.query('SELECT name FROM appmove.projects WHERE id = $1', [created.id]);
      expect(row.rows).toEqual([{ name: 'after-the-move' }]);
    });
    expect(sha256File(file)).toBe(before);
  });

  it('a CLI move while the app holds the data dir: DATA_DIR_LOCKED, naming this process', async () => {
    const { dir } = await app();
    const run = await postgresCopyCli(dir, target('cli').url);
    const err = onlyJson(run).error as { code: string; message: string };
    expect([run.code, err.code]).toEqual([3, 'DATA_DIR_LOCKED']);
    expect(err.message).toContain(`pid ${process.pid}`);
  });
});
