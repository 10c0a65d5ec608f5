// Helpers handlers share: the open store, and writes that record an audit entry
// in the same transaction as the change they describe.
import { AppError } from '../../shared/errors.ts';
import type { Events } from '../../shared/events.ts';
import type { Runtime } from '../core/runtime.ts';
import type { DataStore } from '../core/store/data.ts';
import { sqliteData } from '../core/store/data.ts';
import type { Query, Sql } from '../core/store/sql.ts';
import { appendAudit } from '../core/store/resources/audit.ts';

/** The live data (either backend), or STORE_NOT_READY. */
export function dataOf(rt: Runtime): DataStore {
  if (!rt.data) throw new AppError('STORE_NOT_READY', 'The data directory is not open.');
  return rt.data;
}

/** The data a read command looks at: live, or a restored copy being previewed (always SQLite). */
export function readData(rt: Runtime, restoreId: string | undefined): DataStore {
  return restoreId === undefined ? dataOf(rt) : sqliteData(rt.restores.previewDb(restoreId));
}

/** Run a read of live data or of a previewed copy. */
export function readWith<R>(
  rt: Runtime,
  restoreId: string | undefined,
  work: (c: Sql) => Query<R>,
): Promise<R> {
  return readData(rt, restoreId).read(work);
}

/** Run `change` and its audit entry in one transaction, then announce the change. */
export async function auditedWrite<T>(
  rt: Runtime,
  area: Events['data.changed']['area'],
  change: (c: Sql, now: number) => Query<T>,
  audit: (result: NoInfer<T>) => {
    action: string;
    target: string;
    detail?: Record<string, unknown>;
  },
): Promise<T> {
  const data = dataOf(rt);
  const now = rt.now();
  const result = await data.write(function* (c) {
    const r = yield* change(c, now);
    yield* appendAudit(c, { actor: rt.actor, ...audit(r) }, now);
    return r;
  });
  rt.events.emit('data.changed', { area });
  rt.events.emit('data.changed', { area: 'audit' });
  return result;
}
