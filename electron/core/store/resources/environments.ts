import type { DeploymentStatus, Environment, EnvironmentKind } from '../../../../shared/domain.ts';
import { AppError } from '../../../../shared/errors.ts';
import type { ReadableDB, WritableDB } from '../db.ts';
import { assertOneChange } from '../db.ts';
import { getProject } from './projects.ts';

interface EnvironmentRow {
  id: number;
  project_id: number;
  name: string;
  kind: EnvironmentKind;
  description: string;
  created_at: number;
  updated_at: number;
  deployment_count: number;
  last_deployment_at: number | null;
  last_status: DeploymentStatus | null;
}

function rowToEnvironment(r: EnvironmentRow): Environment {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    kind: r.kind,
    description: r.description,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deploymentCount: r.deployment_count,
    lastDeploymentAt: r.last_deployment_at,
    lastStatus: r.last_status,
  };
}

const SELECT = `
  SELECT e.id, e.project_id, e.name, e.kind, e.description, e.created_at, e.updated_at,
    (SELECT coalesce(sum(c.n), 0) FROM deployment_counts c WHERE c.environment_id = e.id) AS deployment_count,
    (SELECT d.started_at FROM deployments d WHERE d.environment_id = e.id ORDER BY d.started_at DESC, d.id DESC LIMIT 1) AS last_deployment_at,
    (SELECT d.status FROM deployments d WHERE d.environment_id = e.id ORDER BY d.started_at DESC, d.id DESC LIMIT 1) AS last_status
  FROM environments e`;

export function getEnvironment(db: ReadableDB, id: number): Environment {
  const row = db.prepare(`${SELECT} WHERE e.id = ?`).get(id) as EnvironmentRow | undefined;
  if (!row) throw new AppError('NOT_FOUND', `Environment ${id} does not exist.`);
  return rowToEnvironment(row);
}

export function listEnvironments(db: ReadableDB, projectId: number): Environment[] {
  getProject(db, projectId);
  const rows = db
    .prepare(`${SELECT} WHERE e.project_id = ? ORDER BY e.name COLLATE NOCASE, e.id`)
    .all(projectId) as EnvironmentRow[];
  return rows.map(rowToEnvironment);
}

export function countEnvironments(db: ReadableDB): number {
  return (db.prepare(`SELECT count(*) AS n FROM environments`).get() as { n: number }).n;
}

function assertNameFree(
  db: ReadableDB,
  projectId: number,
  name: string,
  exceptId: number | null,
): void {
  const clash = db
    .prepare(`SELECT id FROM environments WHERE project_id = ? AND name = ? COLLATE NOCASE`)
    .get(projectId, name) as { id: number } | undefined;
  if (clash && clash.id !== exceptId) {
    throw new AppError('CONFLICT', `This project already has an environment named "${name}".`, {
      hint: 'Choose another name.',
    });
  }
}

export function createEnvironment(
  db: WritableDB,
  input: { projectId: number; name: string; kind: EnvironmentKind; description: string },
  now: number,
): Environment {
  getProject(db, input.projectId);
  assertNameFree(db, input.projectId, input.name, null);
  const info = db
    .prepare(
      `INSERT INTO environments (project_id, name, kind, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
    )
    .run(input.projectId, input.name, input.kind, input.description, now, now);
  assertOneChange(info, 'environment');
  db.prepare(`UPDATE projects SET updated_at = ? WHERE id = ?`).run(now, input.projectId);
  return getEnvironment(db, Number(info.lastInsertRowid));
}

export function updateEnvironment(
  db: WritableDB,
  input: {
    id: number;
    name?: string | undefined;
    kind?: EnvironmentKind | undefined;
    description?: string | undefined;
  },
  now: number,
): Environment {
  const current = getEnvironment(db, input.id);
  if (input.name !== undefined) assertNameFree(db, current.projectId, input.name, input.id);
  const info = db
    .prepare(
      `UPDATE environments SET name = ?, kind = ?, description = ?, updated_at = ? WHERE id = ?`,
    )
    .run(
      input.name ?? current.name,
      input.kind ?? current.kind,
      input.description ?? current.description,
      now,
      input.id,
    );
  assertOneChange(info, 'environment');
  return getEnvironment(db, input.id);
}
