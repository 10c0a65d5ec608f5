// Last known status of each resource of an environment (one row per resource).
import type { ReadableDB, WritableDB } from '../db.ts';

export type ResourceHealth = 'ok' | 'degraded' | 'down' | 'unknown';

export interface ResourceStatus {
  environmentId: number;
  resource: string;
  status: ResourceHealth;
  checkedAt: number;
  detail: string;
}

interface Row {
  environment_id: number;
  resource: string;
  status: ResourceHealth;
  checked_at: number;
  detail: string;
}

export function upsertResourceStatus(db: WritableDB, s: ResourceStatus): void {
  db.prepare(
    `INSERT INTO resource_status (environment_id, resource, status, checked_at, detail) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (environment_id, resource) DO UPDATE SET status = excluded.status, checked_at = excluded.checked_at, detail = excluded.detail`,
  ).run(s.environmentId, s.resource, s.status, s.checkedAt, s.detail);
}

export function listResourceStatus(db: ReadableDB, environmentId: number): ResourceStatus[] {
  return (
    db
      .prepare(`SELECT * FROM resource_status WHERE environment_id = ? ORDER BY resource`)
      .all(environmentId) as Row[]
  ).map((r) => ({
    environmentId: r.environment_id,
    resource: r.resource,
    status: r.status,
    checkedAt: r.checked_at,
    detail: r.detail,
  }));
}
