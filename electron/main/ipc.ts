// The IPC transport: one invoke channel for every command of the contract. The
// sender must be the app's own top-level page, app://stateward/index.html or the dev
// server in development (else an UNTRUSTED_SENDER Result);
// the registry does the rest (validation, dispatch, Result) and never throws.
import { ipcMain } from 'electron';
import { IPC_INVOKE_CHANNEL } from '../../shared/events.ts';
import type { Result } from '../../shared/errors.ts';
import { fail } from '../../shared/errors.ts';
import type { CommandRegistry } from '../handlers/registry.ts';
import type { Logger } from '../core/log.ts';
import { isTrustedSender } from './trusted-url.ts';

/** Register the invoke handler; returns a function that removes it. */
export function registerIpc(
  registry: CommandRegistry,
  /** The dev server's URL in development (its pages are the app's then), else null. */
  devServerUrl: string | null,
  logger: Logger,
): () => void {
  ipcMain.handle(
    IPC_INVOKE_CHANNEL,
    async (event, name: unknown, input: unknown): Promise<Result<unknown>> => {
      if (!isTrustedSender(event.senderFrame, devServerUrl)) {
        const command = JSON.stringify(String(name)).slice(0, 100);
        const url = (event.senderFrame?.url ?? '(no frame)').slice(0, 200);
        logger.log('warn', `refused IPC ${command} from untrusted sender ${url}`);
        return fail({
          code: 'UNTRUSTED_SENDER',
          message: 'Refused: the request did not come from the Stateward window.',
        });
      }
      return registry.dispatch(name, input);
    },
  );
  return () => ipcMain.removeHandler(IPC_INVOKE_CHANNEL);
}
