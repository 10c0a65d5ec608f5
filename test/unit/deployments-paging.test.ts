// The deployments list is keyset-paged (issue 10.10): every filter pages through
// every row exactly once, newest first, in both directions; rows recorded between
// two pages neither shift nor repeat the next page; totals and per-project counts
// come from kept counts that stay right; a deep page is an index range read (no
// scan, no sort); a bad cursor is BAD_INPUT. The renderer's page cache reaches any
// position exactly, including by jumps, in bounded steps.
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { CursorPage, Deployment, DeploymentStatus, Project } from '../../shared/domain.ts';
import { DEPLOYMENT_SKIP_MAX, DEPLOYMENT_STATUSES } from '../../shared/domain.ts';
import type { Page } from '../../shared/domain.ts';
import type { WritableDB, ReadableDB } from '../../electron/core/store/db.ts';
import type { CommandRegistry } from '../../electron/handlers/registry.ts';
import { listDeployments } from '../../electron/core/store/resources/deployments.ts';
import { listEnvironments } from '../../electron/core/store/resources/environments.ts';
import { rng } from '../../electron/core/demo.ts';
import { DeploymentPageCache, PAGE_SIZE } from '../../renderer/src/deploymentPageCache.ts';
import type { ReadPage } from '../../renderer/src/deploymentPageCache.ts';
import { call, callError, walkPages } from '../helpers/restore-util.ts';
import { readyDb, startTestRuntime, testRegistry } from '../helpers/runtime.ts';

import { useWorld } from '../helpers/world.ts';
import { runSqlite, SQLITE } from '../../electron/core/store/sql.ts';

const world = useWorld();
const ROWS = 3000;
const T0 = 1_800_000_000_000;

interface Fixture {
  db: WritableDB;
  reg: CommandRegistry;
  file: string;
  projects: Record<'a' | 'b' | 'c' | 'd', number>;
  envs: Record<'a1' | 'a2' | 'a3' | 'b1' | 'b2' | 'c1' | 'd1', number>;
}

let fx: Fixture;

beforeEach(async () => {
  const rt = await startTestRuntime(world);
  const db = readyDb(rt);
  const reg = testRegistry(rt);
  const insProject = db.prepare(
    `INSERT INTO projects (name, created_at, updated_at) VALUES (?, 1, 1)`,
  );
  const insEnv = db.prepare(
    `INSERT INTO environments (project_id, name, created_at, updated_at) VALUES (?, ?, 1, 1)`,
  );
  const insDep = db.prepare(
    `INSERT INTO deployments (environment_id, version, status, started_at) VALUES (?, ?, ?, ?)`,
  );
  const projects = {} as Fixture['projects'];
  const envs = {} as Fixture['envs'];
  db.transaction(() => {
    for (const p of ['a', 'b', 'c', 'd'] as const)
      projects[p] = Number(insProject.run(`project-${p}`).lastInsertRowid);
    for (const e of ['a1', 'a2', 'a3', 'b1', 'b2', 'c1', 'd1'] as const)
      envs[e] = Number(insEnv.run(projects[e[0] as 'a'], e).lastInsertRowid);
    // Project d has no deployments. Start times repeat (3 rows per millisecond on
    // average) and do not follow the ids, so ties are broken by id.
    const rand = rng(7);
    const used = ['a1', 'a2', 'a3', 'b1', 'b2', 'c1'] as const;
    for (let i = 0; i < ROWS; i++) {
      const env = envs[used[Math.floor(rand() * used.length)]!];
      const status = DEPLOYMENT_STATUSES[Math.floor(rand() * DEPLOYMENT_STATUSES.length)]!;
      insDep.run(env, `1.${i}.0`, status, T0 + Math.floor(rand() * 1000));
    }
  })();
  fx = { db, reg, file: db.name, projects, envs };
});

interface Filter {
  projectId?: number;
  environmentId?: number;
  status?: DeploymentStatus;
}

