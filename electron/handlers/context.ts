// Helpers handlers share: the open store, and writes that record an audit entry
// in the same transaction as the change they describe.
import { AppError } from '../../shared/errors.ts';
import type { Events } from '../../shared/events.ts';
import type { Runtime } from '../core/runtime.ts';
import type { ReadableDB, WritableDB } from '../core/store/db.ts';
import { appendAudit } from '../core/store/resources/audit.ts';

export function storeOf(rt: Runtime): WritableDB {
  if (!rt.store) throw new AppError('STORE_NOT_READY', 'The data directory is not open.');
  return rt.store.db;
}

/** The database a read command looks at: live, or a restored copy being previewed. */
export function readDb(rt: Runtime, restoreId: string | undefined): ReadableDB {
  return restoreId === undefined ? storeOf(rt) : rt.restores.previewDb(restoreId);
}

/** Run `change` and its audit entry in one transaction, then announce the change. */
export function auditedWrite<T>(
  rt: Runtime,
  area: Events['data.changed']['area'],
  change: (db: WritableDB, now: number) => T,
  audit: (result: NoInfer<T>) => {
    action: string;
    target: string;
    detail?: Record<string, unknown>;
  },
): T {
  const db = storeOf(rt);
  const now = rt.now();
  const result = db.transaction(() => {
    const r = change(db, now);
    appendAudit(db, { actor: rt.actor, ...audit(r) }, now);
    return r;
  })();
  rt.events.emit('data.changed', { area });
  rt.events.emit('data.changed', { area: 'audit' });
  return result;
}
