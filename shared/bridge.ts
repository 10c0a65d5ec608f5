// The shape of `window.stateward` exposed by the preload, and of the HTTP client:
// one invoke for every command, one subscription for every event.
import type { CommandInput, CommandName, CommandResult } from './contract.ts';
import type { Result } from './errors.ts';
import type { EventName, Events } from './events.ts';

export interface StatewardBridge {
  invoke<N extends CommandName>(name: N, input: CommandInput<N>): Promise<Result<CommandResult<N>>>;
  on<E extends EventName>(event: E, fn: (payload: Events[E]) => void): () => void;
  /** Native dialogs and Save As exist only in 'electron'. */
  readonly platform: 'electron' | 'browser';
}
