// `stateward migrate [--dry-run]`: apply pending migrations under the lock (after a
// pre-upgrade backup), recovering an interrupted promote or write first; or list them.
import type { ResolvedDataDir } from '../../core/paths.ts';
import { dataDirLayout } from '../../core/paths.ts';
import { pendingPromote } from '../../core/restore/promote.ts';
import { MIGRATIONS } from '../../core/store/migrations/index.ts';
import { inspectDatabase } from '../../core/store/store.ts';
import type { CliCommand } from '../args.ts';
import { EXIT } from '../exit.ts';
import { refusal, refuseWhilePromotePending, startCli } from '../open.ts';
import type { Outcome } from '../output.ts';
import { teamMigrate } from './postgres.ts';

async function migrate(
  where: ResolvedDataDir,
  dryRun: boolean,
  databaseUrl: string | undefined,
): Promise<Outcome> {
  const team = await teamMigrate(where, databaseUrl, dryRun);
  if (team) return team;
  const layout = dataDirLayout(where.dir);
  // An interrupted promote or an unfinished write is what the locking start below recovers.
  if (dryRun) refuseWhilePromotePending(where.dir);
  const inspection = inspectDatabase(layout.db);
  const recoverable =
    !dryRun && (pendingPromote(layout) !== null || inspection.error?.code === 'DB_NEEDS_RECOVERY');
  if (inspection.error && !recoverable) throw inspection.error;
  const pending = inspection.plan
    ? inspection.plan.pending.map((m) => m.name)
    : MIGRATIONS.map((m) => m.name);
  if (dryRun) {
    return {
      exit: EXIT.ok,
      json: { dryRun: true, schemaVersion: inspection.schemaVersion, pending },
      text: pending.length
        ? `Would apply ${pending.length} migration(s):\n${pending.map((p) => `  ${p}`).join('\n')}\n`
        : 'Up to date: nothing to apply.\n',
    };
  }
  const rt = await startCli(where, 'cli-migrate');
  try {
    if (rt.startup.state === 'refused') throw refusal(rt);
    const applied = rt.store!.applied;
    const recovered = rt.recovered.map((r) => `Recovered: ${r}.\n`).join('');
    return {
      exit: EXIT.ok,
      json: {
        dryRun: false,
        applied,
        schemaVersion: rt.store!.plan.target,
        recovered: rt.recovered,
      },
      text:
        recovered +
        (applied.length
          ? `Applied ${applied.length} migration(s):\n${applied.map((p) => `  ${p}`).join('\n')}\n`
          : 'Up to date: nothing to apply.\n'),
    };
  } finally {
    rt.close();
  }
}

export const migrateCommands: CliCommand[] = [
  {
    name: 'migrate',
    usage: [['migrate [--dry-run]', 'apply pending migrations (or list them)']],
    help: 'A pre-upgrade backup is taken before the first migration is applied.',
    options: { 'dry-run': { type: 'boolean' } },
    run: ({ where, values }) =>
      migrate(
        where,
        values['dry-run'] === true,
        typeof values['database-url'] === 'string' ? values['database-url'] : undefined,
      ),
  },
];
