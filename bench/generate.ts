// Generates a Stateward database of about the requested size with realistic
// control-plane data (projects, environments, snapshots, deployments with
// diagnostic summaries, deployment logs, audit, metrics), fast: rows are made
// inside SQLite with recursive CTEs rather than one statement per row.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startRuntime } from '../electron/core/runtime.ts';
import { seedDemo } from '../electron/core/demo.ts';

export async function generateDatabase(
  dir: string,
  targetBytes: number,
  log: (s: string) => void,
): Promise<string> {
  const rt = await startRuntime({
    dir,
    source: 'flag',
    transport: 'cli',
    lockMode: null,
    preUpgradeBackup: false,
  });
  if (!rt.store) throw new Error(`cannot open ${dir}: ${JSON.stringify(rt.startup)}`);
  seedDemo(rt.store.db, { projects: 12, deployments: 20_000, actor: 'bench', now: Date.now() });
  rt.close();
  const file = path.join(dir, 'stateward.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const depIds = db.prepare('SELECT min(id) AS lo, max(id) AS hi FROM deployments').get() as {
    lo: number;
    hi: number;
  };
  const insertLogs = db.prepare(`
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)
    INSERT INTO deployment_logs (deployment_id, ts, level, message)
    SELECT ? + abs(random()) % (? - ? + 1), ? + x * 37,
           CASE abs(random()) % 10 WHEN 0 THEN 'warn' WHEN 1 THEN 'error' ELSE 'info' END,
           printf('step %d: pulled layer sha256:%s, %d bytes; container %s healthy after %d ms; env=%s',
                  x, lower(hex(randomblob(32))), abs(random()) % 100000000, lower(hex(randomblob(6))), abs(random()) % 5000,
                  lower(hex(randomblob(24))))
    FROM c`);
  const insertMetrics = db.prepare(`
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)
    INSERT INTO metrics (ts, name, value, labels)
    SELECT ? + x * 1000, 'http.latency_ms', abs(random()) % 2000 / 10.0, printf('{"env":"e%d","route":"/r/%d"}', x % 3, x % 50) FROM c`);
  const insertAudit = db.prepare(`
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)
    INSERT INTO audit_log (ts, actor, action, target, detail)
    SELECT ? + x, 'bench@host', 'deployment.status', printf('deployment:%d', x), printf('{"status":"succeeded","note":"%s"}', lower(hex(randomblob(40)))) FROM c`);
  const t0 = Date.now();
  let round = 0;
  while (fs.statSync(file).size + fs.statSync(`${file}-wal`).size < targetBytes) {
    const base = Date.now() - 90 * 86_400_000 + round * 1_000_000;
    db.transaction(() => {
      insertLogs.run(100_000, depIds.lo, depIds.hi, depIds.lo, base);
      insertMetrics.run(25_000, base);
      insertAudit.run(5_000, base);
    })();
    round++;
    if (round % 10 === 0) {
      db.pragma('wal_checkpoint(TRUNCATE)');
      log(`generate: ${Math.round(fs.statSync(file).size / 1048576)} MiB`);
    }
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  log(
    `generate: ${Math.round(fs.statSync(file).size / 1048576)} MiB in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  return file;
}
