// PostgreSQL for tests. The server is STATEWARD_TEST_PG_URL when set (CI
// exports it); otherwise pg-global-setup.ts gave this run a folder and the
// first test file that needs a server starts one cluster there (under a lock,
// so parallel workers share it), and the global teardown stops it. A run that
// needs no server pays nothing. Without a URL and without server binaries the
// tests that need one are skipped with the reason, except in CI, where the
// global setup fails the run instead.
import { afterAll, beforeAll } from 'vitest';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ClusterState } from './pg-cluster.ts';
import { PG_RUN_ENV, PG_SKIP_ENV, PG_URL_ENV, startCluster } from './pg-cluster.ts';
import { HELPERS_DIR } from './child.ts';
import { pgTargetState, withClient, withDatabase } from './pg-client.ts';

export { pgTargetState, withClient, withDatabase };

let warned = false;

/** Why PostgreSQL tests cannot run here, or null when they can. Call at collection time. */
export function pgSkipReason(): string | null {
  if (process.env[PG_URL_ENV]) return null;
  if (process.env[PG_RUN_ENV]) return null;
  const why =
    process.env[PG_SKIP_ENV] ??
    'the PostgreSQL global setup did not run (vitest.config.ts globalSetup)';
  if (!warned) {
    warned = true;
    console.warn(`skipped: tests that need PostgreSQL: ${why}`);
  }
  return why;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The run's cluster, started here when no other worker has (the run folder's lock decides). */
async function runCluster(runDir: string): Promise<ClusterState> {
  const stateFile = path.join(runDir, 'cluster.json');
  const errorFile = path.join(runDir, 'error.txt');
  let mine = false;
  try {
    fs.mkdirSync(path.join(runDir, 'lock'));
    mine = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  if (mine) {
    try {
      const s = await startCluster();
      fs.writeFileSync(`${stateFile}.tmp`, JSON.stringify(s), { mode: 0o600 });
      fs.renameSync(`${stateFile}.tmp`, stateFile);
      // Stops the cluster if the vitest process dies without its teardown.
      const owner = fs.readFileSync(path.join(runDir, 'owner'), 'utf8').trim();
      spawn(
        process.execPath,
        [path.join(HELPERS_DIR, 'pg-cluster.ts'), 'watch', stateFile, owner],
        {
          detached: true,
          stdio: 'ignore',
        },
      ).unref();
      return s;
    } catch (e) {
      fs.writeFileSync(errorFile, (e as Error).message);
      throw e;
    }
  }
  for (let waited = 0; waited < 180_000; waited += 100) {
    if (fs.existsSync(stateFile))
      return JSON.parse(fs.readFileSync(stateFile, 'utf8')) as ClusterState;
    if (fs.existsSync(errorFile))
      throw new Error(
        `the test PostgreSQL cluster did not start: ${fs.readFileSync(errorFile, 'utf8')}`,
      );
    await sleep(100);
  }
  throw new Error('the test PostgreSQL cluster did not start within 180 s');
}

/** The server's admin URL (a superuser on its maintenance database). */
export async function pgServerUrl(): Promise<string> {
  const given = process.env[PG_URL_ENV];
  if (given) return given;
  const runDir = process.env[PG_RUN_ENV];
  if (!runDir) throw new Error(`no PostgreSQL for tests: ${pgSkipReason() ?? 'unknown'}`);
  return (await runCluster(runDir)).url;
}

export interface PgTestDatabase {
  /** The URL of this file's own database (superuser; password in the URL). */
  url(): string;
  /** The server's admin URL. */
  serverUrl(): string;
  name(): string;
}

/**
 * Call at file or describe level: a fresh database `sw_test_<random>` for this
 * file, created before its tests and dropped after them.
 */
export function usePgDatabase(): PgTestDatabase {
  let server = '';
  const name = `sw_test_${crypto.randomBytes(6).toString('hex')}`;
  beforeAll(async () => {
    server = await pgServerUrl();
    await withClient(server, (c) => c.query(`CREATE DATABASE ${name}`));
  }, 180_000);
  afterAll(async () => {
    if (server === '') return;
    await withClient(server, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  });
  return {
    url: () => withDatabase(server, name),
    serverUrl: () => server,
    name: () => name,
  };
}
