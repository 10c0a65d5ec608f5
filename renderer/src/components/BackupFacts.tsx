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

export function VerifiedPill({ entry, now }: { entry: BackupEntry; now: number }) {
  return entry.verifiedAt === null ? (
    <span className="pill" title="No restore drill has opened this backup yet">
      not verified
    </span>
  ) : (
    <span
      className="pill pill-ok"
      title={`Restore drill passed ${formatTimeExact(entry.verifiedAt)}`}
    >
      verified {formatAgo(entry.verifiedAt, now)}
    </span>
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
