// Metrics samples. Re-creatable data: compact backups strip this table.
import type { Query, Sql } from '../sql.ts';
import { exec, row, rows } from '../sql.ts';

export interface MetricSample {
  ts: number;
  name: string;
  value: number;
  labels: Record<string, string>;
}

export function* recordMetric(c: Sql, m: MetricSample): Query<void> {
  yield* exec(
    c.k
      .insertInto('metrics')
      .values({ ts: m.ts, name: m.name, value: m.value, labels: JSON.stringify(m.labels) }),
  );
}

export function* metricSeries(
  c: Sql,
  name: string,
  since: number,
  limit: number,
): Query<MetricSample[]> {
  const found = yield* rows(
    c.k
      .selectFrom('metrics')
      .select(['ts', 'name', 'value', 'labels'])
      .where('name', '=', name)
      .where('ts', '>=', since)
      .orderBy('ts')
      .limit(limit),
  );
  return found.map((r) => ({
    ts: r.ts,
    name: r.name,
    value: r.value,
    labels: JSON.parse(r.labels) as Record<string, string>,
  }));
}

export function* countMetrics(c: Sql): Query<number> {
  const r = yield* row(c.k.selectFrom('metrics').select((eb) => eb.fn.countAll<number>().as('n')));
  return r?.n ?? 0;
}
