// `stateward postgres …`: team mode from the command line.
//   connect URL [--schema S]  bind this data dir to a Stateward database on PostgreSQL
//                             (an empty schema is initialized) after checking it
//   status                    the team database: server, sizes, instances, migrations
//   copy --to URL [--execute] the one-time move into PostgreSQL (postgres-copy.ts)
// Each subcommand is one exported function; the `postgres` command word dispatches.
import { AppError } from '../../../shared/errors.ts';
import type { TeamStatus } from '../../../shared/domain.ts';
import { resolveBinding } from '../../core/pg/binding.ts';
import type { BindResult } from '../../core/pg/bind.ts';
import { APP_SCHEMA_VERSION as APP_SCHEMA, bindToPostgres } from '../../core/pg/bind.ts';
import type { PgTarget } from '../../core/pg/connect.ts';
import { connectPostgres, parseDatabaseUrl, SCHEMA_NAME } from '../../core/pg/connect.ts';
import { planPgMigrations } from '../../core/pg/migrate.ts';
import { DataDirLock } from '../../core/lock.ts';
import { fileLogger } from '../../core/log.ts';
import type { ResolvedDataDir } from '../../core/paths.ts';
import { dataDirLayout } from '../../core/paths.ts';
import { MIGRATIONS } from '../../core/store/migrations/index.ts';
import { ensureOwnerDir } from '../../core/fsutil.ts';
import { teamStatus } from '../../handlers/team.ts';
import type { CliCommand, CliContext } from '../args.ts';
import { usageError } from '../args.ts';
import { EXIT, exitCodeFor } from '../exit.ts';
import { refusal, startCli } from '../open.ts';
import type { Outcome } from '../output.ts';
import { age, human } from '../output.ts';
import {
  POSTGRES_COPY_HELP,
  POSTGRES_COPY_OPTIONS,
  POSTGRES_COPY_USAGE,
  postgresCopy,
} from './postgres-copy.ts';

/** The options each subcommand takes (any other option of `postgres` is a usage error there). */
const OWN_OPTIONS: Record<string, readonly string[]> = {
  connect: ['schema'],
  status: [],
  copy: Object.keys(POSTGRES_COPY_OPTIONS),
};

function onlyOwnOptions(ctx: CliContext, sub: string): void {
  const mine = OWN_OPTIONS[sub] ?? [];
  for (const name of ['schema', ...Object.keys(POSTGRES_COPY_OPTIONS)]) {
    if (ctx.values[name] !== undefined && !mine.includes(name))
      throw usageError(`--${name} is not an option of "postgres ${sub}".`);
  }
}

function targetOf(url: string, schema: unknown): PgTarget {
  const target = parseDatabaseUrl(url, 'flag');
  if (schema === undefined) return target;
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema))
    throw usageError(
      `--schema ${String(schema)} is not a plain lower-case PostgreSQL name (letters a-z, digits and _, at most 63; not starting with pg_ or stateward_drill_).`,
    );
  return { ...target, schema };
}

type ConnectResult = BindResult;

/**
 * `postgres connect URL [--schema S]`: check the server and the schema, then
 * bind this data dir to it (core/pg/bind.ts, the same checks as the app's
 * "Connect to a team database"). Holds the data-dir lock so the binding never
 * changes under a running app.
 */
async function postgresConnect(ctx: CliContext): Promise<Outcome> {
  const url = ctx.args[1];
  if (url === undefined || url === '')
    throw usageError('"postgres connect" needs a URL: postgres://USER@HOST:PORT/DATABASE.');
  if (ctx.args.length > 2) throw usageError(`Unexpected argument "${ctx.args[2]}".`);
  const target = targetOf(url, ctx.values.schema);
  const layout = dataDirLayout(ctx.where.dir);
  ensureOwnerDir(layout.dir);
  const lock = DataDirLock.acquire(layout.lock, 'cli-postgres-connect');
  try {
    const result = await bindToPostgres(layout.dir, target, {
      transport: 'cli',
      log: fileLogger(layout.logs),
    });
    return { exit: EXIT.ok, json: result, text: connectText(result) };
  } finally {
    lock.release();
  }
}

