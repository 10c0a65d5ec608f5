// Child process holding a write transaction on a SQLite database (what a script
// or the sqlite3 shell does with BEGIN IMMEDIATE):
//   node test/helpers/tx-holder.ts <db-file>
// Prints "holding <pid>" once the write lock is taken and keeps it until killed.
import Database from 'better-sqlite3';

const [file] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: tx-holder.ts <db-file>\n');
  process.exit(2);
}
const db = new Database(file, { fileMustExist: true });
db.exec('BEGIN IMMEDIATE');
process.stdout.write(`holding ${process.pid}\n`);
// The interval keeps the connection reachable: a collected handle would end the transaction.
setInterval(() => db.inTransaction, 60_000);
