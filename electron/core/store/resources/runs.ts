// Run history: a row per piece of work (backups, drills, demo seeding, migrations).
import type { ReadableDB, WritableDB } from '../db.ts';
import { assertOneChange } from '../db.ts';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface Run {
  id: number;
  kind: string;
  status: RunStatus;
  startedAt: number;
  finishedAt: number | null;
  detail: Record<string, unknown>;
}

interface RunRow {
  id: number;
  kind: string;
  status: RunStatus;
  started_at: number;
  finished_at: number | null;
  detail: string;
}

function rowToRun(r: RunRow): Run {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  };
}

export function startRun(
  db: WritableDB,
  kind: string,
  detail: Record<string, unknown>,
  now: number,
): number {
  const info = db
    .prepare(`INSERT INTO runs (kind, status, started_at, detail) VALUES (?, 'running', ?, ?)`)
    .run(kind, now, JSON.stringify(detail));
  assertOneChange(info, 'run');
  return Number(info.lastInsertRowid);
}

export function finishRun(
  db: WritableDB,
  id: number,
  status: Exclude<RunStatus, 'running'>,
  detail: Record<string, unknown>,
  now: number,
): void {
  const info = db
    .prepare(
      `UPDATE runs SET status = ?, finished_at = ?, detail = ? WHERE id = ? AND status = 'running'`,
    )
    .run(status, now, JSON.stringify(detail), id);
  assertOneChange(info, 'run');
}

export function listRuns(db: ReadableDB, kind: string, limit: number): Run[] {
  return (
    db
      .prepare(`SELECT * FROM runs WHERE kind = ? ORDER BY started_at DESC, id DESC LIMIT ?`)
      .all(kind, limit) as RunRow[]
  ).map(rowToRun);
}
