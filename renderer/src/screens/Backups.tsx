// The Backups page: the overview's facts and warnings, backup size over time,
// every backup in the backups folder (keyboard navigable) with a detail panel,
// and the schedule & retention settings.
import { useState } from 'react';
import type { BackupEntry, BackupOverview } from '../../../shared/domain.ts';
import { invoke } from '../api.ts';
import {
  BACKUP_KIND_LABEL,
  copyOutcomeText,
  intervalLabel,
  manifestDamaged,
  SAVE_COPY_LABEL,
  saveBackupCopy,
} from '../backups.ts';
import { BackupChart } from '../components/BackupChart.tsx';
import { BackupNowButton } from '../components/BackupNowButton.tsx';
import {
  KindBadge,
  ManifestFacts,
  OffsitePill,
  VerificationRow,
  VerifiedPill,
} from '../components/BackupFacts.tsx';
import { WarningRow } from '../components/BackupWarnings.tsx';
import { DetailPanel } from '../components/DetailPanel.tsx';
import { Icon } from '../components/Icon.tsx';
import type { Column } from '../components/ListBox.tsx';
import { ListBox } from '../components/ListBox.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { EmptyState, ErrorState, Loading } from '../components/States.tsx';
import {
  formatAgo,
  formatBytes,
  formatCount,
  formatIn,
  formatTime,
  formatTimeExact,
} from '../format.ts';
import { useNow } from '../hooks/useNow.ts';
import { useWidth } from '../hooks/useWidth.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { useRevision } from '../stores/data.ts';
import { useNav } from '../stores/nav.ts';
import { toastError, toastSuccess } from '../stores/toasts.ts';
import { BackupSettingsCard } from './BackupSettings.tsx';
import { RestoreActions } from './BackupRestoreActions.tsx';

export function Backups() {
  const rev = useRevision('backups');
  const overview = useQuery('backups-overview', () => invoke('backups.overview', {}), rev);
  const list = useQuery('backups-list', () => invoke('backups.list', {}), rev);
  const backupId = useNav((s) => s.backupId);
  const openBackup = useNav((s) => s.openBackup);
  const now = useNow();
  const entries = list.data ?? [];
  const selected = entries.find((e) => e.id === backupId) ?? null;
  const offsiteDir = overview.data?.settings.offsiteDir ?? null;
  // Beside the detail panel, or in a narrow window, the list keeps fewer, whole columns.
  const [splitRef, splitWidth] = useWidth<HTMLDivElement>();
  const narrow = selected !== null || (splitWidth !== null && splitWidth < FULL_LIST_MIN_PX);
  const close = () => {
    openBackup(null);
    document.querySelector<HTMLElement>('.backup-split [role="listbox"]')?.focus();
  };

  return (
    <div className="page">
      <PageHeader
        title="Backups"
        subtitle="Consistent snapshots of the database: checked, hashed and described by a manifest."
        actions={<BackupNowButton />}
      />
      {overview.error ? (
        <ErrorState
          title="Could not read the backup overview"
          error={overview.error}
          onRetry={overview.reload}
        />
      ) : overview.data ? (
        <>
          {overview.data.warnings.length > 0 && (
            <ul className="safety-list" aria-label="Backup warnings">
              {overview.data.warnings.map((w) => (
                <WarningRow
                  key={w.code}
                  warning={w}
                  failureCode={overview.data?.lastFailure?.code}
                />
              ))}
            </ul>
          )}
        </>
      ) : (
        <Loading />
      )}

      {list.error ? (
        <ErrorState title="Could not list the backups" error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading />
      ) : entries.length === 0 ? (
        <EmptyState icon="backup" title="No backups yet" action={<BackupNowButton />}>
          A backup is a consistent copy of the database, checked and hashed, kept in the backups
          folder of the data directory.
        </EmptyState>
      ) : (
        <>
          <div className="backup-top">
            <section className="card" aria-labelledby="backup-chart-title">
              <h2 id="backup-chart-title" className="card-title">
                <Icon name="clock" /> Backup size over time
              </h2>
              <BackupChart
                entries={entries}
                selectedId={backupId}
                onSelect={(e) => openBackup(e.id)}
              />
            </section>
            {overview.data && <Summary overview={overview.data} now={now} />}
          </div>
          <section className="backup-list-section" aria-labelledby="backup-list-title">
            <h2 id="backup-list-title" className="section-title">
              {formatCount(entries.length)} {entries.length === 1 ? 'backup' : 'backups'}
            </h2>
            <div
              ref={splitRef}
              className={selected ? 'backup-split backup-split-open' : 'backup-split'}
            >
              <ListBox
                label="Backups"
                items={entries}
                columns={columnsFor(now, offsiteDir, narrow)}
                rowKey={(e) => e.id}
                selectedKey={backupId}
                onOpen={(e) => openBackup(e.id)}
                onEscape={selected ? close : undefined}
              />
              {selected && (
                <BackupDetailPanel
                  entry={selected}
                  offsiteDir={offsiteDir}
                  now={now}
                  onClose={close}
                />
              )}
            </div>
          </section>
        </>
      )}

      {overview.data && (
        <BackupSettingsCard
          settings={overview.data.settings}
          problem={overview.data.warnings.find((w) => w.code === 'SETTINGS_FILE_UNREADABLE')}
        />
      )}
    </div>
  );
}

