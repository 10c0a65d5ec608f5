// Restore & drills: restore a backup into a copy (the restore wizard), verify
// backups (the Verify wizard), the restored copies waiting to be previewed,
// promoted or discarded, and the history of every restore drill.
import { useState } from 'react';
import type {
  BackupEntry,
  DrillSummary,
  RestoreCopy,
  RestoreStatus,
} from '../../../shared/domain.ts';
import { invoke } from '../api.ts';
import { withHint } from '../backups.ts';
import { HashLine } from '../components/BackupFacts.tsx';
import { DrillRows } from '../components/DrillOverview.tsx';
import type { IconName } from '../components/Icon.tsx';
import { Icon } from '../components/Icon.tsx';
import type { Column } from '../components/ListBox.tsx';
import { ListBox } from '../components/ListBox.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { EmptyState, ErrorState, Loading } from '../components/States.tsx';
import {
  formatAgo,
  formatBytes,
  formatClock,
  formatDate,
  formatTime,
  formatTimeExact,
} from '../format.ts';
import { useNow } from '../hooks/useNow.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { distinctBackupTitles, drillSummaryText, repeated } from '../names.ts';
import { useData, useRevision } from '../stores/data.ts';
import { useNav } from '../stores/nav.ts';
import { usePreview } from '../stores/preview.ts';
import { useRestoreWizard } from '../stores/restoreWizard.ts';
import { toastError, toastSuccess } from '../stores/toasts.ts';
import { useVerifyWizard } from '../stores/verifyWizard.ts';

export function ResultPill({ passed }: { passed: boolean }) {
  return passed ? (
    <span className="pill pill-ok">
      <Icon name="check" size={12} /> passed
    </span>
  ) : (
    <span className="pill pill-danger">
      <Icon name="error" size={12} /> failed
    </span>
  );
}

/** A copy's state in one word, as its pill says it (the row explains the ones to act on). */
const COPY_STATE: Record<RestoreStatus, { label: string; pill: string; icon: IconName }> = {
  ready: { label: 'ready', pill: 'pill pill-ok', icon: 'check' },
  'in-progress': { label: 'in progress', pill: 'pill', icon: 'clock' },
  interrupted: { label: 'interrupted', pill: 'pill pill-warn', icon: 'warning' },
  'needs-redrill': { label: 'needs re-drill', pill: 'pill pill-warn', icon: 'warning' },
  failed: { label: 'failed', pill: 'pill pill-danger', icon: 'error' },
  promoted: { label: 'promoted', pill: 'pill pill-ok', icon: 'check' },
  discarded: { label: 'discarded', pill: 'pill', icon: 'minus' },
};

/** "320 KiB · compact": the backup's size and mode (the mode from the backups list, while it is there). */
function sizeAndMode(bytes: number | undefined, backup: BackupEntry | undefined): string {
  // A copy recorded by an older version may lack its size: the backup's, else none.
  const size = Number.isFinite(bytes) ? bytes! : backup?.bytes;
  const parts = [
    size === undefined ? null : formatBytes(size),
    backup ? (backup.compact ? 'compact' : 'full') : null,
  ];
  return parts.filter((p) => p !== null).join(' · ');
}

/** The exact time of something recent: its clock time today, else the date too. */
function exactTime(ms: number, now: number): string {
  return formatDate(ms) === formatDate(now) ? `at ${formatClock(ms)}` : formatTimeExact(ms);
}

interface DrillRow {
  drill: DrillSummary;
  title: string;
  /** The drill's date under its age: with the seconds when two rows would read alike. */
  when: string;
  backup: BackupEntry | undefined;
}

function drillColumns(now: number): Column<DrillRow>[] {
  return [
    {
      title: 'Result',
      width: '6.5rem',
      render: ({ drill: d }) => (
        <span className="cell-stack">
          <ResultPill passed={d.passed} />
          {d.passed && d.empty && <span className="muted small">empty backup</span>}
        </span>
      ),
    },
    {
      title: 'Drilled',
      width: '11rem',
      render: ({ drill: d, when }) => (
        <span className="cell-stack">
          <span title={formatTimeExact(d.finishedAt)}>{formatAgo(d.finishedAt, now)}</span>
          <span className="muted small">{when}</span>
        </span>
      ),
    },
    {
      title: 'Backup',
      width: 'minmax(12rem, 1fr)',
      render: ({ drill: d, title, backup }) => (
        // The file name and ids one hover away (and on the report, one click away).
        <span
          className="cell-stack"
          title={`${d.fileName}\nDrill ${d.id}`}
          data-file-name={d.fileName}
          data-backup-id={d.backupId ?? undefined}
        >
          <span>{title}</span>
          {backup && <span className="muted small">{sizeAndMode(backup.bytes, backup)}</span>}
        </span>
      ),
    },
    {
      title: 'Summary',
      width: 'minmax(12rem, 1.4fr)',
      render: ({ drill: d }) => {
        const text = drillSummaryText(
          { summary: d.summary, source: { fileName: d.fileName, kind: null, createdAt: null } },
          'the backup',
        );
        return (
          <span className="truncate muted" title={text}>
            {text}
          </span>
        );
      },
    },
  ];
}

