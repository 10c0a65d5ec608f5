// The app shell: header with the data dir and theme, sidebar navigation, and
// the current screen; or the start-up refusal screen when the data dir is refused.
import type { ReactNode } from 'react';
import { platform } from './api.ts';
import type { IconName } from './components/Icon.tsx';
import { Icon } from './components/Icon.tsx';
import { Loading } from './components/States.tsx';
import { Toasts } from './components/Toasts.tsx';
import { ConnectionBanner } from './components/ConnectionBanner.tsx';
import { SOURCE_LABEL } from './format.ts';
import { useApp } from './stores/app.ts';
import type { Route } from './stores/nav.ts';
import { useNav } from './stores/nav.ts';
import type { ThemeChoice } from './stores/theme.ts';
import { useTheme } from './stores/theme.ts';
import { BackupWizard } from './dialogs/BackupWizard.tsx';
import { Audit } from './screens/Audit.tsx';
import { Backups } from './screens/Backups.tsx';
import { Dashboard } from './screens/Dashboard.tsx';
import { AllDeployments, EnvironmentScreen } from './screens/Deployments.tsx';
import { ProjectScreen } from './screens/Project.tsx';
import { Projects } from './screens/Projects.tsx';
import { RefusalScreen, UnreachableScreen } from './screens/Refusal.tsx';
import { PreviewBanner } from './components/PreviewBanner.tsx';
import { PauseBanner, usePaused } from './components/PauseBanner.tsx';
import { TeamBanner, useTeam } from './components/TeamBanner.tsx';
import { RestoreWizard } from './dialogs/RestoreWizard.tsx';
import { VerifyWizard } from './dialogs/VerifyWizard.tsx';
import { MoveWizard } from './dialogs/MoveWizard.tsx';
import { ConnectTeam } from './dialogs/ConnectTeamDialog.tsx';
import { Compare } from './screens/Compare.tsx';
import { DrillReportScreen } from './screens/DrillReport.tsx';
import { Restores } from './screens/Restores.tsx';
import { usePreviewId, worksInPreview } from './stores/preview.ts';
import { SecretsScreen } from './screens/SecretsScreen.tsx';

type NavItem = { label: string; icon: IconName; route: Route; matches: Route['view'][] };

const PROJECTS: NavItem = {
  label: 'Projects',
  icon: 'projects',
  route: { view: 'projects' },
  matches: ['projects', 'project', 'environment'],
};
const DEPLOYMENTS: NavItem = {
  label: 'All deployments',
  icon: 'deployments',
  route: { view: 'deployments' },
  matches: ['deployments'],
};
const AUDIT: NavItem = {
  label: 'Audit log',
  icon: 'audit',
  route: { view: 'audit' },
  matches: ['audit'],
};

const NAV: NavItem[] = [
  { label: 'Dashboard', icon: 'dashboard', route: { view: 'dashboard' }, matches: ['dashboard'] },
  PROJECTS,
  DEPLOYMENTS,
  { label: 'Backups', icon: 'backup', route: { view: 'backups' }, matches: ['backups'] },
  {
    label: 'Restore & drills',
    icon: 'restore',
    route: { view: 'restores' },
    matches: ['restores', 'drill', 'compare'],
  },
  { label: 'Keys & secrets', icon: 'shield', route: { view: 'secrets' }, matches: ['secrets'] },
  AUDIT,
];

/** The sidebar while previewing: the screens that read the copy, and the comparison. */
const PREVIEW_NAV: NavItem[] = [
  { label: 'Compare with live', icon: 'compare', route: { view: 'compare' }, matches: ['compare'] },
  PROJECTS,
  DEPLOYMENTS,
  AUDIT,
];

const THEME_NEXT: Record<ThemeChoice, ThemeChoice> = {
  system: 'light',
  light: 'dark',
  dark: 'system',
};
const THEME_ICON: Record<ThemeChoice, IconName> = { system: 'system', light: 'sun', dark: 'moon' };
const THEME_LABEL: Record<ThemeChoice, string> = {
  system: 'Theme: follow system',
  light: 'Theme: light',
  dark: 'Theme: dark',
};

function ThemeToggle() {
  const choice = useTheme((s) => s.choice);
  const set = useTheme((s) => s.set);
  return (
    <button
      type="button"
      className="button button-ghost"
      onClick={() => set(THEME_NEXT[choice])}
      title={`${THEME_LABEL[choice]} (click to change)`}
      aria-label={`${THEME_LABEL[choice]}. Change theme`}
    >
      <Icon name={THEME_ICON[choice]} />
      <span className="theme-label">
        {choice === 'system' ? 'System' : choice === 'light' ? 'Light' : 'Dark'}
      </span>
    </button>
  );
}

