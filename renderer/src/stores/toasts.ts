// Toasts: the one place mutations report success and failure that is not shown inline.
import { create } from 'zustand';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { issueLines } from '../errors.ts';

export interface Toast {
  id: number;
  kind: 'success' | 'error' | 'info';
  title: string;
  message?: string;
  hint?: string;
  code?: string;
}

interface ToastState {
  toasts: Toast[];
  push(toast: Omit<Toast, 'id'>): number;
  dismiss(id: number): void;
}

let nextId = 1;
const timers = new Map<number, ReturnType<typeof setTimeout>>();

export const useToasts = create<ToastState>((set, get) => ({
  toasts: [],
  push(toast) {
    const id = nextId++;
    // Keep at most five; errors stay until dismissed so they cannot be missed.
    set((s) => ({ toasts: [...s.toasts, { ...toast, id }].slice(-5) }));
    if (toast.kind !== 'error') {
      timers.set(
        id,
        setTimeout(() => get().dismiss(id), 5000),
      );
    }
    return id;
  },
  dismiss(id) {
    const t = timers.get(id);
    if (t !== undefined) clearTimeout(t);
    timers.delete(id);
    set((s) => ({ toasts: s.toasts.filter((x) => x.id !== id) }));
  },
}));

export function toastError(title: string, error: AppErrorShape): void {
  const toast: Omit<Toast, 'id'> = {
    kind: 'error',
    title,
    // Invalid input in words ("retention.keepLast: Must be at least 1"), not the validator's.
    message: issueLines(error).join('; ') || error.message,
    code: error.code,
  };
  if (error.hint) toast.hint = error.hint;
  useToasts.getState().push(toast);
}

export function toastSuccess(title: string, message?: string): void {
  useToasts
    .getState()
    .push(message ? { kind: 'success', title, message } : { kind: 'success', title });
}
