// The facts a backup's manifest records (shown after a backup and in the
// Backups page's detail panel), and small badges for a backup's kind and state.
import type { BackupEntry } from '../../../shared/domain.ts';
import { BACKUP_KIND_LABEL } from '../backups.ts';
import { copyText } from '../clipboard.ts';
import {
  formatAgo,
  formatBytes,
  formatCount,
  formatDuration,
  formatTime,
  formatTimeExact,
} from '../format.ts';
import { toastSuccess } from '../stores/toasts.ts';
import { Icon } from './Icon.tsx';

export function KindBadge({ entry }: { entry: Pick<BackupEntry, 'kind'> }) {
  return (
    <span className={`badge kind-badge kind-${entry.kind}`}>
      <span className="badge-dot" aria-hidden="true" />
      {BACKUP_KIND_LABEL[entry.kind]}
    </span>
  );
}

/** The backup's verified state as a pill: what its newest evidence says (why, on hover). */
export function VerifiedPill({ entry, now }: { entry: BackupEntry; now: number }) {
  const v = entry.verification;
  const common = { 'data-state': v.state, title: v.reason };
  switch (v.state) {
    case 'verified':
      return v.empty ? (
        <span className="pill pill-warn" {...common}>
          verified · empty
        </span>
      ) : (
        <span className="pill pill-ok" {...common}>
          verified {formatAgo(v.at ?? entry.createdAt, now)}
        </span>
      );
    case 'failed':
      return (
        <span className="pill pill-danger" {...common}>
          <Icon name="error" size={12} /> drill failed
        </span>
      );
    case 'damaged':
      return (
        <span className="pill pill-danger" {...common}>
          <Icon name="error" size={12} /> damaged
        </span>
      );
    default:
      return (
        <span className="pill" {...common}>
          not verified
        </span>
      );
  }
}

/** The verified state as a row with its reason (the Backups detail panel). */
export function VerificationRow({ entry, now }: { entry: BackupEntry; now: number }) {
  const v = entry.verification;
  const bad = v.state === 'failed' || v.state === 'damaged';
  const ok = v.state === 'verified' && !v.empty;
  const title =
    v.state === 'verified'
      ? `Verified ${formatAgo(v.at ?? entry.createdAt, now)}${v.empty ? ', but empty' : ''}`
      : v.state === 'failed'
        ? 'Its last restore drill failed'
        : v.state === 'damaged'
          ? 'Damaged: do not rely on it'
          : 'Not verified';
  return (
    <div
      className={`safety-row ${bad ? 'safety-danger' : ok ? 'safety-ok' : 'safety-warn'}`}
      data-testid={v.state === 'not-verified' ? 'backup-not-verified' : 'backup-verification'}
      data-state={v.state}
    >
      <Icon name={bad ? 'error' : ok ? 'check' : 'warning'} />
      <div>
        <strong>{title}</strong>
        <p>
          {v.state === 'not-verified' && entry.hasManifest
            ? 'It passed quick_check and its SHA-256 was recorded when it was made, but no restore drill has restored and opened it yet.'
            : v.reason}
          {v.at !== null && v.state !== 'verified' && (
            <span className="muted small"> ({formatTimeExact(v.at)})</span>
          )}
          {v.state === 'verified' && v.at !== null && (
            <span className="muted small"> Drill finished {formatTimeExact(v.at)}.</span>
          )}
          {bad && v.lastPassedAt !== null && (
            <span className="muted small">
              {' '}
              An earlier drill passed {formatTimeExact(v.lastPassedAt)}; the newest evidence wins.
            </span>
          )}
        </p>
        {v.code && (
          <p className="muted small">
            <code>{v.code}</code>
          </p>
        )}
      </div>
    </div>
  );
}

