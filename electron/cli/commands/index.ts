// Every command group of `stateward`, in the order of the usage text. A new group is
// one module under commands/ and one line here.
import type { CliCommand } from '../args.ts';
import { backupCommands } from './backups.ts';
import { demoCommands } from './demo.ts';
import { deploymentCommands } from './deployments.ts';
import { migrateCommands } from './migrate.ts';
import { projectCommands } from './projects.ts';
import { resourceCommands } from './resources.ts';
import { postgresCommands } from './postgres.ts';
import { pauseCommands } from './pause.ts';
import { restoreCommands } from './restores.ts';
import { runCommands } from './runs.ts';
import { secretCommands } from './secrets.ts';
import { statusCommands } from './status.ts';

export const COMMANDS: readonly CliCommand[] = [
  ...statusCommands,
  ...backupCommands,
  ...restoreCommands,
  ...secretCommands,
  ...pauseCommands,
  ...postgresCommands,
  ...migrateCommands,
  ...demoCommands,
  ...projectCommands,
  ...deploymentCommands,
  ...runCommands,
  ...resourceCommands,
];
