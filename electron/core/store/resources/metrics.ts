// Metrics samples. Re-creatable data: compact backups strip this table.
import type { ReadableDB, WritableDB } from '../db.ts';

export interface MetricSample {
  ts: number;
  name: string;
  value: number;
  labels: Record<string, string>;
}

export function recordMetric(db: WritableDB, m: MetricSample): void {
  db.prepare(`INSERT INTO metrics (ts, name, value, labels) VALUES (?, ?, ?, ?)`).run(
    m.ts,
    m.name,
    m.value,
    JSON.stringify(m.labels),
  );
}

export function metricSeries(
  db: ReadableDB,
  name: string,
  since: number,
  limit: number,
): MetricSample[] {
  return (
    db
      .prepare(
        `SELECT ts, name, value, labels FROM metrics WHERE name = ? AND ts >= ? ORDER BY ts LIMIT ?`,
      )
      .all(name, since, limit) as { ts: number; name: string; value: number; labels: string }[]
  ).map((r) => ({
    ts: r.ts,
    name: r.name,
    value: r.value,
    labels: JSON.parse(r.labels) as Record<string, string>,
  }));
}

export function countMetrics(db: ReadableDB): number {
  return (db.prepare(`SELECT count(*) AS n FROM metrics`).get() as { n: number }).n;
}
