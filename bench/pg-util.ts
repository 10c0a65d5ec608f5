// Shared by the PostgreSQL bench sections (pg-copy.ts, pg-backup.ts).
import type { ClusterState } from '../test/helpers/pg-cluster.ts';
import { PG_URL_ENV, startCluster, stopCluster } from '../test/helpers/pg-cluster.ts';
import { withClient } from '../test/helpers/pg-client.ts';

export { withDatabase } from '../test/helpers/pg-client.ts';

/** Run one statement on `url`. */
export async function admin(url: string, sql: string): Promise<void> {
  await withClient(url, (c) => c.query(sql));
}

/**
 * Run `fn` with the server's admin URL: STATEWARD_TEST_PG_URL when set, else a
 * throwaway cluster started for it and stopped after.
 */
export async function withBenchServer<T>(
  label: string,
  log: (s: string) => void,
  fn: (server: string) => Promise<T>,
): Promise<T> {
  const given = process.env[PG_URL_ENV];
  if (given) return fn(given);
  log(`${label}: starting a throwaway PostgreSQL cluster`);
  const cluster: ClusterState = await startCluster();
  try {
    return await fn(cluster.url);
  } finally {
    await stopCluster(cluster);
  }
}
