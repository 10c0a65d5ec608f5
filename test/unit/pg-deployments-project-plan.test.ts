// A project's deployments list on PostgreSQL reads a page from its
// environments' indexes merged in order (Merge Append), never every row of the
// project sorted: PostgreSQL 15 plans a UNION ALL under ORDER BY as Append +
// Sort of all matching rows (450 ms a page at 850,000 rows in the bench). And the
// pages are the right rows: first, after a skip, from the oldest end, by cursor.
// projects.list computes its per-project figures for the page only (not for
// the rows OFFSET skips: 16 ms for the last 100 of 200 projects in the bench).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import pg from 'pg';
import type { CursorPage, Deployment } from '../../shared/domain.ts';
import { migratePostgres } from '../../electron/core/pg/migrate.ts';
import type { Query } from '../../electron/core/store/sql.ts';
import { PG_TYPES, POSTGRES, runPg } from '../../electron/core/store/sql.ts';
import { listDeployments } from '../../electron/core/store/resources/deployments.ts';
import { listProjects } from '../../electron/core/store/resources/projects.ts';
import type { DeploymentQuery } from '../../electron/core/store/resources/deployments.ts';
import { pgSkipReason, usePgDatabase, withClient } from '../helpers/pg.ts';

const skip = pgSkipReason();
const server = skip === null ? usePgDatabase() : null;
const ROWS = 12_000;

describe.skipIf(skip !== null)('a project’s deployments on PostgreSQL', () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    const schema = `s_${crypto.randomBytes(5).toString('hex')}`;
    await withClient(server!.url(), (c) => migratePostgres(c, { schema }));
    pool = new pg.Pool({
      connectionString: server!.url(),
      options: `-c search_path=${schema}`,
      types: PG_TYPES,
      max: 2,
    });
    // Two projects; project 1's four environments hold most rows (70% in the first).
    await pool.query(`
      INSERT INTO projects (name, description, created_at, updated_at) VALUES ('big', '', 0, 0), ('small', '', 0, 0);
      INSERT INTO environments (project_id, name, kind, created_at, updated_at)
        SELECT p, n, 'other', 0, 0 FROM generate_series(1, 2) p, unnest(ARRAY['a', 'b', 'c', 'd']) n ORDER BY p, n;
      INSERT INTO deployments (environment_id, version, status, started_at, finished_at)
        SELECT CASE WHEN x % 10 < 7 THEN 1 WHEN x % 10 < 9 THEN 2 + x % 3 ELSE 5 + x % 4 END,
               'v' || x, CASE WHEN x % 3 = 0 THEN 'failed' ELSE 'succeeded' END, 1000 + (x / 2), NULL
        FROM generate_series(1, ${ROWS}) x;
      ANALYZE;`);
  }, 120_000);
  afterAll(() => pool?.end());

  const list = (f: DeploymentQuery) => runPg(pool, listDeployments(POSTGRES, f));

  /** The list's page as a plain ORDER BY … LIMIT … OFFSET over the project's rows gives it. */
  async function expected(offset: number, limit: number, asc = false): Promise<number[]> {
    const dir = asc ? 'ASC' : 'DESC';
    const r = await pool.query<{ id: number }>(
      `SELECT d.id FROM deployments d JOIN environments e ON e.id = d.environment_id
       WHERE e.project_id = 1 ORDER BY d.started_at ${dir}, d.id ${dir} LIMIT $1 OFFSET $2`,
      [limit, offset],
    );
    return r.rows.map((x) => x.id);
  }
  const ids = (p: CursorPage<Deployment>) => p.items.map((d) => d.id);

  it('reads a page from the environments’ indexes merged in order, whatever the filter', async () => {
    for (const f of [
      { limit: 50, projectId: 1 },
      { limit: 50, projectId: 1, status: 'failed' as const },
      { limit: 50, projectId: 1, from: 'oldest' as const },
    ]) {
      const plans: string[] = [];
      const explain = <R>(q: Query<R>) =>
        runPg(
          {
            query: async (cfg) => {
              if (cfg.text.includes('union all')) {
                const r = await pool.query<{ 'QUERY PLAN': string }>({
                  ...cfg,
                  text: `EXPLAIN ${cfg.text}`,
                });
                plans.push(r.rows.map((x) => x['QUERY PLAN']).join('\n'));
              }
              return pool.query(cfg);
            },
          },
          q,
        );
      await explain(listDeployments(POSTGRES, f));
      expect(plans.length).toBeGreaterThan(0);
      for (const plan of plans) {
        expect(plan).toContain('Merge Append');
        // Sorting is allowed only above the merge (a handful of rows), never of a scan's rows.
        expect(plan).not.toMatch(/Sort[^\n]*\n\s*(Sort Key[^\n]*\n\s*)?->\s*(Parallel )?Append/);
      }
    }
  });

  it('gives the same rows as ORDER BY … LIMIT … OFFSET: first page, after a skip, oldest, next', async () => {
    expect(ids(await list({ limit: 40, projectId: 1 }))).toEqual(await expected(0, 40));
    expect(ids(await list({ limit: 40, projectId: 1, skip: 1234 }))).toEqual(
      await expected(1234, 40),
    );
    const oldest = await list({ limit: 40, projectId: 1, from: 'oldest' });
    expect(ids(oldest).reverse()).toEqual(await expected(0, 40, true));
    const first = await list({ limit: 40, projectId: 1 });
    const second = await list({ limit: 40, projectId: 1, cursor: first.next! });
    expect(ids(second)).toEqual(await expected(40, 40));
    expect(first.total).toBe(ROWS - ROWS / 10);
  });

  it('projects.list computes the figures of the page’s projects only, not of those OFFSET skips', async () => {
    await pool.query(`INSERT INTO projects (name, description, created_at, updated_at)
      SELECT 'p' || lpad(x::text, 3, '0'), '', 0, 0 FROM generate_series(1, 40) x`);
    const plans: string[] = [];
    const page = await runPg(
      {
        query: async (cfg) => {
          if (cfg.text.includes('environment_count')) {
            const r = await pool.query<{ 'QUERY PLAN': string }>({
              ...cfg,
              text: `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${cfg.text}`,
            });
            plans.push(r.rows.map((x) => x['QUERY PLAN']).join('\n'));
          }
          return pool.query(cfg);
        },
      },
      listProjects(POSTGRES, { offset: 30, limit: 5 }),
    );
    // big, p001 … p040, small in name order.
    expect(page.items.map((p) => p.name)).toEqual(['p030', 'p031', 'p032', 'p033', 'p034']);
    expect(page.total).toBe(42);
    expect(page.items[0]).toMatchObject({ environmentCount: 0, deploymentCount: 0 });
    expect(plans).toHaveLength(1);
    // The first figure's subplan runs once per project of the page (5), not per project read (35).
    const loops = /SubPlan 1\n[^\n]*loops=(\d+)/.exec(plans[0]!);
    expect(loops?.[1]).toBe('5');
  });
});
