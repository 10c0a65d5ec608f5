// A copy into PostgreSQL in its own process, for kill tests: prints "progress"
// on the first progress event, then blocks (mid-COPY, the transaction open)
// until the test SIGKILLs it. argv: sourceDb url schema batchRows
import { copySqliteToPostgres } from '../../electron/core/pg/copy.ts';

const [sourceDb, url, schema, batchRows] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
];
let first = true;
await copySqliteToPostgres({
  sourceDb,
  target: url,
  schema,
  execute: true,
  batchRows: Number(batchRows),
  onProgress: () => {
    if (!first) return;
    first = false;
    process.stdout.write('progress\n');
    // Stay inside the copy: the COPY stream and the transaction are open.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  },
});
process.stdout.write('done\n');
