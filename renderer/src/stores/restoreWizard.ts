// The restore wizard's state, outside any component so a running preflight or
// drill keeps going (and the wizard reopens on it) when the dialog is closed,
// and so the preview banner can reopen it at the promote step.
// Steps: pick → check (preflight, stages the copy) → restore (the drill runs)
// → drill (the report) → preview → promote → done.
// It runs in the normal app ('live') and on the refusal screen ('refused').
import { create } from 'zustand';
import type {
  BackupEntry,
  DrillReport,
  PreflightReport,
  SecretResolution,
} from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke, uploadRestore } from '../api.ts';
import { newOpId, withHint } from '../backups.ts';
import { useApp } from './app.ts';
import { LIST_AREAS, useData } from './data.ts';
import { useNav } from './nav.ts';
import type { PreviewSource } from './preview.ts';
import { usePreview } from './preview.ts';
import { useProgress } from './progress.ts';
import { toastError, toastSuccess, useToasts } from './toasts.ts';

export type RestoreStep = 'pick' | 'check' | 'restore' | 'drill' | 'preview' | 'promote' | 'done';

export type RestoreChoice =
  | { kind: 'backup'; entry: BackupEntry }
  | { kind: 'file'; path: string }
  /** A file on this computer, uploaded to the browser host (which checks and copies it). */
  | { kind: 'upload'; file: File };

export interface Staged {
  restoreId: string | null;
  report: PreflightReport;
}

interface RestoreWizardState {
  open: boolean;
  mode: 'live' | 'refused';
  step: RestoreStep;
  /** The backup id to preselect on the pick step. */
  preselect: string | null;
  choice: RestoreChoice | null;
  busy: 'preflight' | 'drill' | 'promote' | 'discard' | null;
  /** The operation id of the running preflight or drill; its progress events carry it. */
  opId: string | null;
  staged: Staged | null;
  /** The copy being worked on (also set when reopened on a copy from the banner). */
  copy: PreviewSource | null;
  drill: DrillReport | null;
  error: AppErrorShape | null;
  /** Secret references re-checked after unlocking with a recovery key. */
  secrets: SecretResolution | null;
  secretsAcknowledged: boolean;
  promoted: { preRestoreBackup: boolean } | null;
  show(opts?: { mode?: 'live' | 'refused'; backupId?: string | null }): void;
  /** Open at the promote step for a drilled copy (from the preview banner or the copies list). */
  showPromote(copy: PreviewSource, mode?: 'live' | 'refused'): void;
  close(): void;
  choose(choice: RestoreChoice): void;
  check(): Promise<void>;
  /** From the preflight summary back to the list (the staged copy is discarded). */
  backToPick(): Promise<void>;
  runDrill(): Promise<void>;
  toPreview(): void;
  toPromote(): void;
  backFromPromote(): void;
  promote(): Promise<void>;
  discard(): Promise<void>;
  unlockSecrets(recoveryKey: string, passphrase: string): Promise<AppErrorShape | null>;
  acknowledgeSecrets(): void;
  /** After a promote: close and reload the app on its new live data. */
  finish(): Promise<void>;
}

const FRESH = {
  step: 'pick' as RestoreStep,
  preselect: null,
  choice: null,
  busy: null,
  opId: null,
  staged: null,
  copy: null,
  drill: null,
  error: null,
  secrets: null,
  secretsAcknowledged: false,
  promoted: null,
};

function copyOf(staged: Staged): PreviewSource | null {
  if (!staged.restoreId) return null;
  const f = staged.report.facts;
  return {
    restoreId: staged.restoreId,
    fileName: f.fileName,
    createdAt: f.createdAt,
    backupId: f.backupId,
  };
}

async function discardQuietly(restoreId: string): Promise<void> {
  const r = await invoke('restores.discard', { restoreId });
  if (!r.ok && r.error.code !== 'RESTORE_NOT_FOUND') {
    toastError('Could not discard the restored copy', withHint(r.error));
  }
  if (usePreview.getState().source?.restoreId === restoreId) usePreview.getState().exit();
  useData.getState().bump('backups');
}

/** Upload a file for a restore; its progress shows under the operation's id, as phase 'upload'. */
function upload(file: File, opId: string) {
  const started = Date.now();
  return uploadRestore(file, opId, (done, total) => {
    const elapsed = Date.now() - started;
    useProgress.getState().update({
      opId,
      op: 'restore',
      phase: 'upload',
      done,
      total,
      unit: 'bytes',
      etaMs: done > 0 && done < total ? Math.round((elapsed / done) * (total - done)) : null,
    });
  });
}

