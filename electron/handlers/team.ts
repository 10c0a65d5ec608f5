// app.team: the team database as the dashboard shows it. Read straight from
// the server's catalogs (sizes, pg_stat_activity) and the schema's own tables
// (schema_migrations, the shared audit log); null when the data dir uses SQLite.
// Works while this instance refuses the schema (a newer version upgraded it):
// the history then says which version and host did.
import type pg from 'pg';
import type { TeamInstance, TeamStatus } from '../../shared/domain.ts';
import { connectionLost, isConnectionLost, quoteIdent } from '../core/pg/connect.ts';
import { readPgHistory } from '../core/pg/migrate.ts';
import { advisoryKey } from '../core/pg/locks.ts';
import type { Runtime, TeamConnection } from '../core/runtime.ts';
import { MIGRATIONS } from '../core/store/migrations/index.ts';
import type { HandlerMap } from './registry.ts';

const APP_NAME = /^stateward\/([^/]+)\/([a-z]+)@(.*)\/(\d+)$/;

/** `stateward/<version>/<transport>@<host>/<pid>` in parts (null parts for a name cut short at 63 bytes). */
function parseApplicationName(
  name: string,
): Pick<TeamInstance, 'version' | 'transport' | 'host' | 'pid'> {
  const m = APP_NAME.exec(name);
  if (!m) return { version: null, transport: null, host: null, pid: null };
  return { version: m[1]!, transport: m[2]!, host: m[3]!, pid: Number(m[4]) };
}

interface ActivityRow {
  application_name: string;
  client_addr: string | null;
  backend_start: Date | null;
  state: string | null;
}

async function instances(pool: pg.Pool, self: string, schema: string): Promise<TeamInstance[]> {
  // Only this schema's instances: the sessions holding its presence lock (other
  // teams may use other schemas of the same database).
  const r = await pool.query<ActivityRow>(
    `SELECT a.application_name, host(a.client_addr) AS client_addr, a.backend_start, a.state
       FROM pg_stat_activity a
      WHERE a.datname = current_database() AND a.application_name LIKE 'stateward/%'
        AND EXISTS (SELECT 1 FROM pg_locks l
                     WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted
                       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                       AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint
                       AND l.objsubid = 1)
      ORDER BY a.backend_start`,
    [advisoryKey('presence', schema)],
  );
  const byName = new Map<string, TeamInstance>();
  for (const row of r.rows) {
    const start = row.backend_start ? row.backend_start.getTime() : null;
    const seen = byName.get(row.application_name);
    if (seen) {
      seen.connections += 1;
      if (row.state === 'active') seen.state = 'active';
      seen.clientAddress ??= row.client_addr;
      if (start !== null && (seen.backendStart === null || start < seen.backendStart))
        seen.backendStart = start;
      continue;
    }
    byName.set(row.application_name, {
      applicationName: row.application_name,
      ...parseApplicationName(row.application_name),
      connections: 1,
      clientAddress: row.client_addr,
      backendStart: start,
      state: row.state,
      self: row.application_name === self,
    });
  }
  return [...byName.values()];
}

interface AuditRow {
  ts: number;
  actor: string;
  action: string;
  detail: string;
}

/** The newest audit entry with one of `actions`, or null (also when the schema has no audit log). */
async function newestAudit(
  pool: pg.Pool,
  schema: string,
  actions: string[],
): Promise<{ ts: number; actor: string; action: string; detail: Record<string, unknown> } | null> {
  try {
    const r = await pool.query<AuditRow>(
      `SELECT ts, actor, action, detail FROM ${quoteIdent(schema)}.audit_log
        WHERE action = ANY($1::text[]) ORDER BY ts DESC, id DESC LIMIT 1`,
      [actions],
    );
    const row = r.rows[0];
    if (!row) return null;
    let detail: Record<string, unknown> = {};
    try {
      detail = JSON.parse(row.detail) as Record<string, unknown>;
    } catch {
      // a detail that is not JSON: the entry still says who and when
    }
    return { ts: Number(row.ts), actor: row.actor, action: row.action, detail };
  } catch {
    return null;
  }
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export async function teamStatus(rt: Runtime, team: TeamConnection): Promise<TeamStatus> {
  const { pool, schema, target } = team;
  const sizes = await pool.query<{ db: number; schema: number }>(
    `SELECT pg_database_size(current_database()) AS db,
            (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')) AS schema`,
    [schema],
  );
  const history = await readPgHistory(pool, schema).catch(() => []);
  const backup = await newestAudit(pool, schema, ['backup.created']);
  const drill = await newestAudit(pool, schema, ['drill.passed', 'drill.failed']);
  const localBackup = backup ? null : (rt.backups.list()[0] ?? null);
  const localDrill = drill ? null : (rt.restores.drillReports()[0] ?? null);
  return {
    serverVersion: team.serverVersion,
    host: target.host,
    port: target.port,
    database: target.database,
    schema,
    user: target.user,
    sslmode: target.sslmode,
    databaseBytes: Number(sizes.rows[0]!.db),
    schemaBytes: Number(sizes.rows[0]!.schema),
    instances: await instances(pool, team.applicationName, schema),
    migrations: history.map((h) => ({
      version: h.version,
      name: h.name,
      appliedAt: h.appliedAt,
      appVersion: h.appVersion,
      host: h.host,
    })),
    schemaVersion: history[history.length - 1]?.version ?? 0,
    appSchemaVersion: MIGRATIONS[MIGRATIONS.length - 1]!.version,
    lastBackup: backup
      ? {
          at: backup.ts,
          kind: text(backup.detail.kind),
          fileName: text(backup.detail.fileName),
          by: backup.actor,
        }
      : localBackup
        ? {
            at: localBackup.createdAt,
            kind: localBackup.kind,
            fileName: localBackup.fileName,
            by: null,
          }
        : null,
    lastDrill: drill
      ? {
          at: drill.ts,
          passed: drill.action === 'drill.passed',
          summary: text(drill.detail.summary),
          by: drill.actor,
        }
      : localDrill
        ? {
            at: localDrill.finishedAt,
            passed: localDrill.passed,
            summary: localDrill.summary,
            by: null,
          }
        : null,
  };
}

export const teamHandlers: HandlerMap = {
  'app.team': async (_input, rt) => {
    const team = rt.team;
    if (!team) return null;
    try {
      return await teamStatus(rt, team);
    } catch (e) {
      throw isConnectionLost(e) ? connectionLost(team.target, e) : e;
    }
  },
};
