// The refusal screen's way out when the database cannot be opened (say, it was
// written by a newer Stateward before a downgrade): the backups this version
// can open, the pre-upgrade one first, restored through the same wizard
// (preflight → drill → preview → promote) without leaving the screen.
import { invoke } from '../api.ts';
import { KindBadge, VerifiedPill } from '../components/BackupFacts.tsx';
import { Icon } from '../components/Icon.tsx';
import { ErrorState, Loading } from '../components/States.tsx';
import {
  formatAgo,
  formatBytes,
  formatCount,
  formatTime,
  formatTimeExact,
  plural,
} from '../format.ts';
import { useNow } from '../hooks/useNow.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { isUnsafeBackup, safeFirst } from '../backups.ts';
import { cannotOpenReason } from '../restores.ts';
import { useRevision } from '../stores/data.ts';
import { useRestoreWizard } from '../stores/restoreWizard.ts';

const SHOWN = 4;

export function RefusalRestore() {
  const rev = useRevision('backups');
  const list = useQuery('refusal-backups', () => invoke('backups.list', {}), rev);
  const startup = useQuery('app-startup', () => invoke('app.startup', {}));
  const show = useRestoreWizard((s) => s.show);
  const now = useNow();
  const appSchema = startup.data?.appSchemaVersion ?? null;

  let body;
  if (list.error) body = <ErrorState error={list.error} onRetry={list.reload} />;
  else if (!list.data || appSchema === null) body = <Loading label="Listing backups…" />;
  else {
    const all = list.data;
    const openable = all.filter((e) => !cannotOpenReason(e, appSchema));
    // The pre-upgrade backups first: they are what a rollback usually wants; failed and damaged ones last.
    const ordered = safeFirst([
      ...openable.filter((e) => e.kind === 'pre-upgrade'),
      ...openable.filter((e) => e.kind !== 'pre-upgrade'),
    ]);
    const newer = all.length - openable.length;
    body =
      openable.length === 0 ? (
        <p className="muted" data-testid="refusal-no-backups">
          {all.length === 0
            ? 'There are no backups in this data directory’s backups folder.'
            : all.length === 1
              ? `The one backup cannot be opened by this version (schema ${appSchema}).`
              : `None of the ${formatCount(all.length)} backups can be opened by this version (schema ${appSchema}).`}
        </p>
      ) : (
        <>
          <p>
            This version (schema {appSchema}) can open {formatCount(openable.length)} of the{' '}
            {plural(all.length, 'backup')} in the backups folder
            {newer === 1
              ? '; 1 newer one needs a newer Stateward'
              : newer > 1
                ? `; ${formatCount(newer)} newer ones need a newer Stateward`
                : ''}
            .
          </p>
          <ul className="refusal-backups" aria-label="Backups this version can open">
            {ordered.slice(0, SHOWN).map((e) => (
              <li key={e.id}>
                <button
                  type="button"
                  className={
                    isUnsafeBackup(e)
                      ? 'refusal-backup refusal-backup-unsafe'
                      : e.kind === 'pre-upgrade'
                        ? 'refusal-backup refusal-backup-recommended'
                        : 'refusal-backup'
                  }
                  data-backup-id={e.id}
                  data-state={e.verification.state}
                  title={isUnsafeBackup(e) ? e.verification.reason : undefined}
                  onClick={() => show({ mode: 'refused', backupId: e.id })}
                >
                  <KindBadge entry={e} />
                  {/* Two backups minutes apart must not read alike: the exact time, mode and state. */}
                  <span className="refusal-backup-when" title={formatTimeExact(e.createdAt)}>
                    {formatTime(e.createdAt)}
                    <span className="muted small"> · {formatAgo(e.createdAt, now)}</span>
                  </span>
                  <span className="muted small refusal-backup-facts">
                    {formatBytes(e.bytes)} · {e.compact ? 'compact' : 'full'} · schema{' '}
                    {e.schemaVersion}
                  </span>
                  <VerifiedPill entry={e} now={now} />
                  {e.kind === 'pre-upgrade' && !isUnsafeBackup(e) && (
                    <span className="pill pill-ok">before the upgrade</span>
                  )}
                  <span className="refusal-backup-go">
                    Restore… <Icon name="chevron" size={12} />
                  </span>
                </button>
              </li>
            ))}
          </ul>
          {ordered.length > SHOWN && (
            <p className="muted small">and {formatCount(ordered.length - SHOWN)} older ones.</p>
          )}
        </>
      );
  }

  return (
    <section className="refusal-restore" aria-labelledby="refusal-restore-title">
      <div className="refusal-restore-head">
        <h2 id="refusal-restore-title">
          <Icon name="restore" /> Restore an older backup
        </h2>
        <button
          type="button"
          className="button button-primary"
          disabled={!list.data || list.data.length === 0}
          onClick={() => show({ mode: 'refused' })}
        >
          Restore an older backup…
        </button>
      </div>
      <p className="muted">
        Go back to a backup this version understands. It is restored into a separate copy and
        drilled first; the database above is replaced only when you promote, and it is kept as a
        pre-restore backup.
      </p>
      {body}
    </section>
  );
}
