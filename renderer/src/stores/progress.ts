// Progress of long operations, fed by `progress` events, keyed by operation id.
import { create } from 'zustand';
import type { Events } from '../../../shared/events.ts';

export type Progress = Events['progress'] & { updatedAt: number };

interface ProgressState {
  ops: Record<string, Progress>;
  update(p: Events['progress']): void;
  clear(op: string): void;
  /** Forget one operation (by its id) once its owner has shown the outcome. */
  drop(opId: string): void;
}

export const useProgress = create<ProgressState>((set) => ({
  ops: {},
  update: (p) => set((s) => ({ ops: { ...s.ops, [p.opId]: { ...p, updatedAt: Date.now() } } })),
  clear: (op) =>
    set((s) => ({
      ops: Object.fromEntries(Object.entries(s.ops).filter(([, p]) => p.op !== op)),
    })),
  drop: (opId) =>
    set((s) => ({ ops: Object.fromEntries(Object.entries(s.ops).filter(([k]) => k !== opId)) })),
}));

/** The most recently updated progress of an operation kind (e.g. 'demo.seed'), if any. */
export function latestOf(ops: Record<string, Progress>, op: string): Progress | null {
  let best: Progress | null = null;
  for (const p of Object.values(ops)) {
    if (p.op === op && (!best || p.updatedAt > best.updatedAt)) best = p;
  }
  return best;
}
