// Sample data for a first run: projects with environments, configuration
// snapshots, a deployment history with logs and diagnostics, runs, metrics and
// audit entries. Deterministic for a given size, so tests can rely on counts.
import { AppError } from '../../shared/errors.ts';
import type { DeploymentStatus, EnvironmentKind } from '../../shared/domain.ts';
import type { WritableDB } from './store/db.ts';
import { applyConnectionSettings, openWritable } from './store/db.ts';
import { appendAudit } from './store/resources/audit.ts';
import { countProjects } from './store/resources/projects.ts';
import { runSqlite, SQLITE } from './store/sql.ts';
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

/**
 * Fill an empty database in one go (CLI, tests, benchmarks), in one transaction:
 * a crash leaves the data dir as empty as it was, never part of a demo.
 */
export function seedDemo(
  db: WritableDB,
  opts: DemoOptions,
  onProgress: (done: number, total: number) => void = () => {},
): DemoResult {
  return db
    .transaction(() => {
      const steps = seedDemoSteps(db, opts, onProgress);
      for (;;) {
        const next = steps.next();
        if (next.done) return next.value;
      }
    })
    .immediate();
}

/**
 * The same for the app and the host, yielding to the event loop between chunks
 * of 5,000 deployments so progress reaches the UI. All or nothing as well: it
 * seeds on a connection of its own inside one write transaction (committed at
 * the end; a crash rolls it back). Meanwhile the live connection keeps reading
 * the database as it was, and a write from this process is refused at once
 * (DATA_DIR_BUSY, retryable) instead of waiting for the lock with the event
 * loop blocked.
 */
export async function seedDemoAsync(
  db: WritableDB,
  opts: DemoOptions,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<DemoResult> {
  const seeder = openWritable(db.name);
  const busyTimeout = db.pragma('busy_timeout', { simple: true }) as number;
  try {
    applyConnectionSettings(seeder);
    seeder.exec('BEGIN IMMEDIATE');
    db.pragma('busy_timeout = 0');
    const steps = seedDemoSteps(seeder, opts, onProgress);
    for (;;) {
      const next = steps.next();
      if (next.done) {
        seeder.exec('COMMIT');
        return next.value;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    if (seeder.inTransaction) seeder.exec('ROLLBACK');
    db.pragma(`busy_timeout = ${busyTimeout}`);
    seeder.close();
  }
}

function* seedDemoSteps(
  db: WritableDB,
  opts: DemoOptions,
  onProgress: (done: number, total: number) => void,
): Generator<void, DemoResult> {
  // SQLite only, inside the seeding write transaction (seedDemo / seedDemoAsync).
  if (runSqlite(db, countProjects(SQLITE)) > 0) {
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
  const insProject = db.prepare(
    `INSERT INTO projects (name, description, created_at, updated_at) VALUES (?, ?, ?, ?)`,
  );
  const insEnv = db.prepare(
    `INSERT INTO environments (project_id, name, kind, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const insSnap = db.prepare(
    `INSERT INTO config_snapshots (environment_id, version, content, sha256, created_at) VALUES (?, ?, ?, ?, ?)`,
  );
  const insDep = db.prepare(
    `INSERT INTO deployments (environment_id, snapshot_id, version, status, started_at, finished_at, access_url, diagnostic_summary)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insLog = db.prepare(
    `INSERT INTO deployment_logs (deployment_id, ts, level, message) VALUES (?, ?, ?, ?)`,
  );
  const insRun = db.prepare(
    `INSERT INTO runs (kind, status, started_at, finished_at, detail) VALUES (?, ?, ?, ?, ?)`,
  );
  const insMetric = db.prepare(`INSERT INTO metrics (ts, name, value, labels) VALUES (?, ?, ?, ?)`);
  const insStatus = db.prepare(
    `INSERT INTO resource_status (environment_id, resource, status, checked_at, detail) VALUES (?, ?, ?, ?, ?)`,
  );

  const envs: { id: number; project: string; env: string; snapshotId: number }[] = [];
  const setup = db.transaction(() => {
    for (let p = 0; p < opts.projects; p++) {
      const base = PROJECT_NAMES[p % PROJECT_NAMES.length]!;
      const name =
        p < PROJECT_NAMES.length ? base : `${base}-${Math.floor(p / PROJECT_NAMES.length) + 1}`;
      const created = now - 180 * day + p * 3_600_000;
      const pid = Number(
        insProject.run(name, `Demo project ${name}.`, created, created).lastInsertRowid,
      );
      for (const e of ENVS) {
        const eid = Number(
          insEnv.run(pid, e.name, e.kind, `${e.name} for ${name}`, created, created)
            .lastInsertRowid,
        );
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
          snapshotId = Number(insSnap.run(eid, v, text, sha, created + v * day).lastInsertRowid);
        }
        envs.push({ id: eid, project: name, env: e.name, snapshotId });
        insStatus.run(eid, 'web', rand() < 0.85 ? 'ok' : 'degraded', now - 60_000, '');
        insStatus.run(eid, 'database', 'ok', now - 60_000, '');
      }
    }
  });
  setup();

  const total = opts.deployments;
  const chunk = 5000;
  const span = 120 * day;
  for (let start = 0; start < total; start += chunk) {
    const end = Math.min(total, start + chunk);
    db.transaction(() => {
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
        const version = `1.${Math.floor(i / 50)}.${i % 50}`;
        const summary =
          status === 'failed'
            ? FAILURES[Math.floor(rand() * FAILURES.length)]!
            : status === 'succeeded'
              ? `Deployed ${version} to ${target.env}; health checks passed (3/3).`
              : status === 'rolled_back'
                ? `Rolled back after error rate rose above 5% on ${target.env}.`
                : null;
        const url = `https://${target.env}.${target.project}.local`;
        const depId = Number(
          insDep.run(
            target.id,
            target.snapshotId,
            version,
            status,
            startedAt,
            finished,
            url,
            summary,
          ).lastInsertRowid,
        );
        // Logs for the most recent deployments and every 100th one keep the demo readable but small.
        if (i >= total - 200 || i % 100 === 0) {
          insLog.run(
            depId,
            startedAt,
            'info',
            `Starting deployment of ${version} to ${target.project}/${target.env}`,
          );
          insLog.run(depId, startedAt + 5_000, 'info', 'Pulled image, starting containers');
          if (status === 'failed')
            insLog.run(depId, startedAt + 25_000, 'error', summary ?? 'failed');
          else if (finished !== null) insLog.run(depId, finished, 'info', 'Health checks passed');
        }
        if (i % 10 === 0)
          insMetric.run(
            startedAt,
            'deploy.duration_s',
            finished === null ? 0 : (finished - startedAt) / 1000,
            JSON.stringify({ env: target.env }),
          );
      }
    })();
    onProgress(end, total);
    yield;
  }
  db.transaction(() => {
    insRun.run(
      'demo.seed',
      'succeeded',
      now,
      now,
      JSON.stringify({ projects: opts.projects, deployments: total }),
    );
    runSqlite(
      db,
      appendAudit(
        SQLITE,
        {
          actor: opts.actor,
          action: 'demo.seeded',
          target: 'data-dir',
          detail: { projects: opts.projects, deployments: total },
        },
        now,
      ),
    );
  })();
  return { projects: opts.projects, environments: envs.length, deployments: total };
}
