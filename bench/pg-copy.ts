// The verified SQLite → PostgreSQL copy (electron/core/pg/copy.ts) against
// pgloader (Debian's package) loading the same SQLite file into a fresh
// database, in the same run, on the same server. pgloader does no
// verification; our copy migrates, copies with COPY, sets identities and
// hashes every table on both sides inside one transaction.
// The server: STATEWARD_TEST_PG_URL when set, else a throwaway cluster.
import { spawnSync } from 'node:child_process';
import { copySqliteToPostgres } from '../electron/core/pg/copy.ts';
import { admin, withBenchServer, withDatabase } from './pg-util.ts';

/** pgloader's path, installing Debian's package when missing; null with the reason. */
function ensurePgloader(log: (s: string) => void): string | null {
  const which = () => spawnSync('sh', ['-c', 'command -v pgloader'], { encoding: 'utf8' });
  if (which().status === 0) return which().stdout.trim();
  log('pg-copy: pgloader missing, trying apt-get install -y pgloader');
  const r = spawnSync('apt-get', ['install', '-y', 'pgloader'], { encoding: 'utf8' });
  if (r.status === 0 && which().status === 0) return which().stdout.trim();
  log(
    `pg-copy: skipping the pgloader baseline: it cannot be installed here (${(r.stderr || r.error?.message || 'unknown').trim().split('\n').pop()})`,
  );
  return null;
}

export async function pgCopyBench(opts: {
  source: string;
  sizeBytes: number;
  log: (s: string) => void;
}): Promise<string> {
  const { log } = opts;
  const out: string[] = [];
  await withBenchServer('pg-copy', log, async (server) => {
    const ours = `sw_bench_copy_${process.pid}`;
    const theirs = `sw_bench_pgloader_${process.pid}`;
    await admin(server, `CREATE DATABASE ${ours}`);
    await admin(server, `CREATE DATABASE ${theirs}`);
    try {
      const t0 = Date.now();
      const report = await copySqliteToPostgres({
        sourceDb: opts.source,
        target: withDatabase(server, ours),
        execute: true,
      });
      const oursMs = Date.now() - t0;
      const rows = report.tables.reduce((n, t) => n + t.rowsRead, 0);
      out.push(
        `\nSQLite → PostgreSQL copy (${(opts.sizeBytes / 1048576).toFixed(0)} MiB, ${rows} rows)`,
        `  verified copy (migrate + COPY + setval + SHA-256 both sides, one transaction): ${(oursMs / 1000).toFixed(2)} s, ${Math.round((rows / oursMs) * 1000)} rows/s`,
      );
      out.push('  per table (copy phase; verification is in the total):');
      for (const t of [...report.tables].sort((a, b) => b.rowsRead - a.rowsRead)) {
        if (t.rowsRead === 0) continue;
        out.push(
          `    ${t.name.padEnd(18)} ${String(t.rowsRead).padStart(9)} rows  ${String(t.rowsPerSec).padStart(8)} rows/s`,
        );
      }
      const bin = ensurePgloader(log);
      if (bin !== null) {
        const t1 = Date.now();
        const r = spawnSync(
          bin,
          ['--no-ssl-cert-verification', `sqlite://${opts.source}`, withDatabase(server, theirs)],
          {
            encoding: 'utf8',
            env: { ...process.env, TMPDIR: process.env.TMPDIR ?? '/tmp' },
          },
        );
        const theirsMs = Date.now() - t1;
        if (r.status !== 0) {
          out.push(
            `  pgloader: failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`,
          );
        } else {
          out.push(
            `  pgloader (no verification): ${(theirsMs / 1000).toFixed(2)} s, ${Math.round((rows / theirsMs) * 1000)} rows/s`,
            `  ratio verified copy / pgloader: ${(oursMs / theirsMs).toFixed(2)}× (target ≤ 1.5×)`,
          );
          const summary = r.stdout
            .split('\n')
            .filter((l) =>
              /\bdeployment_logs\b|\bmetrics\b|\baudit_log\b|Total import time/.test(l),
            );
          for (const l of summary) out.push(`    pgloader: ${l.trim()}`);
        }
      }
    } finally {
      await admin(server, `DROP DATABASE IF EXISTS ${ours} WITH (FORCE)`);
      await admin(server, `DROP DATABASE IF EXISTS ${theirs} WITH (FORCE)`);
    }
  });
  return `${out.join('\n')}\n`;
}
