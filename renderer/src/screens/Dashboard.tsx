// Facts about the data directory and its contents, and the safety status.
import type { ReactNode } from 'react';
import type { AppStatus } from '../../../shared/domain.ts';
import { invoke } from '../api.ts';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { ErrorState, Loading } from '../components/States.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { TeamPanel, useTeam } from '../components/TeamBanner.tsx';
import { formatBytes, formatCount, formatTime, SOURCE_LABEL } from '../format.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { useApp } from '../stores/app.ts';
import { useRevision } from '../stores/data.ts';
import { useNav } from '../stores/nav.ts';
import { FirstRun } from './FirstRun.tsx';
import { MoveToTeamButton } from '../dialogs/MoveWizard.tsx';
import { ConnectTeamButton } from '../dialogs/ConnectTeamDialog.tsx';
import { SafetyPanel } from './SafetyPanel.tsx';

export function Dashboard() {
  const status = useApp((s) => s.status);
  const statusError = useApp((s) => s.statusError);
  const refreshStatus = useApp((s) => s.refreshStatus);
  if (!status) {
    return statusError ? (
      <ErrorState
        title="Could not read the app status"
        error={statusError}
        onRetry={() => void refreshStatus()}
      />
    ) : (
      <Loading />
    );
  }
  if (status.empty) return <FirstRun status={status} />;
  return <DashboardBody status={status} />;
}

function Row(props: { label: string; children: ReactNode; testId?: string }) {
  return (
    <>
      <dt>{props.label}</dt>
      <dd data-testid={props.testId}>{props.children}</dd>
    </>
  );
}

function DashboardBody({ status }: { status: AppStatus }) {
  const go = useNav((s) => s.go);
  const openDeployment = useNav((s) => s.openDeployment);
  const rev = useRevision('deployments');
  const recent = useQuery('dashboard-recent', () => invoke('deployments.list', { limit: 6 }), rev);
  const { team } = useTeam();
  const schemaCurrent = status.schemaVersion === status.appSchemaVersion;
  const counts = [
    { label: 'Projects', value: status.counts.projects, onClick: () => go({ view: 'projects' }) },
    {
      label: 'Environments',
      value: status.counts.environments,
      onClick: () => go({ view: 'projects' }),
    },
    {
      label: 'Deployments',
      value: status.counts.deployments,
      onClick: () => go({ view: 'deployments' }),
    },
    {
      label: 'Audit entries',
      value: status.counts.auditEntries,
      onClick: () => go({ view: 'audit' }),
    },
  ];

  return (
    <div className="page">
      <PageHeader title="Dashboard" subtitle="The state this app owns, and how safe it is." />
      <div className="stat-grid">
        {counts.map((c) => (
          <button key={c.label} type="button" className="card stat" onClick={c.onClick}>
            <span className="stat-value">{formatCount(c.value)}</span>
            <span className="stat-label">{c.label}</span>
          </button>
        ))}
      </div>
      <div className="dash-grid">
        <SafetyPanel />
        {team && <TeamPanel team={team} />}
        <section className="card" aria-labelledby="dash-recent">
          <h2 id="dash-recent" className="card-title">
            <Icon name="deployments" /> Recent deployments
          </h2>
          {recent.error ? (
            <ErrorState error={recent.error} onRetry={recent.reload} />
          ) : !recent.data ? (
            <Loading />
          ) : recent.data.items.length === 0 ? (
            <p className="muted">No deployments recorded yet.</p>
          ) : (
            <ul className="recent-list">
              {recent.data.items.map((d) => (
                <li key={d.id}>
                  <button
                    type="button"
                    className="recent-item"
                    onClick={() => {
                      go({ view: 'deployments' });
                      openDeployment(d.id);
                    }}
                  >
                    <span className="recent-main" title={`${d.projectName} / ${d.environmentName}`}>
                      <strong className="truncate">{d.projectName}</strong>
                      <span className="muted small truncate">
                        {d.environmentName} · <span className="mono">{d.version}</span>
                      </span>
                    </span>
                    <span>
                      <StatusBadge status={d.status} />
                    </span>
                    <span className="muted small nowrap cell-end">{formatTime(d.startedAt)}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card" aria-labelledby="dash-data">
          <h2 id="dash-data" className="card-title">
            <Icon name="database" /> Data directory
          </h2>
          <dl className="facts">
            <Row label="Location">
              <span className="path">{status.dataDir}</span>
            </Row>
            <Row label="Chosen by">{SOURCE_LABEL[status.dataDirSource]}</Row>
            {team ? (
              <Row label="Database" testId="db-size">
                team database (PostgreSQL); the data dir keeps keys, backups, restores and logs
              </Row>
            ) : (
              <>
                <Row label="Database size" testId="db-size">
                  {formatBytes(status.dbBytes)}
                </Row>
                <Row label="Write-ahead log">{formatBytes(status.walBytes)}</Row>
                <Row label="Team">
                  <span className="button-row">
                    <MoveToTeamButton />
                    <ConnectTeamButton />
                  </span>
                </Row>
              </>
            )}
            <Row label="Lock">
              {status.lock
                ? `Held by pid ${status.lock.pid} on ${status.lock.host} (${status.lock.mode}) since ${formatTime(status.lock.since)}`
                : 'Not held'}
            </Row>
            {status.permissionNotes && (
              <Row label="Permissions" testId="permission-notes">
                {status.permissionNotes.map((note) => (
                  <div key={note}>{note}</div>
                ))}
              </Row>
            )}
          </dl>
        </section>
        <section className="card" aria-labelledby="dash-version">
          <h2 id="dash-version" className="card-title">
            <Icon name="info" /> Versions
          </h2>
          <dl className="facts">
            <Row label="App version">{status.appVersion}</Row>
            <Row label="Database schema">
              version {status.schemaVersion}{' '}
              <span className={schemaCurrent ? 'pill pill-ok' : 'pill pill-warn'}>
                {schemaCurrent ? 'up to date' : `app expects ${status.appSchemaVersion}`}
              </span>
            </Row>
            <Row label="App schema">version {status.appSchemaVersion}</Row>
            <Row label="Connected through">
              {status.transport === 'electron'
                ? 'desktop app'
                : status.transport === 'http'
                  ? 'local web host (127.0.0.1)'
                  : status.transport}
            </Row>
          </dl>
        </section>
      </div>
    </div>
  );
}
