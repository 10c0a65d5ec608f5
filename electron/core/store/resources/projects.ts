import type { Page, Project } from '../../../../shared/domain.ts';
import { AppError } from '../../../../shared/errors.ts';
import type { ReadableDB, WritableDB } from '../db.ts';
import { assertOneChange } from '../db.ts';

interface ProjectRow {
  id: number;
  name: string;
  description: string;
  created_at: number;
  updated_at: number;
  environment_count: number;
  deployment_count: number;
  last_deployment_at: number | null;
}

function rowToProject(r: ProjectRow): Project {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    environmentCount: r.environment_count,
    deploymentCount: r.deployment_count,
    lastDeploymentAt: r.last_deployment_at,
  };
}

// Per-project figures without reading a project's deployments: the kept counts
// (deployment_counts) and one index probe per environment for the newest start.
const SELECT = `
  SELECT p.id, p.name, p.description, p.created_at, p.updated_at,
    (SELECT count(*) FROM environments e WHERE e.project_id = p.id) AS environment_count,
    (SELECT coalesce(sum(c.n), 0) FROM deployment_counts c
      WHERE c.environment_id IN (SELECT e.id FROM environments e WHERE e.project_id = p.id)) AS deployment_count,
    (SELECT max((SELECT max(d.started_at) FROM deployments d WHERE d.environment_id = e.id))
      FROM environments e WHERE e.project_id = p.id) AS last_deployment_at
  FROM projects p`;

export function getProject(db: ReadableDB, id: number): Project {
  const row = db.prepare(`${SELECT} WHERE p.id = ?`).get(id) as ProjectRow | undefined;
  if (!row) throw new AppError('NOT_FOUND', `Project ${id} does not exist.`);
  return rowToProject(row);
}

export function listProjects(
  db: ReadableDB,
  opts: { offset: number; limit: number; query?: string | undefined },
): Page<Project> {
  const where = opts.query ? `WHERE p.name LIKE ? ESCAPE '\\' COLLATE NOCASE` : '';
  const params: unknown[] = opts.query
    ? [`%${opts.query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`]
    : [];
  const total = (
    db.prepare(`SELECT count(*) AS n FROM projects p ${where}`).get(...params) as { n: number }
  ).n;
  const rows = db
    .prepare(`${SELECT} ${where} ORDER BY p.name COLLATE NOCASE, p.id LIMIT ? OFFSET ?`)
    .all(...params, opts.limit, opts.offset) as ProjectRow[];
  return { items: rows.map(rowToProject), total, offset: opts.offset };
}

export function countProjects(db: ReadableDB): number {
  return (db.prepare(`SELECT count(*) AS n FROM projects`).get() as { n: number }).n;
}

function assertNameFree(db: ReadableDB, name: string, exceptId: number | null): void {
  const clash = db.prepare(`SELECT id FROM projects WHERE name = ? COLLATE NOCASE`).get(name) as
    { id: number } | undefined;
  if (clash && clash.id !== exceptId) {
    throw new AppError('CONFLICT', `A project named "${name}" already exists.`, {
      hint: 'Choose another name.',
    });
  }
}

export function createProject(
  db: WritableDB,
  input: { name: string; description: string },
  now: number,
): Project {
  assertNameFree(db, input.name, null);
  const info = db
    .prepare(`INSERT INTO projects (name, description, created_at, updated_at) VALUES (?, ?, ?, ?)`)
    .run(input.name, input.description, now, now);
  assertOneChange(info, 'project');
  return getProject(db, Number(info.lastInsertRowid));
}

export function updateProject(
  db: WritableDB,
  input: { id: number; name?: string | undefined; description?: string | undefined },
  now: number,
): Project {
  const current = getProject(db, input.id);
  const name = input.name ?? current.name;
  if (input.name !== undefined) assertNameFree(db, name, input.id);
  const info = db
    .prepare(`UPDATE projects SET name = ?, description = ?, updated_at = ? WHERE id = ?`)
    .run(name, input.description ?? current.description, now, input.id);
  assertOneChange(info, 'project');
  return getProject(db, input.id);
}
