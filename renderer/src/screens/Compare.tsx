// The restored copy side by side with live: schema version, rows per table
// (differences highlighted) and the newest deployment on each side.
import { invoke } from '../api.ts';
import { ComparisonView } from '../components/Comparison.tsx';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { EmptyState, ErrorState, Loading } from '../components/States.tsx';
import { backupTitle } from '../names.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { useRevision } from '../stores/data.ts';
import { useNav } from '../stores/nav.ts';
import { usePreview } from '../stores/preview.ts';
import { useRestoreWizard } from '../stores/restoreWizard.ts';

export function Compare() {
  const source = usePreview((s) => s.source);
  const go = useNav((s) => s.go);
  const showPromote = useRestoreWizard((s) => s.showPromote);
  const rev = useRevision('projects', 'environments', 'deployments', 'audit');
  const restoreId = source?.restoreId ?? '';
  const compare = useQuery(
    `compare:${restoreId}`,
    () => invoke('restores.compare', { restoreId }),
    rev,
  );

  if (!source) {
    return (
      <div className="page">
        <PageHeader title="Compare with live" />
        <EmptyState
          icon="compare"
          title="No restored copy is open"
          action={
            <button
              type="button"
              className="button button-primary"
              onClick={() => go({ view: 'restores' })}
            >
              Open Restore & drills
            </button>
          }
        >
          Restore a backup into a copy first; then it can be compared with live.
        </EmptyState>
      </div>
    );
  }
  return (
    <div className="page">
      <PageHeader
        title="Compare with live"
        subtitle={
          <>
            Live data beside the copy restored from{' '}
            <span title={source.fileName}>{backupTitle(source)}</span>.
          </>
        }
        actions={
          <button
            type="button"
            className="button button-primary"
            onClick={() => showPromote(source)}
          >
            <Icon name="restore" /> Promote…
          </button>
        }
      />
      {compare.error ? (
        <ErrorState title="Could not compare" error={compare.error} onRetry={compare.reload} />
      ) : !compare.data ? (
        <Loading />
      ) : (
        <section className="card" aria-label="Comparison">
          <ComparisonView data={compare.data} />
        </section>
      )}
    </div>
  );
}
