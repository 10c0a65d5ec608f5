// Live and a restored copy side by side: schema version, rows per table (the
// differences highlighted) and the newest deployment on each side.
import type { Comparison as ComparisonData } from '../../../shared/domain.ts';
import type { DeploymentStatus } from '../../../shared/domain.ts';
import { DEPLOYMENT_STATUSES } from '../../../shared/domain.ts';
import { formatCount, formatTime } from '../format.ts';
import { TABLE_LABEL } from '../restores.ts';
import { StatusBadge } from './StatusBadge.tsx';

function diffText(live: number | null, copy: number): string {
  if (live === null) return '';
  const d = copy - live;
  if (d === 0) return 'same';
  return d > 0 ? `+${formatCount(d)} in the copy` : `${formatCount(-d)} fewer in the copy`;
}

type Newest = ComparisonData['newestDeployment']['live'];

function NewestCard({ title, d }: { title: string; d: Newest }) {
  const status = d && (DEPLOYMENT_STATUSES as readonly string[]).includes(d.status);
  return (
    <div className="compare-newest-card">
      <h3>{title}</h3>
      {d ? (
        <>
          <p className="truncate">
            <strong>{d.project}</strong> <span className="mono muted">{d.version}</span>
          </p>
          <p className="compare-newest-line">
            {status ? (
              <StatusBadge status={d.status as DeploymentStatus} />
            ) : (
              <span className="pill">{d.status}</span>
            )}
            <span className="muted small">{formatTime(d.startedAt)}</span>
          </p>
        </>
      ) : (
        <p className="muted">No deployments.</p>
      )}
    </div>
  );
}

export function ComparisonView({
  data,
  liveLabel = 'Live',
}: {
  data: ComparisonData;
  liveLabel?: string;
}) {
  // On the refusal screen live is not open: only the copy's side can be shown.
  const liveOpen = data.schemaVersion.live !== null;
  const schemaDiffers = liveOpen && data.schemaVersion.live !== data.schemaVersion.copy;
  const newestSame =
    data.newestDeployment.live?.id === data.newestDeployment.copy?.id &&
    data.newestDeployment.live?.startedAt === data.newestDeployment.copy?.startedAt;
  return (
    <div className="compare">
      <table className="compare-table" data-testid="compare-table">
        <thead>
          <tr>
            <th scope="col">What</th>
            {liveOpen && (
              <th scope="col" className="num">
                {liveLabel}
              </th>
            )}
            <th scope="col" className="num">
              Restored copy
            </th>
            {liveOpen && <th scope="col">Difference</th>}
          </tr>
        </thead>
        <tbody>
          <tr className={schemaDiffers ? 'compare-diff' : undefined} data-table="schema">
            <th scope="row">Schema version</th>
            {liveOpen && <td className="num">{data.schemaVersion.live}</td>}
            <td className="num">{data.schemaVersion.copy}</td>
            {liveOpen && (
              <td>
                {schemaDiffers ? (
                  <span className="diff-mark">different</span>
                ) : (
                  <span className="muted">same</span>
                )}
              </td>
            )}
          </tr>
          {data.tables.map((t) => {
            const differs = liveOpen && t.live !== null && t.live !== t.copy;
            return (
              <tr
                key={t.table}
                className={differs ? 'compare-diff' : undefined}
                data-table={t.table}
              >
                <th scope="row">
                  {TABLE_LABEL[t.table] ?? t.table}{' '}
                  <span className="mono muted small">{t.table}</span>
                </th>
                {liveOpen && <td className="num">{t.live === null ? '—' : formatCount(t.live)}</td>}
                <td className="num">{formatCount(t.copy)}</td>
                {liveOpen && (
                  <td>
                    {differs ? (
                      <span className="diff-mark">{diffText(t.live, t.copy)}</span>
                    ) : (
                      <span className="muted">{diffText(t.live, t.copy) || '—'}</span>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {liveOpen ? (
        <div className={newestSame ? 'compare-newest' : 'compare-newest compare-newest-diff'}>
          <NewestCard
            title={`Newest deployment — ${liveLabel.toLowerCase()}`}
            d={data.newestDeployment.live}
          />
          <NewestCard title="Newest deployment — restored copy" d={data.newestDeployment.copy} />
        </div>
      ) : (
        <div className="compare-newest compare-newest-single">
          <NewestCard title="Newest deployment in the copy" d={data.newestDeployment.copy} />
        </div>
      )}
    </div>
  );
}