function Summary({ overview, now }: { overview: BackupOverview; now: number }) {
  const last = overview.lastBackup;
  const s = overview.settings;
  return (
    <section className="card" aria-labelledby="backup-summary-title" data-testid="backup-summary">
      <h2 id="backup-summary-title" className="card-title">
        <Icon name="backup" /> Summary
      </h2>
      <dl className="facts facts-compact">
        <dt>Backups</dt>
        <dd>
          {formatCount(overview.count)} · {formatBytes(overview.totalBytes)}
        </dd>
        <dt>Last backup</dt>
        <dd>
          {last ? (
            <>
              <span title={formatTimeExact(last.createdAt)}>{formatAgo(last.createdAt, now)}</span>{' '}
              <span className="muted">({BACKUP_KIND_LABEL[last.kind].toLowerCase()})</span>
            </>
          ) : (
            'never'
          )}
        </dd>
        <dt>Next scheduled</dt>
        <dd>
          {overview.running ? (
            `a ${overview.running.kind} backup is running`
          ) : overview.nextScheduledAt === null ? (
            'schedule off'
          ) : (
            <>
              <span title={formatTimeExact(overview.nextScheduledAt)}>
                {formatIn(overview.nextScheduledAt, now)}
              </span>{' '}
              <span className="muted">({intervalLabel(s.intervalMinutes)})</span>
            </>
          )}
        </dd>
        <dt>Off-site folder</dt>
        <dd>{s.offsiteDir ? <span className="path">{s.offsiteDir}</span> : 'none'}</dd>
        {overview.lastFailure && (
          <>
            <dt>Last failure</dt>
            <dd>
              <span title={formatTimeExact(overview.lastFailure.at)}>
                {formatAgo(overview.lastFailure.at, now)}
              </span>{' '}
              <code title={overview.lastFailure.message}>{overview.lastFailure.code}</code>
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}

/** Below this width the full column set (schema, mode and off-site) does not fit. */
const FULL_LIST_MIN_PX = 960;

function columnsFor(
  now: number,
  offsiteDir: string | null,
  narrow: boolean,
): Column<BackupEntry>[] {
  const mode = (e: BackupEntry) =>
    manifestDamaged(e) ? (
      <span className="pill pill-danger" title={e.verification.reason}>
        <Icon name="error" size={12} /> manifest damaged
      </span>
    ) : !e.hasManifest ? (
      <span className="pill pill-warn" title="No sidecar manifest: its facts are unknown">
        <Icon name="warning" size={12} /> no manifest
      </span>
    ) : e.compact ? (
      <span className="pill">compact</span>
    ) : (
      <span className="muted">full</span>
    );
  const cols: (Column<BackupEntry> | false)[] = [
    { title: 'Kind', width: '7.5rem', render: (e) => <KindBadge entry={e} /> },
    {
      title: 'Created',
      width: 'minmax(10rem, 1fr)',
      render: (e) => (
        <span className="cell-stack">
          <span title={formatTimeExact(e.createdAt)}>{formatAgo(e.createdAt, now)}</span>
          <span className="muted small nowrap">{formatTime(e.createdAt)}</span>
        </span>
      ),
    },
    {
      title: narrow ? 'Size · mode' : 'Size',
      width: narrow ? '6.5rem' : '5.5rem',
      align: 'end',
      render: (e) =>
        narrow ? (
          <span className="cell-stack" title={`${formatCount(e.bytes)} bytes`}>
            <span>{formatBytes(e.bytes)}</span>
            <span className="muted small">
              {manifestDamaged(e)
                ? 'manifest damaged'
                : !e.hasManifest
                  ? 'no manifest'
                  : e.compact
                    ? 'compact'
                    : 'full'}
            </span>
          </span>
        ) : (
          <span title={`${formatCount(e.bytes)} bytes`}>{formatBytes(e.bytes)}</span>
        ),
    },
    !narrow && {
      title: 'Schema',
      width: '4.5rem',
      render: (e) => (e.hasManifest ? `v${e.schemaVersion}` : <span className="muted">—</span>),
    },
    !narrow && { title: 'Mode', width: '7rem', render: mode },
    {
      title: 'Verified',
      width: '10.5rem',
      render: (e) => <VerifiedPill entry={e} now={now} />,
    },
    !narrow && {
      title: 'Off-site',
      width: '8.5rem',
      render: (e) => <OffsitePill entry={e} offsiteDir={offsiteDir} />,
    },
  ];
  return cols.filter((c): c is Column<BackupEntry> => c !== false);
}

function BackupDetailPanel(props: {
  entry: BackupEntry;
  offsiteDir: string | null;
  now: number;
  onClose(): void;
}) {
  const { entry, offsiteDir, now, onClose } = props;
  const [saving, setSaving] = useState(false);

  async function saveCopy() {
    setSaving(true);
    const r = await saveBackupCopy(entry);
    setSaving(false);
    if (r.state === 'failed') toastError('Could not save a copy', r.error);
    else if (r.state !== 'dismissed') toastSuccess('Copy on its way', copyOutcomeText(r));
  }

  return (
    <DetailPanel
      className="detail backup-detail"
      label="Backup details"
      title={
        <>
          <KindBadge entry={entry} />
          <span title={formatTimeExact(entry.createdAt)}>{formatAgo(entry.createdAt, now)}</span>
        </>
      }
      titleClassName="backup-detail-title"
      showing={entry.id}
      onClose={onClose}
    >
      <div className="detail-body">
        <div className="button-row">
          <button
            type="button"
            className="button button-primary"
            // Not disabled while busy: a disabled button drops focus out of the panel.
            aria-disabled={saving || undefined}
            onClick={() => {
              if (!saving) void saveCopy();
            }}
          >
            <Icon name="download" /> {saving ? 'Preparing…' : SAVE_COPY_LABEL}
          </button>
        </div>
        <section aria-labelledby="backup-verify">
          <h3 id="backup-verify">Verification</h3>
          <VerificationRow entry={entry} now={now} />
          <RestoreActions entry={entry} />
        </section>
        <section aria-labelledby="backup-offsite">
          <h3 id="backup-offsite">Off-site copy</h3>
          <p>
            <OffsitePill entry={entry} offsiteDir={offsiteDir} />{' '}
            {offsiteDir && (
              <span className="muted small">
                in <span className="path">{offsiteDir}</span>
              </span>
            )}
          </p>
        </section>
        <section aria-labelledby="backup-manifest">
          <h3 id="backup-manifest">Manifest</h3>
          <ManifestFacts entry={entry} testIdPrefix="detail" />
        </section>
      </div>
    </DetailPanel>
  );
}
