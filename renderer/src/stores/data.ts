// A revision counter per data area, bumped by `data.changed` events; screens put
// the revision of what they show into their query key so they refetch.
import { create } from 'zustand';
import type { Events } from '../../../shared/events.ts';
import { DATA_AREAS } from '../../../shared/events.ts';

export type Area = Events['data.changed']['area'];

/** Every area but secrets: all refreshed when changes may have been missed or the data replaced. */
export const LIST_AREAS: readonly Area[] = DATA_AREAS.filter((a) => a !== 'secrets');

interface DataState {
  /** Areas never changed so far are absent (revision 0). */
  rev: Partial<Record<Area, number>>;
  bump(area: Area): void;
}

export const useData = create<DataState>((set) => ({
  rev: {},
  bump: (area) => set((s) => ({ rev: { ...s.rev, [area]: (s.rev[area] ?? 0) + 1 } })),
}));

export const revisionOf = (rev: DataState['rev'], ...areas: Area[]): number =>
  areas.reduce((sum, a) => sum + (rev[a] ?? 0), 0);

export const useRevision = (...areas: Area[]): number =>
  useData((s) => revisionOf(s.rev, ...areas));