/** Every filter the list offers, including combinations that match nothing. */
function filters(): Filter[] {
  const { projects: p, envs: e } = fx;
  return [
    {},
    { projectId: p.a },
    { projectId: p.b },
    { projectId: p.d },
    { environmentId: e.a1 },
    { environmentId: e.c1 },
    { environmentId: e.d1 },
    { status: 'failed' },
    { status: 'succeeded' },
    { projectId: p.a, status: 'running' },
    { projectId: p.b, status: 'queued' },
    { environmentId: e.a2, status: 'cancelled' },
    { projectId: p.a, environmentId: e.a3 },
    { projectId: p.b, environmentId: e.a1 },
    { projectId: p.a, environmentId: e.a1, status: 'rolled_back' },
  ];
}

/** The expected order, by a plain ORDER BY over the joined rows (no keyset, no index choice). */
function expected(f: Filter): number[] {
  return fx.db
    .prepare(
      `SELECT d.id FROM deployments d JOIN environments e ON e.id = d.environment_id
       WHERE (@p IS NULL OR e.project_id = @p) AND (@e IS NULL OR d.environment_id = @e)
         AND (@s IS NULL OR d.status = @s)
       ORDER BY d.started_at DESC, d.id DESC`,
    )
    .pluck()
    .all({ p: f.projectId ?? null, e: f.environmentId ?? null, s: f.status ?? null }) as number[];
}

const list = (input: object) => call<CursorPage<Deployment>>(fx.reg, 'deployments.list', input);
const ids = (p: CursorPage<Deployment>) => p.items.map((d) => d.id);

/** Walk the whole list with `next` (or `prev`, from the oldest end); ids in list order. */
const walk = (f: Filter, limit: number, backwards = false) => walkPages(list, f, limit, backwards);

describe('keyset paging through every filter', () => {
  it('pages newest first hold each row exactly once, in order, with the right total', async () => {
    for (const f of filters()) {
      const want = expected(f);
      const got = await walk(f, 97);
      expect(got, JSON.stringify(f)).toEqual(want);
      expect(new Set(got).size).toBe(got.length);
      expect((await list({ ...f, limit: 1 })).total, JSON.stringify(f)).toBe(want.length);
    }
    expect(expected({}).length).toBe(ROWS);
  });

  it('from the oldest end, paging back with prev gives the same rows', async () => {
    for (const f of filters()) {
      expect(await walk(f, 89, true), JSON.stringify(f)).toEqual(expected(f));
    }
  });

  it('skip steps over rows from either end or from a cursor, exactly', async () => {
    for (const f of [{}, { projectId: fx.projects.a }, { status: 'failed' as const }]) {
      const want = expected(f);
      const n = want.length;
      expect(ids(await list({ ...f, skip: 500, limit: 50 }))).toEqual(want.slice(500, 550));
      expect(ids(await list({ ...f, from: 'oldest', skip: 40, limit: 30 }))).toEqual(
        want.slice(n - 70, n - 40),
      );
      const first = await list({ ...f, limit: 10 });
      const after = await list({ ...f, cursor: first.next, skip: 100, limit: 5 });
      expect(ids(after)).toEqual(want.slice(110, 115));
      // Its cursors continue exactly around it, both ways.
      expect(ids(await list({ ...f, cursor: after.next, limit: 3 }))).toEqual(want.slice(115, 118));
      expect(ids(await list({ ...f, cursor: after.prev, limit: 3 }))).toEqual(want.slice(107, 110));
      // Past the end: an empty page that says there is nothing further.
      const beyond = await list({ ...f, cursor: first.next, skip: n, limit: 5 });
      expect(beyond).toMatchObject({ items: [], next: null, prev: null, total: n });
    }
  });

  it('at starts with the newest deployment started at or before that time', async () => {
    const all = fx.db
      .prepare(`SELECT id, started_at FROM deployments ORDER BY started_at DESC, id DESC`)
      .all() as { id: number; started_at: number }[];
    const t = all[1234]!.started_at;
    const from = all.findIndex((r) => r.started_at <= t);
    const page = await list({ at: t, limit: 20 });
    expect(ids(page)).toEqual(all.slice(from, from + 20).map((r) => r.id));
    expect(ids(await list({ cursor: page.prev, limit: 5 }))).toEqual(
      all.slice(from - 5, from).map((r) => r.id),
    );
  });

  it('rows recorded between two pages neither shift nor repeat the next page', async () => {
    const f = { projectId: fx.projects.a };
    const before = expected(f);
    const first = await list({ ...f, limit: 100 });
    expect(ids(first)).toEqual(before.slice(0, 100));
    // New deployments (newest), and one older than the page just read: with offsets,
    // the next page would repeat rows; with the cursor it continues where it was.
    const ins = fx.db.prepare(
      `INSERT INTO deployments (environment_id, version, status, started_at) VALUES (?, 'new', 'queued', ?)`,
    );
    for (let i = 0; i < 30; i++) ins.run(fx.envs.a1, T0 + 10_000 + i);
    const lastSeen = first.items[first.items.length - 1]!;
    const older = Number(ins.run(fx.envs.a2, lastSeen.startedAt - 1).lastInsertRowid);
    const second = await list({ ...f, limit: 100, cursor: first.next });
    const rest = await walk(f, 100); // the list as it is now, for the rows after the first page
    const now = rest.slice(rest.indexOf(lastSeen.id) + 1);
    expect(ids(second)).toEqual(now.slice(0, 100));
    expect(ids(second)).toContain(older);
    expect(ids(second).some((id) => ids(first).includes(id))).toBe(false);
    expect(second.total).toBe(before.length + 31);
    // Going back from the second page reaches the new rows too, each once.
    const back = await walk(f, 100, true);
    expect(back).toEqual(rest);
  });
});