export function OffsitePill(props: { entry: BackupEntry; offsiteDir: string | null }) {
  const { entry, offsiteDir } = props;
  if (entry.offsite.copied) {
    return (
      <span
        className="pill pill-ok"
        title={
          entry.offsite.verifiedAt !== null
            ? `Copied and checked ${formatTimeExact(entry.offsite.verifiedAt)}`
            : 'Copied to the off-site folder'
        }
      >
        off-site copy
      </span>
    );
  }
  if (offsiteDir === null) return <span className="muted small">no off-site folder</span>;
  return (
    <span className="pill pill-warn" title={`No copy in ${offsiteDir}`}>
      not copied
    </span>
  );
}

export function HashLine({ sha256, testId }: { sha256: string; testId?: string }) {
  async function copy() {
    if (await copyText(sha256, 'Select the hash and copy it with the keyboard instead.'))
      toastSuccess('SHA-256 copied');
  }
  return (
    <div className="copy-line">
      <code className="hash selectable" data-testid={testId}>
        {sha256}
      </code>
      <button
        type="button"
        className="icon-button"
        aria-label="Copy SHA-256"
        title="Copy SHA-256"
        onClick={() => void copy()}
      >
        <Icon name="copy" />
      </button>
    </div>
  );
}

/** Manifest facts: everything the sidecar says, or a warning when there is none. */
export function ManifestFacts({
  entry,
  testIdPrefix,
}: {
  entry: BackupEntry;
  testIdPrefix?: string;
}) {
  const m = entry.manifest;
  const tid = (s: string) => (testIdPrefix ? `${testIdPrefix}-${s}` : undefined);
  return (
    <div className="manifest">
      {!m && (
        <div className="safety-row safety-warn">
          <Icon name="warning" />
          <div>
            <strong>No manifest</strong>
            <p>
              This file has no valid sidecar manifest, so its kind, hash and contents cannot be
              checked from here. Only its name, size and time are known.
            </p>
          </div>
        </div>
      )}
      <dl className="facts facts-compact">
        <dt>File name</dt>
        <dd className="path" data-testid={tid('file')}>
          {entry.fileName}
        </dd>
        <dt>Size</dt>
        <dd title={`${formatCount(entry.bytes)} bytes`} data-testid={tid('size')}>
          {formatBytes(entry.bytes)}
        </dd>
        <dt>Created</dt>
        <dd>{formatTimeExact(entry.createdAt)}</dd>
        <dt>Mode</dt>
        <dd data-testid={tid('mode')}>
          {entry.compact ? 'Compact (metrics and resource status stripped, vacuumed)' : 'Full'}
        </dd>
        {m && (
          <>
            <dt>Schema version</dt>
            <dd>{m.schemaVersion}</dd>
            <dt>App version</dt>
            <dd>{m.appVersion}</dd>
            <dt>Pages</dt>
            <dd>
              {formatCount(m.pageCount)} × {formatBytes(m.pageSize)}
            </dd>
            <dt>Duration</dt>
            <dd>{m.durationMs < 1000 ? `${m.durationMs} ms` : formatDuration(m.durationMs)}</dd>
            <dt>Checked</dt>
            <dd>
              <span className="pill pill-ok">
                <Icon name="check" size={12} /> quick_check {m.quickCheck}
              </span>
            </dd>
            <dt>Newest deployment</dt>
            <dd>{m.newestDeploymentAt === null ? 'none' : formatTime(m.newestDeploymentAt)}</dd>
          </>
        )}
      </dl>
      {entry.sha256 && (
        <div className="manifest-block">
          <h3>SHA-256</h3>
          <HashLine sha256={entry.sha256} testId={tid('sha256')} />
        </div>
      )}
      {m && Object.keys(m.rowCounts).length > 0 && (
        <div className="manifest-block">
          <h3 id={tid('rows')}>Rows per table</h3>
          <dl className="row-counts" aria-labelledby={tid('rows')} data-testid={tid('rows')}>
            {Object.entries(m.rowCounts).map(([table, n]) => (
              <div key={table}>
                <dt className="mono">{table}</dt>
                <dd>{formatCount(n)}</dd>
              </div>
            ))}
          </dl>
        </div>
      )}
    </div>
  );
}