function connectText(r: ConnectResult): string {
  const lines = [
    `Bound ${r.dataDir} to ${r.target} (PostgreSQL ${r.serverVersion}).`,
    r.schemaState === 'initialized'
      ? `Schema ${r.binding.backend === 'postgres' ? r.binding.schema : ''} was empty: initialized at schema ${r.schemaVersion} (${r.applied.length} migrations).`
      : `Found Stateward's schema at ${r.schemaVersion}/${r.appSchemaVersion}${r.pending.length ? `; the next start applies ${r.pending.length} migration(s) after a pre-upgrade backup` : ''}.`,
    `Written: ${r.file} (no password).`,
  ];
  if (r.passwordNotStored)
    lines.push(
      'The password in the URL was used for this check only: set PGPASSWORD or add it to ~/.pgpass (mode 0600) for later starts.',
    );
  if (r.localDatabaseKept)
    lines.push(
      'This data dir also holds a local SQLite database: it is kept as it is and no longer used (to move its data, use `stateward postgres copy` instead).',
    );
  return `${lines.join('\n')}\n`;
}

/** What `postgres status` reports: the team status, and why this instance refuses the schema, if it does. */
interface StatusResult extends TeamStatus {
  dataDir: string;
  source: string;
  problem: { code: string; message: string; hint: string } | null;
}

/**
 * `postgres status`: the team database this data dir is bound to (database.json,
 * --database-url or STATEWARD_DATABASE_URL). Read-only: it never migrates. A
 * schema this version refuses is still described, with the refusal (exit 3).
 */
async function postgresStatus(ctx: CliContext): Promise<Outcome> {
  if (ctx.args.length > 1) throw usageError(`Unexpected argument "${ctx.args[1]}".`);
  const databaseUrl = ctx.values['database-url'];
  const url = typeof databaseUrl === 'string' ? databaseUrl : undefined;
  // Nothing is opened (or created) in a data dir that uses SQLite.
  if (resolveBinding(ctx.where.dir, { databaseUrl: url }).target === null)
    throw new AppError(
      'NOT_IN_TEAM_MODE',
      `The data directory ${ctx.where.dir} uses its local SQLite database, not PostgreSQL.`,
      {
        hint: 'Bind it with `stateward postgres connect URL` (or move its data with `stateward postgres copy --to URL`), or give --database-url.',
      },
    );
  const rt = await startCli(ctx.where, null, { databaseUrl: url });
  try {
    const startup = rt.startup;
    // Not connected at all (unreachable, authentication, TLS, …): that refusal is the answer.
    if (!rt.team) throw refusal(rt);
    const team = await teamStatus(rt, rt.team);
    const problem =
      startup.state === 'refused'
        ? { code: startup.code, message: startup.message, hint: startup.hint }
        : null;
    const result: StatusResult = {
      dataDir: ctx.where.dir,
      source: ctx.where.source,
      ...team,
      problem,
    };
    return {
      exit: problem ? exitCodeFor(problem.code as AppError['code']) : EXIT.ok,
      json: result,
      text: statusText(result, Date.now()),
    };
  } finally {
    rt.close();
    await rt.closed();
  }
}