describe('a project with more environments than one query merges', () => {
  it('pages through all of them in order, both ways, and skips exactly', async () => {
    const pid = Number(
      fx.db
        .prepare(`INSERT INTO projects (name, created_at, updated_at) VALUES ('wide', 1, 1)`)
        .run().lastInsertRowid,
    );
    const insEnv = fx.db.prepare(
      `INSERT INTO environments (project_id, name, created_at, updated_at) VALUES (?, ?, 1, 1)`,
    );
    const insDep = fx.db.prepare(
      `INSERT INTO deployments (environment_id, version, status, started_at) VALUES (?, 'w', ?, ?)`,
    );
    const rand = rng(11);
    fx.db.transaction(() => {
      const envs = Array.from({ length: 450 }, (_, i) =>
        Number(insEnv.run(pid, `env-${i}`).lastInsertRowid),
      );
      for (let i = 0; i < 1200; i++)
        insDep.run(
          envs[Math.floor(rand() * envs.length)]!,
          rand() < 0.5 ? 'failed' : 'succeeded',
          T0 + Math.floor(rand() * 300),
        );
    })();
    for (const f of [{ projectId: pid }, { projectId: pid, status: 'failed' as const }]) {
      const want = expected(f);
      expect(await walk(f, 101), JSON.stringify(f)).toEqual(want);
      expect(await walk(f, 77, true), JSON.stringify(f)).toEqual(want);
      const first = await list({ ...f, limit: 10 });
      expect(ids(await list({ ...f, cursor: first.next, skip: 250, limit: 20 }))).toEqual(
        want.slice(260, 280),
      );
      expect(first.total).toBe(want.length);
    }
  });
});

describe('kept counts', () => {
  it('totals, project and environment counts follow inserts, status changes and deletes', async () => {
    const check = async () => {
      for (const f of filters())
        expect((await list({ ...f, limit: 1 })).total, JSON.stringify(f)).toBe(expected(f).length);
      const projects = await call<Page<Project>>(fx.reg, 'projects.list', { limit: 10 });
      for (const p of projects.items) {
        const rows = fx.db
          .prepare(
            `SELECT count(*) AS n, max(d.started_at) AS last FROM deployments d
             JOIN environments e ON e.id = d.environment_id WHERE e.project_id = ?`,
          )
          .get(p.id) as { n: number; last: number | null };
        expect([p.name, p.deploymentCount, p.lastDeploymentAt]).toEqual([
          p.name,
          rows.n,
          rows.last,
        ]);
        for (const e of runSqlite(fx.db, listEnvironments(SQLITE, p.id)))
          expect(e.deploymentCount, e.name).toBe(
            fx.db
              .prepare(`SELECT count(*) FROM deployments WHERE environment_id = ?`)
              .pluck()
              .get(e.id),
          );
      }
    };
    await check();
    const created = await call<Deployment>(fx.reg, 'deployments.create', {
      environmentId: fx.envs.d1,
      version: '9.9.9',
    });
    await call(fx.reg, 'deployments.setStatus', { id: created.id, status: 'running' });
    await call(fx.reg, 'deployments.setStatus', { id: created.id, status: 'failed' });
    fx.db
      .prepare(`UPDATE deployments SET status = 'succeeded' WHERE status = 'failed' AND id % 3 = 0`)
      .run();
    fx.db.prepare(`DELETE FROM deployments WHERE status = 'queued' AND id % 5 = 0`).run();
    await check();
  });
});

