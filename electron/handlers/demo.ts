import crypto from 'node:crypto';
import type { HandlerMap } from './registry.ts';
import type { Runtime } from '../core/runtime.ts';
import { dataOf } from './context.ts';
import type { DemoResult } from '../core/demo.ts';
import { seedDemoAsync, seedDemoData } from '../core/demo.ts';

/**
 * Seed demo data into the live data in one transaction: the local SQLite database
 * (on a connection of its own, the event loop kept turning), or in team mode the
 * PostgreSQL schema. Refused unless it holds no projects (DEMO_NEEDS_EMPTY_DATA_DIR).
 */
export function seedLiveDemo(
  rt: Runtime,
  input: { projects: number; deployments: number },
  onProgress: (done: number, total: number) => void,
): Promise<DemoResult> {
  const data = dataOf(rt);
  const opts = { ...input, actor: rt.actor, now: rt.now() };
  return rt.store && data.backend === 'sqlite'
    ? seedDemoAsync(rt.store.db, opts, onProgress)
    : seedDemoData(data, opts, onProgress);
}

export const demoHandlers: HandlerMap = {
  'demo.seed': async (input, rt) => {
    const opId = crypto.randomUUID();
    const started = Date.now();
    const result = await seedLiveDemo(rt, input, (done, total) => {
      const elapsed = Date.now() - started;
      rt.events.emit('progress', {
        opId,
        op: 'demo.seed',
        done,
        total,
        unit: 'rows',
        etaMs: done > 0 ? Math.round((elapsed / done) * (total - done)) : null,
        phase: 'deployments',
      });
    });
    for (const area of ['projects', 'environments', 'deployments', 'audit'] as const)
      rt.events.emit('data.changed', { area });
    return result;
  },
};
