// Live screens across processes (issue 13.4): what another process writes to the
// same data (the CLI on the SQLite file, another instance on PostgreSQL) reaches
// this process's event bus through the change watcher, as the `data.changed` and
// `automation.changed` events the open screens refresh on.
import { describe, expect, it } from 'vitest';
import type { Deployment, Environment, Project } from '../../shared/domain.ts';
import type { EventName, Events } from '../../shared/events.ts';
import type { Runtime } from '../../electron/core/runtime.ts';
import { startWatcher } from '../../electron/core/watch.ts';
import type { Backend } from '../helpers/instances.ts';
import { twoInstances } from '../helpers/instances.ts';
import { pgSkipReason, usePgDatabase } from '../helpers/pg.ts';
import { call } from '../helpers/restore-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const pgSkip = pgSkipReason();

/** The next `event` on `rt`'s bus that `match` accepts (generous timeout: no latency is asserted). */
function next<E extends EventName>(
  rt: Runtime,
  event: E,
  match: (p: Events[E]) => boolean,
  timeoutMs = 15_000,
): Promise<Events[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = rt.events.on(event, (p) => {
      if (!match(p)) return;
      clearTimeout(timer);
      off();
      resolve(p);
    });
  });
}

for (const backend of ['sqlite', 'postgres'] as const satisfies Backend[]) {
  describe.skipIf(backend === 'postgres' && pgSkip !== null)(
    `the change watcher (${backend})`,
    () => {
      const pg = backend === 'postgres' ? usePgDatabase() : null;

      it("another process's deployment and pause reach this process's event bus", async () => {
        const { app, cli } = await twoInstances(world, backend, pg);
        const project = await call<Project>(app.reg, 'projects.create', { name: 'shop' });
        const env = await call<Environment>(app.reg, 'environments.create', {
          projectId: project.id,
          name: 'prod',
        });
        const watcher = startWatcher(app.rt);
        world.defer(() => watcher.stop());

        const seen = next(app.rt, 'data.changed', (p) => p.area === 'deployments');
        const created = await call<Deployment>(cli.reg, 'deployments.create', {
          environmentId: env.id,
          version: '2.0.0',
        });
        await seen;
        const page = await call<{ items: Deployment[] }>(app.reg, 'deployments.list', {});
        expect(page.items.map((d) => d.id)).toEqual([created.id]);

        const paused = next(app.rt, 'automation.changed', (s) => s.paused);
        await call(cli.reg, 'automation.pause', { reason: 'upgrade' });
        expect(await paused).toMatchObject({ pause: { reason: 'upgrade', actor: cli.rt.actor } });
        const resumed = next(app.rt, 'automation.changed', (s) => !s.paused);
        await call(cli.reg, 'automation.resume', {});
        expect(await resumed).toMatchObject({ paused: false, pause: null });
      });
    },
  );
}

describe('the change watcher (sqlite, own writes)', () => {
  it("announces nothing for this process's own writes (they were announced when made), and nothing after stop", async () => {
    const { app } = await twoInstances(world, 'sqlite', null);
    const heard: string[] = [];
    app.rt.events.onAny((e, p) => heard.push(`${e}:${JSON.stringify(p)}`));
    const watcher = startWatcher(app.rt, 20);
    world.defer(() => watcher.stop());
    await watcher.ready;
    const project = await call<Project>(app.reg, 'projects.create', { name: 'shop' });
    // Long enough for many polls: only the registry's own announcements are there.
    await new Promise((r) => setTimeout(r, 300));
    expect(heard).toEqual(['data.changed:{"area":"projects"}', 'data.changed:{"area":"audit"}']);
    watcher.stop();
    heard.length = 0;
    await call(app.reg, 'projects.update', { id: project.id, name: 'store' });
    await new Promise((r) => setTimeout(r, 100));
    expect(heard.filter((h) => h.startsWith('automation'))).toEqual([]);
    expect(heard).toHaveLength(2);
  });
});
