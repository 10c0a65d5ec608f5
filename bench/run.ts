// `npm run bench`: backup figures, each against a baseline measured in the same run,
// then the deployments list at a million rows (bench/paging.ts).
//   node bench/run.ts [--only backup|paging|dialect|pg-paging|pg-copy|pg-backup|boot] [--backend postgres] [--size-mb 1024] [--runs 3] [--writer-rate 750]
//                     [--fresh] [--paging-rows 1000000] [--paging-requests 200]
// The generated database is cached in $TMPDIR/stateward-bench-<size>MiB between runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createBackup } from '../electron/core/backup/engine.ts';
import { startRuntime } from '../electron/core/runtime.ts';
import { generateDatabase } from './generate.ts';
import { median, secs } from './format.ts';
import { pagingBench } from './paging.ts';
import { pgCopyBench } from './pg-copy.ts';
import { pgBackupBench } from './pg-backup.ts';
import { dialectBench } from './dialect.ts';
import { pgPagingBench } from './pg-paging.ts';
import { bootBench } from './boot.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    backend: { type: 'string' },
    'size-mb': { type: 'string', default: process.env.BENCH_SIZE_MB ?? '1024' },
    runs: { type: 'string', default: '3' },
    'writer-rate': { type: 'string', default: '750' },
    fresh: { type: 'boolean', default: false },
    'paging-rows': { type: 'string', default: '1000000' },
    'paging-requests': { type: 'string', default: '200' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(`npm run bench -- [options]
  --only backup|paging|dialect|pg-paging|pg-copy|pg-backup|boot  run one section (default: all but boot)
  --backend postgres  the PostgreSQL sections only (pg-paging, pg-copy, pg-backup)
  backup:  --size-mb N (1024)  --runs N (3)  --writer-rate N tx/s (750)  --fresh (regenerate)
  paging:  --paging-rows N (1000000)  --paging-requests N per case (200)
  dialect: --paging-rows N  --paging-requests N: SQLite list and write paths through the query
           core against the same SQL as prepared statements (issue 11.2)
  pg-paging: --paging-rows N  --paging-requests N: the paging section on PostgreSQL (team mode)
  pg-copy: --size-mb N (1024): the verified SQLite → PostgreSQL copy against pgloader
  pg-backup: --size-mb N (100 unless given)  --runs N  --writer-rate N: team backup against
           pg_dump -Fc of the same schema, and with a writer against without
  boot:    --size-mb N (1024)  --runs N: what the drill's boot step (the real app on the copy)
           adds to a whole drill: drills with it and without it, alternating
`);
  process.exit(0);
}
const SECTIONS = ['backup', 'paging', 'dialect', 'pg-paging', 'pg-copy', 'pg-backup', 'boot'];
const PG_SECTIONS = ['pg-paging', 'pg-copy', 'pg-backup'];
if (values.backend !== undefined && values.backend !== 'postgres' && values.backend !== 'sqlite') {
  process.stderr.write(`bench: --backend takes postgres or sqlite, not ${values.backend}\n`);
  process.exit(2);
}
if (values.only !== undefined && !SECTIONS.includes(values.only)) {
  process.stderr.write(`bench: --only takes ${SECTIONS.join(', ')}, not ${values.only}\n`);
  process.exit(2);
}
const sizeMb = Number(values['size-mb']);
const sizeGiven =
  process.argv.some((a) => a.startsWith('--size-mb')) || !!process.env.BENCH_SIZE_MB;
const runs = Number(values.runs);
const writerRate = Number(values['writer-rate']);
const log = (s: string) => process.stderr.write(`${s}\n`);
const here = path.dirname(new URL(import.meta.url).pathname);

const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;

async function ensureDatabase(mb = sizeMb): Promise<string> {
  const dir = path.join(os.tmpdir(), `stateward-bench-${mb}MiB`);
  const file = path.join(dir, 'stateward.db');
  if (values.fresh) fs.rmSync(dir, { recursive: true, force: true });
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    await generateDatabase(dir, mb * 1048576, log);
  }
  const db = new Database(file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return file;
}

