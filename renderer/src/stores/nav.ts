// Where the user is: the current screen and the open deployment. Kept in
// sessionStorage so a reload returns to the same place, and in the browser's
// history (one entry per screen, the address unchanged) so Back and Forward move
// between screens instead of leaving the app.
import { create } from 'zustand';

export type Route =
  | { view: 'dashboard' }
  | { view: 'projects' }
  | { view: 'project'; projectId: number }
  | { view: 'environment'; projectId: number; environmentId: number }
  | { view: 'deployments' }
  | { view: 'audit' }
  | { view: 'backups' }
  // Restore & drills: restored copies, the drill history, one drill report, copy vs live.
  | { view: 'restores' }
  | { view: 'drill'; drillId: string }
  | { view: 'compare' }
  // Keys & secrets: how secrets are protected, unlock, recovery key, rotation.
  | { view: 'secrets' };

const KEY = 'stateward.route';

function isRoute(x: unknown): x is Route {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  const id = (k: string) =>
    typeof r[k] === 'number' && Number.isInteger(r[k]) && (r[k] as number) > 0;
  switch (r['view']) {
    case 'dashboard':
    case 'projects':
    case 'deployments':
    case 'audit':
    case 'backups':
    case 'restores':
    case 'compare':
    case 'secrets':
      return true;
    case 'drill':
      return typeof r['drillId'] === 'string' && /^[0-9a-f]{16}$/.test(r['drillId']);
    case 'project':
      return id('projectId');
    case 'environment':
      return id('projectId') && id('environmentId');
    default:
      return false;
  }
}

type Saved = { route: Route; deploymentId: number | null; backupId: string | null };

function read(): Saved {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as {
      route?: unknown;
      deploymentId?: unknown;
      backupId?: unknown;
    } | null;
    if (saved && isRoute(saved.route)) {
      return {
        route: saved.route,
        deploymentId: typeof saved.deploymentId === 'number' ? saved.deploymentId : null,
        backupId: typeof saved.backupId === 'string' ? saved.backupId : null,
      };
    }
  } catch (e) {
    console.warn('stateward: ignoring unreadable saved route', e);
  }
  return { route: { view: 'dashboard' }, deploymentId: null, backupId: null };
}

interface NavState {
  route: Route;
  /** The deployment whose detail panel is open, on deployment screens. */
  deploymentId: number | null;
  /** The backup whose detail panel is open on the Backups page. */
  backupId: string | null;
  go(route: Route): void;
  openDeployment(id: number | null): void;
  openBackup(id: string | null): void;
}

/** What a history entry holds: the place, under a key no other history user writes. */
type Entry = { stateward: Saved };

function entryOf(x: unknown): Saved | null {
  if (typeof x !== 'object' || x === null || !('stateward' in x)) return null;
  const saved = (x as Entry).stateward;
  return isRoute(saved.route) ? saved : null;
}

const sameRoute = (a: Route, b: Route) => JSON.stringify(a) === JSON.stringify(b);

function saved(s: NavState): Saved {
  return { route: s.route, deploymentId: s.deploymentId, backupId: s.backupId };
}

export const useNav = create<NavState>((set, get) => ({
  ...(entryOf(history.state) ?? read()),
  go: (route) => {
    const place: Saved = { route, deploymentId: null, backupId: null };
    // A new screen is a new history entry (so Back returns here); the same screen again is not.
    if (!sameRoute(route, get().route)) history.pushState({ stateward: place } satisfies Entry, '');
    set(place);
  },
  openDeployment: (deploymentId) => set({ deploymentId }),
  openBackup: (backupId) => set({ backupId }),
}));

// The entry the page was opened on describes where it starts (the address stays as it is).
history.replaceState(
  { ...(history.state as object | null), stateward: saved(useNav.getState()) },
  '',
);

window.addEventListener('popstate', (e) => {
  const place = entryOf(e.state);
  if (place) useNav.setState(place);
});

useNav.subscribe((s) => {
  sessionStorage.setItem(KEY, JSON.stringify(saved(s)));
  // Keep the current entry up to date (an opened detail panel), so Back/Forward return to it.
  const entry = entryOf(history.state);
  if (!entry || JSON.stringify(entry) !== JSON.stringify(saved(s))) {
    history.replaceState({ ...(history.state as object | null), stateward: saved(s) }, '');
  }
});
