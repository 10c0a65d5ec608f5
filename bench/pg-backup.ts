// Team backups (electron/core/pg/backup.ts) against `pg_dump -Fc` of the same
// schema on the same data, in the same run, on the same server; then the same
// backup while a paced writer commits to the schema, against the writer alone.
// The data: the bench's generated SQLite database, copied into PostgreSQL with
// the verified copy (electron/core/pg/copy.ts). The server: STATEWARD_TEST_PG_URL
// when set, else a throwaway cluster.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPgBackup } from '../electron/core/pg/backup.ts';
import { copySqliteToPostgres } from '../electron/core/pg/copy.ts';
import { findPgBin } from '../test/helpers/pg-cluster.ts';
import { median, secs } from './format.ts';
import { admin, withBenchServer, withDatabase } from './pg-util.ts';

const SCHEMA = 'stateward';
const here = path.dirname(new URL(import.meta.url).pathname);

interface WriterStats {
  commits: number;
  maxMs: number;
  p99Ms: number;
}

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startWriter(url: string, rate: number): { stop: () => Promise<WriterStats> } {
  const child = spawn(
    process.execPath,
    [path.join(here, '../test/helpers/pg-writer-child.ts'), url, SCHEMA, String(rate)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return {
    stop: () =>
      new Promise((resolve, reject) => {
        child.once('exit', () => {
          const last = out.trim().split('\n').pop() ?? '';
          try {
            resolve(JSON.parse(last) as WriterStats);
          } catch (e) {
            reject(new Error(`writer printed ${out}: ${(e as Error).message}`));
          }
        });
        child.kill('SIGTERM');
      }),
  };
}

export async function pgBackupBench(opts: {
  source: string;
  runs: number;
  writerRate: number;
  log: (s: string) => void;
}): Promise<string> {
  const { log, runs } = opts;
  const out: string[] = [];
  await withBenchServer('pg-backup', log, async (server) => {
    const bin = findPgBin();
    const pgDump = bin ? path.join(bin, 'pg_dump') : 'pg_dump';
    const dbName = `sw_bench_backup_${process.pid}`;
    const url = withDatabase(server, dbName);
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stateward-pg-backup-'));
    try {
      await admin(server, `CREATE DATABASE ${dbName}`);
      log('pg-backup: loading the bench data into PostgreSQL');
      const loaded = await copySqliteToPostgres({
        sourceDb: opts.source,
        target: url,
        schema: SCHEMA,
        execute: true,
      });
      const rows = loaded.tables.reduce((n, t) => n + t.rowsRead, 0);
      await admin(url, 'VACUUM ANALYZE');
      /** One team backup into outDir, timed, then removed: its duration and size. */
      const timedBackup = async () => {
        const t0 = performance.now();
        const r = await createPgBackup({
          url,
          schema: SCHEMA,
          outDir,
          kind: 'manual',
          compact: false,
        });
        const ms = performance.now() - t0;
        fs.rmSync(r.path);
        fs.rmSync(r.manifestPath);
        return { ms, bytes: r.manifest.bytes };
      };
      const ours: number[] = [];
      const dumps: number[] = [];
      let ourBytes = 0;
      let dumpBytes = 0;
      for (let i = 0; i < runs; i++) {
        spawnSync('sync');
        const b = await timedBackup();
        ours.push(b.ms);
        ourBytes = b.bytes;
        spawnSync('sync');
        const dumpFile = path.join(outDir, 'dump.pgc');
        const t1 = performance.now();
        const d = spawnSync(pgDump, ['-Fc', '-n', SCHEMA, '-f', dumpFile, url], {
          encoding: 'utf8',
        });
        if (d.status !== 0) throw new Error(`pg_dump failed: ${d.stderr}`);
        // pg_dump does not fsync its output; ours does (the backup is durable when it returns).
        const fd = fs.openSync(dumpFile, 'r+');
        fs.fsyncSync(fd);
        fs.closeSync(fd);
        dumps.push(performance.now() - t1);
        dumpBytes = fs.statSync(dumpFile).size;
        fs.rmSync(dumpFile);
        log(
          `pg-backup: run ${i + 1}/${runs}: ours ${secs(ours[i]!)}, pg_dump -Fc ${secs(dumps[i]!)}`,
        );
      }
      // The writer alone, then the same writer while backups run back to back.
      const alone = startWriter(url, opts.writerRate);
      await sleep(Math.max(2000, median(ours) * runs));
      const aloneStats = await alone.stop();
      const busy = startWriter(url, opts.writerRate);
      await sleep(300);
      const loaded2: number[] = [];
      for (let i = 0; i < runs; i++) {
        loaded2.push((await timedBackup()).ms);
      }
      const busyStats = await busy.stop();
      // For reference: the same writer while pg_dump reads the same schema, back to back.
      const dumping = startWriter(url, opts.writerRate);
      await sleep(300);
      for (let i = 0; i < runs; i++) {
        const dumpFile = path.join(outDir, 'dump.pgc');
        const d = spawnSync(pgDump, ['-Fc', '-n', SCHEMA, '-f', dumpFile, url], {
          encoding: 'utf8',
        });
        if (d.status !== 0) throw new Error(`pg_dump failed: ${d.stderr}`);
        fs.rmSync(dumpFile);
      }
      const dumpStats = await dumping.stop();
      const o = median(ours);
      const d = median(dumps);
      const w = median(loaded2);
      out.push(
        `\nTeam backup of PostgreSQL (schema ${SCHEMA}, ${rows} rows, ${opts.source.includes('MiB') ? path.basename(path.dirname(opts.source)) : 'bench data'}; median of ${runs})`,
        `  team backup (REPEATABLE READ snapshot → SQLite file, quick_check, SHA-256, fsync): ${secs(o)}, ${mib(ourBytes)}`,
        `  pg_dump -Fc -n ${SCHEMA} (+ fsync):                                            ${secs(d)}, ${mib(dumpBytes)}`,
        `  ratio team backup / pg_dump: ${(o / d).toFixed(2)}× (target ≤ 1.5×)`,
        `  team backup with a writer at ${opts.writerRate} tx/s: ${secs(w)} (ratio with / without: ${(w / o).toFixed(2)}×); every backup finished`,
        `  writer alone: ${aloneStats.commits} commits, p99 ${aloneStats.p99Ms} ms, max ${aloneStats.maxMs} ms`,
        `  writer during backups: ${busyStats.commits} commits, p99 ${busyStats.p99Ms} ms, max ${busyStats.maxMs} ms (p99 ratio ${(busyStats.p99Ms / Math.max(aloneStats.p99Ms, 0.1)).toFixed(2)}×, target ≤ 2×)`,
        `  writer during pg_dump (reference): ${dumpStats.commits} commits, p99 ${dumpStats.p99Ms} ms, max ${dumpStats.maxMs} ms (p99 ratio ${(dumpStats.p99Ms / Math.max(aloneStats.p99Ms, 0.1)).toFixed(2)}×)`,
      );
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true });
      await admin(server, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    }
  });
  return `${out.join('\n')}\n`;
}
