// `stateward postgres copy --to URL [--execute]`: the one-time move of this data
// dir into an empty PostgreSQL database (core/pg/move.ts). A dry run unless
// --execute. Progress per table (rows/s, ETA) on stderr; the per-table report
// on stdout (one table per line; --json one object).
import type { MoveProgress, MoveReport } from '../../core/pg/move.ts';
import { moveToPostgres } from '../../core/pg/move.ts';
import { fileLogger } from '../../core/log.ts';
import { dataDirLayout } from '../../core/paths.ts';
import type { CliContext, OptionSpec } from '../args.ts';
import { usageError } from '../args.ts';
import { EXIT } from '../exit.ts';
import type { CliIo, Outcome } from '../output.ts';

export const POSTGRES_COPY_OPTIONS: OptionSpec = {
  to: { type: 'string' },
  execute: { type: 'boolean' },
};

export const POSTGRES_COPY_USAGE = [
  'postgres copy --to URL [--execute]',
  'one-time SQLite → PostgreSQL copy (dry-run by default)',
] as const;

export const POSTGRES_COPY_HELP = `postgres copy --to postgres://USER@HOST:PORT/DATABASE[?schema=NAME&sslmode=…]
Copies this data dir's SQLite database into an empty PostgreSQL database (or an empty
schema in it) in one transaction, every table verified (row count and content hash).
Without --execute it is a dry run: the transaction is rolled back and the report is what
--execute will do. With --execute a pre-move backup of the SQLite state is taken, the copy
is committed and the data dir is bound to PostgreSQL (database.json); the SQLite file stays
untouched as the way back. The password comes from PGPASSWORD or ~/.pgpass.`;

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
const count = (n: number) => n.toLocaleString('en-US');

/** One progress line per table on stderr (rewritten in place, kept when the table is done). */
function progressPrinter(io: CliIo): (p: MoveProgress) => void {
  let last = '';
  let lastAt = 0;
  let lastKey = '';
  return (p) => {
    let key: string;
    let line: string;
    let done: boolean;
    if (p.phase === 'backup') {
      key = 'backup';
      const pct = Math.round((p.done / Math.max(1, p.total)) * 100);
      done = p.done >= p.total;
      line = `pre-move backup: ${pct}%${p.etaMs ? `, about ${Math.ceil(p.etaMs / 1000)} s left` : ''}`;
    } else {
      key = `${p.phase} ${p.table}`;
      done = p.rowsDone >= p.rowsTotal;
      line = `${p.phase} ${p.tableIndex + 1}/${p.tableCount} ${p.table}: ${count(p.rowsDone)}/${count(p.rowsTotal)} rows, ${count(p.rowsPerSec)} rows/s${done ? '' : `, about ${seconds(p.etaMs)} left`}`;
    }
    const now = Date.now();
    if (key !== lastKey && lastKey !== '') io.stderr('\n');
    if (line !== last && (done || key !== lastKey || now - lastAt >= 200)) {
      io.stderr(`\r${line.padEnd(last.length)}`);
      last = line;
      lastAt = now;
    }
    lastKey = key;
  };
}

function reportText(r: MoveReport): string {
  const rows = r.tables.reduce((n, t) => n + t.rowsRead, 0);
  const head = r.adopted
    ? `The target already held exactly this data dir's data (an earlier move committed it): ${r.tables.length} tables, ${count(rows)} rows in ${r.target}.`
    : `${r.executed ? 'Copied' : 'Dry run (rolled back, nothing written)'}: ${r.tables.length} tables, ${count(rows)} rows into ${r.target} at migration ${r.schemaVersion} in ${seconds(r.ms)}.`;
  const width = Math.max(5, ...r.tables.map((t) => t.name.length));
  const lines = [
    head,
    `  ${'table'.padEnd(width)}  ${'read'.padStart(9)}  ${'written'.padStart(9)}  ${'source hash'.padEnd(16)}  ${'target hash'.padEnd(16)}  ${'ms'.padStart(6)}  ${'rows/s'.padStart(9)}`,
    ...r.tables.map(
      (t) =>
        `  ${t.name.padEnd(width)}  ${count(t.rowsRead).padStart(9)}  ${count(t.rowsWritten).padStart(9)}  ${t.sourceHash.slice(0, 16).padEnd(16)}  ${t.targetHash.slice(0, 16).padEnd(16)}  ${String(t.ms).padStart(6)}  ${count(t.rowsPerSec).padStart(9)}`,
    ),
  ];
  if (r.bound) {
    if (r.preMoveBackup) lines.push(`Pre-move backup: ${r.preMoveBackup.fileName}`);
    lines.push(
      `This data dir is now bound to ${r.target} (database.json); its SQLite file stays untouched as the way back.`,
    );
  } else {
    lines.push('Every table matched. Run again with --execute to move.');
  }
  return `${lines.join('\n')}\n`;
}

/** `postgres copy`: the hook B1's `postgres` command group dispatches to. */
export async function postgresCopy(ctx: CliContext): Promise<Outcome> {
  const to = ctx.values.to;
  if (typeof to !== 'string' || to === '')
    throw usageError('"postgres copy" needs --to postgres://USER@HOST:PORT/DATABASE.');
  if (ctx.args.length > 1) throw usageError(`Unexpected argument "${ctx.args[1]}".`);
  const execute = ctx.values.execute === true;
  const progress = progressPrinter(ctx.io);
  let printed = false;
  try {
    const report = await moveToPostgres({
      dataDir: ctx.where.dir,
      target: to,
      execute,
      transport: 'cli',
      log: fileLogger(dataDirLayout(ctx.where.dir).logs),
      onProgress: (p) => {
        printed = true;
        progress(p);
      },
    });
    return { exit: EXIT.ok, json: report, text: reportText(report) };
  } finally {
    if (printed) ctx.io.stderr('\n');
  }
}
