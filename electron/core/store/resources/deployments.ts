// Deployment records with their status lifecycle, diagnostic summary and logs.
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
import type { ReadableDB, WritableDB } from '../db.ts';
import { assertOneChange } from '../db.ts';
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

const SELECT = `
  SELECT d.id, d.environment_id, e.project_id, p.name AS project_name, e.name AS environment_name,
    d.version, d.status, d.started_at, d.finished_at, d.access_url, d.diagnostic_summary, d.snapshot_id
  FROM deployments d
  JOIN environments e ON e.id = d.environment_id
  JOIN projects p ON p.id = e.project_id`;

const TERMINAL: ReadonlySet<DeploymentStatus> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'rolled_back',
]);

export function getDeployment(db: ReadableDB, id: number): DeploymentDetail {
  const row = db.prepare(`${SELECT} WHERE d.id = ?`).get(id) as DeploymentRow | undefined;
  if (!row) throw new AppError('NOT_FOUND', `Deployment ${id} does not exist.`);
  const d = rowToDeployment(row);
  const logs = (
    db
      .prepare(`SELECT * FROM deployment_logs WHERE deployment_id = ? ORDER BY ts, id LIMIT 5000`)
      .all(id) as LogRow[]
  ).map(rowToLog);
  return { ...d, logs, snapshot: d.snapshotId === null ? null : getSnapshot(db, d.snapshotId) };
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
 * ranges merged (SQLite's ordered UNION ALL merge).
 */
function keysOf(
  db: ReadableDB,
  envIds: number[] | null,
  status: DeploymentStatus | undefined,
  dir: Direction,
  from: SortKey | null,
  skip: number,
  take: number,
): SortKey[] {
  const conds: string[] = [];
  const armParams: unknown[] = [];
  if (status !== undefined) {
    conds.push('status = ?');
    armParams.push(status);
  }
  if (from) {
    conds.push(dir === 'older' ? '(started_at, id) < (?, ?)' : '(started_at, id) > (?, ?)');
    armParams.push(from.s, from.i);
  }
  const order = dir === 'older' ? 'started_at DESC, id DESC' : 'started_at ASC, id ASC';
  const arm = (env: boolean) => {
    const where = env ? ['environment_id = ?', ...conds] : conds;
    return `SELECT started_at AS s, id AS i FROM deployments${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
  };
  if (envIds === null) {
    return db
      .prepare(`${arm(false)} ORDER BY ${order} LIMIT ? OFFSET ?`)
      .all(...armParams, take, skip) as SortKey[];
  }
  const chunks: number[][] = [];
  for (let k = 0; k < envIds.length; k += ARMS_PER_QUERY)
    chunks.push(envIds.slice(k, k + ARMS_PER_QUERY));
  const read = (chunk: number[], limit: number, offset: number) =>
    db
      .prepare(
        `${chunk.map(() => arm(true)).join(' UNION ALL ')} ORDER BY ${order} LIMIT ? OFFSET ?`,
      )
      .all(...chunk.flatMap((e) => [e, ...armParams]), limit, offset) as SortKey[];
  if (chunks.length === 1) return read(chunks[0]!, take, skip);
  if (chunks.length === 0) return [];
  // More environments than one query holds: merge the chunks' first rows here.
  const sign = dir === 'older' ? -1 : 1;
  return chunks
    .flatMap((c) => read(c, skip + take, 0))
    .sort((a, b) => sign * (a.s - b.s || a.i - b.i))
    .slice(skip, skip + take);
}

/** The environments a filter reads (null: all), or [] when it can match nothing. */
function environmentsOf(db: ReadableDB, f: DeploymentQuery): number[] | null {
  if (f.environmentId !== undefined) {
    if (f.projectId === undefined) return [f.environmentId];
    const inProject = db
      .prepare(`SELECT 1 FROM environments WHERE id = ? AND project_id = ?`)
      .get(f.environmentId, f.projectId);
    return inProject ? [f.environmentId] : [];
  }
  if (f.projectId === undefined) return null;
  return db
    .prepare(`SELECT id FROM environments WHERE project_id = ? ORDER BY id`)
    .pluck()
    .all(f.projectId) as number[];
}

/** How many deployments match, from the kept counts (never a count of the rows). */
function totalOf(db: ReadableDB, f: DeploymentQuery): number {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.environmentId !== undefined) {
    where.push('c.environment_id = ?');
    params.push(f.environmentId);
  }
  if (f.projectId !== undefined) {
    where.push('c.environment_id IN (SELECT id FROM environments WHERE project_id = ?)');
    params.push(f.projectId);
  }
  if (f.status !== undefined) {
    where.push('c.status = ?');
    params.push(f.status);
  }
  return db
    .prepare(
      `SELECT coalesce(sum(c.n), 0) FROM deployment_counts c${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`,
    )
    .pluck()
    .get(...params) as number;
}

/**
 * One page of the deployments list, newest first. Keyset-paged: a page starts
 * after (or before) the sort key in its cursor, read from an index in order, so
 * its cost does not grow with its depth; rows recorded between two pages do not
 * shift or repeat the rows of the next one.
 */
export function listDeployments(db: ReadableDB, f: DeploymentQuery): CursorPage<Deployment> {
  // One read transaction: keys, rows, cursors and total describe the same moment.
  return db.transaction(() => readPage(db, f))();
}

function readPage(db: ReadableDB, f: DeploymentQuery): CursorPage<Deployment> {
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
  const envIds = environmentsOf(db, f);
  const keys =
    envIds?.length === 0 ? [] : keysOf(db, envIds, f.status, dir, key, skip, f.limit + 1);
  const more = keys.length > f.limit;
  const page = keys.slice(0, f.limit);
  if (dir === 'newer') page.reverse();
  const first = page[0];
  const last = page[page.length - 1];
  // Whether rows lie beyond the page on the side it was not read towards: one index probe.
  const beyond = (d: Direction, k: SortKey) => keysOf(db, envIds, f.status, d, k, 0, 1).length > 0;
  const next =
    last && (dir === 'older' ? more : beyond('older', last)) ? encodeCursor('older', last) : null;
  const prev =
    first && (dir === 'newer' ? more : (key !== null || skip > 0) && beyond('newer', first))
      ? encodeCursor('newer', first)
      : null;

  const byId = new Map(
    (
      db
        .prepare(`${SELECT} WHERE d.id IN (SELECT value FROM json_each(?))`)
        .all(JSON.stringify(page.map((k) => k.i))) as DeploymentRow[]
    ).map((r) => [r.id, r]),
  );
  return {
    items: page.flatMap((k) => {
      const row = byId.get(k.i);
      return row ? [rowToDeployment(row)] : [];
    }),
    total: totalOf(db, f),
    next,
    prev,
  };
}

/** How many deployments there are, from the kept counts. */
export function countDeployments(db: ReadableDB): number {
  return totalOf(db, { limit: 0 });
}

export function newestDeployment(db: ReadableDB): Deployment | null {
  const row = db.prepare(`${SELECT} ORDER BY d.started_at DESC, d.id DESC LIMIT 1`).get() as
    DeploymentRow | undefined;
  return row ? rowToDeployment(row) : null;
}

export function createDeployment(
  db: WritableDB,
  input: {
    environmentId: number;
    version: string;
    status: DeploymentStatus;
    accessUrl: string | null;
    diagnosticSummary: string | null;
    snapshotId: number | null;
  },
  now: number,
): DeploymentDetail {
  getEnvironment(db, input.environmentId);
  if (input.snapshotId !== null) {
    const snap = getSnapshot(db, input.snapshotId);
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
  const info = db
    .prepare(
      `INSERT INTO deployments (environment_id, snapshot_id, version, status, started_at, finished_at, access_url, diagnostic_summary)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      input.environmentId,
      input.snapshotId,
      input.version,
      input.status,
      now,
      TERMINAL.has(input.status) ? now : null,
      input.accessUrl,
      input.diagnosticSummary,
    );
  assertOneChange(info, 'deployment');
  return getDeployment(db, Number(info.lastInsertRowid));
}

export function setDeploymentStatus(
  db: WritableDB,
  input: { id: number; status: DeploymentStatus; diagnosticSummary?: string | null | undefined },
  now: number,
): DeploymentDetail {
  const current = getDeployment(db, input.id);
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
  const info = db
    .prepare(
      `UPDATE deployments SET status = ?, finished_at = ?, diagnostic_summary = ? WHERE id = ?`,
    )
    .run(input.status, finishedAt, summary, input.id);
  assertOneChange(info, 'deployment');
  return getDeployment(db, input.id);
}

export function appendDeploymentLog(
  db: WritableDB,
  input: { id: number; level: LogLevel; message: string },
  now: number,
): DeploymentDetail {
  getDeployment(db, input.id);
  const info = db
    .prepare(`INSERT INTO deployment_logs (deployment_id, ts, level, message) VALUES (?, ?, ?, ?)`)
    .run(input.id, now, input.level, input.message);
  assertOneChange(info, 'deployment log line');
  return getDeployment(db, input.id);
}
