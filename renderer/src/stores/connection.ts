// Whether the browser page can reach its host. The event stream is the heartbeat:
// while it is down the page says "disconnected", keeps retrying by itself, and
// refreshes everything once the host answers again. (Electron is always "connected".)
import { create } from 'zustand';

export type Connection = 'connected' | 'disconnected' | 'unauthorized';

interface ConnectionState {
  state: Connection;
  /** When the page first noticed the host was gone (for "since …"). */
  since: number | null;
  /** The next automatic attempt, or null while none is waiting. */
  retryAt: number | null;
  set(state: Connection, retryAt?: number | null): void;
}

export const useConnection = create<ConnectionState>((set, get) => ({
  state: 'connected',
  since: null,
  retryAt: null,
  set(state, retryAt = null) {
    const since = state === 'connected' ? null : (get().since ?? Date.now());
    set({ state, since, retryAt });
  },
}));

let wake: (() => void) | null = null;

/** Waits `ms`, or less if `retryNow()` is called meanwhile. */
export function waitForRetry(ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      wake = null;
      resolve();
    }
    wake = done;
  });
}

/** "Reconnect now": cuts the wait before the next attempt short. */
export function retryNow(): void {
  wake?.();
}
