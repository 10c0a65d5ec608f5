// Projects: queries written once for SQLite and PostgreSQL (see ../sql.ts).
import { sql } from 'kysely';
import type { Page, Project } from '../../../../shared/domain.ts';
import { AppError } from '../../../../shared/errors.ts';
import type { Query, Sql } from '../sql.ts';
import type { Slot } from '../sql.ts';
import { assertChanged, cached, containsText, exec, folded, row, rows, sameText } from '../sql.ts';

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
function figures() {
  return [
    'p.id',
    'p.name',
    'p.description',
    'p.created_at',
    'p.updated_at',
    sql<number>`(SELECT count(*) FROM environments e WHERE e.project_id = p.id)`.as(
      'environment_count',
    ),
    sql<number>`(SELECT coalesce(sum(c.n), 0) FROM deployment_counts c
        WHERE c.environment_id IN (SELECT e.id FROM environments e WHERE e.project_id = p.id))`.as(
      'deployment_count',
    ),
    sql<
      number | null
    >`(SELECT max((SELECT max(d.started_at) FROM deployments d WHERE d.environment_id = e.id))
        FROM environments e WHERE e.project_id = p.id)`.as('last_deployment_at'),
  ] as const;
}

function selectProjects(c: Sql) {
  return c.k.selectFrom('projects as p').select(figures());
}

export function* getProject(c: Sql, id: number): Query<Project> {
  const r = yield* row<ProjectRow>(selectProjects(c).where('p.id', '=', id));
  if (!r) throw new AppError('NOT_FOUND', `Project ${id} does not exist.`);
  return rowToProject(r);
}

export function* listProjects(
  c: Sql,
  opts: { offset: number; limit: number; query?: string | undefined },
): Query<Page<Project>> {
  const q = opts.query !== undefined && opts.query !== '' ? opts.query : undefined;
  const search = q === undefined ? [] : [q];
  const counted = yield* row(
    cached(c, `projects.count:${q !== undefined}`, search, ([n]) =>
      c.k
        .selectFrom('projects as p')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .$if(n !== undefined, (b) => b.where(containsText(c, 'p.name', n as string | Slot))),
    ),
  );
  // The page's projects first, then their figures: PostgreSQL would compute the figures
  // of the rows OFFSET skips too.
  const found = yield* rows<ProjectRow>(
    cached(c, `projects.list:${q !== undefined}`, [...search, opts.limit, opts.offset], (v) =>
      c.k
        .selectFrom(
          c.k
            .selectFrom('projects')
            .selectAll()
            .$if(q !== undefined, (b) => b.where(containsText(c, 'name', v[0] as string | Slot)))
            .orderBy(folded(c, 'name'))
            .orderBy('id')
            .limit(v[v.length - 2] as number)
            .offset(v[v.length - 1] as number)
            .as('p'),
        )
        .select(figures())
        .orderBy(folded(c, 'p.name'))
        .orderBy('p.id'),
    ),
  );
  return { items: found.map(rowToProject), total: counted?.n ?? 0, offset: opts.offset };
}

export function* countProjects(c: Sql): Query<number> {
  const r = yield* row(c.k.selectFrom('projects').select((eb) => eb.fn.countAll<number>().as('n')));
  return r?.n ?? 0;
}

function* assertNameFree(c: Sql, name: string, exceptId: number | null): Query<void> {
  const clash = yield* row(
    c.k
      .selectFrom('projects')
      .select('id')
      .where(sameText(c, 'name', name)),
  );
  if (clash && clash.id !== exceptId) {
    throw new AppError('CONFLICT', `A project named "${name}" already exists.`, {
      hint: 'Choose another name.',
    });
  }
}

export function* createProject(
  c: Sql,
  input: { name: string; description: string },
  now: number,
): Query<Project> {
  yield* assertNameFree(c, input.name, null);
  const inserted = yield* row(
    c.k
      .insertInto('projects')
      .values({
        name: input.name,
        description: input.description,
        created_at: now,
        updated_at: now,
      })
      .returning('id'),
  );
  return yield* getProject(c, inserted!.id);
}

export function* updateProject(
  c: Sql,
  input: { id: number; name?: string | undefined; description?: string | undefined },
  now: number,
): Query<Project> {
  const current = yield* getProject(c, input.id);
  const name = input.name ?? current.name;
  if (input.name !== undefined) yield* assertNameFree(c, name, input.id);
  const changed = yield* exec(
    c.k
      .updateTable('projects')
      .set({ name, description: input.description ?? current.description, updated_at: now })
      .where('id', '=', input.id),
  );
  assertChanged(changed, 1, 'project');
  return yield* getProject(c, input.id);
}
