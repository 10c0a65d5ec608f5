// Whether automation is paused (who, why, since when): from automation.status,
// replaced by every `automation.changed` event (a pause or resume here or in
// another process, a promote starting or ending).
import { create } from 'zustand';
import type { AutomationStatus } from '../../../shared/domain.ts';
import { invoke } from '../api.ts';

interface AutomationState {
  status: AutomationStatus | null;
  set(status: AutomationStatus): void;
  refresh(): Promise<void>;
}

export const useAutomation = create<AutomationState>((set) => ({
  status: null,
  set: (status) => set({ status }),
  async refresh() {
    const r = await invoke('automation.status', {});
    if (r.ok) set({ status: r.value });
  },
}));
