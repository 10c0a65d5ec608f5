// A move into PostgreSQL (execute) in its own process, for kill tests: prints
// "progress" on the first progress event of `phase` (copy or backup), then
// blocks (the transaction open, the data-dir lock held) until the test SIGKILLs
// it. argv: dataDir url phase batchRows
import { moveToPostgres } from '../../electron/core/pg/move.ts';

const [dataDir, url, phase, batchRows] = process.argv.slice(2) as [string, string, string, string];
let first = true;
await moveToPostgres({
  dataDir,
  target: url,
  execute: true,
  batchRows: Number(batchRows),
  onProgress: (p) => {
    if (!first || p.phase !== phase) return;
    first = false;
    process.stdout.write('progress\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  },
});
process.stdout.write('done\n');
