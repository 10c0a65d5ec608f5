// Sample data for a first run: projects with environments, configuration
// snapshots, a deployment history with logs and diagnostics, runs, metrics and
// audit entries. Deterministic for a given size, so tests can rely on counts.
import { AppError } from '../../shared/errors.ts';
import type { DeploymentStatus, EnvironmentKind } from '../../shared/domain.ts';
import type { WritableDB } from './store/db.ts';
import { applyConnectionSettings, openWritable } from './store/db.ts';
import { appendAudit } from './store/resources/audit.ts';
import { countProjects } from './store/resources/projects.ts';
import type { Op, Query, Sql } from './store/sql.ts';
import { exec, row, rows, runSqlite, SQLITE } from './store/sql.ts';
import type { DataStore } from './store/data.ts';
import type { DeploymentLogsTable, DeploymentsTable, MetricsTable } from './store/schema.ts';
import type { Insertable } from 'kysely';
import { canonicalJson } from './store/resources/snapshots.ts';
import crypto from 'node:crypto';

const PROJECT_NAMES = [
  'billing-api',
  'storefront',
  'search-indexer',
  'auth-gateway',
  'media-pipeline',
  'analytics-etl',
  'notifications',
  'inventory',
  'docs-site',
  'payments-worker',
  'mobile-backend',
  'edge-cache',
];
const ENVS: { name: string; kind: EnvironmentKind }[] = [
  { name: 'development', kind: 'development' },
  { name: 'staging', kind: 'staging' },
  { name: 'production', kind: 'production' },
];
const FAILURES = [
  'Health check failed: /healthz returned 503 after 3 retries (container restarting: OOMKilled).',
  'Migration step timed out after 120 s waiting for a lock on table "orders".',
  'Image pull failed: manifest for registry.local/app not found.',
  'Port 8080 already in use on host; previous release did not stop cleanly.',
];

/** Small deterministic PRNG (mulberry32) so demo data is the same each time. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DemoResult {
  projects: number;
  environments: number;
  deployments: number;
}

type DemoOptions = { projects: number; deployments: number; actor: string; now: number };
type Progress = (done: number, total: number) => void;

/**
 * Fill an empty database in one go (CLI, tests, benchmarks), in one transaction:
 * a crash leaves the data dir as empty as it was, never part of a demo.
 */
export function seedDemo(
  db: WritableDB,
  opts: DemoOptions,
  onProgress: Progress = () => {},
): DemoResult {
  return db.transaction(() => runSqlite(db, seedDemoWork(SQLITE, opts, onProgress))).immediate();
}

/**
 * The same for the app and the host, yielding to the event loop between statements
 * so progress reaches the UI. All or nothing as well: it seeds on a connection of
 * its own inside one write transaction (committed at the end; a crash rolls it
 * back). Meanwhile the live connection keeps reading the database as it was, and a
 * write from this process is refused at once (DATA_DIR_BUSY, retryable) instead of
 * waiting for the lock with the event loop blocked.
 */
export async function seedDemoAsync(
  db: WritableDB,
  opts: DemoOptions,
  onProgress: Progress = () => {},
): Promise<DemoResult> {
  const seeder = openWritable(db.name);
  const busyTimeout = db.pragma('busy_timeout', { simple: true }) as number;
  try {
    applyConnectionSettings(seeder);
    seeder.exec('BEGIN IMMEDIATE');
    db.pragma('busy_timeout = 0');
    const result = await runSqliteYielding(seeder, seedDemoWork(SQLITE, opts, onProgress));
    seeder.exec('COMMIT');
    return result;
  } finally {
    if (seeder.inTransaction) seeder.exec('ROLLBACK');
    db.pragma(`busy_timeout = ${busyTimeout}`);
    seeder.close();
  }
}

/**
 * Seed the live data on either backend (team mode: the PostgreSQL schema) in one
 * write transaction: all of it or, after a failure or a kill, none of it.
 */
