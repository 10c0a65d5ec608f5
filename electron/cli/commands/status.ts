// `stateward status`: the data dir, versions, sizes, counts, who holds the lock, and the
// last backup and drill. Reads files only: it works while the app runs and on a data
// dir this version cannot open.
import path from 'node:path';
import { APP_VERSION } from '../../core/version.ts';
import type { ResolvedDataDir } from '../../core/paths.ts';
import { dataDirLayout } from '../../core/paths.ts';
import { fileSize } from '../../core/fsutil.ts';
import { readLock, lockIsLive } from '../../core/lock.ts';
import { inspectDatabase } from '../../core/store/store.ts';
import { pendingPromote, promotePendingError } from '../../core/restore/promote.ts';
import { MIGRATIONS } from '../../core/store/migrations/index.ts';
import { listBackupFiles } from '../../core/backup/list.ts';
import { readDrillReports } from '../../core/restore/service.ts';
import type { CliCommand } from '../args.ts';
import { EXIT, exitCodeFor } from '../exit.ts';
import type { Outcome } from '../output.ts';
import { age, human } from '../output.ts';

function status(where: ResolvedDataDir): Outcome {
  const layout = dataDirLayout(where.dir);
  const appSchema = MIGRATIONS[MIGRATIONS.length - 1]!.version;
  const held = readLock(layout.lock);
  const lock =
    held && lockIsLive(held)
      ? { pid: held.pid, host: held.host, mode: held.mode, since: held.since }
      : null;
  // An unfinished promote: look at the database that is live once the next start has
  // finished or rolled it back (decided as that start decides), and say so.
  const promote = pendingPromote(layout);
  const promoteProblem = promote ? promotePendingError(promote, lock) : null;
  const dbFile = promote?.liveAfter ?? layout.db;
  const inspection = inspectDatabase(dbFile);
  const lastBackup = listBackupFiles(layout.backups, null)[0] ?? null;
  const lastDrill = readDrillReports(layout.drills)[0] ?? null;
  const base = {
    dataDir: where.dir,
    dataDirSource: where.source,
    appVersion: APP_VERSION,
    appSchemaVersion: appSchema,
    initialized: inspection.exists,
    schemaVersion: inspection.schemaVersion,
    pendingMigrations: inspection.plan?.pending.map((m) => m.name) ?? [],
    dbBytes: fileSize(dbFile),
    walBytes: fileSize(`${dbFile}-wal`),
    lock,
    promote:
      promote && promoteProblem
        ? { state: lock ? 'in-progress' : 'interrupted', ...promoteProblem.details }
        : null,
    lastBackup: lastBackup
      ? {
          fileName: lastBackup.fileName,
          kind: lastBackup.kind,
          createdAt: lastBackup.createdAt,
          bytes: lastBackup.bytes,
        }
      : null,
    lastDrill: lastDrill
      ? {
          id: lastDrill.id,
          passed: lastDrill.passed,
          finishedAt: lastDrill.finishedAt,
          fileName: lastDrill.source.fileName,
          summary: lastDrill.summary,
        }
      : null,
  };
  if (inspection.error && !promoteProblem) {
    const err = inspection.error.toShape();
    return {
      exit: exitCodeFor(err.code),
      json: { ...base, error: err },
      text: `Data dir   ${where.dir} (${where.source})\nProblem    ${err.code}: ${err.message}\n${err.hint ? `           ${err.hint}\n` : ''}`,
    };
  }
  const c = inspection.counts;
  const problem = promoteProblem?.toShape();
  const placement =
    promote?.nextStart === 'finished'
      ? ' (the restored copy, in place)'
      : promote && promote.liveAfter !== layout.db
        ? ` (moved aside to ${path.dirname(promote.liveAfter)}; back in place at the next start)`
        : '';
  const lines = [
    `Data dir   ${where.dir} (${where.source})`,
    ...(problem
      ? [`Problem    ${problem.code}: ${problem.message}`, `           ${problem.hint}`]
      : []),
    `Version    Stateward ${APP_VERSION}, schema ${inspection.error ? '?' : inspection.schemaVersion}/${appSchema}${base.pendingMigrations.length ? ` (${base.pendingMigrations.length} pending)` : ''}`,
    `Database   ${inspection.exists ? `${human(base.dbBytes)} + WAL ${human(base.walBytes)}${placement}` : 'not created yet'}`,
    `Contents   ${inspection.error ? `not readable until the next start (${inspection.error.code})` : `${c.projects} projects, ${c.environments} environments, ${c.deployments} deployments, ${c.auditEntries} audit entries`}`,
    `In use by  ${lock ? `${lock.mode}, pid ${lock.pid} on ${lock.host}` : 'nobody'}`,
    `Backup     ${lastBackup ? `${lastBackup.kind}, ${age(Date.now() - lastBackup.createdAt)} ago (${lastBackup.fileName})` : 'none yet'}`,
    `Drill      ${lastDrill ? `${lastDrill.passed ? 'passed' : 'FAILED'}, ${age(Date.now() - lastDrill.finishedAt)} ago (${lastDrill.source.fileName})` : 'none yet'}`,
  ];
  if (problem)
    return {
      exit: exitCodeFor(problem.code),
      json: { ...base, ...(inspection.error ? {} : { counts: c }), error: problem },
      text: `${lines.join('\n')}\n`,
    };
  return { exit: EXIT.ok, json: { ...base, counts: c }, text: `${lines.join('\n')}\n` };
}

export const statusCommands: CliCommand[] = [
  {
    name: 'status',
    usage: [['status', 'data dir, versions, sizes, counts']],
    help: 'Reads the data directory without taking its lock: it works while the app runs.',
    run: ({ where }) => status(where),
  },
];
