// The audit log: who did what, written in the same transaction as the change.
import type { AuditEntry, Page } from '../../../../shared/domain.ts';
import type { Query, Sql } from '../sql.ts';
import { assertChanged, cached, exec, row, rows } from '../sql.ts';

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

export function* appendAudit(
  c: Sql,
  entry: { actor: string; action: string; target?: string; detail?: Record<string, unknown> },
  now: number,
): Query<void> {
  const values = [
    now,
    entry.actor,
    entry.action,
    entry.target ?? '',
    JSON.stringify(entry.detail ?? {}),
  ];
  const changed = yield* exec(
    cached(c, 'audit.insert', values, (v) =>
      c.k.insertInto('audit_log').values({
        ts: v[0] as number,
        actor: v[1] as string,
        action: v[2] as string,
        target: v[3] as string,
        detail: v[4] as string,
      }),
    ),
  );
  assertChanged(changed, 1, 'audit entry');
}

export function* listAudit(
  c: Sql,
  opts: { offset: number; limit: number; action?: string | undefined },
): Query<Page<AuditEntry>> {
  const action = opts.action;
  const counted = yield* row(
    c.k
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .$if(action !== undefined, (b) => b.where('action', '=', action!)),
  );
  const found = yield* rows<AuditRow>(
    c.k
      .selectFrom('audit_log')
      .selectAll()
      .$if(action !== undefined, (b) => b.where('action', '=', action!))
      .orderBy('ts', 'desc')
      .orderBy('id', 'desc')
      .limit(opts.limit)
      .offset(opts.offset),
  );
  return { items: found.map(rowToAudit), total: counted?.n ?? 0, offset: opts.offset };
}

export function* countAudit(c: Sql): Query<number> {
  const r = yield* row(
    c.k.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')),
  );
  return r?.n ?? 0;
}
