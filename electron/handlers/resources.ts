// Resource status: the last known health of each resource of an environment, as
// automation (health checks, deploy scripts) reports it.
import type { ResourceStatus } from '../../shared/domain.ts';
import type { HandlerMap } from './registry.ts';
import { auditedWrite, readWith } from './context.ts';
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
    let before: ResourceStatus | undefined;
    return auditedWrite(
      rt,
      'resources',
      function* (c, now) {
        yield* getEnvironment(c, input.environmentId);
        before = (yield* listResourceStatus(c, input.environmentId)).find(
          (s) => s.resource === input.resource,
        );
        const s: ResourceStatus = { ...input, checkedAt: now };
        yield* upsertResourceStatus(c, s);
        return s;
      },
      (s) => ({
        action: 'resource.status',
        target: `environment:${s.environmentId}`,
        detail: { resource: s.resource, status: s.status, was: before?.status ?? null },
      }),
    );
  },
};