export function seedDemoData(
  data: DataStore,
  opts: DemoOptions,
  onProgress: Progress = () => {},
): Promise<DemoResult> {
  return data.write((c) => seedDemoWork(c, opts, onProgress));
}

function* once<R>(op: Op): Query<R> {
  return (yield op) as R;
}

/** runSqlite, one statement at a time with a turn of the event loop between them. */
async function runSqliteYielding<R>(db: WritableDB, q: Query<R>): Promise<R> {
  let step = q.next();
  while (!step.done) {
    let result: unknown;
    try {
      result = runSqlite(db, once(step.value));
    } catch (e) {
      step = q.throw(e);
      continue;
    }
    await new Promise((resolve) => setImmediate(resolve));
    step = q.next(result);
  }
  return step.value;
}

/** Deployments per statement (8 values each: well under either dialect's parameter limit). */
const CHUNK = 1000;

/** The demo data as one unit of store work for either dialect (run it in one transaction). */
export function* seedDemoWork(
  c: Sql,
  opts: DemoOptions,
  onProgress: Progress = () => {},
): Query<DemoResult> {
  if ((yield* countProjects(c)) > 0) {
    throw new AppError(
      'DEMO_NEEDS_EMPTY_DATA_DIR',
      'Demo data goes only into an empty data directory; this one already has projects.',
      {
        hint: 'Use a new data directory (--data-dir) to try the demo.',
      },
    );
  }
  const rand = rng(42);
  const now = opts.now;
  const day = 86_400_000;
  const envs: { id: number; project: string; env: string; snapshotId: number }[] = [];
  for (let p = 0; p < opts.projects; p++) {
    const base = PROJECT_NAMES[p % PROJECT_NAMES.length]!;
    const name =
      p < PROJECT_NAMES.length ? base : `${base}-${Math.floor(p / PROJECT_NAMES.length) + 1}`;
    const created = now - 180 * day + p * 3_600_000;
    const project = yield* row(
      c.k
        .insertInto('projects')
        .values({
          name,
          description: `Demo project ${name}.`,
          created_at: created,
          updated_at: created,
        })
        .returning('id'),
    );
    for (const e of ENVS) {
      const env = yield* row(
        c.k
          .insertInto('environments')
          .values({
            project_id: project!.id,
            name: e.name,
            kind: e.kind,
            description: `${e.name} for ${name}`,
            created_at: created,
            updated_at: created,
          })
          .returning('id'),
      );
      const eid = env!.id;
      let snapshotId = 0;
      for (let v = 1; v <= 2; v++) {
        const content = {
          image: `registry.local/${name}:1.${v}.0`,
          replicas: e.kind === 'production' ? 3 : 1,
          env: { LOG_LEVEL: e.kind === 'production' ? 'warn' : 'debug', REGION: 'local-1' },
          secrets: ['DATABASE_URL', 'API_TOKEN'],
        };
        const text = canonicalJson(content);
        const sha = crypto.createHash('sha256').update(text).digest('hex');
        const snap = yield* row(
          c.k
            .insertInto('config_snapshots')
            .values({
              environment_id: eid,
              version: v,
              content: text,
              sha256: sha,
              created_at: created + v * day,
            })
            .returning('id'),
        );
        snapshotId = snap!.id;
      }
      envs.push({ id: eid, project: name, env: e.name, snapshotId });
      const status = (resource: string, s: string) => ({
        environment_id: eid,
        resource,
        status: s,
        checked_at: now - 60_000,
        detail: '',
      });
      yield* exec(
        c.k
          .insertInto('resource_status')
          .values([status('web', rand() < 0.85 ? 'ok' : 'degraded'), status('database', 'ok')]),
      );
    }
  }

  const total = opts.deployments;
  const span = 120 * day;
  for (let start = 0; start < total; start += CHUNK) {
    const end = Math.min(total, start + CHUNK);
    const deployments: Insertable<DeploymentsTable>[] = [];
    const logs: ((id: number) => Insertable<DeploymentLogsTable>[])[] = [];
    const metrics: Insertable<MetricsTable>[] = [];
    for (let i = start; i < end; i++) {
      const target = envs[Math.floor(rand() * envs.length)]!;
      // Oldest first, evenly spread over the span, so the newest is close to now.
      const startedAt =
        now - span + Math.floor(((i + rand()) / Math.max(1, total)) * span) - 60_000;
      const r = rand();
      const status: DeploymentStatus =
        i >= total - 2 && r < 0.5
          ? 'running'
          : r < 0.8
            ? 'succeeded'
            : r < 0.93
              ? 'failed'
              : r < 0.97
                ? 'cancelled'
                : 'rolled_back';
      const finished =
        status === 'running' ? null : startedAt + 30_000 + Math.floor(rand() * 600_000);
      // Unique per deployment: the inserted ids are matched to it.
      const version = `1.${Math.floor(i / 50)}.${i % 50}`;
      const summary =
        status === 'failed'
          ? FAILURES[Math.floor(rand() * FAILURES.length)]!
          : status === 'succeeded'
            ? `Deployed ${version} to ${target.env}; health checks passed (3/3).`
            : status === 'rolled_back'
              ? `Rolled back after error rate rose above 5% on ${target.env}.`
              : null;
      deployments.push({
        environment_id: target.id,
        snapshot_id: target.snapshotId,
        version,
        status,
        started_at: startedAt,
        finished_at: finished,
        access_url: `https://${target.env}.${target.project}.local`,
        diagnostic_summary: summary,
      });
      // Logs for the most recent deployments and every 100th one keep the demo readable but small.
      if (i >= total - 200 || i % 100 === 0) {
        logs[i - start] = (id) => [
          {
            deployment_id: id,
            ts: startedAt,
            level: 'info',
            message: `Starting deployment of ${version} to ${target.project}/${target.env}`,
          },
          {
            deployment_id: id,
            ts: startedAt + 5_000,
            level: 'info',
            message: 'Pulled image, starting containers',
          },
          ...(status === 'failed'
            ? [{ deployment_id: id, ts: startedAt + 25_000, level: 'error', message: summary! }]
            : finished !== null
              ? [
                  {
                    deployment_id: id,
                    ts: finished,
                    level: 'info',
                    message: 'Health checks passed',
                  },
                ]
              : []),
        ];
      }
      if (i % 10 === 0)
        metrics.push({
          ts: startedAt,
          name: 'deploy.duration_s',
          value: finished === null ? 0 : (finished - startedAt) / 1000,
          labels: JSON.stringify({ env: target.env }),
        });
    }
    const inserted = yield* rows(
      c.k.insertInto('deployments').values(deployments).returning(['id', 'version']),
    );
    // RETURNING's order is not promised: the version names the deployment.
    const idOf = new Map(inserted.map((d) => [d.version, d.id]));
    const logRows = logs.flatMap((make, k) =>
      make ? make(idOf.get(deployments[k]!.version)!) : [],
    );
    if (logRows.length) yield* exec(c.k.insertInto('deployment_logs').values(logRows));
    if (metrics.length) yield* exec(c.k.insertInto('metrics').values(metrics));
    onProgress(end, total);
  }
  yield* exec(
    c.k.insertInto('runs').values({
      kind: 'demo.seed',
      status: 'succeeded',
      started_at: now,
      finished_at: now,
      detail: JSON.stringify({ projects: opts.projects, deployments: total }),
    }),
  );
  yield* appendAudit(
    c,
    {
      actor: opts.actor,
      action: 'demo.seeded',
      target: 'data-dir',
      detail: { projects: opts.projects, deployments: total },
    },
    now,
  );
  return { projects: opts.projects, environments: envs.length, deployments: total };
}
