// `npm run bench -- --only paging`: the deployments list and projects.list at a
// million deployments (issue 10.10). Seeds a temporary data dir in one
// transaction, then times requests through the command registry (input
// validation included, as the host runs them), interleaved so that every case
// sees the same machine; each figure is a ratio against the first page of the
// same filter, measured in the same run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CursorPage, Deployment, DeploymentStatus } from '../shared/domain.ts';
import { DEPLOYMENT_SKIP_MAX } from '../shared/domain.ts';
import { startRuntime } from '../electron/core/runtime.ts';
import type { WritableDB } from '../electron/core/store/db.ts';
import { coreHandlers } from '../electron/handlers/index.ts';
import { CommandRegistry } from '../electron/handlers/registry.ts';
import type { Runtime } from '../electron/core/runtime.ts';

export interface PagingOptions {
  rows: number;
  requests: number;
  log: (s: string) => void;
}

export const LIMIT = 200; // the renderer's page size
export const PROJECTS = 200;
export const ENVS = ['production', 'staging', 'development', 'preview'] as const;
export const T0 = Date.UTC(2025, 0, 1);

export interface Filter {
  projectId?: number;
  environmentId?: number;
  status?: DeploymentStatus;
}

interface Case {
  label: string;
  /** The first page of the same filter: the baseline of the ratio. */
  baseline: string | null;
  command: 'deployments.list' | 'projects.list';
  input: Record<string, unknown>;
  times: number[];
  /** Timed instead of the command (the probe). */
  fn?: () => Promise<unknown>;
}

export const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
export const ms = (x: number) => `${x.toFixed(2)} ms`;

/**
 * 200 projects with 4 environments each; one big project holds 85% of the rows
 * (60% in its production environment) and 70% of all rows succeeded, so every
 * filter has a page at depth 500,000 (or near its end) to read.
 */
