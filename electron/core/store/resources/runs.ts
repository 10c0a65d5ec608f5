// Run history: a row per piece of work (backups, drills, demo seeding, migrations).
import type { Run, RunStatus } from '../../../../shared/domain.ts';
import { AppError } from '../../../../shared/errors.ts';
import type { Query, Sql } from '../sql.ts';
import { assertChanged, exec, row, rows } from '../sql.ts';

export type { Run, RunStatus };

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

export function* startRun(
  c: Sql,
  kind: string,
  detail: Record<string, unknown>,
  now: number,
): Query<number> {
  const inserted = yield* row(
    c.k
      .insertInto('runs')
      .values({ kind, status: 'running', started_at: now, detail: JSON.stringify(detail) })
      .returning('id'),
  );
  return inserted!.id;
}

export function* finishRun(
  c: Sql,
  id: number,
  status: Exclude<RunStatus, 'running'>,
  detail: Record<string, unknown>,
  now: number,
): Query<void> {
  const changed = yield* exec(
    c.k
      .updateTable('runs')
      .set({ status, finished_at: now, detail: JSON.stringify(detail) })
      .where('id', '=', id)
      .where('status', '=', 'running'),
  );
  assertChanged(changed, 1, 'run');
}

/** Newest first: of one kind and status when given. */
export function* listRuns(
  c: Sql,
  f: { kind?: string | undefined; status?: RunStatus | undefined; limit: number },
): Query<Run[]> {
  const found = yield* rows<RunRow>(
    c.k
      .selectFrom('runs')
      .selectAll()
      .$if(f.kind !== undefined, (b) => b.where('kind', '=', f.kind!))
      .$if(f.status !== undefined, (b) => b.where('status', '=', f.status!))
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(f.limit),
  );
  return found.map(rowToRun);
}

export function* getRun(c: Sql, id: number): Query<Run> {
  const r = yield* row<RunRow>(c.k.selectFrom('runs').selectAll().where('id', '=', id));
  if (!r) throw new AppError('NOT_FOUND', `Run ${id} does not exist.`);
  return rowToRun(r);
}