/** The team database in lines: server, database and schema, problem, schema, instances, team backup and drill. */
export function statusText(s: StatusResult, now: number): string {
  const last = s.migrations[s.migrations.length - 1];
  const lines = [
    `Server     PostgreSQL ${s.serverVersion} at ${s.host.startsWith('/') ? s.host : `${s.host}:${s.port}`} (sslmode=${s.sslmode}), user ${s.user}`,
    `Database   ${s.database} (${human(s.databaseBytes)}), schema ${s.schema} (${human(s.schemaBytes)})`,
    ...(s.problem
      ? [`Problem    ${s.problem.code}: ${s.problem.message}`, `           ${s.problem.hint}`]
      : []),
    `Schema     ${s.schemaVersion}/${s.appSchemaVersion}${last ? `, last ${last.name} by Stateward ${last.appVersion} on ${last.host}, ${age(now - last.appliedAt)} ago` : ''}`,
    `Instances  ${s.instances.length} connected`,
    ...s.instances.map(
      (i) =>
        `  ${i.applicationName}${i.self ? ' (this command)' : ''}: ${i.connections} connection${i.connections === 1 ? '' : 's'}${i.backendStart === null ? '' : `, for ${age(now - i.backendStart)}`}${i.state ? `, ${i.state}` : ''}${i.clientAddress ? ` from ${i.clientAddress}` : ''}`,
    ),
    `Backup     ${s.lastBackup ? `${s.lastBackup.kind ?? 'backup'}, ${age(now - s.lastBackup.at)} ago${s.lastBackup.by ? ` by ${s.lastBackup.by}` : ''}${s.lastBackup.fileName ? ` (${s.lastBackup.fileName})` : ''}` : 'none yet'}`,
    `Drill      ${s.lastDrill ? `${s.lastDrill.passed ? 'passed' : 'FAILED'}, ${age(now - s.lastDrill.at)} ago${s.lastDrill.by ? ` by ${s.lastDrill.by}` : ''}` : 'none yet'}`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * `stateward migrate [--dry-run]` in team mode (database.json, --database-url or
 * STATEWARD_DATABASE_URL name a PostgreSQL database), or null with SQLite. The
 * dry run only reads the schema's history; the real run is a start that owns the
 * data dir: under the schema's migrate lock, after a pre-upgrade backup.
 */
export async function teamMigrate(
  where: ResolvedDataDir,
  databaseUrl: string | undefined,
  dryRun: boolean,
): Promise<Outcome | null> {
  const { target } = resolveBinding(where.dir, { databaseUrl });
  if (target === null) return null;
  const layout = dataDirLayout(where.dir);
  if (dryRun) {
    const conn = await connectPostgres(target, { transport: 'cli', log: fileLogger(layout.logs) });
    try {
      const plan = await planPgMigrations(conn.client, target.schema, MIGRATIONS, target.database);
      const pending = plan.pending.map((m) => m.name);
      return {
        exit: EXIT.ok,
        json: { dryRun: true, schemaVersion: plan.current, pending, schema: target.schema },
        text: pending.length
          ? `Would apply ${pending.length} migration(s) to schema ${target.schema}:\n${pending.map((p) => `  ${p}`).join('\n')}\n`
          : 'Up to date: nothing to apply.\n',
      };
    } finally {
      await conn.client.end().catch(() => undefined);
    }
  }
  const rt = await startCli(where, 'cli-migrate', { databaseUrl });
  try {
    if (rt.startup.state === 'refused' || !rt.team) throw refusal(rt);
    const applied = rt.team.applied;
    return {
      exit: EXIT.ok,
      json: { dryRun: false, applied, schemaVersion: APP_SCHEMA, schema: rt.team.schema },
      text: applied.length
        ? `Applied ${applied.length} migration(s) to schema ${rt.team.schema}:\n${applied.map((p) => `  ${p}`).join('\n')}\n`
        : 'Up to date: nothing to apply.\n',
    };
  } finally {
    rt.close();
    await rt.closed();
  }
}

const SUBCOMMANDS: Record<string, (ctx: CliContext) => Promise<Outcome>> = {
  connect: postgresConnect,
  status: postgresStatus,
  copy: postgresCopy,
};

export const postgresCommands: CliCommand[] = [
  {
    name: 'postgres',
    usage: [
      ['postgres status', 'server, size, connected instances, schema'],
      ['postgres connect URL [--schema S]', 'bind this data dir to an existing Stateward database'],
      POSTGRES_COPY_USAGE,
    ],
    help: `postgres connect postgres://USER@HOST:PORT/DATABASE[?sslmode=…&schema=NAME] [--schema NAME]
Checks the server (reachable, the password, PostgreSQL 13 or newer, TLS as sslmode asks) and
the schema (default "stateward"): an empty one is initialized, Stateward's has its history
checked, anyone else's is refused (PG_SCHEMA_FOREIGN). Then writes database.json (mode 0600,
never a password: later starts take it from PGPASSWORD or ~/.pgpass).

postgres status
The team database this data dir is bound to: server version, database and schema size,
connected Stateward instances, migration state, the last backup and drill and who took them.

${POSTGRES_COPY_HELP}`,
    options: { schema: { type: 'string' }, ...POSTGRES_COPY_OPTIONS },
    args: 'any',
    run: (ctx) => {
      const sub = ctx.args[0];
      const run =
        sub !== undefined && Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
      if (!run)
        throw usageError(
          sub === undefined
            ? '"postgres" needs a subcommand: status, connect or copy.'
            : `Unknown subcommand "postgres ${sub}" (status, connect or copy).`,
        );
      onlyOwnOptions(ctx, sub!);
      return run(ctx);
    },
  },
];
