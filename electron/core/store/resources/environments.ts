// Environments of a project: queries written once for SQLite and PostgreSQL (see ../sql.ts).
import { sql } from 'kysely';
import type { DeploymentStatus, Environment, EnvironmentKind } from '../../../../shared/domain.ts';
import { AppError } from '../../../../shared/errors.ts';
import type { Query, Sql } from '../sql.ts';
import { assertChanged, cached, exec, folded, row, rows, sameText } from '../sql.ts';
import { getProject } from './projects.ts';

interface EnvironmentRow {
  id: number;
  project_id: number;
  name: string;
  kind: string;
  description: string;
  created_at: number;
  updated_at: number;
  deployment_count: number;
  last_deployment_at: number | null;
  last_status: string | null;
}

function rowToEnvironment(r: EnvironmentRow): Environment {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    kind: r.kind as EnvironmentKind,
    description: r.description,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deploymentCount: r.deployment_count,
    lastDeploymentAt: r.last_deployment_at,
    lastStatus: r.last_status as DeploymentStatus | null,
  };
}

// The kept per-status counts, and one index probe each for the newest deployment.
function selectEnvironments(c: Sql) {
  return c.k.selectFrom('environments as e').select([
    'e.id',
    'e.project_id',
    'e.name',
    'e.kind',
    'e.description',
    'e.created_at',
    'e.updated_at',
    sql<number>`(SELECT coalesce(sum(c.n), 0) FROM deployment_counts c WHERE c.environment_id = e.id)`.as(
      'deployment_count',
    ),
    sql<number | null>`(SELECT d.started_at FROM deployments d WHERE d.environment_id = e.id
        ORDER BY d.started_at DESC, d.id DESC LIMIT 1)`.as('last_deployment_at'),
    sql<string | null>`(SELECT d.status FROM deployments d WHERE d.environment_id = e.id
        ORDER BY d.started_at DESC, d.id DESC LIMIT 1)`.as('last_status'),
  ]);
}

export function* getEnvironment(c: Sql, id: number): Query<Environment> {
  const r = yield* row<EnvironmentRow>(
    cached(c, 'environments.byId', [id], ([i]) =>
      selectEnvironments(c).where('e.id', '=', i as number),
    ),
  );
  if (!r) throw new AppError('NOT_FOUND', `Environment ${id} does not exist.`);
  return rowToEnvironment(r);
}

export function* listEnvironments(c: Sql, projectId: number): Query<Environment[]> {
  yield* getProject(c, projectId);
  const found = yield* rows<EnvironmentRow>(
    selectEnvironments(c)
      .where('e.project_id', '=', projectId)
      .orderBy(folded(c, 'e.name'))
      .orderBy('e.id'),
  );
  return found.map(rowToEnvironment);
}

export function* countEnvironments(c: Sql): Query<number> {
  const r = yield* row(
    c.k.selectFrom('environments').select((eb) => eb.fn.countAll<number>().as('n')),
  );
  return r?.n ?? 0;
}

function* assertNameFree(
  c: Sql,
  projectId: number,
  name: string,
  exceptId: number | null,
): Query<void> {
  const clash = yield* row(
    c.k
      .selectFrom('environments')
      .select('id')
      .where('project_id', '=', projectId)
      .where(sameText(c, 'name', name)),
  );
  if (clash && clash.id !== exceptId) {
    throw new AppError('CONFLICT', `This project already has an environment named "${name}".`, {
      hint: 'Choose another name.',
    });
  }
}

export function* createEnvironment(
  c: Sql,
  input: { projectId: number; name: string; kind: EnvironmentKind; description: string },
  now: number,
): Query<Environment> {
  yield* getProject(c, input.projectId);
  yield* assertNameFree(c, input.projectId, input.name, null);
  const inserted = yield* row(
    c.k
      .insertInto('environments')
      .values({
        project_id: input.projectId,
        name: input.name,
        kind: input.kind,
        description: input.description,
        created_at: now,
        updated_at: now,
      })
      .returning('id'),
  );
  if (!inserted) throw new AppError('INTERNAL', 'The environment was not inserted.');
  yield* exec(
    c.k.updateTable('projects').set({ updated_at: now }).where('id', '=', input.projectId),
  );
  return yield* getEnvironment(c, inserted.id);
}

export function* updateEnvironment(
  c: Sql,
  input: {
    id: number;
    name?: string | undefined;
    kind?: EnvironmentKind | undefined;
    description?: string | undefined;
  },
  now: number,
): Query<Environment> {
  const current = yield* getEnvironment(c, input.id);
  if (input.name !== undefined) yield* assertNameFree(c, current.projectId, input.name, input.id);
  const changed = yield* exec(
    c.k
      .updateTable('environments')
      .set({
        name: input.name ?? current.name,
        kind: input.kind ?? current.kind,
        description: input.description ?? current.description,
        updated_at: now,
      })
      .where('id', '=', input.id),
  );
  assertChanged(changed, 1, 'environment');
  return yield* getEnvironment(c, input.id);
}
