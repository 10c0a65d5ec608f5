// Vitest global setup for PostgreSQL (see pg.ts): use STATEWARD_TEST_PG_URL
// when set; otherwise, when server binaries exist, give this run a folder in
// which the first test that needs a server starts one cluster, stopped here at
// the end; with neither, CI fails and elsewhere those tests skip with the reason.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClusterState } from './pg-cluster.ts';
import { findPgBin, PG_RUN_ENV, PG_SKIP_ENV, PG_URL_ENV, stopCluster } from './pg-cluster.ts';

export type PgTestPlan =
  { use: 'url' } | { use: 'cluster'; bin: string } | { use: 'skip'; why: string };

/** What this run does for PostgreSQL; throws (failing the run) in CI when it cannot have one. */
export function pgTestPlan(env: NodeJS.ProcessEnv, bin: string | null): PgTestPlan {
  if (env[PG_URL_ENV]) return { use: 'url' };
  if (bin !== null) return { use: 'cluster', bin };
  const why = `no ${PG_URL_ENV} and no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb); install Debian's postgresql or export ${PG_URL_ENV}`;
  if (env.CI === 'true') throw new Error(`CI needs PostgreSQL for its tests: ${why}`);
  return { use: 'skip', why };
}

export default function setup(): (() => Promise<void>) | undefined {
  const plan = pgTestPlan(process.env, findPgBin());
  if (plan.use === 'url') return undefined;
  if (plan.use === 'skip') {
    process.env[PG_SKIP_ENV] = plan.why;
    return undefined;
  }
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-pg-run-'));
  fs.writeFileSync(path.join(runDir, 'owner'), String(process.pid));
  process.env[PG_RUN_ENV] = runDir;
  return async () => {
    const stateFile = path.join(runDir, 'cluster.json');
    try {
      if (fs.existsSync(stateFile))
        await stopCluster(JSON.parse(fs.readFileSync(stateFile, 'utf8')) as ClusterState);
    } finally {
      fs.rmSync(runDir, { recursive: true, force: true });
    }
  };
}
