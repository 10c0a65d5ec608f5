// Deployment records with their status lifecycle, diagnostic summary and logs:
// queries written once for SQLite and PostgreSQL (see ../sql.ts).
import { sql } from 'kysely';
import type {
  Deployment,
  DeploymentDetail,
  DeploymentLog,
  DeploymentStatus,
  LogLevel,
  CursorPage,
} from '../../../../shared/domain.ts';
import { DEPLOYMENT_TRANSITIONS } from '../../../../shared/domain.ts';
import { z } from 'zod';
import { AppError } from '../../../../shared/errors.ts';
import type { Query, Sql } from '../sql.ts';
import type { Slot } from '../sql.ts';
import { assertChanged, cached, exec, inIds, row, rows } from '../sql.ts';
import { getEnvironment } from './environments.ts';
import { getSnapshot } from './snapshots.ts';

interface DeploymentRow {
  id: number;
  environment_id: number;
  project_id: number;
  project_name: string;
  environment_name: string;
  version: string;
  status: DeploymentStatus;
  started_at: number;
  finished_at: number | null;
  access_url: string | null;
  diagnostic_summary: string | null;
  snapshot_id: number | null;
}

interface LogRow {
  id: number;
  deployment_id: number;
  ts: number;
  level: LogLevel;
  message: string;
}

function rowToDeployment(r: DeploymentRow): Deployment {
  return {
    id: r.id,
    environmentId: r.environment_id,
    projectId: r.project_id,
    projectName: r.project_name,
    environmentName: r.environment_name,
    version: r.version,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    accessUrl: r.access_url,
    diagnosticSummary: r.diagnostic_summary,
    snapshotId: r.snapshot_id,
  };
}

function rowToLog(r: LogRow): DeploymentLog {
  return { id: r.id, deploymentId: r.deployment_id, ts: r.ts, level: r.level, message: r.message };
}

function selectDeployments(c: Sql) {
  return c.k
    .selectFrom('deployments as d')
    .innerJoin('environments as e', 'e.id', 'd.environment_id')
    .innerJoin('projects as p', 'p.id', 'e.project_id')
    .select([
      'd.id',
      'd.environment_id',
      'e.project_id',
      'p.name as project_name',
      'e.name as environment_name',
      'd.version',
      'd.status',
      'd.started_at',
      'd.finished_at',
      'd.access_url',
      'd.diagnostic_summary',
      'd.snapshot_id',
    ]);
}

const TERMINAL: ReadonlySet<DeploymentStatus> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'rolled_back',
]);

export function* getDeployment(c: Sql, id: number): Query<DeploymentDetail> {
  const r = yield* row<DeploymentRow>(
    cached(c, 'deployments.byId', [id], ([i]) =>
      selectDeployments(c).where('d.id', '=', i as number),
    ),
  );
  if (!r) throw new AppError('NOT_FOUND', `Deployment ${id} does not exist.`);
  const d = rowToDeployment(r);
  const logs = yield* rows<LogRow>(
    cached(c, 'deployments.logs', [id], ([i]) =>
      c.k
        .selectFrom('deployment_logs')
        .selectAll()
        .where('deployment_id', '=', i as number)
        .orderBy('ts')
        .orderBy('id')
        .limit(5000),
    ),
  );
  return {
    ...d,
    logs: logs.map(rowToLog),
    snapshot: d.snapshotId === null ? null : yield* getSnapshot(c, d.snapshotId),
  };
}

/** Where the list is read from, and how far; see the `deployments.list` contract. */
export interface DeploymentQuery {
  limit: number;
  projectId?: number | undefined;
  environmentId?: number | undefined;
  status?: DeploymentStatus | undefined;
  cursor?: string | undefined;
  from?: 'newest' | 'oldest' | undefined;
  at?: number | undefined;
  skip?: number | undefined;
}

/** The sort key of a row: newest first is (started_at, id) descending. */
interface SortKey {
  s: number;
  i: number;
}

/** 'older': rows after a key in list order (descending); 'newer': rows before it. */
type Direction = 'older' | 'newer';

const cursorPayload = z.tuple([
  z.enum(['o', 'n']),
  z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
]);

/** An opaque cursor: which way to read, from which row's sort key. */
function encodeCursor(dir: Direction, k: SortKey): string {
  return Buffer.from(JSON.stringify([dir === 'older' ? 'o' : 'n', k.s, k.i])).toString('base64url');
}

