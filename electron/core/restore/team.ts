// Restores of a team-mode data dir (issue 11.6), for RestoreService: the drill
// against the server (pg/drill.ts) and promote into PostgreSQL (pg/promote.ts),
// with this instance's pool, keys, backups folder and audit log.
import { AppError } from '../../../shared/errors.ts';
import type { DrillReport } from '../../../shared/domain.ts';
import { createPgBackup } from '../pg/backup.ts';
import { describeTarget } from '../pg/connect.ts';
import type { PgDrillInput } from '../pg/drill.ts';
import { runPgDrill } from '../pg/drill.ts';
import { promoteIntoPostgres } from '../pg/promote.ts';
import type { Runtime, TeamConnection } from '../runtime.ts';
import { appendAudit } from '../store/resources/audit.ts';

/** The team database, or NOT_IN_TEAM_MODE for a data dir bound to SQLite. */
export function teamOf(rt: Runtime, what: string): TeamConnection {
  const team = rt.team;
  if (!team)
    throw new AppError(
      'NOT_IN_TEAM_MODE',
      `${what} needs a data dir bound to PostgreSQL (team mode); this one is bound to SQLite.`,
      { hint: 'Run the drill locally (the default), or connect this data dir to a team database.' },
    );
  return team;
}

/** The drill of a staged copy in a scratch schema of the team database. */
export function drillOnServer(
  rt: Runtime,
  input: Omit<PgDrillInput, 'pool' | 'resolveSecrets' | 'log'>,
): Promise<DrillReport> {
  const team = teamOf(rt, 'A drill against the server');
  return runPgDrill({
    ...input,
    pool: team.pool,
    resolveSecrets: (rows) => rt.secrets.resolveRows(rows),
    log: rt.logger,
  });
}

/**
 * Make the copy the team's live state in one transaction (pg/promote.ts), after a
 * pre-restore backup of the team state into this data dir's backups folder; the
 * team's audit log then says who did it.
 */
export async function promoteIntoTeam(
  rt: Runtime,
  restoreId: string,
  copy: string,
): Promise<{ preRestoreBackup: string }> {
  const team = teamOf(rt, 'Promote into PostgreSQL');
  const r = await promoteIntoPostgres({
    pool: team.pool,
    schema: team.schema,
    backupFile: copy,
    where: describeTarget(team.target),
    log: rt.logger,
    preRestoreBackup: () =>
      createPgBackup({
        target: team.target,
        schema: team.schema,
        outDir: rt.layout.backups,
        ownFolder: true,
        kind: 'pre-restore',
        compact: false,
        now: rt.now,
        dataKeyId: rt.secrets.activeKeyId(),
        transport: rt.transport,
        log: rt.logger,
      }),
  });
  const preRestoreBackup = r.preRestoreBackup.path;
  if (rt.data) {
    const rows = r.tables.reduce((n, t) => n + t.rowsRead, 0);
    await rt.data.write((c) =>
      appendAudit(
        c,
        {
          actor: rt.actor,
          action: 'restore.promoted',
          target: `restore:${restoreId}`,
          detail: { server: true, rows, preRestoreBackup: r.preRestoreBackup.manifest.fileName },
        },
        rt.now(),
      ),
    );
  }
  return { preRestoreBackup };
}
