import crypto from 'node:crypto';
import type { HandlerMap } from './registry.ts';
import { AppError } from '../../shared/errors.ts';
import type { Runtime } from '../core/runtime.ts';
import type { WritableDB } from '../core/store/db.ts';
import { dataOf } from './context.ts';
import { seedDemoAsync } from '../core/demo.ts';

/** Demo data is seeded into the local SQLite database (in one transaction). */
function localDb(rt: Runtime): WritableDB {
  const data = dataOf(rt);
  if (data.backend !== 'sqlite' || !rt.store)
    throw new AppError(
      'NOT_IN_TEAM_MODE',
      'Demo data is seeded into a local data dir only, not into a team database.',
      {
        hint: 'Seed a local data dir, then copy it to PostgreSQL if a team should see it.',
      },
    );
  return rt.store.db;
}

export const demoHandlers: HandlerMap = {
  'demo.seed': async (input, rt) => {
    const opId = crypto.randomUUID();
    const started = Date.now();
    const result = await seedDemoAsync(
      localDb(rt),
      { ...input, actor: rt.actor, now: rt.now() },
      (done, total) => {
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
      },
    );
    for (const area of ['projects', 'environments', 'deployments', 'audit'] as const)
      rt.events.emit('data.changed', { area });
    return result;
  },
};