function decodeCursor(cursor: string): { dir: Direction; key: SortKey } {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    raw = undefined;
  }
  const parsed = cursorPayload.safeParse(raw);
  if (!parsed.success) {
    throw new AppError('BAD_INPUT', 'That page cursor is not one this list handed out.', {
      hint: 'Start again from the first page.',
      details: { field: 'cursor' },
    });
  }
  const [d, s, i] = parsed.data;
  return { dir: d === 'o' ? 'older' : 'newer', key: { s, i } };
}

/** Compound SELECTs are limited to 500 terms in SQLite: a project's environments are read in chunks. */
const ARMS_PER_QUERY = 200;

/**
 * The sort keys of up to `take` rows after `skip` rows, read from `from` in
 * direction `dir`, matching the filter. Every shape is an index range read in
 * order (no sort, no scan of other rows): one index for no filter, status, an
 * environment or an environment and status; for a project, its environments'
 * ranges merged (SQLite's ordered UNION ALL merge, PostgreSQL's Merge Append).
 */
function* keysOf(
  c: Sql,
  envIds: number[] | null,
  status: DeploymentStatus | undefined,
  dir: Direction,
  from: SortKey | null,
  skip: number,
  take: number,
): Query<SortKey[]> {
  const order = dir === 'older' ? 'desc' : 'asc';
  // The filter's columns in the order of the index (environment, status, start, id);
  // the values are the cached query's arguments (see `cached`).
  const arm = (env: unknown, st: unknown, key: { s: unknown; i: unknown } | null) =>
    c.k
      .selectFrom('deployments')
      .select(['started_at as s', 'id as i'])
      .$if(env !== null, (b) => b.where('environment_id', '=', env as number))
      .$if(st !== undefined, (b) => b.where('status', '=', st as DeploymentStatus))
      .$if(key !== null, (b) =>
        b.where((eb) =>
          eb(
            eb.refTuple('started_at', 'id'),
            dir === 'older' ? '<' : '>',
            eb.tuple(key!.s as number, key!.i as number),
          ),
        ),
      );
  const read = (envs: (number | null)[], limit: number, offset: number) => {
    const args: unknown[] = [
      ...envs.filter((e) => e !== null),
      ...(status !== undefined ? [status] : []),
      ...(from !== null ? [from.s, from.i] : []),
      limit,
      offset,
    ];
    const shape = `deployments.keys:${dir}:${envs[0] === null ? 'all' : envs.length}:${status !== undefined}:${from !== null}`;
    return rows<SortKey>(
      cached(c, shape, args, (v) => {
        let k = 0;
        const envV = envs.map((e) => (e === null ? null : v[k++]));
        const st = status !== undefined ? v[k++] : undefined;
        const key = from !== null ? { s: v[k++], i: v[k++] } : null;
        const [lim, off] = [v[k++], v[k++]];
        // PostgreSQL (before 17) reads a UNION ALL under ORDER BY whole and sorts it (no
        // Merge Append): there each arm reads its own first rows in order, at most a page
        // and the skip, from its index. SQLite merges the ordered arms by itself.
        const armOf = (e: unknown) =>
          c.dialect === 'postgres' && envV.length > 1
            ? (c.k
                .selectFrom(
                  arm(e, st, key)
                    .orderBy('started_at', order)
                    .orderBy('id', order)
                    .limit(sql<number>`${lim}::bigint + ${off}::bigint`)
                    .as('arm'),
                )
                .selectAll() as unknown as ReturnType<typeof arm>)
            : arm(e, st, key);
        return envV
          .slice(1)
          .reduce<ReturnType<typeof arm>>((q, e) => q.unionAll(armOf(e)), armOf(envV[0]))
          .orderBy('s', order)
          .orderBy('i', order)
          .limit(lim as number)
          .offset(off as number);
      }),
    );
  };
  if (envIds === null) return yield* read([null], take, skip);
  const chunks: number[][] = [];
  for (let k = 0; k < envIds.length; k += ARMS_PER_QUERY)
    chunks.push(envIds.slice(k, k + ARMS_PER_QUERY));
  if (chunks.length === 0) return [];
  if (chunks.length === 1) return yield* read(chunks[0]!, take, skip);
  // More environments than one query holds: merge the chunks' first rows here.
  const sign = dir === 'older' ? -1 : 1;
  const merged: SortKey[] = [];
  for (const chunk of chunks) merged.push(...(yield* read(chunk, skip + take, 0)));
  return merged.sort((a, b) => sign * (a.s - b.s || a.i - b.i)).slice(skip, skip + take);
}

