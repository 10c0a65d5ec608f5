// App start-up and status: whether the data dir opened (or why not), and the
// facts the header and dashboard show. Status refreshes whenever data changes.
import { create } from 'zustand';
import type { AppStatus } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke } from '../api.ts';

export interface Refusal {
  code: string;
  message: string;
  hint: string;
  dataDir: string;
  logFile: string | null;
}

export type Boot =
  | { phase: 'loading' }
  | { phase: 'ready' }
  | { phase: 'refused'; refusal: Refusal }
  | { phase: 'unreachable'; error: AppErrorShape };

interface AppState {
  boot: Boot;
  status: AppStatus | null;
  statusError: AppErrorShape | null;
  start(): Promise<void>;
  refreshStatus(): Promise<void>;
}

export const useApp = create<AppState>((set, get) => ({
  boot: { phase: 'loading' },
  status: null,
  statusError: null,
  async start() {
    set({ boot: { phase: 'loading' } });
    const r = await invoke('app.startup', {});
    if (!r.ok) {
      set({ boot: { phase: 'unreachable', error: r.error } });
      return;
    }
    if (r.value.state === 'refused') {
      const { code, message, hint, dataDir, logFile } = r.value;
      set({ boot: { phase: 'refused', refusal: { code, message, hint, dataDir, logFile } } });
      return;
    }
    await get().refreshStatus();
    set({ boot: { phase: 'ready' } });
  },
  async refreshStatus() {
    const r = await invoke('app.status', {});
    if (r.ok) set({ status: r.value, statusError: null });
    else set({ statusError: r.error });
  },
}));

let pending: ReturnType<typeof setTimeout> | null = null;
/** Coalesces bursts of change events into one status refresh. */
export function scheduleStatusRefresh(): void {
  if (pending !== null) return;
  pending = setTimeout(() => {
    pending = null;
    if (useApp.getState().boot.phase === 'ready') void useApp.getState().refreshStatus();
  }, 250);
}
