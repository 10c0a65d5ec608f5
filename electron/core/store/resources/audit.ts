import type { AuditEntry, Page } from '../../../../shared/domain.ts';
import type { ReadableDB, WritableDB } from '../db.ts';
import { assertOneChange } from '../db.ts';

interface AuditRow {
  id: number;
  ts: number;
  actor: string;
  action: string;
  target: string;
  detail: string;
}

function rowToAudit(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    ts: r.ts,
    actor: r.actor,
    action: r.action,
    target: r.target,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  };
}

export function appendAudit(
  db: WritableDB,
  entry: { actor: string; action: string; target?: string; detail?: Record<string, unknown> },
  now: number,
): void {
  const info = db
    .prepare(`INSERT INTO audit_log (ts, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`)
    .run(now, entry.actor, entry.action, entry.target ?? '', JSON.stringify(entry.detail ?? {}));
  assertOneChange(info, 'audit entry');
}

export function listAudit(
  db: ReadableDB,
  opts: { offset: number; limit: number; action?: string | undefined },
): Page<AuditEntry> {
  const where = opts.action ? 'WHERE action = ?' : '';
  const params: unknown[] = opts.action ? [opts.action] : [];
  const total = (
    db.prepare(`SELECT count(*) AS n FROM audit_log ${where}`).get(...params) as { n: number }
  ).n;
  const rows = db
    .prepare(`SELECT * FROM audit_log ${where} ORDER BY ts DESC, id DESC LIMIT ? OFFSET ?`)
    .all(...params, opts.limit, opts.offset) as AuditRow[];
  return { items: rows.map(rowToAudit), total, offset: opts.offset };
}

export function countAudit(db: ReadableDB): number {
  return (db.prepare(`SELECT count(*) AS n FROM audit_log`).get() as { n: number }).n;
}
