// Restore & drills: restore a backup into a copy (the restore wizard), verify
// backups (the Verify wizard), the restored copies waiting to be previewed,
// promoted or discarded, and the history of every restore drill.
import { useState } from 'react';
import type { DrillSummary, RestoreCopy } from '../../../shared/domain.ts';
import { invoke } from '../api.ts';
import { withHint } from '../backups.ts';
import { DrillRows } from '../components/DrillOverview.tsx';
import { Icon } from '../components/Icon.tsx';
import type { Column } from '../components/ListBox.tsx';
import { ListBox } from '../components/ListBox.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { EmptyState, ErrorState, Loading } from '../components/States.tsx';
import { formatAgo, formatTime, formatTimeExact } from '../format.ts';
import { useNow } from '../hooks/useNow.ts';
import { useQuery } from '../hooks/useQuery.ts';
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

function drillColumns(now: number): Column<DrillSummary>[] {
  return [
    { title: 'Result', width: '6.5rem', render: (d) => <ResultPill passed={d.passed} /> },
    {
      title: 'When',
      width: '11rem',
      render: (d) => (
        <span className="cell-stack">
          <span title={formatTimeExact(d.finishedAt)}>{formatAgo(d.finishedAt, now)}</span>
          <span className="muted small">{formatTime(d.finishedAt)}</span>
        </span>
      ),
    },
    {
      title: 'Backup',
      width: 'minmax(12rem, 1fr)',
      render: (d) => (
        <span className="truncate mono small" title={d.fileName}>
          {d.fileName}
        </span>
      ),
    },
    {
      title: 'Summary',
      width: 'minmax(12rem, 1.4fr)',
      render: (d) => (
        <span className="truncate muted" title={d.summary}>
          {d.summary}
        </span>
      ),
    },
  ];
}

export function Restores() {
  const rev = useRevision('backups');
  const drills = useQuery('drills-list', () => invoke('drills.list', {}), rev);
  const copies = useQuery('restores-list', () => invoke('restores.list', {}), rev);
  const showRestore = useRestoreWizard((s) => s.show);
  const showVerify = useVerifyWizard((s) => s.show);
  const go = useNav((s) => s.go);
  const now = useNow();
  const waiting = (copies.data ?? []).filter(
    (c) => c.status !== 'promoted' && c.status !== 'discarded',
  );

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
            {waiting.map((c) => (
              <CopyRow key={c.id} copy={c} now={now} />
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
            items={drills.data}
            columns={drillColumns(now)}
            rowKey={(d) => d.id}
            onOpen={(d) => go({ view: 'drill', drillId: d.id })}
          />
        )}
      </section>
    </div>
  );
}

function CopyRow({ copy, now }: { copy: RestoreCopy; now: number }) {
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
  return (
    <li className="copy-row" data-restore-id={copy.id} data-status={copy.status}>
      <div className="copy-row-main">
        <strong className="truncate path">{copy.source.fileName}</strong>
        <span className="muted small">
          Restored{' '}
          <span title={formatTimeExact(copy.createdAt)}>{formatAgo(copy.createdAt, now)}</span> ·
          schema {copy.schemaVersion} ·{' '}
          {interrupted ? (
            <>
              <span className="pill pill-warn">
                <Icon name="warning" size={12} /> interrupted
              </span>{' '}
              stopped before its drill finished: discard it and restore again
            </>
          ) : working ? (
            <span className="pill">
              <Icon name="clock" size={12} /> in progress
            </span>
          ) : stale ? (
            <>
              <span className="pill pill-warn">
                <Icon name="warning" size={12} /> needs re-drill
              </span>{' '}
              drilled by another version of Stateward: drill it again to preview or promote it
            </>
          ) : drilled ? (
            <>
              drill <ResultPill passed={copy.passed} />
            </>
          ) : (
            'not drilled yet'
          )}
        </span>
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