function Header() {
  const status = useApp((s) => s.status);
  return (
    <header className="app-header">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          <Icon name="shield" size={18} />
        </span>
        Stateward
      </div>
      <div className="header-dir" title={status ? status.dataDir : undefined}>
        {status && (
          <>
            <span className="header-dir-label">Data</span>
            <span className="path truncate" data-testid="header-data-dir">
              {status.dataDir}
            </span>
            <span className="muted small nowrap">{SOURCE_LABEL[status.dataDirSource]}</span>
          </>
        )}
      </div>
      <ThemeToggle />
    </header>
  );
}

function Sidebar() {
  const route = useNav((s) => s.route);
  const go = useNav((s) => s.go);
  const status = useApp((s) => s.status);
  // While a restored copy is previewed, only the screens that can read it.
  const previewing = usePreviewId() !== undefined;
  return (
    <nav className="sidebar" aria-label="Main">
      <ul>
        {(previewing ? PREVIEW_NAV : NAV).map((n) => {
          const current = n.matches.includes(route.view);
          return (
            <li key={n.label}>
              <button
                type="button"
                className={current ? 'nav-item nav-item-current' : 'nav-item'}
                aria-current={current ? 'page' : undefined}
                onClick={() => go(n.route)}
              >
                <Icon name={n.icon} />
                {n.label}
              </button>
            </li>
          );
        })}
      </ul>
      <div className="sidebar-foot muted small">
        {status && <div>Stateward {status.appVersion}</div>}
        <div>{platform === 'electron' ? 'Desktop app' : 'Browser · local host'}</div>
      </div>
    </nav>
  );
}

function Screen() {
  const route = useNav((s) => s.route);
  const previewing = usePreviewId() !== undefined;
  if (previewing && !worksInPreview(route.view)) return <Compare />;
  switch (route.view) {
    case 'dashboard':
      return <Dashboard />;
    case 'projects':
      return <Projects />;
    case 'project':
      return <ProjectScreen key={route.projectId} projectId={route.projectId} />;
    case 'environment':
      return (
        <EnvironmentScreen
          key={route.environmentId}
          projectId={route.projectId}
          environmentId={route.environmentId}
        />
      );
    case 'deployments':
      return <AllDeployments />;
    case 'audit':
      return <Audit />;
    case 'backups':
      return <Backups />;
    case 'restores':
      return <Restores />;
    case 'drill':
      return <DrillReportScreen key={route.drillId} drillId={route.drillId} />;
    case 'compare':
      return <Compare />;
    case 'secrets':
      return <SecretsScreen />;
  }
}

function Shell({ children }: { children: ReactNode }) {
  const previewing = usePreviewId() !== undefined;
  const paused = usePaused();
  const { team } = useTeam();
  // One auto row per banner shown between the header and the content.
  const banners = [previewing, paused, !!team].filter(Boolean).length;
  return (
    <div
      className={`app${previewing ? ' app-preview' : ''}${paused ? ' app-paused' : ''}`}
      style={
        team
          ? { gridTemplateRows: `var(--header-h) repeat(${banners}, auto) minmax(0, 1fr)` }
          : undefined
      }
    >
      <Header />
      <PreviewBanner />
      <PauseBanner />
      <TeamBanner team={team} />
      <Sidebar />
      <main className="content" id="content">
        {children}
      </main>
      <BackupWizard />
      <RestoreWizard />
      <VerifyWizard />
      <MoveWizard />
      <ConnectTeam />
    </div>
  );
}

export function App() {
  const boot = useApp((s) => s.boot);
  // Screens remount when the data source changes (live ↔ a restored copy).
  const source = usePreviewId() ?? 'live';
  let body: ReactNode;
  switch (boot.phase) {
    case 'loading':
      body = <Loading label="Opening the data directory…" />;
      break;
    case 'refused':
      body = <RefusalScreen refusal={boot.refusal} />;
      break;
    case 'unreachable':
      body = <UnreachableScreen error={boot.error} />;
      break;
    case 'ready':
      body = (
        <Shell>
          <Screen key={source} />
        </Shell>
      );
  }
  return (
    <>
      {body}
      <ConnectionBanner />
      <Toasts />
    </>
  );
}
