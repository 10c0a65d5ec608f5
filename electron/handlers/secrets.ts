import type { HandlerMap } from './registry.ts';
import { readData } from './context.ts';

export const secretHandlers: HandlerMap = {
  'secrets.status': (_input, rt) => rt.secrets.status(),
  'secrets.setup': (input, rt) => rt.secrets.setup(input),
  'secrets.unlock': (input, rt) => rt.secrets.unlock(input),
  'secrets.unlockWithRecoveryKey': (input, rt) =>
    rt.secrets.unlockWithRecoveryKey(input.recoveryKey, input),
  'secrets.list': (input, rt) =>
    rt.secrets.list(input.environmentId, readData(rt, input.restoreId)),
  'secrets.set': (input, rt) => rt.secrets.set(input.environmentId, input.name, input.value),
  'secrets.unset': async (input, rt) => {
    await rt.secrets.unset(input.environmentId, input.name);
    return { removed: true as const };
  },
  'secrets.reveal': async (input, rt) => ({ value: await rt.secrets.reveal(input.id) }),
  'secrets.lock': (_input, rt) => {
    rt.secrets.lock();
    return { locked: true as const };
  },
  'secrets.rotate': (input, rt) => rt.secrets.rotate(input),
  'secrets.pendingRecoveryKeys': (_input, rt) => rt.secrets.pendingRecoveryKeys(),
  'secrets.acknowledgeRecoveryKey': (input, rt) => rt.secrets.acknowledgeRecoveryKey(input.keyId),
  'restores.secrets': (input, rt) => rt.restores.secrets(input.restoreId),
};