export function Restores() {
  const rev = useRevision('backups');
  const drills = useQuery('drills-list', () => invoke('drills.list', {}), rev);
  const copies = useQuery('restores-list', () => invoke('restores.list', {}), rev);
  // For each backup's mode (full or compact) and size; rows show without them meanwhile.
  const backups = useQuery('backups-list', () => invoke('backups.list', {}), rev);
  const byId = new Map((backups.data ?? []).map((b) => [b.id, b]));
  const showRestore = useRestoreWizard((s) => s.show);
  const showVerify = useVerifyWizard((s) => s.show);
  const go = useNav((s) => s.go);
  const now = useNow();
  const waiting = (copies.data ?? []).filter(
    (c) => c.status !== 'promoted' && c.status !== 'discarded',
  );
  // No two rows may read alike: the same minute names its seconds, the same age its exact time.
  const copyTitles = distinctBackupTitles(waiting.map((c) => c.source));
  const copyAgoTwice = repeated(waiting.map((c) => formatAgo(c.createdAt, now)));
  const drillList = drills.data ?? [];
  const drillTitles = distinctBackupTitles(drillList.map((d) => ({ fileName: d.fileName })));
  const drillTimesTwice = repeated(drillList.map((d) => formatTime(d.finishedAt)));
  const drillRows: DrillRow[] = drillList.map((d, i) => ({
    drill: d,
    title: drillTitles[i]!,
    when: drillTimesTwice.has(formatTime(d.finishedAt))
      ? formatTimeExact(d.finishedAt)
      : formatTime(d.finishedAt),
    backup: d.backupId === null ? undefined : byId.get(d.backupId),
  }));

  return (
    <div className="page">
      <PageHeader
        title="Restore & drills"
        subtitle="Restore a backup into a separate copy, prove it works, and only then make it live."
        actions={
          <>
            <button type="button" className="button" onClick={() => showVerify()}>
              <Icon name="shield" /> Verify backups…
            </button>
            <button type="button" className="button button-primary" onClick={() => showRestore()}>
              <Icon name="restore" /> Restore a backup…
            </button>
          </>
        }
      />
      <ul className="safety-list" aria-label="Restore drill status">
        <DrillRows />
      </ul>

      <section aria-labelledby="copies-title" className="restores-section">
        <h2 id="copies-title" className="section-title">
          Restored copies
        </h2>
        {copies.error ? (
          <ErrorState error={copies.error} onRetry={copies.reload} />
        ) : !copies.data ? (
          <Loading />
        ) : waiting.length === 0 ? (
          <p className="muted">
            No restored copy is waiting. A copy stays here after its drill until you promote or
            discard it.
          </p>
        ) : (
          <ul className="copy-list">
            {waiting.map((c, i) => (
              <CopyRow
                key={c.id}
                copy={c}
                title={copyTitles[i]!}
                backup={c.source.backupId === null ? undefined : byId.get(c.source.backupId)}
                exactAge={copyAgoTwice.has(formatAgo(c.createdAt, now))}
                now={now}
              />
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="drills-title" className="restores-section">
        <h2 id="drills-title" className="section-title">
          Drill history
        </h2>
        {drills.error ? (
          <ErrorState error={drills.error} onRetry={drills.reload} />
        ) : !drills.data ? (
          <Loading />
        ) : drills.data.length === 0 ? (
          <EmptyState icon="shield" title="No restore drills yet">
            A restore drill restores a backup into a temporary copy and proves it opens and shows
            your projects and deployments.
          </EmptyState>
        ) : (
          <ListBox
            label="Restore drills"
            items={drillRows}
            columns={drillColumns(now)}
            rowKey={(r) => r.drill.id}
            onOpen={(r) => go({ view: 'drill', drillId: r.drill.id })}
          />
        )}
      </section>
    </div>
  );
}

function CopyRow({
  copy,
  title,
  backup,
  exactAge,
  now,
}: {
  copy: RestoreCopy;
  /** The backup it was restored from, by kind and time. */
  title: string;
  backup: BackupEntry | undefined;
  /** Another row was restored as long ago: show the exact time too. */
  exactAge: boolean;
  now: number;
}) {
  const enter = usePreview((s) => s.enter);
  const showPromote = useRestoreWizard((s) => s.showPromote);
  const go = useNav((s) => s.go);
  const [busy, setBusy] = useState(false);
  const source = {
    restoreId: copy.id,
    fileName: copy.source.fileName,
    createdAt: copy.source.createdAt,
    backupId: copy.source.backupId,
  };
  async function discard() {
    setBusy(true);
    const r = await invoke('restores.discard', { restoreId: copy.id });
    setBusy(false);
    if (!r.ok) toastError('Could not discard the copy', withHint(r.error));
    else {
      toastSuccess('Restored copy discarded', 'Live data was not touched.');
      useData.getState().bump('backups');
    }
  }
  // Drilled by another version: the drill here migrates the copy to this version's schema.
  async function drillAgain() {
    setBusy(true);
    const r = await invoke('restores.drill', { restoreId: copy.id });
    setBusy(false);
    useData.getState().bump('backups');
    if (!r.ok) toastError('Could not drill the copy', withHint(r.error));
    else if (r.value.passed)
      toastSuccess(
        'Restore drill passed',
        'The copy is now on this version: preview or promote it.',
      );
    else toastError('Restore drill failed', { code: 'DRILL_FAILED', message: r.value.summary });
  }
  const drilled = copy.drillId !== null;
  const interrupted = copy.status === 'interrupted';
  const working = copy.status === 'in-progress';
  const stale = copy.status === 'needs-redrill';
  const state = COPY_STATE[copy.status];
  return (
    <li className="copy-row" data-restore-id={copy.id} data-status={copy.status}>
      <div className="copy-row-main">
        <span className="copy-row-title">
          <strong title={copy.source.fileName} data-testid="copy-title">
            {title}
          </strong>
          <span className={state.pill} data-testid="copy-state">
            <Icon name={state.icon} size={12} /> {state.label}
          </span>
        </span>
        <span className="muted small">
          {[sizeAndMode(copy.source.bytes, backup), `schema ${copy.schemaVersion}`]
            .filter(Boolean)
            .join(' · ')}{' '}
          · restored{' '}
          <span title={formatTimeExact(copy.createdAt)}>{formatAgo(copy.createdAt, now)}</span>
          {exactAge && <> ({exactTime(copy.createdAt, now)})</>}
          {interrupted
            ? ': stopped before its drill finished. Discard it and restore again.'
            : stale
              ? ': drilled by another version of Stateward. Drill it again to preview or promote it.'
              : working || drilled
                ? ''
                : ', not drilled yet'}
        </span>
        <details className="copy-ids">
          <summary>File and ids</summary>
          <dl className="facts facts-compact small">
            <dt>File</dt>
            <dd className="path">{copy.source.fileName}</dd>
            {copy.source.backupId && (
              <>
                <dt>Backup id</dt>
                <dd className="mono selectable">{copy.source.backupId}</dd>
              </>
            )}
            <dt>Copy id</dt>
            <dd className="mono selectable">{copy.id}</dd>
            {copy.drillId && (
              <>
                <dt>Drill id</dt>
                <dd className="mono selectable">{copy.drillId}</dd>
              </>
            )}
            {copy.source.sha256 && (
              <>
                <dt>SHA-256</dt>
                <dd>
                  <HashLine sha256={copy.source.sha256} />
                </dd>
              </>
            )}
          </dl>
        </details>
      </div>
      <div className="button-row">
        {drilled && !interrupted && !working && (
          <button
            type="button"
            className="button button-small"
            onClick={() => go({ view: 'drill', drillId: copy.drillId! })}
          >
            Report
          </button>
        )}
        {stale && (
          <button
            type="button"
            className="button button-small"
            aria-disabled={busy || undefined}
            onClick={() => {
              if (!busy) void drillAgain();
            }}
          >
            Drill again
          </button>
        )}
        {copy.passed && copy.status === 'ready' && (
          <>
            <button type="button" className="button button-small" onClick={() => enter(source)}>
              <Icon name="eye" /> Preview
            </button>
            <button
              type="button"
              className="button button-small"
              onClick={() => showPromote(source)}
            >
              Promote…
            </button>
          </>
        )}
        <button
          type="button"
          className="button button-small button-danger"
          aria-disabled={busy || undefined}
          onClick={() => {
            if (!busy) void discard();
          }}
        >
          Discard
        </button>
      </div>
    </li>
  );
}
