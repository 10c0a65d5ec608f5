// The IPC transport: one invoke channel for every command of the contract. The
// sender must be the app's own top-level page (else an UNTRUSTED_SENDER Result);
// the registry does the rest (validation, dispatch, Result) and never throws.
import { ipcMain } from 'electron';
import type { IpcMainInvokeEvent } from 'electron';
import { IPC_INVOKE_CHANNEL } from '../../shared/events.ts';
import type { Result } from '../../shared/errors.ts';
import { fail } from '../../shared/errors.ts';
import type { CommandRegistry } from '../handlers/registry.ts';
import type { Logger } from '../core/log.ts';

export type SenderCheck = (url: string) => boolean;

/** The frame URL if this event comes from a trusted top-level frame, else null. */
export function trustedSenderUrl(event: IpcMainInvokeEvent, isTrusted: SenderCheck): string | null {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return null;
  return isTrusted(frame.url) ? frame.url : null;
}

/** Register the invoke handler; returns a function that removes it. */
export function registerIpc(
  registry: CommandRegistry,
  isTrusted: SenderCheck,
  logger: Logger,
): () => void {
  ipcMain.handle(
    IPC_INVOKE_CHANNEL,
    async (event, name: unknown, input: unknown): Promise<Result<unknown>> => {
      if (trustedSenderUrl(event, isTrusted) === null) {
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
