// A second process writing small transactions at a steady rate against the live
// database, recording each commit's latency. Stops on SIGTERM and prints one
// JSON line of statistics.
import Database from 'better-sqlite3';

const [file, rateArg] = process.argv.slice(2);
const rate = Number(rateArg ?? 750);
const db = new Database(file!);
db.pragma('busy_timeout = 10000');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
const ins = db.prepare(
  `INSERT INTO metrics (ts, name, value, labels) VALUES (?, 'writer.tick', ?, '{}')`,
);
const tx = db.transaction((i: number) => ins.run(Date.now(), i));
const latencies: number[] = [];
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const interval = 1000 / rate;
let stop = false;
process.on('SIGTERM', () => {
  stop = true;
});

function run(): void {
  const start = performance.now();
  let i = 0;
  const slice = () => {
    const sliceEnd = performance.now() + 50;
    while (!stop && performance.now() < sliceEnd) {
      const due = start + i * interval;
      const wait = due - performance.now();
      if (wait > 0) Atomics.wait(sleeper, 0, 0, wait);
      const t = performance.now();
      tx(i);
      latencies.push(performance.now() - t);
      i++;
    }
    if (stop) {
      const seconds = (performance.now() - start) / 1000;
      const sorted = [...latencies].sort((a, b) => a - b);
      const q = (p: number) =>
        sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
      process.stdout.write(
        `${JSON.stringify({ tx: latencies.length, txPerSec: latencies.length / seconds, p50: q(0.5), p99: q(0.99), max: sorted[sorted.length - 1] ?? 0 })}\n`,
      );
      db.close();
      process.exit(0);
    }
    setImmediate(slice); // let SIGTERM through
  };
  slice();
}
run();
