// A team backup in its own process: `node pg-backup-child.ts URL SCHEMA OUTDIR`.
// Prints "progress <phase> <done> <total>" lines, then one JSON line: { path } or { code, message }.
import { createPgBackup } from '../../electron/core/pg/backup.ts';

const [url, schema, outDir] = process.argv.slice(2);
try {
  const r = await createPgBackup({
    url: url!,
    schema: schema!,
    outDir: outDir!,
    kind: 'manual',
    compact: false,
    onProgress: (p) => process.stdout.write(`progress ${p.phase} ${p.done} ${p.total}\n`),
  });
  process.stdout.write(`${JSON.stringify({ path: r.path })}\n`);
} catch (e) {
  const err = e as { code?: string; message: string };
  process.stdout.write(
    `${JSON.stringify({ code: err.code ?? 'INTERNAL', message: err.message })}\n`,
  );
}
