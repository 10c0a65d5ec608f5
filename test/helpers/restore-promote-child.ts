// Child process for the kill-during-promote tests:
//   STATEWARD_FAULT=<point> node test/helpers/restore-promote-child.ts <data-dir> <backup-id> [--reader]
// Starts a runtime holding the data-dir lock, stages and drills the backup,
// writes one more project into live (so the live -wal holds committed frames),
// then promotes the copy. With --reader a second connection stays open on the
// live database, as another process reading it would: closing the store then
// leaves the live -wal and -shm in place, so the promote has to move them.
// Prints, one per line:
//   ready <pid>
//   staged <restore-id> <copy-inode>
//   drilled <passed>
//   old <json: live project names before the promote>
//   live <db-inode> <wal identity|-> <shm-inode|->   (wal identity: <inode>:<salts>, see walIdentity)
//   promoted <pre-restore backup path|->
// and exits 0 when the promote finished (the fault, when set, kills it before).
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { startRuntime } from '../../electron/core/runtime.ts';
import { createProject } from '../../electron/core/store/resources/projects.ts';
import { walIdentity } from './restore-wal.ts';
import { runSqlite, SQLITE } from '../../electron/core/store/sql.ts';

const [dir, backupId, ...flags] = process.argv.slice(2);
if (!dir || !backupId) {
  process.stderr.write('usage: restore-promote-child.ts <data-dir> <backup-id> [--reader]\n');
  process.exit(2);
}
const out = (line: string) => process.stdout.write(`${line}\n`);
const ino = (f: string) => (fs.existsSync(f) ? String(fs.statSync(f).ino) : '-');

const rt = await startRuntime({ dir, source: 'flag', transport: 'cli', lockMode: 'promote-child' });
if (rt.startup.state !== 'ready' || !rt.store) {
  process.stderr.write(`restore-promote-child: refused: ${JSON.stringify(rt.startup)}\n`);
  process.exit(3);
}
out(`ready ${process.pid}`);
const staged = await rt.restores.stage({ backupId });
if (!staged.restoreId) {
  process.stderr.write(`restore-promote-child: stage refused: ${JSON.stringify(staged.report)}\n`);
  process.exit(4);
}
const copy = path.join(rt.layout.restores, staged.restoreId, 'stateward.db');
out(`staged ${staged.restoreId} ${ino(copy)}`);
const drill = await rt.restores.drill(staged.restoreId);
out(`drilled ${drill.passed}`);
if (!drill.passed) process.exit(5);

let reader: Database.Database | null = null;
if (flags.includes('--reader')) {
  reader = new Database(rt.layout.db, { readonly: true, fileMustExist: true });
  reader.prepare('SELECT count(*) FROM projects').get();
}
runSqlite(
  rt.store.db,
  createProject(SQLITE, { name: `written-by-child-${process.pid}`, description: '' }, Date.now()),
);
const names = (
  rt.store.db.prepare('SELECT name FROM projects ORDER BY id').all() as { name: string }[]
).map((r) => r.name);
out(`old ${JSON.stringify(names)}`);
out(`live ${ino(rt.layout.db)} ${walIdentity(rt.layout.wal) ?? '-'} ${ino(rt.layout.shm)}`);
const r = await rt.restores.promote(staged.restoreId);
out(`promoted ${r.preRestoreBackup ?? '-'}`);
reader?.close();
rt.close();
