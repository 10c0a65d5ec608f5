// `npm run bench -- --only dialect`: SQLite must not get slower with the query
// core (issue 11.2). The list paths (deployments.list first page and a deep
// keyset page, projects.list) and the write paths (deployments.create with its
// audit entry, deployments.appendLog) on a million deployments, four ways in
// the same run, interleaved round by round:
//   raw        the SQL the query core runs for that request, as better-sqlite3
//              statements prepared once and run synchronously (what the store did
//              before the query core), writes in one transaction;
//   core       the same work through the query core (Kysely builds, runSqlite runs,
//              rt.data's async read/write), results mapped to domain objects;
//   registry   the command as the host runs it (input validation, barrier, the
//              secret-value check and events of the write handlers, then the core);
//   registry over raw  the same registry with the measured commands' store work
//              replaced by the raw statements (the host's path before the core).
// Ratios: core / raw and registry / registry over raw, p50 and p95.
import os from 'node:os';
import type Database from 'better-sqlite3';
import type { CommandName } from '../shared/contract.ts';
import { commands } from '../shared/contract.ts';
import type { Runtime } from '../electron/core/runtime.ts';
import type { Query, Sql } from '../electron/core/store/sql.ts';
import { SQLITE } from '../electron/core/store/sql.ts';
import { appendAudit } from '../electron/core/store/resources/audit.ts';
import {
  appendDeploymentLog,
  createDeployment,
  listDeployments,
} from '../electron/core/store/resources/deployments.ts';
import { listProjects } from '../electron/core/store/resources/projects.ts';
import { coreHandlers } from '../electron/handlers/index.ts';
import { CommandRegistry } from '../electron/handlers/registry.ts';
import type { HandlerMap } from '../electron/handlers/registry.ts';
import type { PagingOptions, Run } from './paging.ts';
import {
  cursorAt,
  LIMIT,
  ms,
  quantile,
  registryRun,
  seedStore,
  withBenchRuntime,
} from './paging.ts';

interface Op {
  sql: string;
  params: unknown[];
  rows: boolean;
}

/** Run `q` on `db` as runSqlite does, recording every statement and its parameters. */
function record<R>(db: Database.Database, q: Query<R>): Op[] {
  const ops: Op[] = [];
  let step = q.next();
  while (!step.done) {
    const { query, rows } = step.value;
    const params = query.parameters.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
    ops.push({ sql: query.sql, params, rows });
    const stmt = db.prepare(query.sql);
    step = q.next(rows ? stmt.all(...params) : stmt.run(...params).changes);
  }
  return ops;
}

/** The recorded statements prepared once: running them is what the store did before the core. */
function rawStatements(db: Database.Database, ops: Op[], write: boolean): () => unknown {
  const prepared = ops.map((o) => ({ stmt: db.prepare(o.sql), params: o.params, rows: o.rows }));
  const runAll = () => {
    let last: unknown;
    for (const p of prepared) last = p.rows ? p.stmt.all(...p.params) : p.stmt.run(...p.params);
    return last;
  };
  return write ? () => db.transaction(runAll)() : runAll;
}

interface Path {
  label: string;
  command: CommandName;
  input: Record<string, unknown>;
  write: boolean;
  /** The store work of the command's handler on its parsed input (writes: with the audit entry the handler adds). */
  work: (input: never, now: number) => (c: Sql) => Query<unknown>;
}

interface Timings {
  raw: number[];
  core: number[];
  registry: number[];
  registryRaw: number[];
}

function dataOf(rt: Runtime) {
  if (!rt.data) throw new Error(`store not open: ${JSON.stringify(rt.startup)}`);
  return rt.data;
}

