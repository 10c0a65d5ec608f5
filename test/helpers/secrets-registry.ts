// A registry with every handler map of the app (no vitest imports here).
import type { Runtime } from '../../electron/core/runtime.ts';
import { coreHandlers } from '../../electron/handlers/index.ts';
import type { HandlerMap } from '../../electron/handlers/registry.ts';
import { CommandRegistry } from '../../electron/handlers/registry.ts';
import { restoreHandlers } from '../../electron/handlers/restores.ts';
import { secretHandlers } from '../../electron/handlers/secrets.ts';
import { hostTransportHandlers } from '../../electron/host/serve.ts';
import { DownloadTickets } from '../../electron/host/server.ts';
import type { CommandName } from '../../shared/contract.ts';

/** The secrets commands a UI uses. */
export const SECRET_COMMANDS: readonly CommandName[] = [
  'secrets.status',
  'secrets.setup',
  'secrets.unlock',
  'secrets.unlockWithRecoveryKey',
  'secrets.list',
  'secrets.set',
  'secrets.unset',
  'secrets.reveal',
  'secrets.rotate',
  'secrets.pendingRecoveryKeys',
  'secrets.acknowledgeRecoveryKey',
  'restores.secrets',
];

/**
 * Every handler map of the app in one registry (each command once), whether or not
 * coreHandlers lists restoreHandlers and secretHandlers (secrets-service.test.ts checks
 * that createRegistry itself wires them).
 */
export function fullRegistry(rt: Runtime): CommandRegistry {
  const reg = new CommandRegistry(rt);
  const maps: HandlerMap[] = [
    ...coreHandlers,
    restoreHandlers,
    secretHandlers,
    hostTransportHandlers(new DownloadTickets()),
  ];
  for (const map of maps) {
    for (const name of Object.keys(map) as CommandName[]) {
      if (!reg.has(name)) reg.register(name, map[name] as never);
    }
  }
  const missing = reg.missing();
  if (missing.length) throw new Error(`fullRegistry: no handler for ${missing.join(', ')}`);
  return reg;
}
