// Team mode, visible on every screen: which PostgreSQL database this app is
// bound to (so nobody mistakes a team's shared state for a local one), and the
// team panel of the Dashboard.
import type { ReactNode } from 'react';
import type { TeamStatus } from '../../../shared/domain.ts';
import { invoke } from '../api.ts';
import { formatAgo, formatBytes, formatTime } from '../format.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { useNow } from '../hooks/useNow.ts';
import { useRevision } from '../stores/data.ts';
import { Icon } from './Icon.tsx';
import './team.css';

/** app.team: null on SQLite; refreshed when backups, the audit log or the data change. */
export function useTeam(): { team: TeamStatus | null | undefined } {
  const rev = useRevision('backups', 'audit');
  const q = useQuery('app-team', () => invoke('app.team', {}), rev);
  return { team: q.error ? null : q.data };
}

export function teamLabel(t: TeamStatus): string {
  return `${t.database}.${t.schema} on ${t.host}:${t.port}`;
}

/** The shell's banner; it passes the team it already loaded (one app.team query). */
export function TeamBanner({ team }: { team: TeamStatus | null | undefined }) {
  if (!team) return null;
  return (
    <div className="team-banner" role="note" aria-label="Team database" data-testid="team-banner">
      <Icon name="database" />
      <span>
        <strong>Team database</strong>{' '}
        <span className="mono" title={`PostgreSQL ${team.serverVersion}, user ${team.user}`}>
          {teamLabel(team)}
        </span>
      </span>
      <span className="muted small">
        {team.instances.length} instance{team.instances.length === 1 ? '' : 's'} connected
      </span>
    </div>
  );
}

function Row(props: { label: string; children: ReactNode; testId?: string }) {
  return (
    <>
      <dt>{props.label}</dt>
      <dd data-testid={props.testId}>{props.children}</dd>
    </>
  );
}

export function TeamPanel({ team }: { team: TeamStatus }) {
  const now = useNow(30_000);
  const current = team.schemaVersion === team.appSchemaVersion;
  const newest = team.migrations.at(-1);
  return (
    <section className="card team-panel" aria-labelledby="dash-team" data-testid="team-panel">
      <h2 id="dash-team" className="card-title">
        <Icon name="database" /> Team database
      </h2>
      <dl className="facts">
        <Row label="Server">
          PostgreSQL {team.serverVersion} at{' '}
          <span className="mono">
            {team.host}:{team.port}
          </span>{' '}
          (TLS: {team.sslmode})
        </Row>
        <Row label="Database" testId="team-database">
          <span className="mono">{team.database}</span>, schema{' '}
          <span className="mono">{team.schema}</span> as <span className="mono">{team.user}</span>
        </Row>
        <Row label="Size" testId="team-size">
          schema {formatBytes(team.schemaBytes)} of {formatBytes(team.databaseBytes)}
        </Row>
        <Row label="Migrations" testId="team-migrations">
          version {team.schemaVersion}{' '}
          <span className={current ? 'pill pill-ok' : 'pill pill-warn'}>
            {current ? 'up to date' : `this app expects ${team.appSchemaVersion}`}
          </span>
          {newest && (
            <div className="muted small">
              last: {newest.name} by Stateward {newest.appVersion} on {newest.host},{' '}
              {formatTime(newest.appliedAt)}
            </div>
          )}
        </Row>
        <Row label="Last team backup" testId="team-last-backup">
          {team.lastBackup ? (
            <>
              <span title={formatTime(team.lastBackup.at)}>
                {formatAgo(team.lastBackup.at, now)}
              </span>
              {team.lastBackup.by && <span className="muted small"> by {team.lastBackup.by}</span>}
            </>
          ) : (
            <span className="pill pill-warn">none yet</span>
          )}
        </Row>
        <Row label="Last team drill" testId="team-last-drill">
          {team.lastDrill ? (
            <>
              <span className={team.lastDrill.passed ? 'pill pill-ok' : 'pill pill-danger'}>
                {team.lastDrill.passed ? 'passed' : 'failed'}
              </span>{' '}
              <span title={formatTime(team.lastDrill.at)}>{formatAgo(team.lastDrill.at, now)}</span>
              {team.lastDrill.by && <span className="muted small"> by {team.lastDrill.by}</span>}
            </>
          ) : (
            <span className="pill pill-warn">none yet</span>
          )}
        </Row>
      </dl>
      <h3 className="team-subtitle">Connected instances</h3>
      <ul className="team-instances" data-testid="team-instances">
        {team.instances.map((i) => (
          <li key={i.applicationName}>
            <span className="mono truncate" title={i.applicationName}>
              {i.transport ?? 'unknown'}@{i.host ?? '?'}
              {i.pid !== null ? ` pid ${i.pid}` : ''}
            </span>
            <span className="muted small">
              {i.version ? `v${i.version}` : ''} · {i.connections} conn. · {i.state ?? 'idle'}
              {i.self ? ' · this app' : ''}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