export async function dialectBench(opts: PagingOptions): Promise<string> {
  const { log } = opts;
  return withBenchRuntime('dialect', async (rt, dir) => {
    const db = seedStore(rt, dir, opts.rows, log, 'dialect') as Database.Database;
    const registry = registryRun(rt);
    const depth = Math.min(500_000, opts.rows - LIMIT);
    const { cursor } = await cursorAt(registry, {}, depth);
    // The deployment appendLog writes to: its log lines are removed after each round (untimed).
    const target = await registry<{ id: number }>('deployments.create', {
      environmentId: 2,
      version: 'bench-log-target',
    });
    const audited =
      (action: string) =>
      (d: { id: number; environmentId: number; version: string; status: string }) => ({
        actor: rt.actor,
        action,
        target: `deployment:${d.id}`,
        detail: { environmentId: d.environmentId, version: d.version, status: d.status },
      });
    const paths: Path[] = [
      {
        label: 'deployments.list, first page',
        command: 'deployments.list',
        input: { limit: LIMIT },
        write: false,
        work: (input) => (c) => listDeployments(c, input),
      },
      {
        label: `deployments.list, keyset page at depth ${depth.toLocaleString('en')}`,
        command: 'deployments.list',
        input: { limit: LIMIT, ...(cursor ? { cursor } : {}) },
        write: false,
        work: (input) => (c) => listDeployments(c, input),
      },
      {
        label: 'projects.list, first 100 of 200',
        command: 'projects.list',
        input: { limit: 100 },
        write: false,
        work: (input) => (c) => listProjects(c, input),
      },
      {
        label: 'deployments.create + audit entry',
        command: 'deployments.create',
        input: { environmentId: 3, version: '9.9.9', status: 'succeeded' },
        write: true,
        work: (input, now) =>
          function* (c) {
            const d = yield* createDeployment(c, input, now);
            yield* appendAudit(c, audited('deployment.recorded')(d), now);
            return d;
          },
      },
      {
        label: 'deployments.appendLog',
        command: 'deployments.appendLog',
        input: { id: target.id, level: 'info', message: 'bench line' },
        write: true,
        work: (input, now) => (c) => appendDeploymentLog(c, input, now),
      },
    ];

    // Each path's statements, recorded from one run of the core's work.
    const prepared = paths.map((p) => {
      const parsed = commands[p.command].input.parse(p.input) as never;
      const q = p.work(parsed, rt.now())(SQLITE);
      const ops = p.write ? db.transaction(() => record(db, q))() : record(db, q);
      return { parsed, raw: rawStatements(db, ops, p.write), statements: ops.length };
    });
    // The registry with the measured commands' store work replaced by the raw statements;
    // the rest of each handler (the write handlers' secret-value check and events) kept.
    const rawHandlers: HandlerMap = {};
    paths.forEach((p, i) => {
      const raw = prepared[i]!.raw;
      (rawHandlers as Record<string, unknown>)[p.command] = async (input: {
        diagnosticSummary?: unknown;
        message?: unknown;
      }) => {
        if (p.command === 'deployments.create')
          await rt.secrets.assertNoSecretValues('diagnosticSummary', input.diagnosticSummary);
        if (p.command === 'deployments.appendLog')
          await rt.secrets.assertNoSecretValues('message', input.message);
        // Reads too: the registry awaits every handler (list commands were not async before).
        const r = raw();
        if (p.write) {
          rt.events.emit('data.changed', { area: 'deployments' });
          if (p.command === 'deployments.create') rt.events.emit('data.changed', { area: 'audit' });
        }
        return r;
      };
    });
    const overRaw = new CommandRegistry(rt);
    for (const map of coreHandlers) {
      overRaw.registerAll(
        Object.fromEntries(
          Object.entries(map).map(([name, h]) => [
            name,
            (rawHandlers as Record<string, unknown>)[name] ?? h,
          ]),
        ) as HandlerMap,
      );
    }
    const registryRaw: Run = async <T>(command: string, input: Record<string, unknown>) => {
      const r = await overRaw.dispatch(command, input);
      if (!r.ok) throw new Error(`${command} failed: ${JSON.stringify(r.error)}`);
      return r.value as T;
    };

    const times: Timings[] = paths.map(() => ({
      raw: [],
      core: [],
      registry: [],
      registryRaw: [],
    }));
    const clearLogs = db.prepare('DELETE FROM deployment_logs WHERE deployment_id = ?');
    log(`dialect: ${paths.length} paths × 4 ways × ${opts.requests} requests, interleaved …`);
    for (let round = -10; round < opts.requests; round++) {
      for (const [i, p] of paths.entries()) {
        const t = times[i]!;
        const { parsed, raw } = prepared[i]!;
        const data = dataOf(rt);
        const ways: [number[], () => unknown][] = [
          [t.raw, raw],
          [
            t.core,
            () =>
              p.write ? data.write(p.work(parsed, rt.now())) : data.read(p.work(parsed, rt.now())),
          ],
          [t.registry, () => registry(p.command, p.input)],
          [t.registryRaw, () => registryRaw(p.command, p.input)],
        ];
        // Rotate the order each round: no way always runs first (or right after a write).
        for (let k = 0; k < ways.length; k++) {
          const [xs, fn] = ways[(k + round + 10) % ways.length]!;
          const start = performance.now();
          await fn();
          if (round >= 0) xs.push(performance.now() - start);
        }
      }
      clearLogs.run(target.id);
    }

    const ratio = (a: number[], b: number[], q: number) =>
      `${(quantile(a, q) / quantile(b, q)).toFixed(2)}×`;
    const rows: string[][] = paths.map((p, i) => {
      const t = times[i]!;
      return [
        `${p.label} (${prepared[i]!.statements} statements)`,
        `${ms(quantile(t.raw, 0.5))} / ${ms(quantile(t.raw, 0.95))}`,
        `${ms(quantile(t.core, 0.5))} / ${ms(quantile(t.core, 0.95))}`,
        `${ratio(t.core, t.raw, 0.5)} / ${ratio(t.core, t.raw, 0.95)}`,
        `${ms(quantile(t.registryRaw, 0.5))} / ${ms(quantile(t.registryRaw, 0.95))}`,
        `${ms(quantile(t.registry, 0.5))} / ${ms(quantile(t.registry, 0.95))}`,
        `${ratio(t.registry, t.registryRaw, 0.5)} / ${ratio(t.registry, t.registryRaw, 0.95)}`,
      ];
    });
    const head = [
      'path (p50 / p95)',
      'raw statements',
      'query core',
      'core / raw',
      'registry over raw',
      'registry (host)',
      'registry / over raw',
    ];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) =>
      r.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ');
    return [
      `\nSQLite through the query core vs the same SQL as prepared statements — ${opts.rows.toLocaleString('en')} deployments, ${opts.requests} requests per way, ${os.cpus().length} cores`,
      line(head),
      ...rows.map(line),
      '',
    ].join('\n');
  });
}
