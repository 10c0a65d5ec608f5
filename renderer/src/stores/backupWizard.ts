// "Back up now", outside any component: one click starts a backup (full unless
// the Options menu asked for compact or a saved copy) and opens its progress;
// the backup keeps running (and reports how it ended) when the dialog is
// closed, and the dialog reopens on it. A second click while one runs only
// shows it: it never starts another, and never cancels.
import { create } from 'zustand';
import type { BackupEntry } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke } from '../api.ts';
import type { CopyOutcome } from '../backups.ts';
import { copyOutcomeText, newOpId, saveBackupCopy, withHint } from '../backups.ts';
import { useData } from './data.ts';
import { useProgress } from './progress.ts';
import { toastError, toastSuccess, useToasts } from './toasts.ts';

export type Outcome =
  | { kind: 'done'; entry: BackupEntry; finishedDespiteCancel: boolean }
  | { kind: 'cancelled' }
  | { kind: 'failed'; error: AppErrorShape };

export interface BackupOptions {
  compact?: boolean;
  /** When it is done, save a copy where the user chooses (Electron) or download one (browser). */
  saveCopy?: boolean;
}

interface BackupRunState {
  open: boolean;
  /** The options of the running (or last) backup. */
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
  /** Start a backup now and show its progress (only shows it if one is already running). */
  start(options?: BackupOptions): Promise<void>;
  close(): void;
  cancel(): Promise<void>;
  /** Called for every progress event; resends a cancel that arrived too early. */
  sawProgress(opId: string): void;
  saveCopyNow(): Promise<void>;
}

export const useBackupWizard = create<BackupRunState>((set, get) => ({
  open: false,
  compact: false,
  saveCopy: false,
  opId: null,
  running: false,
  cancelRequested: false,
  cancelPending: false,
  outcome: null,
  copy: null,
  async start(options = {}) {
    if (get().running) {
      set({ open: true });
      return;
    }
    const opId = newOpId();
    const compact = options.compact === true;
    set({
      open: true,
      compact,
      saveCopy: options.saveCopy === true,
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
    set({ running: false, cancelPending: false, outcome });
    if (!open) {
      // Closed while it ran: say how it ended.
      if (outcome.kind === 'done') toastSuccess('Backup finished', outcome.entry.fileName);
      else if (outcome.kind === 'cancelled') toastSuccess('Backup cancelled — nothing was kept');
      else toastError('The backup failed', outcome.error);
    }
    if (outcome.kind === 'done' && saveCopy) await get().saveCopyNow();
  },
  close() {
    if (get().running) {
      useToasts.getState().push({
        kind: 'info',
        title: 'The backup continues in the background',
        message: 'You will be told when it has finished.',
      });
    }
    set({ open: false });
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

/** Whether the dialog is showing a manual backup's failure itself (so no toast is needed). */
export function wizardShowsFailure(): boolean {
  const s = useBackupWizard.getState();
  return s.open && (s.running || s.outcome?.kind === 'failed');
}
