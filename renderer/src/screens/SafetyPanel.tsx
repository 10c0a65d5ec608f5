// The Dashboard's safety facts: the backup overview's warnings first, then the
// last backup, the next scheduled run, and the restore drill status (the last
// successful drill and the drill warnings, with a button to run one).
import { invoke } from '../api.ts';
import { BACKUP_KIND_LABEL, intervalLabel } from '../backups.ts';
import { BackupNowButton } from '../components/BackupNowButton.tsx';
import { WarningRow } from '../components/BackupWarnings.tsx';
import { DrillRows } from '../components/DrillOverview.tsx';
import { Icon } from '../components/Icon.tsx';
import { ErrorState, Loading } from '../components/States.tsx';
import {
  formatAgo,
  formatBytes,
  formatCount,
  formatIn,
  formatTimeExact,
  plural,
} from '../format.ts';
import { useNow } from '../hooks/useNow.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { useRevision } from '../stores/data.ts';
import { useNav } from '../stores/nav.ts';

export function SafetyPanel() {
  const rev = useRevision('backups');
  const overview = useQuery('backups-overview', () => invoke('backups.overview', {}), rev);
  const go = useNav((s) => s.go);
  const now = useNow();
  const o = overview.data;
  // Its newest drill failed or it is damaged: never a green "Last backup" (the warning above says why).
  const lastUnsafe = o?.warnings.some((w) => w.code === 'LAST_BACKUP_UNSAFE') ?? false;

  return (
    <section className="card safety" aria-labelledby="dash-safety" data-testid="safety-panel">
      <div className="card-title-row">
        <h2 id="dash-safety" className="card-title">
          <Icon name="shield" /> Safety
        </h2>
        <div className="button-row">
          <button
            type="button"
            className="button button-small"
            onClick={() => go({ view: 'backups' })}
          >
            Open Backups
          </button>
          <BackupNowButton small />
        </div>
      </div>
      {overview.error ? (
        <ErrorState
          title="Could not read the backup overview"
          error={overview.error}
          onRetry={overview.reload}
        />
      ) : !o ? (
        <Loading />
      ) : (
        <ul className="safety-list">
          {o.warnings.map((w) => (
            <WarningRow key={w.code} warning={w} failureCode={o.lastFailure?.code} />
          ))}
          {o.running && (
            <li className="safety-row safety-info">
              <span className="spinner" aria-hidden="true" />
              <div>
                <strong>A {o.running.kind} backup is running</strong>
                <p>Started {formatAgo(o.running.startedAt, now)}.</p>
              </div>
            </li>
          )}
          {o.lastBackup && (
            <li
              className={
                o.changedSinceLastBackup || lastUnsafe
                  ? 'safety-row safety-warn'
                  : 'safety-row safety-ok'
              }
              data-testid="safety-last-backup"
              data-changed={o.changedSinceLastBackup ? 'yes' : 'no'}
            >
              <Icon name={o.changedSinceLastBackup || lastUnsafe ? 'warning' : 'check'} />
              <div>
                <strong>
                  Last backup{' '}
                  <span title={formatTimeExact(o.lastBackup.createdAt)}>
                    {formatAgo(o.lastBackup.createdAt, now)}
                  </span>
                </strong>
                <p>
                  {BACKUP_KIND_LABEL[o.lastBackup.kind]}
                  {o.lastBackup.compact ? ' · compact' : ' · full'} ·{' '}
                  {formatBytes(o.lastBackup.bytes)}. {formatCount(o.count)}{' '}
                  {o.count === 1 ? 'backup' : 'backups'}, {formatBytes(o.totalBytes)} in total.
                </p>
                {o.changedSinceLastBackup && (
                  <p data-testid="safety-changed-since">
                    <strong>
                      {o.changedSinceLastBackup.changes === null
                        ? 'Live data is not what the last backup holds'
                        : `${plural(o.changedSinceLastBackup.changes, 'change')} since the last backup`}
                      , {formatAgo(o.changedSinceLastBackup.since, now)}
                    </strong>
                    : not in any backup yet. Back up now to keep them.
                  </p>
                )}
              </div>
            </li>
          )}
          <li className="safety-row safety-info" data-testid="safety-schedule">
            <Icon name="clock" />
            <div>
              {o.nextScheduledAt === null ? (
                <>
                  <strong>Schedule off</strong>
                  <p>Backups are taken only when you ask. Turn the schedule on in Backups.</p>
                </>
              ) : (
                <>
                  <strong>
                    Next scheduled backup{' '}
                    <span title={formatTimeExact(o.nextScheduledAt)}>
                      {formatIn(o.nextScheduledAt, now)}
                    </span>
                  </strong>
                  <p>
                    {intervalLabel(o.settings.intervalMinutes).replace(/^./, (c) =>
                      c.toUpperCase(),
                    )}
                    {o.settings.onlyIfChanged ? ', only if something changed' : ''}.
                  </p>
                </>
              )}
            </div>
          </li>
          <DrillRows />
        </ul>
      )}
    </section>
  );
}