/** The environments a filter reads (null: all), or [] when it can match nothing. */
function* environmentsOf(c: Sql, f: DeploymentQuery): Query<number[] | null> {
  if (f.environmentId !== undefined) {
    if (f.projectId === undefined) return [f.environmentId];
    const inProject = yield* row(
      c.k
        .selectFrom('environments')
        .select('id')
        .where('id', '=', f.environmentId)
        .where('project_id', '=', f.projectId),
    );
    return inProject ? [f.environmentId] : [];
  }
  if (f.projectId === undefined) return null;
  const found = yield* rows(
    c.k.selectFrom('environments').select('id').where('project_id', '=', f.projectId).orderBy('id'),
  );
  return found.map((r) => r.id);
}

/** How many deployments match, from the kept counts (never a count of the rows). */
function* totalOf(c: Sql, f: DeploymentQuery): Query<number> {
  const given = [f.environmentId, f.projectId, f.status].map((x) => x !== undefined);
  const r = yield* row(
    cached(
      c,
      `deployments.total:${given.join(':')}`,
      [f.environmentId, f.projectId, f.status].filter((x) => x !== undefined),
      (v) => {
        let k = 0;
        const [env, project, status] = given.map((g) => (g ? v[k++] : undefined));
        return c.k
          .selectFrom('deployment_counts as c')
          .select(sql<number>`coalesce(sum(c.n), 0)`.as('n'))
          .$if(env !== undefined, (b) => b.where('c.environment_id', '=', env as number))
          .$if(project !== undefined, (b) =>
            b.where('c.environment_id', 'in', (eb) =>
              eb
                .selectFrom('environments')
                .select('id')
                .where('project_id', '=', project as number),
            ),
          )
          .$if(status !== undefined, (b) => b.where('c.status', '=', status as DeploymentStatus));
      },
    ),
  );
  return r?.n ?? 0;
}

/**
 * One page of the deployments list, newest first. Keyset-paged: a page starts
 * after (or before) the sort key in its cursor, read from an index in order, so
 * its cost does not grow with its depth; rows recorded between two pages do not
 * shift or repeat the rows of the next one.
 */
export function* listDeployments(c: Sql, f: DeploymentQuery): Query<CursorPage<Deployment>> {
  const starts = [f.cursor !== undefined, f.at !== undefined, f.from === 'oldest'];
  if (starts.filter(Boolean).length > 1) {
    throw new AppError('BAD_INPUT', 'Give at most one of cursor, at and from: "oldest".', {
      hint: 'A cursor already says where its page starts.',
      details: { field: f.cursor !== undefined ? 'cursor' : 'at' },
    });
  }
  const { dir, key } =
    f.cursor !== undefined
      ? decodeCursor(f.cursor)
      : f.from === 'oldest'
        ? { dir: 'newer' as const, key: null }
        : {
            dir: 'older' as const,
            key: f.at === undefined ? null : { s: f.at, i: Number.MAX_SAFE_INTEGER },
          };
  const skip = f.skip ?? 0;
  const envIds = yield* environmentsOf(c, f);
  const keys =
    envIds?.length === 0 ? [] : yield* keysOf(c, envIds, f.status, dir, key, skip, f.limit + 1);
  const more = keys.length > f.limit;
  const page = keys.slice(0, f.limit);
  if (dir === 'newer') page.reverse();
  const first = page[0];
  const last = page[page.length - 1];
  // Whether rows lie beyond the page on the side it was not read towards: one index probe.
  function* beyond(d: Direction, k: SortKey): Query<boolean> {
    return (yield* keysOf(c, envIds, f.status, d, k, 0, 1)).length > 0;
  }
  const next =
    last && (dir === 'older' ? more : yield* beyond('older', last))
      ? encodeCursor('older', last)
      : null;
  const prev =
    first &&
    (dir === 'newer' ? more : (key !== null || skip > 0) && (yield* beyond('newer', first)))
      ? encodeCursor('newer', first)
      : null;

  const found =
    page.length === 0
      ? []
      : yield* rows<DeploymentRow>(
          cached(c, 'deployments.byIds', [page.map((k) => k.i)], ([ids]) =>
            selectDeployments(c).where(inIds(c, 'd.id', ids as readonly number[] | Slot)),
          ),
        );
  const byId = new Map(found.map((r) => [r.id, r]));
  return {
    items: page.flatMap((k) => {
      const r = byId.get(k.i);
      return r ? [rowToDeployment(r)] : [];
    }),
    total: yield* totalOf(c, f),
    next,
    prev,
  };
}

