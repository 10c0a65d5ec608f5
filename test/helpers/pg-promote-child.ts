// A promote into PostgreSQL in its own process, for kill tests:
// `node pg-promote-child.ts URL SCHEMA COPY OUTDIR STOP_AT [BATCH_ROWS]`.
// STOP_AT is a promote phase (locked, pre-restore, copy, verify, committing) or
// 'backup' (inside the pre-restore backup's snapshot) or 'none': on its first
// event the child prints "at <phase>" and blocks there (the transaction open)
// until it is killed. Prints one JSON line at the end: { ok, preRestore } or { code, message }.
import pg from 'pg';
import { createPgBackup } from '../../electron/core/pg/backup.ts';
import { promoteIntoPostgres } from '../../electron/core/pg/promote.ts';

const [url, schema, copy, outDir, stopAt, batchRows] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string | undefined,
];
const stop = (phase: string) => {
  if (phase !== stopAt) return;
  process.stdout.write(`at ${phase}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
};
const client = new pg.Client({ connectionString: url, application_name: 'stateward-test-promote' });
await client.connect();
try {
  const r = await promoteIntoPostgres({
    client,
    schema,
    backupFile: copy,
    batchRows: batchRows ? Number(batchRows) : undefined,
    preRestoreBackup: () =>
      createPgBackup({
        url,
        schema,
        outDir,
        kind: 'pre-restore',
        compact: false,
        onProgress: (p) => {
          if (p.phase === 'snapshot' && p.done > 0) stop('backup');
        },
      }),
    onProgress: (p) => stop(p.phase),
  });
  process.stdout.write(`${JSON.stringify({ ok: true, preRestore: r.preRestoreBackup.path })}\n`);
} catch (e) {
  const err = e as { code?: string; message: string };
  process.stdout.write(
    `${JSON.stringify({ code: err.code ?? 'INTERNAL', message: err.message })}\n`,
  );
} finally {
  await client.end();
}