export function seed(db: WritableDB, rows: number): void {
  const cache = db.pragma('cache_size', { simple: true }) as number;
  db.pragma('cache_size = -262144');
  db.transaction(() => {
    const insProject = db.prepare(
      `INSERT INTO projects (name, description, created_at, updated_at) VALUES (?, '', ?, ?)`,
    );
    const insEnv = db.prepare(
      `INSERT INTO environments (project_id, name, kind, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
    );
    const envIds: number[] = [];
    for (let p = 0; p < PROJECTS; p++) {
      const pid = Number(
        insProject.run(`bench-${String(p).padStart(3, '0')}`, T0, T0).lastInsertRowid,
      );
      for (const e of ENVS)
        envIds.push(
          Number(insEnv.run(pid, e, e === 'preview' ? 'other' : e, T0, T0).lastInsertRowid),
        );
    }
    // Environment ids are 1..800 in a fresh data dir; the CTE relies on it.
    if (envIds[0] !== 1 || envIds[envIds.length - 1] !== envIds.length)
      throw new Error('the paging bench needs a fresh data dir');
    const others = envIds.length - ENVS.length;
    db.prepare(
      `WITH RECURSIVE c(x, r, s) AS (
         SELECT 0, abs(random()) % 1000, abs(random()) % 100
         UNION ALL SELECT x + 1, abs(random()) % 1000, abs(random()) % 100 FROM c WHERE x < ? - 1)
       INSERT INTO deployments (environment_id, version, status, started_at, finished_at)
       SELECT CASE WHEN r < 600 THEN 1 WHEN r < 850 THEN 2 + r % 3 ELSE ${ENVS.length + 1} + abs(random()) % ${others} END,
              printf('%d.%d.%d', x / 10000, x / 100 % 100, x % 100),
              CASE WHEN s < 70 THEN 'succeeded' WHEN s < 80 THEN 'failed' WHEN s < 85 THEN 'queued'
                   WHEN s < 90 THEN 'running' WHEN s < 95 THEN 'cancelled' ELSE 'rolled_back' END,
              ? + x * 1000 + abs(random()) % 700, ? + x * 1000 + 60000
       FROM c`,
    ).run(rows, T0, T0);
  })();
  db.pragma(`cache_size = ${cache}`);
}

/** The list as it was read before keyset paging (OFFSET over the joined rows, and a count), for the record. */
function offsetQuery(db: WritableDB, f: Filter, offset: number): number {
  const where = f.projectId
    ? 'WHERE d.environment_id IN (SELECT id FROM environments WHERE project_id = ?)'
    : '';
  const params = f.projectId ? [f.projectId] : [];
  const t = performance.now();
  db.prepare(`SELECT count(*) AS n FROM deployments d ${where}`).get(...params);
  db.prepare(
    `SELECT d.*, e.project_id, p.name, e.name FROM deployments d
     JOIN environments e ON e.id = d.environment_id JOIN projects p ON p.id = e.project_id
     ${where} ORDER BY d.started_at DESC, d.id DESC LIMIT ? OFFSET ?`,
  ).all(...params, LIMIT, offset);
  return performance.now() - t;
}

/** A command as the host runs it (input validation included); throws on a failed Result. */
export type Run = <T>(command: string, input: Record<string, unknown>) => Promise<T>;

/** The registry of the core handlers on `rt`, as a Run. */
export function registryRun(rt: Runtime): Run {
  const registry = new CommandRegistry(rt);
  for (const map of coreHandlers) registry.registerAll(map);
  return async <T>(command: string, input: Record<string, unknown>) => {
    const r = await registry.dispatch(command, input);
    if (!r.ok) throw new Error(`${command} failed: ${JSON.stringify(r.error)}`);
    return r.value as T;
  };
}

/** The cursor of the row at `depth` of filter `f`, reached as the renderer jumps there: bounded skips. */
export async function cursorAt(
  run: Run,
  f: Filter,
  depth: number,
): Promise<{ cursor: string | null; steps: number }> {
  let cursor: string | null = null;
  let at = 0;
  let steps = 0;
  while (at < depth) {
    const skip = Math.min(DEPLOYMENT_SKIP_MAX, depth - at - 1);
    const hop: CursorPage<Deployment> = await run('deployments.list', {
      ...f,
      limit: 1,
      skip,
      ...(cursor ? { cursor } : {}),
    });
    cursor = hop.next;
    at += skip + 1;
    steps++;
  }
  return { cursor, steps };
}

/**
 * A runtime on a new temporary data dir as every bench opens one (flag source, bench
 * lock, no pre-upgrade backup; team mode on `databaseUrl`): `work` runs with it, then
 * it is closed and the dir removed.
 */
export async function withBenchRuntime<T>(
  name: string,
  work: (rt: Runtime, dir: string) => Promise<T>,
  databaseUrl?: string,
): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `stateward-bench-${name}-`));
  try {
    const rt = await startRuntime({
      dir,
      source: 'flag',
      transport: 'cli',
      lockMode: 'bench',
      preUpgradeBackup: false,
      ...(databaseUrl === undefined ? {} : { databaseUrl }),
    });
    try {
      return await work(rt, dir);
    } finally {
      rt.close();
      await rt.closed();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The log line after seeding `rows` deployments, started at `t0` (performance.now()). */
export const seededLine = (name: string, rows: number, t0: number, extra = '') =>
  `${name}: seeded ${rows.toLocaleString('en')} deployments in ${((performance.now() - t0) / 1000).toFixed(1)} s${extra}`;

/** seed() the runtime's SQLite store (on `dir`), logging the time it took; its database. */
export function seedStore(
  rt: Runtime,
  dir: string,
  rows: number,
  log: (line: string) => void,
  name: string,
): WritableDB {
  if (!rt.store) throw new Error(`cannot open ${dir}: ${JSON.stringify(rt.startup)}`);
  const t0 = performance.now();
  seed(rt.store.db, rows);
  log(seededLine(name, rows, t0));
  return rt.store.db;
}

export async function pagingBench(opts: PagingOptions): Promise<string> {
  return withBenchRuntime('paging', async (rt, dir) => {
    const db = seedStore(rt, dir, opts.rows, opts.log, 'paging');
    return await measurePaging(registryRun(rt), {
      ...opts,
      title: 'Stateward paging benchmark',
      // For the record: the query this replaced, at the same depth (a few runs; it is slow).
      after: (depthOf) =>
        (
          [
            ['all', {}],
            ['project', { projectId: 1 }],
          ] as const
        ).map(([name, f]) => {
          const xs = [0, 1, 2].map(() => offsetQuery(db, f, depthOf.get(name)!));
          return [
            `before (OFFSET + count(*)), ${name}: page at depth ${depthOf.get(name)!.toLocaleString('en')}, median of 3`,
            ms(quantile(xs, 0.5)),
            '',
            '',
            '',
          ];
        }),
    });
  });
}

/**
 * Time the list's pages (first, at depth 500,000 or near the end, last) for
 * every filter and projects.list through `run`, on data laid out as seed()
 * lays it out (project 1 is the big one, environment 1 its production): the
 * table, with each p95 against the first page of its filter.
 */
export async function measurePaging(
  run: Run,
  opts: PagingOptions & {
    title: string;
    /** Extra table rows measured after the timed rounds. */
    after?: (depthOf: Map<string, number>) => string[][];
    /** One more case timed in the same rounds (e.g. one round trip to the server), against the first page. */
    probe?: { label: string; run: () => Promise<unknown> };
  },
): Promise<string> {
  const { log } = opts;
  const big = 1;
  const filters: [string, Filter][] = [
    ['all', {}],
    ['project', { projectId: big }],
    ['environment', { environmentId: 1 }],
    ['status', { status: 'succeeded' }],
    ['project + status', { projectId: big, status: 'failed' }],
    ['environment + status', { environmentId: 1, status: 'succeeded' }],
  ];
  const cases: Case[] = [];
  let jumpMs = 0;
  let jumpSteps = 0;
  const depthOf = new Map<string, number>();
  for (const [name, f] of filters) {
    const first = await run<CursorPage<Deployment>>('deployments.list', { ...f, limit: LIMIT });
    const depth = Math.min(500_000, first.total - LIMIT);
    depthOf.set(name, depth);
    // The cursor at that depth, reached as the renderer jumps there: bounded skips.
    const tj = performance.now();
    const { cursor, steps } = await cursorAt(run, f, depth);
    if (name === 'all') {
      jumpMs = performance.now() - tj;
      jumpSteps = steps;
    }
    const base = `${name}: first page`;
    cases.push(
      {
        label: base,
        baseline: null,
        command: 'deployments.list',
        input: { ...f, limit: LIMIT },
        times: [],
      },
      {
        label: `${name}: page at depth ${depth.toLocaleString('en')} of ${first.total.toLocaleString('en')}`,
        baseline: base,
        command: 'deployments.list',
        input: { ...f, limit: LIMIT, ...(cursor ? { cursor } : {}) },
        times: [],
      },
      {
        label: `${name}: last page`,
        baseline: base,
        command: 'deployments.list',
        input: { ...f, limit: LIMIT, from: 'oldest' },
        times: [],
      },
    );
  }
  cases.push(
    {
      label: `projects.list, first 100 of ${PROJECTS}`,
      baseline: 'all: first page',
      command: 'projects.list',
      input: { limit: 100 },
      times: [],
    },
    {
      label: `projects.list, last 100 of ${PROJECTS}`,
      baseline: 'all: first page',
      command: 'projects.list',
      input: { limit: 100, offset: PROJECTS - 100 },
      times: [],
    },
  );

  if (opts.probe)
    cases.push({
      label: opts.probe.label,
      baseline: 'all: first page',
      command: 'projects.list',
      input: {},
      times: [],
      fn: opts.probe.run,
    });
  log(`paging: ${cases.length} cases × ${opts.requests} requests, interleaved …`);
  for (let round = -5; round < opts.requests; round++) {
    for (const c of cases) {
      const t = performance.now();
      await (c.fn ? c.fn() : run(c.command, c.input));
      if (round >= 0) c.times.push(performance.now() - t);
    }
  }
  const byLabel = new Map(cases.map((c) => [c.label, c]));
  const rows: string[][] = cases.map((c) => {
    const p50 = quantile(c.times, 0.5);
    const p95 = quantile(c.times, 0.95);
    const base = c.baseline ? byLabel.get(c.baseline)! : c;
    const ratio = p95 / quantile(base.times, 0.95);
    return [
      c.label,
      ms(p50),
      ms(p95),
      c.baseline ? `${ratio.toFixed(2)}×` : '1 (baseline)',
      p95 <= 20 ? 'within ≤ 20 ms' : 'OVER 20 ms',
    ];
  });
  rows.push([
    `all: jump to depth ${depthOf.get('all')!.toLocaleString('en')} (${jumpSteps} calls of ≤ ${DEPLOYMENT_SKIP_MAX.toLocaleString('en')} rows), whole`,
    ms(jumpMs),
    '',
    '',
    '',
  ]);
  if (opts.after) rows.push(...opts.after(depthOf));
  const head = ['measure', 'p50', 'p95', 'p95 vs first page', 'target'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ');
  return [
    `\n${opts.title} — ${opts.rows.toLocaleString('en')} deployments, ${opts.requests} requests per case, pages of ${LIMIT}, ${os.cpus().length} cores`,
    line(head),
    ...rows.map(line),
    '',
  ].join('\n');
}
