// All command handlers of the app, merged; transports add only their dialogs.
import type { Runtime } from '../core/runtime.ts';
import { appHandlers } from './app.ts';
import { automationHandlers } from './automation.ts';
import { backupHandlers } from './backups.ts';
import { restoreHandlers } from './restores.ts';
import { secretHandlers } from './secrets.ts';
import { deploymentHandlers } from './deployments.ts';
import { demoHandlers } from './demo.ts';
import { projectHandlers } from './projects.ts';
import { postgresHandlers } from './postgres.ts';
import { resourceHandlers } from './resources.ts';
import { runHandlers } from './runs.ts';
import { teamHandlers } from './team.ts';
import type { HandlerMap } from './registry.ts';
import { CommandRegistry } from './registry.ts';

export const coreHandlers: HandlerMap[] = [
  appHandlers,
  automationHandlers,
  projectHandlers,
  deploymentHandlers,
  runHandlers,
  resourceHandlers,
  demoHandlers,
  backupHandlers,
  restoreHandlers,
  secretHandlers,
  teamHandlers,
  postgresHandlers,
];

/** A registry with every core handler plus the transport's own (dialogs). */
export function createRegistry(rt: Runtime, transportHandlers: HandlerMap): CommandRegistry {
  const registry = new CommandRegistry(rt);
  for (const map of coreHandlers) registry.registerAll(map);
  registry.registerAll(transportHandlers);
  const missing = registry.missing();
  if (missing.length > 0) throw new Error(`Commands without a handler: ${missing.join(', ')}`);
  return registry;
}