/** How many deployments there are, from the kept counts. */
export function* countDeployments(c: Sql): Query<number> {
  return yield* totalOf(c, { limit: 0 });
}

export function* newestDeployment(c: Sql): Query<Deployment | null> {
  const r = yield* row<DeploymentRow>(
    selectDeployments(c).orderBy('d.started_at', 'desc').orderBy('d.id', 'desc').limit(1),
  );
  return r ? rowToDeployment(r) : null;
}

export function* createDeployment(
  c: Sql,
  input: {
    environmentId: number;
    version: string;
    status: DeploymentStatus;
    accessUrl: string | null;
    diagnosticSummary: string | null;
    snapshotId: number | null;
  },
  now: number,
): Query<DeploymentDetail> {
  yield* getEnvironment(c, input.environmentId);
  if (input.snapshotId !== null) {
    const snap = yield* getSnapshot(c, input.snapshotId);
    if (snap.environmentId !== input.environmentId) {
      throw new AppError(
        'BAD_INPUT',
        `Snapshot ${input.snapshotId} belongs to another environment.`,
        {
          details: { field: 'snapshotId' },
        },
      );
    }
  }
  const values = [
    input.environmentId,
    input.snapshotId,
    input.version,
    input.status,
    now,
    TERMINAL.has(input.status) ? now : null,
    input.accessUrl,
    input.diagnosticSummary,
  ];
  const inserted = yield* row(
    cached(c, 'deployments.insert', values, (v) =>
      c.k
        .insertInto('deployments')
        .values({
          environment_id: v[0] as number,
          snapshot_id: v[1] as number | null,
          version: v[2] as string,
          status: v[3] as DeploymentStatus,
          started_at: v[4] as number,
          finished_at: v[5] as number | null,
          access_url: v[6] as string | null,
          diagnostic_summary: v[7] as string | null,
        })
        .returning('id'),
    ),
  );
  return yield* getDeployment(c, inserted!.id);
}

export function* setDeploymentStatus(
  c: Sql,
  input: { id: number; status: DeploymentStatus; diagnosticSummary?: string | null | undefined },
  now: number,
): Query<DeploymentDetail> {
  const current = yield* getDeployment(c, input.id);
  if (
    current.status !== input.status &&
    !DEPLOYMENT_TRANSITIONS[current.status].includes(input.status)
  ) {
    throw new AppError(
      'INVALID_TRANSITION',
      `A ${current.status} deployment cannot become ${input.status}.`,
      {
        hint: `From ${current.status} it can become: ${DEPLOYMENT_TRANSITIONS[current.status].join(', ') || 'nothing (it is final)'}.`,
        details: { from: current.status, to: input.status },
      },
    );
  }
  const finishedAt = TERMINAL.has(input.status) ? (current.finishedAt ?? now) : null;
  const summary =
    input.diagnosticSummary === undefined ? current.diagnosticSummary : input.diagnosticSummary;
  const changed = yield* exec(
    c.k
      .updateTable('deployments')
      .set({ status: input.status, finished_at: finishedAt, diagnostic_summary: summary })
      .where('id', '=', input.id),
  );
  assertChanged(changed, 1, 'deployment');
  return yield* getDeployment(c, input.id);
}

export function* appendDeploymentLog(
  c: Sql,
  input: { id: number; level: LogLevel; message: string },
  now: number,
): Query<DeploymentDetail> {
  yield* getDeployment(c, input.id);
  const changed = yield* exec(
    cached(c, 'deployments.insertLog', [input.id, now, input.level, input.message], (v) =>
      c.k.insertInto('deployment_logs').values({
        deployment_id: v[0] as number,
        ts: v[1] as number,
        level: v[2] as LogLevel,
        message: v[3] as string,
      }),
    ),
  );
  assertChanged(changed, 1, 'deployment log line');
  return yield* getDeployment(c, input.id);
}