describe('bad input', () => {
  it('a cursor this list did not hand out is BAD_INPUT, and so are conflicting starts', async () => {
    const enc = (x: unknown) => Buffer.from(JSON.stringify(x)).toString('base64url');
    const bad = [
      'not a cursor!',
      'x'.repeat(201),
      enc(['o', 1]),
      enc(['x', 1, 2]),
      enc(['o', 1.5, 2]),
      enc(['n', 1, -2]),
      enc({ s: 1, i: 2 }),
      'AAAA',
      '',
    ];
    for (const cursor of bad) {
      const e = await callError(fx.reg, 'deployments.list', { cursor });
      expect([cursor, e.code]).toEqual([cursor, 'BAD_INPUT']);
    }
    const good = (await list({ limit: 5 })).next;
    for (const input of [
      { cursor: good, at: T0 },
      { cursor: good, from: 'oldest' },
      { at: T0, from: 'oldest' },
      { skip: DEPLOYMENT_SKIP_MAX + 1 },
      { skip: -1 },
      { offset: 100 },
    ]) {
      expect((await callError(fx.reg, 'deployments.list', input)).code, JSON.stringify(input)).toBe(
        'BAD_INPUT',
      );
    }
  });
});

describe('query plans', () => {
  it('a deep page of every filter is an index range read: no table scan, no sort', () => {
    // A second connection that reports every statement it runs, with its values.
    const seen: string[] = [];
    const spy = new Database(fx.file, {
      readonly: true,
      verbose: (sql) => seen.push(String(sql)),
    }) as unknown as ReadableDB;
    world.defer(() => {
      spy.close();
    });
    for (const f of filters()) {
      const want = expected(f);
      if (want.length < 4) continue;
      const deep = runSqlite(
        spy,
        listDeployments(SQLITE, { ...f, limit: 1, skip: Math.floor(want.length / 2) }),
      );
      for (const start of [
        { cursor: deep.next! },
        { cursor: deep.prev! },
        { from: 'oldest' as const },
      ]) {
        seen.length = 0;
        runSqlite(spy, listDeployments(SQLITE, { ...f, limit: 20, ...start }));
        const plans = seen
          .filter((sql) => /\bfrom "?deployments\b/i.test(sql))
          .map((sql) =>
            (spy.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map(
              (r) => r.detail,
            ),
          );
        expect(plans.length, JSON.stringify(f)).toBeGreaterThan(0);
        for (const plan of plans) {
          const what = `${JSON.stringify(f)}: ${plan.join(' | ')}`;
          expect(plan.join('\n'), what).not.toMatch(/TEMP B-TREE/);
          for (const step of plan.filter((s) => /^(SCAN|SEARCH) (d|deployments)\b/.test(s)))
            expect(step, what).toMatch(
              /USING (COVERING )?INDEX deployments_|USING INTEGER PRIMARY KEY/,
            );
        }
        // The page reads the keys from an index range (not from the start of the list),
        // with every filter in the range itself (no rows read and thrown away).
        const ranges = plans
          .flat()
          .filter((s) => /^SEARCH deployments USING COVERING INDEX/.test(s));
        expect(ranges.join('\n'), JSON.stringify(f)).toMatch(/started_at[<>]\?\)/);
        for (const range of ranges) {
          if (f.status) expect(range, JSON.stringify(f)).toContain('status=?');
          if (f.projectId || f.environmentId)
            expect(range, JSON.stringify(f)).toContain('environment_id=?');
        }
      }
    }
  });
});

describe("the renderer's page cache", () => {
  /** The renderer's cache, reading through the registry the host builds (as the app does over HTTP). */
  const cache = (f: Filter, opts: { skipMax?: number } = {}) => {
    const read: ReadPage = (input) =>
      fx.reg.dispatch('deployments.list', input) as ReturnType<ReadPage>;
    return new DeploymentPageCache(f, read, opts);
  };

  /** Load rows [start, end] the way the list does when they come into view. */
  async function view(pages: DeploymentPageCache, start: number, end: number) {
    pages.ensure(start, end);
    await pages.settled();
    expect(pages.error).toBeNull();
  }

  it('reaches any position exactly: scrolling, End, and jumps far from loaded pages', async () => {
    const f = { projectId: fx.projects.a };
    const want = expected(f);
    const spyDispatch = vi.spyOn(fx.reg, 'dispatch');
    // Small steps so that jumps in this small list take several calls, as at a million rows.
    const pages = cache(f, { skipMax: 150 });
    await view(pages, 0, 40);
    expect(pages.total).toBe(want.length);
    const rowsAt = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => pages.row(from + i)?.id);
    expect(rowsAt(0, 40)).toEqual(want.slice(0, 41));
    // Scrolling on: the next page continues from the loaded one (no skip).
    spyDispatch.mockClear();
    await view(pages, 180, 260);
    expect(rowsAt(180, 260)).toEqual(want.slice(180, 261));
    const calls = () =>
      spyDispatch.mock.calls.map((c) => c[1] as { skip?: number; cursor?: string });
    expect(calls()).toHaveLength(1);
    expect(calls()[0]).toMatchObject({ skip: 0 });
    // End: the last page, read from the oldest end.
    const n = want.length;
    await view(pages, n - 30, n - 1);
    expect(rowsAt(n - 30, n - 1)).toEqual(want.slice(n - 30));
    // A jump to the middle: bounded steps from the nearest known row, then the page.
    spyDispatch.mockClear();
    const mid = Math.floor(n / 2) + 17;
    await view(pages, mid, mid + 30);
    expect(rowsAt(mid, mid + 30)).toEqual(want.slice(mid, mid + 31));
    expect(calls().length).toBeGreaterThan(1);
    for (const c of calls()) expect(c.skip ?? 0).toBeLessThanOrEqual(150);
  });

  it('after new deployments, the rows in view are read again at their new positions', async () => {
    const pages = cache({});
    const mid = 1500;
    await view(pages, mid, mid + 20);
    const ins = fx.db.prepare(
      `INSERT INTO deployments (environment_id, version, status, started_at) VALUES (?, 'new', 'queued', ?)`,
    );
    for (let i = 0; i < 7; i++) ins.run(fx.envs.b1, T0 + 50_000 + i);
    pages.invalidate();
    await pages.settled();
    const want = expected({});
    expect(pages.total).toBe(ROWS + 7);
    for (let i = mid; i <= mid + 20; i++) expect(pages.row(i)?.id, `row ${i}`).toBe(want[i]);
    expect(PAGE_SIZE).toBe(200);
  });

  it('an empty list reads again after a change: its first deployment (recorded by another process) appears', async () => {
    const env = await fx.reg.dispatch('environments.create', {
      projectId: fx.projects.a,
      name: 'empty-until-now',
    });
    if (!env.ok) throw new Error(JSON.stringify(env.error));
    const environmentId = (env.value as { id: number }).id;
    const pages = cache({ environmentId });
    await view(pages, 0, 40);
    expect(pages.total).toBe(0);
    fx.db
      .prepare(
        `INSERT INTO deployments (environment_id, version, status, started_at) VALUES (?, 'first', 'running', ?)`,
      )
      .run(environmentId, T0 + 90_000);
    pages.invalidate();
    await pages.settled();
    expect(pages.error).toBeNull();
    expect(pages.total).toBe(1);
    expect(pages.row(0)?.version).toBe('first');
  });
});
