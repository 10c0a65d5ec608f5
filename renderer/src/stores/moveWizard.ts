// The "Move to a team database" wizard's state: connect (a URL without the
// password, the password in its own field) → dry run (the real copy, rolled
// back) with its per-table report → confirm → the move with progress → done
// (the app switched to the team database; restart only when it could not). The
// password lives only here, in memory, while the wizard is open: it is sent with
// each postgres.copy and forgotten on close and once the move is done; it is
// never stored (the switched app keeps it in its own memory for this run).
import { create } from 'zustand';
import type { PgMoveReport } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke } from '../api.ts';
import { newOpId, withHint } from '../backups.ts';
import { useProgress } from './progress.ts';
import { useToasts } from './toasts.ts';

/** 'dry' and 'move' while the command runs (the dialog may be hidden meanwhile). */
export type MoveStep = 'connect' | 'dry' | 'report' | 'confirm' | 'move' | 'done';

interface MoveWizardState {
  open: boolean;
  step: MoveStep;
  url: string;
  password: string;
  opId: string | null;
  /** The dry run's report (what the move will do). */
  report: PgMoveReport | null;
  /** The move's outcome. */
  moved: (PgMoveReport & { restartNeeded: boolean; connected: boolean }) | null;
  error: AppErrorShape | null;
  show(): void;
  close(): void;
  setUrl(url: string): void;
  setPassword(password: string): void;
  dryRun(): Promise<void>;
  confirm(): void;
  back(): void;
  execute(): Promise<void>;
}

const running = (step: MoveStep) => step === 'dry' || step === 'move';

/** postgres.copy with the wizard's URL and password, under a new operation id (its progress). */
async function copyCommand(
  s: Pick<MoveWizardState, 'url' | 'password'>,
  execute: boolean,
  started: (opId: string) => void,
) {
  const opId = newOpId();
  started(opId);
  const r = await invoke('postgres.copy', {
    url: s.url.trim(),
    ...(s.password === '' ? {} : { password: s.password }),
    execute,
    opId,
  });
  useProgress.getState().drop(opId);
  return r;
}

export const useMoveWizard = create<MoveWizardState>((set, get) => ({
  open: false,
  step: 'connect',
  url: '',
  password: '',
  opId: null,
  report: null,
  moved: null,
  error: null,
  show() {
    const { step, moved } = get();
    if (running(step) || (step === 'done' && !moved?.connected)) {
      set({ open: true });
      return;
    }
    set({ open: true, step: 'connect', report: null, error: null, opId: null });
  },
  close() {
    // Moved but not switched: this window has no database to show; it stays until the restart.
    if (get().step === 'done' && !get().moved?.connected) return;
    if (running(get().step)) {
      useToasts.getState().push({
        kind: 'info',
        title: 'The move to PostgreSQL continues in the background',
        message: 'Open the wizard again to follow it.',
      });
      set({ open: false });
      return;
    }
    // Closed before (or after) the move: the password is forgotten.
    set({ open: false, password: '', ...(get().step === 'done' ? { step: 'connect' } : {}) });
  },
  setUrl: (url) => set({ url, error: null }),
  setPassword: (password) => set({ password, error: null }),
  async dryRun() {
    if (running(get().step)) return;
    set({ step: 'dry', error: null, report: null });
    const r = await copyCommand(get(), false, (opId) => set({ opId }));
    if (r.ok) set({ step: 'report', report: r.value });
    else set({ step: 'connect', error: withHint(r.error) });
  },
  confirm: () => set({ step: 'confirm', error: null }),
  back() {
    const { step } = get();
    if (step === 'report') set({ step: 'connect', report: null });
    else if (step === 'confirm') set({ step: 'report' });
  },
  async execute() {
    if (running(get().step)) return;
    set({ step: 'move', error: null });
    const r = await copyCommand(get(), true, (opId) => set({ opId }));
    if (r.ok) set({ step: 'done', moved: r.value, password: '' });
    else set({ step: 'confirm', error: withHint(r.error) });
  },
}));
