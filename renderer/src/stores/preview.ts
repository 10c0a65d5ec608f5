// The data source the screens read: live, or a restored copy being previewed
// read-only. Screens pass `usePreviewId()` as `restoreId` to the read commands
// and hide their write actions while it is set. Kept in sessionStorage so a
// reload stays in the preview (the banner drops it if the copy is gone).
import { create } from 'zustand';
import type { Route } from './nav.ts';
import { useNav } from './nav.ts';

export interface PreviewSource {
  restoreId: string;
  fileName: string;
  /** When the backup was taken (null for a file without facts). */
  createdAt: number | null;
  backupId: string | null;
}

const KEY = 'stateward.preview';

function read(): { source: PreviewSource | null; returnTo: Route | null } {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as {
      source?: PreviewSource;
      returnTo?: Route | null;
    } | null;
    const s = saved?.source;
    if (s && typeof s.restoreId === 'string' && /^[0-9a-f]{16}$/.test(s.restoreId)) {
      return { source: s, returnTo: saved.returnTo ?? null };
    }
  } catch (e) {
    console.warn('stateward: ignoring an unreadable saved preview', e);
  }
  return { source: null, returnTo: null };
}

interface PreviewState {
  source: PreviewSource | null;
  /** Where to go back to when the preview ends. */
  returnTo: Route | null;
  /** Browse a drilled copy: the screens switch to it, starting at its projects. */
  enter(source: PreviewSource): void;
  /** Back to live, where the user was before. */
  exit(): void;
  /** Forget the preview without navigating (after a promote or discard). */
  drop(): void;
}

const PREVIEW_VIEWS: ReadonlySet<Route['view']> = new Set([
  'projects',
  'project',
  'environment',
  'deployments',
  'audit',
  'compare',
]);

/** Whether a screen can show a restored copy (the others are about live state only). */
export const worksInPreview = (view: Route['view']): boolean => PREVIEW_VIEWS.has(view);

export const usePreview = create<PreviewState>((set, get) => ({
  ...read(),
  enter(source) {
    const current = useNav.getState().route;
    set({ source, returnTo: get().source ? get().returnTo : current });
    useNav.getState().go({ view: 'projects' });
  },
  exit() {
    const back = get().returnTo;
    set({ source: null, returnTo: null });
    useNav.getState().go(back && back.view !== 'compare' ? back : { view: 'restores' });
  },
  drop: () => set({ source: null, returnTo: null }),
}));

usePreview.subscribe((s) => {
  if (s.source) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
});

/** The restore id to read from, or undefined for live. */
export const usePreviewId = (): string | undefined =>
  usePreview((s) => s.source?.restoreId ?? undefined);
