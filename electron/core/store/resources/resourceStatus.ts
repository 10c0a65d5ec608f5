// Last known status of each resource of an environment (one row per resource).
import type { Query, Sql } from '../sql.ts';
import { binaryOrder, exec, rows } from '../sql.ts';

export type ResourceHealth = 'ok' | 'degraded' | 'down' | 'unknown';

export interface ResourceStatus {
  environmentId: number;
  resource: string;
  status: ResourceHealth;
  checkedAt: number;
  detail: string;
}

export function* upsertResourceStatus(c: Sql, s: ResourceStatus): Query<void> {
  yield* exec(
    c.k
      .insertInto('resource_status')
      .values({
        environment_id: s.environmentId,
        resource: s.resource,
        status: s.status,
        checked_at: s.checkedAt,
        detail: s.detail,
      })
      .onConflict((oc) =>
        oc.columns(['environment_id', 'resource']).doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'),
          checked_at: eb.ref('excluded.checked_at'),
          detail: eb.ref('excluded.detail'),
        })),
      ),
  );
}

export function* listResourceStatus(c: Sql, environmentId: number): Query<ResourceStatus[]> {
  const found = yield* rows(
    c.k
      .selectFrom('resource_status')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .orderBy(binaryOrder(c, 'resource')),
  );
  return found.map((r) => ({
    environmentId: r.environment_id,
    resource: r.resource,
    status: r.status as ResourceHealth,
    checkedAt: r.checked_at,
    detail: r.detail,
  }));
}
