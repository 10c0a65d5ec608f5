// The backup wizard's state, outside any component: a backup keeps running (and
// reports its outcome) when the wizard is closed, and the wizard reopens on it.
// Steps: mode → destination → run → result.
import { create } from 'zustand';
import type { BackupEntry } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke } from '../api.ts';
import type { CopyOutcome } from '../backups.ts';
import { copyOutcomeText, newOpId, saveBackupCopy, withHint } from '../backups.ts';
import { useData } from './data.ts';
import { useProgress } from './progress.ts';
import { toastError, toastSuccess, useToasts } from './toasts.ts';

export type WizardStep = 'mode' | 'destination' | 'run' | 'result';

export type Outcome =
  | { kind: 'done'; entry: BackupEntry; finishedDespiteCancel: boolean }
  | { kind: 'cancelled' }
  | { kind: 'failed'; error: AppErrorShape };

interface WizardState {
  open: boolean;
  step: WizardStep;
  compact: boolean;
  saveCopy: boolean;
  /** The operation id of the running (or last) backup; progress events carry it. */
  opId: string | null;
  running: boolean;
  cancelRequested: boolean;
  /** Cancel was sent before the host knew the operation: send again on its first progress. */
  cancelPending: boolean;
  outcome: Outcome | null;
  copy: CopyOutcome | 'working' | null;
  show(): void;
  close(): void;
  setCompact(compact: boolean): void;
  setSaveCopy(saveCopy: boolean): void;
  goTo(step: 'mode' | 'destination'): void;
  run(): Promise<void>;
  cancel(): Promise<void>;
  /** Called for every progress event; resends a cancel that arrived too early. */
  sawProgress(opId: string): void;
  saveCopyNow(): Promise<void>;
}

const FRESH = {
  step: 'mode' as WizardStep,
  compact: false,
  saveCopy: false,
  opId: null,
  running: false,
  cancelRequested: false,
  cancelPending: false,
  outcome: null,
  copy: null,
};

export const useBackupWizard = create<WizardState>((set, get) => ({
  open: false,
  ...FRESH,
  show() {
    // Reopening while a backup runs shows it; otherwise start over.
    if (get().running) set({ open: true });
    else set({ open: true, ...FRESH });
  },
  close() {
    const s = get();
    if (s.running) {
      useToasts.getState().push({
        kind: 'info',
        title: 'The backup continues in the background',
        message: 'You will be told when it has finished.',
      });
    }
    set({ open: false });
  },
  setCompact: (compact) => set({ compact }),
  setSaveCopy: (saveCopy) => set({ saveCopy }),
  goTo: (step) => {
    if (!get().running) set({ step });
  },
  async run() {
    if (get().running) return;
    const opId = newOpId();
    const { compact } = get();
    set({
      step: 'run',
      opId,
      running: true,
      cancelRequested: false,
      cancelPending: false,
      outcome: null,
      copy: null,
    });
    const r = await invoke('backups.create', { compact, opId });
    const { cancelRequested, open, saveCopy } = get();
    useProgress.getState().drop(opId);
    useData.getState().bump('backups');
    let outcome: Outcome;
    if (r.ok) outcome = { kind: 'done', entry: r.value, finishedDespiteCancel: cancelRequested };
    else if (r.error.code === 'CANCELLED') outcome = { kind: 'cancelled' };
    else outcome = { kind: 'failed', error: withHint(r.error) };
    set({ running: false, cancelPending: false, outcome, step: 'result' });
    if (!open) {
      // Closed while it ran: say how it ended.
      if (outcome.kind === 'done') toastSuccess('Backup finished', outcome.entry.fileName);
      else if (outcome.kind === 'cancelled') toastSuccess('Backup cancelled — nothing was kept');
      else toastError('The backup failed', outcome.error);
    }
    if (outcome.kind === 'done' && saveCopy) await get().saveCopyNow();
  },
  async cancel() {
    const { opId, running } = get();
    if (!running || opId === null) return;
    set({ cancelRequested: true });
    const r = await invoke('backups.cancel', { opId });
    if (!r.ok) {
      toastError('Could not cancel the backup', r.error);
      return;
    }
    // Not running on the host yet (the request is still on its way): retry on its first progress.
    if (!r.value.cancelled && get().running && get().opId === opId) set({ cancelPending: true });
  },
  sawProgress(opId) {
    const s = get();
    if (s.cancelPending && s.running && s.opId === opId) {
      set({ cancelPending: false });
      void invoke('backups.cancel', { opId });
    }
  },
  async saveCopyNow() {
    const { outcome, copy } = get();
    if (outcome?.kind !== 'done' || copy === 'working') return;
    set({ copy: 'working' });
    const result = await saveBackupCopy(outcome.entry);
    set({ copy: result });
    if (!get().open) {
      if (result.state === 'failed') toastError('Could not save a copy', result.error);
      else if (result.state !== 'dismissed') toastSuccess('Copy saved', copyOutcomeText(result));
    }
  },
}));

/** Whether the wizard is showing a manual backup's failure itself (so no toast is needed). */
export function wizardShowsFailure(): boolean {
  const s = useBackupWizard.getState();
  return s.open && (s.running || s.outcome?.kind === 'failed');
}
