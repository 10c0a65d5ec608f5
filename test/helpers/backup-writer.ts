// Child process that keeps committing small transactions on a live Stateward
// database (WAL) while another process takes backups of it:
//   node test/helpers/backup-writer.ts <db-file> <target-tx-per-second>
// Each transaction keeps two invariants a consistent snapshot must show:
//   - `ledger`: an amount moves between two accounts, so the sum stays LEDGER_TOTAL;
//   - a deployment and its one log line are inserted together (both tagged `w-<n>`).
// Prints "ready" once set up, then a JSON line with its counts when sent SIGTERM.
import Database from 'better-sqlite3';

export const LEDGER_ACCOUNTS = 20;
export const LEDGER_TOTAL = LEDGER_ACCOUNTS * 1000;
/** Prefix of the versions (deployments) and messages (logs) the writer inserts. */
export const WRITER_TAG = 'w-';

export interface WriterStats {
  tx: number;
  ms: number;
  txPerSecond: number;
  errors: string[];
}

function main(): void {
  const [file, rateArg = '400'] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: backup-writer.ts <db-file> [tx-per-second]\n');
    process.exit(2);
  }
  const rate = Number(rateArg);
  const db = new Database(file, { fileMustExist: true });
  db.pragma('busy_timeout = 10000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.exec(`CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)`);
  db.transaction(() => {
    const n = (db.prepare(`SELECT count(*) AS n FROM ledger`).get() as { n: number }).n;
    if (n === 0) {
      const ins = db.prepare(`INSERT INTO ledger (id, balance) VALUES (?, 1000)`);
      for (let i = 1; i <= LEDGER_ACCOUNTS; i++) ins.run(i);
    }
  })();
  const env = db.prepare(`SELECT id FROM environments ORDER BY id LIMIT 1`).get() as
    { id: number } | undefined;
  if (!env) {
    process.stderr.write('backup-writer: the database has no environment to deploy to\n');
    process.exit(3);
  }
  const move = db.prepare(`UPDATE ledger SET balance = balance + ? WHERE id = ?`);
  const insDep = db.prepare(
    `INSERT INTO deployments (environment_id, version, status, started_at) VALUES (?, ?, 'succeeded', ?)`,
  );
  const insLog = db.prepare(
    `INSERT INTO deployment_logs (deployment_id, ts, level, message) VALUES (?, ?, 'info', ?)`,
  );
  let seq = 0;
  const one = db.transaction(() => {
    seq++;
    const from = 1 + (seq % LEDGER_ACCOUNTS);
    const to = 1 + ((seq * 7 + 3) % LEDGER_ACCOUNTS);
    const amount = 1 + (seq % 50);
    move.run(-amount, from);
    move.run(amount, to);
    const now = Date.now();
    const dep = insDep.run(env.id, `${WRITER_TAG}${seq}`, now);
    insLog.run(dep.lastInsertRowid, now, `${WRITER_TAG}${seq}`);
  });

  const started = Date.now();
  let tx = 0;
  const errors: string[] = [];
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    const ms = Date.now() - started;
    const stats: WriterStats = {
      tx,
      ms,
      txPerSecond: Math.round((tx / Math.max(1, ms)) * 1000),
      errors,
    };
    db.close();
    process.stdout.write(`${JSON.stringify(stats)}\n`, () => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.stdout.write('ready\n');
  // Paced: every millisecond-ish, commit as many transactions as the target rate asks by now.
  const step = () => {
    if (stopped) return;
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    while (tx < due && !stopped) {
      try {
        one();
        tx++;
      } catch (e) {
        if (errors.length < 20) errors.push(`${(e as { code?: string }).code ?? ''} ${String(e)}`);
        break;
      }
    }
    setTimeout(step, 1);
  };
  step();
}

if (process.argv[1]?.endsWith('backup-writer.ts')) main();
