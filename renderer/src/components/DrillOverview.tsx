// The restore-drill facts for the Dashboard's safety panel and the Restore &
// drills page: the last successful drill (age, backup) and the warnings of
// `drills.overview` (no drill yet, overdue, the last one failed), with a way
// to run one.
import type { DrillOverview } from '../../../shared/domain.ts';
import { invoke } from '../api.ts';
import { formatAgo, formatTimeExact } from '../format.ts';
import { afterTitle, backupTitle } from '../names.ts';
import { useNow } from '../hooks/useNow.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { useRevision } from '../stores/data.ts';
import { useNav } from '../stores/nav.ts';
import { useVerifyWizard } from '../stores/verifyWizard.ts';
import { Icon } from './Icon.tsx';
import { ErrorState } from './States.tsx';

const TITLE: Record<string, string> = {
  NO_DRILL: 'No restore drill yet',
  DRILL_OVERDUE: 'Restore drill overdue',
  LAST_DRILL_FAILED: 'The last restore drill failed',
  ONLY_EMPTY_DRILLED: 'Only an empty backup was drilled',
};
const SEVERE = new Set(['DRILL_OVERDUE', 'LAST_DRILL_FAILED']);

/** Opens the Verify wizard on the newest backup this version can restore. */
export function useRunDrill(): () => Promise<void> {
  const show = useVerifyWizard((s) => s.show);
  return async () => {
    const [list, startup] = await Promise.all([
      invoke('backups.list', {}),
      invoke('app.startup', {}),
    ]);
    const schema = startup.ok ? startup.value.appSchemaVersion : Infinity;
    const newest = list.ok
      ? list.value.find((b) => !b.hasManifest || b.schemaVersion <= schema)
      : undefined;
    show(newest ? [newest.id] : []);
  };
}

export function RunDrillButton({ small, primary }: { small?: boolean; primary?: boolean }) {
  const run = useRunDrill();
  return (
    <button
      type="button"
      className={['button', small ? 'button-small' : '', primary ? 'button-primary' : '']
        .filter(Boolean)
        .join(' ')}
      onClick={() => void run()}
    >
      <Icon name="shield" /> Run a restore drill
    </button>
  );
}

export function DrillRows({ withButton = true }: { withButton?: boolean }) {
  const rev = useRevision('backups');
  const q = useQuery('drills-overview', () => invoke('drills.overview', {}), rev);
  if (q.error)
    return (
      <li>
        <ErrorState title="Could not read the restore drills" error={q.error} onRetry={q.reload} />
      </li>
    );
  if (!q.data) return null;
  return <DrillRowsOf overview={q.data} withButton={withButton} />;
}

function DrillRowsOf({ overview, withButton }: { overview: DrillOverview; withButton: boolean }) {
  const now = useNow();
  const go = useNav((s) => s.go);
  const last = overview.lastPassed;
  const needsDrill = overview.warnings.length > 0;
  return (
    <>
      {overview.warnings.map((w) => {
        const severe = SEVERE.has(w.code);
        return (
          <li
            key={w.code}
            className={severe ? 'safety-row safety-danger' : 'safety-row safety-warn'}
            data-warning={w.code}
            role={severe ? 'alert' : undefined}
          >
            <Icon name={severe ? 'error' : 'warning'} />
            <div className="safety-row-grow">
              <strong>{TITLE[w.code] ?? w.code}</strong>
              <p>{afterTitle(TITLE[w.code] ?? w.code, w.message)}</p>
              {(w.code === 'LAST_DRILL_FAILED' || (withButton && w === overview.warnings[0])) && (
                <div className="safety-row-actions">
                  {withButton && w === overview.warnings[0] && <RunDrillButton small primary />}
                  {w.code === 'LAST_DRILL_FAILED' && overview.last && (
                    <button
                      type="button"
                      className="button button-small"
                      onClick={() => go({ view: 'drill', drillId: overview.last!.id })}
                    >
                      Open the failed report
                    </button>
                  )}
                </div>
              )}
            </div>
          </li>
        );
      })}
      {last && (
        <li className="safety-row safety-ok" data-testid="safety-last-drill">
          <Icon name="check" />
          <div className="safety-row-grow">
            <strong>
              Last successful restore drill{' '}
              <span title={formatTimeExact(last.finishedAt)}>
                {formatAgo(last.finishedAt, now)}
              </span>
            </strong>
            <p>
              <button
                type="button"
                className="link-button drill-file-link"
                title={`Open the drill report (${last.fileName})`}
                onClick={() => go({ view: 'drill', drillId: last.id })}
              >
                {backupTitle(last)}
              </button>{' '}
              restored, booted and showed its data.
            </p>
            {withButton && !needsDrill && (
              <div className="safety-row-actions">
                <RunDrillButton small />
              </div>
            )}
          </div>
        </li>
      )}
    </>
  );
}
