// `stateward status`: the data dir, versions, sizes, counts, who holds the lock, and the
// last backup and drill. Reads files only: it works while the app runs and on a data
// dir this version cannot open. In team mode: the team database, and the data dir's own facts.
import path from 'node:path';
import { APP_VERSION } from '../../core/version.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import type { DataDirLayout, ResolvedDataDir } from '../../core/paths.ts';
import { dataDirLayout } from '../../core/paths.ts';
import { fileSize } from '../../core/fsutil.ts';
import { readLock, lockIsLive } from '../../core/lock.ts';
import { inspectDatabase } from '../../core/store/store.ts';
import { pendingPromote, promotePendingError } from '../../core/restore/promote.ts';
import { MIGRATIONS } from '../../core/store/migrations/index.ts';
import { listBackupFiles } from '../../core/backup/list.ts';
import { readDrillReports } from '../../core/restore/service.ts';
import { appStatus } from '../../handlers/app.ts';
import { teamStatus } from '../../handlers/team.ts';
import type { CliCommand } from '../args.ts';
import { databaseUrlOf, inTeamMode, refusal, startCli } from '../open.ts';
import { statusText } from './postgres.ts';
import { EXIT, exitCodeFor } from '../exit.ts';
import type { Outcome } from '../output.ts';
import { age, human } from '../output.ts';

