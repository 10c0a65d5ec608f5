// The Verify wizard's state: pick backups → run a restore drill on each in
// turn (stage into a temporary copy, drill, discard) → a report per backup.
// Kept outside components so the run continues when the dialog is closed.
import { create } from 'zustand';
import type { BackupEntry, DrillReport } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke } from '../api.ts';
import { newOpId, withHint } from '../backups.ts';
import { plural } from '../format.ts';
import { useData } from './data.ts';
import { useProgress } from './progress.ts';
import { toastError, toastSuccess, useToasts } from './toasts.ts';

/** 'run' while the drills run (the dialog may be closed meanwhile). */
export type VerifyStep = 'pick' | 'run' | 'reports';

export type VerifyItem =
  | { state: 'pending' }
  | { state: 'running'; opId: string }
  | { state: 'done'; report: DrillReport }
  | { state: 'error'; error: AppErrorShape };

interface VerifyWizardState {
  open: boolean;
  step: VerifyStep;
  selected: string[];
  /** The backups being verified, in order (kept so the reports can name them). */
  queue: BackupEntry[];
  items: Record<string, VerifyItem>;
  /** Where the drills run: a temporary local copy, or a scratch schema on the team's server (team mode). */
  target: 'local' | 'server';
  setTarget(target: 'local' | 'server'): void;
  show(preselect?: string[]): void;
  close(): void;
  toggle(id: string, on: boolean): void;
  setSelected(ids: string[]): void;
  run(entries: BackupEntry[]): Promise<void>;
  again(): void;
}

export const useVerifyWizard = create<VerifyWizardState>((set, get) => ({
  open: false,
  step: 'pick',
  selected: [],
  queue: [],
  items: {},
  target: 'local',
  setTarget: (target) => set({ target }),
  show(preselect = []) {
    if (get().step === 'run') {
      set({ open: true });
      return;
    }
    set({ open: true, step: 'pick', selected: preselect, queue: [], items: {} });
  },
  close() {
    if (get().step === 'run') {
      useToasts.getState().push({
        kind: 'info',
        title: 'The restore drills continue in the background',
        message: 'You will be told when they have finished.',
      });
    }
    set({ open: false });
  },
  toggle(id, on) {
    const selected = get().selected.filter((x) => x !== id);
    set({ selected: on ? [...selected, id] : selected });
  },
  setSelected: (selected) => set({ selected }),
  async run(entries) {
    if (get().step === 'run') return;
    const chosen = entries.filter((e) => get().selected.includes(e.id));
    if (chosen.length === 0) return;
    set({
      step: 'run',
      queue: chosen,
      items: Object.fromEntries(chosen.map((e) => [e.id, { state: 'pending' } as VerifyItem])),
    });
    for (const entry of chosen) {
      const opId = newOpId();
      set((s) => ({ items: { ...s.items, [entry.id]: { state: 'running', opId } } }));
      const r = await invoke('restores.verify', {
        source: { backupId: entry.id },
        opId,
        target: get().target,
      });
      useProgress.getState().drop(opId);
      const item: VerifyItem = r.ok
        ? { state: 'done', report: r.value }
        : { state: 'error', error: withHint(r.error) };
      set((s) => ({ items: { ...s.items, [entry.id]: item } }));
      useData.getState().bump('backups');
    }
    set({ step: 'reports' });
    if (!get().open) {
      const items = Object.values(get().items);
      const failed = items.filter((i) => i.state !== 'done' || !i.report.passed).length;
      if (failed === 0)
        toastSuccess(
          items.length === 1 ? 'The restore drill passed' : `All ${items.length} drills passed`,
        );
      else
        toastError('A restore drill failed', {
          code: 'DRILL_FAILED',
          message: `${failed} of ${plural(items.length, 'backup')} did not pass. Open Restore & drills for the reports.`,
        });
    }
  },
  again: () => set({ step: 'pick', queue: [], items: {} }),
}));
