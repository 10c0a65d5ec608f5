// Where the user is: the current screen and the open deployment. Kept in
// sessionStorage so a reload returns to the same place.
import { create } from 'zustand';

export type Route =
  | { view: 'dashboard' }
  | { view: 'projects' }
  | { view: 'project'; projectId: number }
  | { view: 'environment'; projectId: number; environmentId: number }
  | { view: 'deployments' }
  | { view: 'audit' };

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
      return true;
    case 'project':
      return id('projectId');
    case 'environment':
      return id('projectId') && id('environmentId');
    default:
      return false;
  }
}

function read(): { route: Route; deploymentId: number | null } {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as {
      route?: unknown;
      deploymentId?: unknown;
    } | null;
    if (saved && isRoute(saved.route)) {
      return {
        route: saved.route,
        deploymentId: typeof saved.deploymentId === 'number' ? saved.deploymentId : null,
      };
    }
  } catch (e) {
    console.warn('stateward: ignoring unreadable saved route', e);
  }
  return { route: { view: 'dashboard' }, deploymentId: null };
}

interface NavState {
  route: Route;
  /** The deployment whose detail panel is open, on deployment screens. */
  deploymentId: number | null;
  go(route: Route): void;
  openDeployment(id: number | null): void;
}

export const useNav = create<NavState>((set) => ({
  ...read(),
  go: (route) => set({ route, deploymentId: null }),
  openDeployment: (deploymentId) => set({ deploymentId }),
}));

useNav.subscribe((s) => {
  sessionStorage.setItem(KEY, JSON.stringify({ route: s.route, deploymentId: s.deploymentId }));
});