const APP_SCHEMA = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** What the data dir itself holds on either backend: who holds its lock, its newest backup and drill. */
function localFacts(layout: DataDirLayout) {
  const held = readLock(layout.lock);
  const lastBackup = listBackupFiles(layout.backups, null)[0] ?? null;
  const lastDrill = readDrillReports(layout.drills)[0] ?? null;
  return {
    lock:
      held && lockIsLive(held)
        ? { pid: held.pid, host: held.host, mode: held.mode, since: held.since }
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
}

function localLines(l: ReturnType<typeof localFacts>, now: number): string[] {
  return [
    `In use by  ${l.lock ? `${l.lock.mode}, pid ${l.lock.pid} on ${l.lock.host}` : 'nobody'}`,
    `Backup     ${l.lastBackup ? `${l.lastBackup.kind}, ${age(now - l.lastBackup.createdAt)} ago (${l.lastBackup.fileName})` : 'none yet'}`,
    `Drill      ${l.lastDrill ? `${l.lastDrill.passed ? 'passed' : 'FAILED'}, ${age(now - l.lastDrill.finishedAt)} ago (${l.lastDrill.fileName})` : 'none yet'}`,
  ];
}

function status(where: ResolvedDataDir): Outcome {
  const layout = dataDirLayout(where.dir);
  const appSchema = APP_SCHEMA;
  const local = localFacts(layout);
  const lock = local.lock;
  // An unfinished promote: look at the database that is live once the next start has
  // finished or rolled it back (decided as that start decides), and say so.
  const promote = pendingPromote(layout);
  const promoteProblem = promote ? promotePendingError(promote, lock) : null;
  const dbFile = promote?.liveAfter ?? layout.db;
  const inspection = inspectDatabase(dbFile);
  const base = {
    dataDir: where.dir,
    dataDirSource: where.source,
    backend: 'sqlite' as const,
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
    lastBackup: local.lastBackup,
    lastDrill: local.lastDrill,
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
    ...localLines(local, Date.now()),
  ];
  if (problem)
    return {
      exit: exitCodeFor(problem.code),
      json: { ...base, ...(inspection.error ? {} : { counts: c }), error: problem },
      text: `${lines.join('\n')}\n`,
    };
  return { exit: EXIT.ok, json: { ...base, counts: c }, text: `${lines.join('\n')}\n` };
}

/**
 * Team mode: the team database (server, database and schema with their sizes, the
 * schema's version, connected instances, the team's last backup and drill, its
 * contents) and this data dir's own facts (lock, backups, drills, keys). Never
 * migrates; a database this instance cannot use (unreachable, refused schema) is
 * reported with its code and exit code, beside the local facts.
 */
async function teamStatusOf(
  where: ResolvedDataDir,
  databaseUrl: string | undefined,
): Promise<Outcome> {
  const layout = dataDirLayout(where.dir);
  const local = localFacts(layout);
  const now = Date.now();
  const rt = await startCli(where, null, { databaseUrl });
  try {
    const base = {
      dataDir: where.dir,
      dataDirSource: where.source,
      backend: 'postgres' as const,
      appVersion: APP_VERSION,
      appSchemaVersion: APP_SCHEMA,
      ...local,
    };
    const head = `Data dir   ${where.dir} (${where.source}), bound to PostgreSQL`;
    if (!rt.team) {
      // Not connected at all (unreachable, authentication, TLS, …).
      const err = refusal(rt).toShape();
      return {
        exit: exitCodeFor(err.code),
        json: { ...base, error: err },
        text: `${[head, `Problem    ${err.code}: ${err.message}`, ...(err.hint ? [`           ${err.hint}`] : []), ...localLines(local, now)].join('\n')}\n`,
      };
    }
    const team = await teamStatus(rt, rt.team);
    const startup = rt.startup;
    const problem =
      startup.state === 'refused'
        ? { code: startup.code, message: startup.message, hint: startup.hint }
        : null;
    const counts = rt.data ? (await appStatus(rt)).counts : null;
    // A keyring this machine cannot read does not hide the rest of the status.
    const keys = rt.data ? await rt.secrets.status().catch(() => null) : null;
    const teamText = statusText({ dataDir: where.dir, source: where.source, ...team, problem }, now)
      .trimEnd()
      .replace(/^(Backup|Drill) +/gm, (_m, w: string) => `Team ${w.toLowerCase()} `);
    const lines = [
      head,
      teamText,
      `Version    Stateward ${APP_VERSION}, schema ${team.schemaVersion}/${APP_SCHEMA}`,
      ...(counts
        ? [
            `Contents   ${counts.projects} projects, ${counts.environments} environments, ${counts.deployments} deployments, ${counts.auditEntries} audit entries`,
          ]
        : []),
      ...(keys
        ? [
            `Keys       ${keys.initialized ? `data key ${keys.activeKeyId}, ${keys.unlocked ? 'unlocked' : 'locked'} here; ${keys.secretCount} secret(s)${keys.needsTeamKey ? `; this machine needs the team's recovery key (key ${keys.needsTeamKey.keyId})` : ''}` : `no data key here; ${keys.secretCount} secret(s)`}`,
          ]
        : []),
      ...localLines(local, now),
    ];
    return {
      exit: problem ? exitCodeFor(problem.code as AppErrorShape['code']) : EXIT.ok,
      json: {
        ...base,
        initialized: team.schemaVersion > 0,
        schemaVersion: team.schemaVersion,
        pendingMigrations: MIGRATIONS.filter((m) => m.version > team.schemaVersion).map(
          (m) => m.name,
        ),
        team,
        ...(counts ? { counts } : {}),
        keys: keys
          ? {
              initialized: keys.initialized,
              unlocked: keys.unlocked,
              activeKeyId: keys.activeKeyId,
              providers: keys.providers,
              secretCount: keys.secretCount,
              needsTeamKey: keys.needsTeamKey ?? null,
            }
          : null,
        ...(problem ? { error: problem } : {}),
      },
      text: `${lines.join('\n')}\n`,
    };
  } finally {
    rt.close();
    await rt.closed();
  }
}

export const statusCommands: CliCommand[] = [
  {
    name: 'status',
    usage: [['status', 'data dir, versions, sizes, counts']],
    help: 'Reads the data directory without taking its lock: it works while the app runs.',
    run: ({ where, values }) => {
      const url = databaseUrlOf(values);
      return inTeamMode(where, url) ? teamStatusOf(where, url) : status(where);
    },
  },
];