/** Baseline for (a): SQLite's own best method — one-step db.backup() in a worker. */
function rawBackupInWorker(source: string, dest: string): Promise<number> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const Database = require(${JSON.stringify(path.resolve(here, '../node_modules/better-sqlite3'))});
    const db = new Database(workerData.source, { readonly: true });
    db.backup(workerData.dest, { progress: () => 0x7fffffff }).then(() => { db.close(); parentPort.postMessage('done'); });
  `;
  // Timed from outside, worker start included, as our backup is.
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { source, dest } });
    w.once('message', () => {
      const ms = performance.now() - t;
      void w.terminate().then(() => resolve(ms));
    });
    w.once('error', reject);
  });
}

/** Baseline for (b): the physical limit — cp of the idle, checkpointed file, then fsync. */
function copyAndFsync(source: string, dest: string): number {
  const t = performance.now();
  const r = spawnSync('cp', [source, dest]);
  if (r.status !== 0) throw new Error(`cp failed: ${r.stderr}`);
  const fd = fs.openSync(dest, 'r+');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  return performance.now() - t;
}

interface Timed {
  totalMs: number;
  snapshotMs: number;
  bytes: number;
  path: string;
}

async function ourBackup(source: string, outDir: string, compact: boolean): Promise<Timed> {
  const t = performance.now();
  let snapshotMs = 0;
  const r = await createBackup({
    source,
    outDir,
    kind: 'manual',
    compact,
    onProgress: (p) => {
      if (p.phase !== 'snapshot' && snapshotMs === 0) snapshotMs = performance.now() - t;
    },
  });
  const totalMs = performance.now() - t;
  return { totalMs, snapshotMs, bytes: r.manifest.bytes, path: r.path };
}

// Async: unlinking a large file can take tens of milliseconds, which the lag monitor would charge to the backup.
async function removeBackup(p: string): Promise<void> {
  await fs.promises.rm(p, { force: true });
  await fs.promises.rm(p.replace(/\.sqlite$/, '.manifest.json'), { force: true });
}

interface WriterStats {
  tx: number;
  txPerSec: number;
  p50: number;
  p99: number;
  max: number;
}

function startWriter(file: string): { stop: () => Promise<WriterStats> } {
  const child = spawn(process.execPath, [path.join(here, 'writer.ts'), file, String(writerRate)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return {
    stop: () =>
      new Promise((resolve, reject) => {
        child.once('exit', () => {
          try {
            resolve(JSON.parse(out.trim()) as WriterStats);
          } catch (e) {
            reject(new Error(`writer printed ${out}: ${(e as Error).message}`));
          }
        });
        child.kill('SIGTERM');
      }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Flush dirty pages before each measured operation (not timed): otherwise the
 * gigabytes written by the previous method are still being written back and
 * throttle whichever method runs next.
 */
function settle(warm?: string): void {
  spawnSync('sync');
  // This VM reclaims cold page cache proactively: read the input back in so every
  // method starts from the same (cached) place.
  if (warm) spawnSync('cat', [warm], { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function main(): Promise<void> {
  const run = (section: string) =>
    values.only === undefined
      ? values.backend === undefined ||
        PG_SECTIONS.includes(section) === (values.backend === 'postgres')
      : values.only === section;
  if (run('backup')) await backupBench();
  if (run('paging')) {
    process.stdout.write(
      await pagingBench({
        rows: Number(values['paging-rows']),
        requests: Number(values['paging-requests']),
        log,
      }),
    );
  }
  const paging = {
    rows: Number(values['paging-rows']),
    requests: Number(values['paging-requests']),
    log,
  };
  if (run('dialect')) process.stdout.write(await dialectBench(paging));
  if (run('pg-paging')) process.stdout.write(await pgPagingBench(paging));
  if (run('pg-copy')) {
    const source = await ensureDatabase();
    process.stdout.write(await pgCopyBench({ source, sizeBytes: fs.statSync(source).size, log }));
  }
  if (run('pg-backup')) {
    const source = await ensureDatabase(sizeGiven ? sizeMb : 100);
    process.stdout.write(await pgBackupBench({ source, runs, writerRate, log }));
  }
  // Only on its own: it drills 2 × runs times more (the backup section's (e) drills with it on).
  if (values.only === 'boot') {
    const source = await ensureDatabase();
    process.stdout.write(await bootBench({ source, runs, log }));
  }
}

async function backupBench(): Promise<void> {
  const source = await ensureDatabase();
  const outDir = fs.mkdtempSync(path.join(path.dirname(source), 'out-'));
  const rawDest = path.join(outDir, 'raw.sqlite');
  const cpDest = path.join(outDir, 'cp.sqlite');
  const size = fs.statSync(source).size;
  log(
    `bench: ${mib(size)} database, ${runs} runs each, ${os.cpus().length} cores, node ${process.version}`,
  );
  // Warm the page cache so every method starts from the same place.
  copyAndFsync(source, cpDest);

  // (a) snapshot alone vs one-step db.backup() in a worker; (b) whole backup vs cp + fsync (idle).
  const raw: number[] = [];
  const snap: number[] = [];
  const whole: number[] = [];
  const cp: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Each method writes into the same, otherwise empty, folder state: its output is removed before the next starts.
    settle(source);
    raw.push(await rawBackupInWorker(source, rawDest));
    fs.rmSync(rawDest, { force: true });
    settle(source);
    cp.push(copyAndFsync(source, cpDest));
    fs.rmSync(cpDest, { force: true });
    settle(source);
    const ours = await ourBackup(source, outDir, false);
    snap.push(ours.snapshotMs);
    whole.push(ours.totalMs);
    await removeBackup(ours.path);
    log(
      `  run ${i + 1}: raw backup ${secs(raw[i]!)}, our snapshot ${secs(snap[i]!)}, whole ${secs(whole[i]!)}, cp+fsync ${secs(cp[i]!)}`,
    );
  }

  // (c) with a writer process throughout: writer latency, event-loop lag, completion.
  log(`  writer alone (${writerRate} tx/s target) …`);
  const alone = startWriter(source);
  await sleep(6000);
  const aloneStats = await alone.stop();
  const busy = startWriter(source);
  await sleep(500);
  const underWriter: number[] = [];
  let completed = 0;
  let maxLagMs = 0;
  for (let i = 0; i < runs; i++) {
    settle(source); // blocks this thread on purpose: not part of the backup, so not measured
    // The lag is measured while the backup runs, as the Electron main process would see it.
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    const ours = await ourBackup(source, outDir, false);
    lag.disable();
    maxLagMs = Math.max(maxLagMs, lag.max / 1e6);
    underWriter.push(ours.totalMs);
    completed++;
    await removeBackup(ours.path);
  }
  const busyStats = await busy.stop();

  // (d) compact mode.
  const compactTimes: number[] = [];
  let compactBytes = 0;
  for (let i = 0; i < Math.min(runs, 2); i++) {
    settle(source);
    const c = await ourBackup(source, outDir, true);
    compactTimes.push(c.totalMs);
    compactBytes = c.bytes;
    await removeBackup(c.path);
  }
  // (e) restore + full drill vs the same copy + PRAGMA integrity_check done directly.
  const backup = await createBackup({ source, outDir, kind: 'manual', compact: false });
  const drillDir = fs.mkdtempSync(path.join(path.dirname(source), 'drill-'));
  const rt = await startRuntime({
    dir: drillDir,
    source: 'flag',
    transport: 'cli',
    lockMode: 'bench',
  });
  const drillMs: number[] = [];
  const directMs: number[] = [];
  let drillPassed = true;
  for (let i = 0; i < runs; i++) {
    const direct = path.join(outDir, 'direct.sqlite');
    settle(backup.path);
    const t0 = performance.now();
    copyAndFsync(backup.path, direct);
    const db = new Database(direct, { readonly: true });
    const ok =
      (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[])
        .map((r) => r.integrity_check)
        .join() === 'ok';
    db.close();
    directMs.push(performance.now() - t0);
    await fs.promises.rm(direct, { force: true });
    if (!ok) throw new Error('baseline integrity_check failed');
    settle(backup.path);
    const t1 = performance.now();
    const report = await rt.restores.verify({ path: backup.path });
    drillMs.push(performance.now() - t1);
    drillPassed &&= report.passed;
    log(
      `  drill run ${i + 1}: restore + drill ${secs(drillMs[i]!)}, cp + integrity_check ${secs(directMs[i]!)} (${report.steps.map((st) => `${st.key} ${st.ms} ms`).join(', ')})`,
    );
  }
  rt.close();
  fs.rmSync(drillDir, { recursive: true, force: true });
  await removeBackup(backup.path);
  fs.rmSync(outDir, { recursive: true, force: true });

  const rows: [string, string, string, string][] = [
    [
      '(a) snapshot vs one-step db.backup() in a worker',
      secs(median(snap)),
      secs(median(raw)),
      `${(median(snap) / median(raw)).toFixed(2)}× (target ≤ 1.1×)`,
    ],
    [
      '(b) whole verified backup, idle, vs cp + fsync',
      secs(median(whole)),
      secs(median(cp)),
      `${(median(whole) / median(cp)).toFixed(2)}×`,
    ],
    [
      '(b) whole verified backup with writer, vs cp + fsync',
      secs(median(underWriter)),
      secs(median(cp)),
      `${(median(underWriter) / median(cp)).toFixed(2)}× (target ≤ 5×)`,
    ],
    [
      '(c) writer p99 during backups vs alone',
      `${busyStats.p99.toFixed(2)} ms`,
      `${aloneStats.p99.toFixed(2)} ms`,
      `${(busyStats.p99 / Math.max(0.001, aloneStats.p99)).toFixed(2)}× (target ≤ 2×)`,
    ],
    [
      '(c) writer throughput during backups vs alone',
      `${busyStats.txPerSec.toFixed(0)} tx/s`,
      `${aloneStats.txPerSec.toFixed(0)} tx/s`,
      `${(busyStats.txPerSec / aloneStats.txPerSec).toFixed(2)}×`,
    ],
    [
      '(c) main event loop max lag during backups',
      `${maxLagMs.toFixed(1)} ms`,
      '50 ms',
      maxLagMs <= 50 ? 'within target' : 'OVER target',
    ],
    [
      '(c) backups completed with writer running',
      `${completed}/${runs}`,
      '',
      completed === runs ? 'all' : 'NOT ALL',
    ],
    [
      '(d) compact backup vs full backup: time',
      secs(median(compactTimes)),
      secs(median(whole)),
      `${(median(compactTimes) / median(whole)).toFixed(2)}×`,
    ],
    [
      '(d) compact backup vs full backup: size',
      mib(compactBytes),
      mib(size),
      `${(compactBytes / size).toFixed(2)}×`,
    ],
    [
      '(e) restore + full drill vs cp + integrity_check',
      secs(median(drillMs)),
      secs(median(directMs)),
      `${(median(drillMs) / median(directMs)).toFixed(2)}× (target ≤ 1.3×)${drillPassed ? '' : ' DRILL FAILED'}`,
    ],
  ];
  const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  process.stdout.write(
    `\nStateward backup benchmark — ${mib(size)} database, median of ${runs}, ${os.cpus().length} cores\n`,
  );
  process.stdout.write(
    `${'measure'.padEnd(w[0]!)}  ${'ours'.padStart(w[1]!)}  ${'baseline'.padStart(w[2]!)}  ratio\n`,
  );
  for (const r of rows)
    process.stdout.write(
      `${r[0].padEnd(w[0]!)}  ${r[1].padStart(w[1]!)}  ${r[2].padStart(w[2]!)}  ${r[3]}\n`,
    );
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
