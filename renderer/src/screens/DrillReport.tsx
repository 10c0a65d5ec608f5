// One restore drill's report, as an auditor reads it: the verdict, what was
// restored (file, hash, schema), every step, the warnings, and the export.
import type { DrillReport } from '../../../shared/domain.ts';
import { invoke } from '../api.ts';
import { HashLine, KindBadge } from '../components/BackupFacts.tsx';
import { DrillSteps, DrillVerdict, ExportButtons, formatMs } from '../components/DrillReport.tsx';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { ErrorState, Loading } from '../components/States.tsx';
import { formatBytes, formatCount, formatTimeExact } from '../format.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { backupTitle } from '../names.ts';
import { useNav } from '../stores/nav.ts';
import { useVerifyWizard } from '../stores/verifyWizard.ts';
import { ResultPill } from './Restores.tsx';

export function DrillReportScreen({ drillId }: { drillId: string }) {
  const go = useNav((s) => s.go);
  const q = useQuery(`drill:${drillId}`, () => invoke('drills.get', { id: drillId }));
  const crumbs = [{ label: 'Restore & drills', onClick: () => go({ view: 'restores' }) }];
  if (q.error)
    return (
      <div className="page">
        <PageHeader title="Drill report" crumbs={crumbs} />
        <ErrorState title="Could not open this report" error={q.error} onRetry={q.reload} />
      </div>
    );
  if (!q.data) return <Loading />;
  return <Report report={q.data} crumbs={crumbs} />;
}

function Report({
  report: r,
  crumbs,
}: {
  report: DrillReport;
  crumbs: { label: string; onClick(): void }[];
}) {
  const showVerify = useVerifyWizard((s) => s.show);
  const f = r.source;
  return (
    <div className="page">
      <PageHeader
        crumbs={crumbs}
        current="Restore drill"
        title={
          <>
            Restore drill <ResultPill passed={r.passed} />
          </>
        }
        subtitle={`${backupTitle(f)}: drilled ${formatTimeExact(r.startedAt)} on ${r.machine || 'this machine'} by Stateward ${r.appVersion}, ${formatMs(r.finishedAt - r.startedAt)} in all.`}
        actions={
          <>
            <ExportButtons drillId={r.id} />
            {f.backupId && (
              <button
                type="button"
                className="button button-primary"
                onClick={() => showVerify([f.backupId!])}
              >
                <Icon name="shield" /> Drill this backup again
              </button>
            )}
          </>
        }
      />
      <DrillVerdict report={r} />
      <div className="drill-page-grid">
        <section className="card" aria-labelledby="drill-steps-title">
          <h2 id="drill-steps-title" className="card-title">
            <Icon name="check" /> Steps
          </h2>
          <DrillSteps report={r} />
          {r.warnings.length > 0 && (
            <ul className="safety-list" aria-label="Warnings">
              {r.warnings.map((w) => (
                <li key={w} className="safety-row safety-warn">
                  <Icon name="warning" />
                  <div>
                    <p>{w}</p>
                  </div>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card" aria-labelledby="drill-source-title">
          <h2 id="drill-source-title" className="card-title">
            <Icon name="backup" /> What was restored
          </h2>
          <dl className="facts facts-compact">
            <dt>File</dt>
            <dd className="path">{f.fileName}</dd>
            {f.kind && (
              <>
                <dt>Kind</dt>
                <dd>
                  <KindBadge entry={{ kind: f.kind }} />
                </dd>
              </>
            )}
            <dt>Taken</dt>
            <dd>
              {f.createdAt === null ? 'unknown' : formatTimeExact(f.createdAt)}
              {f.appVersion ? ` by Stateward ${f.appVersion}` : ''}
            </dd>
            <dt>Size</dt>
            <dd title={`${formatCount(f.bytes)} bytes`}>{formatBytes(f.bytes)}</dd>
            <dt>Manifest</dt>
            <dd>
              {f.manifest === 'sidecar'
                ? 'beside the file; its SHA-256 matched'
                : f.manifest === 'embedded'
                  ? 'facts read from inside the file'
                  : 'none'}
            </dd>
            <dt>Schema</dt>
            <dd>
              {f.schemaVersion === f.appSchemaVersion
                ? `${f.schemaVersion} (this version’s)`
                : `${f.schemaVersion} → ${f.appSchemaVersion}`}
            </dd>
            <dt>Drill id</dt>
            <dd className="mono">{r.id}</dd>
            {f.sha256 && (
              <>
                <dt>SHA-256</dt>
                <dd>
                  <HashLine sha256={f.sha256} />
                </dd>
              </>
            )}
          </dl>
        </section>
      </div>
    </div>
  );
}
