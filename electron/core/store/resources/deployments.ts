// Deployment records with their status lifecycle, diagnostic summary and logs.
import type {
  Deployment,
  DeploymentDetail,
  DeploymentLog,
  DeploymentStatus,
  LogLevel,
  Page,
} from '../../../../shared/domain.ts';
import { DEPLOYMENT_TRANSITIONS } from '../../../../shared/domain.ts';
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

export interface DeploymentFilter {
  offset: number;
  limit: number;
  projectId?: number | undefined;
  environmentId?: number | undefined;
  status?: DeploymentStatus | undefined;
}

export function listDeployments(db: ReadableDB, f: DeploymentFilter): Page<Deployment> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.environmentId !== undefined) {
    where.push('d.environment_id = ?');
    params.push(f.environmentId);
  }
  if (f.projectId !== undefined) {
    where.push('d.environment_id IN (SELECT id FROM environments WHERE project_id = ?)');
    params.push(f.projectId);
  }
  if (f.status !== undefined) {
    where.push('d.status = ?');
    params.push(f.status);
  }
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = (
    db.prepare(`SELECT count(*) AS n FROM deployments d ${clause}`).get(...params) as { n: number }
  ).n;
  const rows = db
    .prepare(`${SELECT} ${clause} ORDER BY d.started_at DESC, d.id DESC LIMIT ? OFFSET ?`)
    .all(...params, f.limit, f.offset) as DeploymentRow[];
  return { items: rows.map(rowToDeployment), total, offset: f.offset };
}

export function countDeployments(db: ReadableDB): number {
  return (db.prepare(`SELECT count(*) AS n FROM deployments`).get() as { n: number }).n;
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
