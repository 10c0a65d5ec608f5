// The detail panel of one deployment: status with its allowed transitions,
// times, access URL (as text; never navigated), diagnostics, logs and the
// configuration snapshot it ran with.
import { useState } from 'react';
import type { DeploymentDetail, DeploymentStatus } from '../../../shared/domain.ts';
import { DEPLOYMENT_TRANSITIONS } from '../../../shared/domain.ts';
import { invoke } from '../api.ts';
import { DetailPanel } from '../components/DetailPanel.tsx';
import { ErrorState, Loading } from '../components/States.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { formatClock, formatDuration, formatTimeExact, STATUS_LABEL } from '../format.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { useRevision } from '../stores/data.ts';
import { usePreviewId } from '../stores/preview.ts';
import { toastError, toastSuccess } from '../stores/toasts.ts';

const ACTION_LABEL: Record<DeploymentStatus, string> = {
  queued: 'Queue',
  running: 'Mark running',
  succeeded: 'Mark succeeded',
  failed: 'Mark failed',
  cancelled: 'Cancel deployment',
  rolled_back: 'Mark rolled back',
};

export function DeploymentDetailPanel({ id, onClose }: { id: number; onClose(): void }) {
  const rev = useRevision('deployments');
  // A restored copy being previewed is read instead of live, and cannot be changed.
  const restoreId = usePreviewId();
  const detail = useQuery(
    `deployment:${restoreId ?? 'live'}:${id}`,
    () => invoke('deployments.get', { id, restoreId }),
    rev,
  );

  return (
    <DetailPanel
      className="detail"
      label="Deployment details"
      title={<>Deployment #{id}</>}
      showing={id}
      onClose={onClose}
    >
      {detail.error ? (
        <ErrorState
          title="Could not open this deployment"
          error={detail.error}
          onRetry={detail.reload}
        />
      ) : !detail.data ? (
        <Loading />
      ) : (
        <DetailBody d={detail.data} readOnly={restoreId !== undefined} />
      )}
    </DetailPanel>
  );
}

function DetailBody({ d, readOnly }: { d: DeploymentDetail; readOnly: boolean }) {
  const [busy, setBusy] = useState<DeploymentStatus | null>(null);
  const next = DEPLOYMENT_TRANSITIONS[d.status];

  async function move(status: DeploymentStatus) {
    setBusy(status);
    const r = await invoke('deployments.setStatus', { id: d.id, status });
    setBusy(null);
    if (r.ok)
      toastSuccess(`Deployment #${d.id} is now ${STATUS_LABEL[r.value.status].toLowerCase()}`);
    else toastError('Could not change the status', r.error);
  }

  async function copyUrl(url: string) {
    try {
      await navigator.clipboard.writeText(url);
      toastSuccess('Access URL copied');
    } catch (e) {
      toastError('Could not copy', { code: 'UNSUPPORTED_HERE', message: String(e) });
    }
  }

  return (
    <div className="detail-body">
      <div className="detail-title">
        <p className="muted">
          {d.projectName} / {d.environmentName}
        </p>
        <p className="detail-version mono">{d.version}</p>
        <StatusBadge status={d.status} />
      </div>

      <section aria-labelledby="detail-status">
        <h3 id="detail-status">Status</h3>
        {readOnly ? (
          <p className="muted small">Read-only: this is the restored copy, not live data.</p>
        ) : next.length === 0 ? (
          <p className="muted small">
            {STATUS_LABEL[d.status]} is final; the status cannot change any more.
          </p>
        ) : (
          <div className="button-row">
            {next.map((s) => (
              <button
                key={s}
                type="button"
                className={
                  s === 'failed' || s === 'cancelled' || s === 'rolled_back'
                    ? 'button button-danger'
                    : 'button'
                }
                disabled={busy !== null}
                onClick={() => void move(s)}
              >
                {busy === s ? 'Saving…' : ACTION_LABEL[s]}
              </button>
            ))}
          </div>
        )}
      </section>

      <section aria-labelledby="detail-times">
        <h3 id="detail-times">Timing</h3>
        <dl className="facts facts-compact">
          <dt>Started</dt>
          <dd>{formatTimeExact(d.startedAt)}</dd>
          <dt>Finished</dt>
          <dd>{d.finishedAt === null ? 'Not finished' : formatTimeExact(d.finishedAt)}</dd>
          <dt>Duration</dt>
          <dd>
            {d.finishedAt === null ? 'In progress' : formatDuration(d.finishedAt - d.startedAt)}
          </dd>
        </dl>
      </section>

      <section aria-labelledby="detail-url">
        <h3 id="detail-url">Access URL</h3>
        {d.accessUrl ? (
          <div className="copy-line">
            <code className="selectable">{d.accessUrl}</code>
            <button
              type="button"
              className="button button-small"
              onClick={() => void copyUrl(d.accessUrl!)}
            >
              Copy
            </button>
          </div>
        ) : (
          <p className="muted small">None recorded.</p>
        )}
      </section>

      <section aria-labelledby="detail-diag">
        <h3 id="detail-diag">Diagnostic summary</h3>
        {d.diagnosticSummary ? (
          <p className={d.status === 'failed' ? 'diagnostic diagnostic-failed' : 'diagnostic'}>
            {d.diagnosticSummary}
          </p>
        ) : (
          <p className="muted small">None recorded.</p>
        )}
      </section>

      <section aria-labelledby="detail-logs">
        <h3 id="detail-logs">Logs</h3>
        {d.logs.length === 0 ? (
          <p className="muted small">No log lines recorded.</p>
        ) : (
          <ol className="logs">
            {d.logs.map((l) => (
              <li key={l.id} className={`log log-${l.level}`}>
                <span className="log-ts" title={formatTimeExact(l.ts)}>
                  {formatClock(l.ts)}
                </span>
                <span className="log-level">{l.level}</span>
                <span className="log-msg">{l.message}</span>
              </li>
            ))}
          </ol>
        )}
      </section>

      <section aria-labelledby="detail-snapshot">
        <h3 id="detail-snapshot">Configuration snapshot</h3>
        {d.snapshot ? (
          <>
            <dl className="facts facts-compact">
              <dt>Version</dt>
              <dd>{d.snapshot.version}</dd>
              <dt>SHA-256</dt>
              <dd className="mono hash">{d.snapshot.sha256}</dd>
              <dt>Saved</dt>
              <dd>{formatTimeExact(d.snapshot.createdAt)}</dd>
            </dl>
            <pre className="json">{JSON.stringify(d.snapshot.content, null, 2)}</pre>
          </>
        ) : (
          <p className="muted small">No configuration snapshot linked.</p>
        )}
      </section>
    </div>
  );
}
