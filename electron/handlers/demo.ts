import crypto from 'node:crypto';
import type { HandlerMap } from './registry.ts';
import { storeOf } from './context.ts';
import { seedDemoAsync } from '../core/demo.ts';

export const demoHandlers: HandlerMap = {
  'demo.seed': async (input, rt) => {
    const opId = crypto.randomUUID();
    const started = Date.now();
    const result = await seedDemoAsync(
      storeOf(rt),
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