export const useRestoreWizard = create<RestoreWizardState>((set, get) => ({
  open: false,
  mode: 'live',
  ...FRESH,
  show(opts = {}) {
    // Reopening while something runs shows it; otherwise start over.
    if (get().busy) {
      set({ open: true });
      return;
    }
    set({
      open: true,
      ...FRESH,
      mode: opts.mode ?? 'live',
      preselect: opts.backupId ?? null,
    });
  },
  showPromote(copy, mode = 'live') {
    if (get().busy) {
      set({ open: true });
      return;
    }
    set({ open: true, ...FRESH, mode, copy, step: 'promote' });
  },
  close() {
    const s = get();
    set({ open: false });
    if (s.busy) {
      useToasts.getState().push({
        kind: 'info',
        title: 'The restore continues in the background',
        message: 'Open the restore wizard again to see how it went.',
      });
      return;
    }
    // A staged copy that never passed a drill is of no use: remove it. A drilled,
    // passing copy stays until it is promoted or discarded (Restore & drills lists it).
    const restoreId = s.copy?.restoreId ?? null;
    if (!restoreId || s.step === 'done') return;
    if (s.step === 'check' || (s.step === 'drill' && s.drill && !s.drill.passed)) {
      void discardQuietly(restoreId);
    } else if (s.mode === 'live' && usePreview.getState().source?.restoreId !== restoreId) {
      useToasts.getState().push({
        kind: 'info',
        title: 'The restored copy is kept',
        message: 'Preview, promote or discard it under Restore & drills.',
      });
    }
  },
  choose: (choice) => set({ choice, error: null }),
  async check() {
    const { choice, busy } = get();
    if (!choice || busy) return;
    const opId = newOpId();
    set({ step: 'check', busy: 'preflight', opId, staged: null, error: null, drill: null });
    const r =
      choice.kind === 'upload'
        ? await upload(choice.file, opId)
        : await invoke('restores.preflight', {
            source:
              choice.kind === 'backup' ? { backupId: choice.entry.id } : { path: choice.path },
            opId,
          });
    useProgress.getState().drop(opId);
    if (!r.ok) {
      set({ busy: null, error: withHint(r.error) });
      return;
    }
    set({ busy: null, staged: r.value, copy: copyOf(r.value) });
    useData.getState().bump('backups');
  },
  async backToPick() {
    const { copy, busy } = get();
    if (busy) return;
    set({ step: 'pick', staged: null, copy: null, error: null });
    if (copy) await discardQuietly(copy.restoreId);
  },
  async runDrill() {
    const { copy, busy } = get();
    if (!copy || busy) return;
    const opId = newOpId();
    set({ step: 'restore', busy: 'drill', opId, error: null, drill: null });
    const r = await invoke('restores.drill', { restoreId: copy.restoreId, opId });
    useProgress.getState().drop(opId);
    useData.getState().bump('backups');
    if (!r.ok) {
      set({ busy: null, error: withHint(r.error) });
      return;
    }
    set({ busy: null, drill: r.value, step: 'drill' });
    if (!get().open) {
      if (r.value.passed) toastSuccess('Restore drill passed', r.value.summary);
      else
        toastError('Restore drill failed', {
          code: 'DRILL_FAILED',
          message: r.value.summary,
        });
    }
  },
  toPreview() {
    const { copy, mode } = get();
    if (!copy) return;
    if (mode === 'refused') {
      set({ step: 'preview' });
      return;
    }
    // In the app, the preview is the app itself, reading the copy, under a banner.
    set({ open: false });
    usePreview.getState().enter(copy);
  },
  toPromote: () => set({ step: 'promote', error: null }),
  backFromPromote() {
    const { drill, mode } = get();
    if (mode === 'refused' || drill) set({ step: drill ? 'preview' : 'pick', error: null });
    else set({ open: false });
  },
  async promote() {
    const { copy, busy } = get();
    if (!copy || busy) return;
    set({ busy: 'promote', error: null });
    const r = await invoke('restores.promote', { restoreId: copy.restoreId, confirm: true });
    if (!r.ok) {
      set({ busy: null, error: withHint(r.error) });
      return;
    }
    set({ busy: null, promoted: r.value, step: 'done' });
    usePreview.getState().drop();
    for (const area of LIST_AREAS) useData.getState().bump(area);
  },
  async discard() {
    const { copy, busy } = get();
    if (!copy || busy) return;
    set({ busy: 'discard' });
    await discardQuietly(copy.restoreId);
    set({ open: false, ...FRESH });
    toastSuccess('Restored copy discarded', 'Live data was not touched.');
  },
  async unlockSecrets(recoveryKey, passphrase) {
    const { copy } = get();
    const r = await invoke(
      'secrets.unlockWithRecoveryKey',
      passphrase ? { recoveryKey, passphrase } : { recoveryKey },
    );
    if (!r.ok) return withHint(r.error);
    if (!copy) return null;
    const again = await invoke('restores.secrets', { restoreId: copy.restoreId });
    if (!again.ok) return withHint(again.error);
    set({ secrets: again.value });
    return null;
  },
  acknowledgeSecrets: () => set({ secretsAcknowledged: true }),
  async finish() {
    const { mode } = get();
    set({ open: false, ...FRESH });
    if (mode === 'refused') {
      // The app was refused; the promoted copy is live now, so start over into the normal UI.
      await useApp.getState().start();
      useNav.getState().go({ view: 'dashboard' });
      return;
    }
    await useApp.getState().refreshStatus();
    useNav.getState().go({ view: 'dashboard' });
  },
}));
