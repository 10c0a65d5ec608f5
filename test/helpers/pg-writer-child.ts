// A writer committing continuously to a team schema: `node pg-writer-child.ts URL SCHEMA [TX_PER_SEC] [barrier]`
// (flat out without a rate or with 0; the bench paces it). With `barrier` each transaction
// first takes the schema's promote key shared, as team writes do, and is refused (rolled
// back, counted in `refused`) while a promote holds it.
// Each transaction inserts a deployment ('w-<n>'), moves 1 between metrics rows 1
// and 2, and records n in settings 'writer', so every consistent snapshot has
// count(w-*) = settings.writer = 1000 - metrics[1]. Prints "ready", then on
// SIGTERM one JSON line { commits, maxMs, p99Ms }.
import pg from 'pg';
import { advisoryKey } from '../../electron/core/pg/locks.ts';

const [url, schema, rate, barrier] = process.argv.slice(2);
const intervalMs = rate && Number(rate) > 0 ? 1000 / Number(rate) : 0;
const promoteKey = barrier === 'barrier' ? advisoryKey('promote', schema!) : null;
let refused = 0;
const client = new pg.Client({ connectionString: url!, application_name: 'stateward-test-writer' });
await client.connect();
await client.query(`SET search_path = "${schema!}"`);
let stop = false;
process.on('SIGTERM', () => (stop = true));
const latencies: number[] = [];
let n = Number(
  (await client.query(`SELECT count(*) AS n FROM deployments WHERE version LIKE 'w-%'`)).rows[0].n,
);
process.stdout.write('ready\n');
const begun = performance.now();
while (!stop) {
  if (intervalMs > 0) {
    const due = begun + latencies.length * intervalMs - performance.now();
    if (due > 0) await new Promise((r) => setTimeout(r, due));
    if (stop) break;
  }
  const t0 = performance.now();
  n += 1;
  await client.query('BEGIN');
  if (promoteKey !== null) {
    const r = await client.query(`SELECT pg_try_advisory_xact_lock_shared($1::bigint) AS ok`, [
      promoteKey,
    ]);
    if (!r.rows[0].ok) {
      await client.query('ROLLBACK');
      n -= 1;
      refused += 1;
      await new Promise((r) => setTimeout(r, 2));
      continue;
    }
  }
  await client.query(
    `INSERT INTO deployments (environment_id, version, status, started_at) VALUES (1, $1, 'queued', $2)`,
    [`w-${n}`, Date.now()],
  );
  await client.query(`UPDATE metrics SET value = value - 1 WHERE id = 1`);
  await client.query(`UPDATE metrics SET value = value + 1 WHERE id = 2`);
  await client.query(
    `INSERT INTO settings (key, value, updated_at) VALUES ('writer', to_jsonb($1::int), $2)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`,
    [n, Date.now()],
  );
  await client.query('COMMIT');
  latencies.push(performance.now() - t0);
}
await client.end();
latencies.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    commits: latencies.length,
    refused,
    maxMs: Math.round((latencies[latencies.length - 1] ?? 0) * 10) / 10,
    p99Ms: Math.round((latencies[Math.floor(latencies.length * 0.99)] ?? 0) * 10) / 10,
  })}\n`,
);
