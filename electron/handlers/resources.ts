// Resource status: the last known health of each resource of an environment, as
// automation (health checks, deploy scripts) reports it. A report that changes a
// resource's status is audited; the same status again (a health check every minute)
// only updates when it was checked.
import type { ResourceStatus } from '../../shared/domain.ts';
import type { HandlerMap } from './registry.ts';
import { dataOf, readWith } from './context.ts';
import { appendAudit } from '../core/store/resources/audit.ts';
import { getEnvironment } from '../core/store/resources/environments.ts';
import {
  listResourceStatus,
  upsertResourceStatus,
} from '../core/store/resources/resourceStatus.ts';

export const resourceHandlers: HandlerMap = {
  'resources.list': (input, rt) =>
    readWith(rt, undefined, function* (c) {
      yield* getEnvironment(c, input.environmentId);
      return yield* listResourceStatus(c, input.environmentId);
    }),
  'resources.set': async (input, rt) => {
    await rt.secrets.assertNoSecretValues('detail', input.detail);
    const now = rt.now();
    const { s, changed } = await dataOf(rt).write(function* (c) {
      yield* getEnvironment(c, input.environmentId);
      const before = (yield* listResourceStatus(c, input.environmentId)).find(
        (r) => r.resource === input.resource,
      );
      const s: ResourceStatus = { ...input, checkedAt: now };
      yield* upsertResourceStatus(c, s);
      const changed = before?.status !== s.status;
      if (changed)
        yield* appendAudit(
          c,
          {
            actor: rt.actor,
            action: 'resource.status',
            target: `environment:${s.environmentId}`,
            detail: { resource: s.resource, status: s.status, was: before?.status ?? null },
          },
          now,
        );
      return { s, changed };
    });
    rt.events.emit('data.changed', { area: 'resources' });
    if (changed) rt.events.emit('data.changed', { area: 'audit' });
    return s;
  },
};
