// A restore drill as people read it: the verdict, every step with its status
// icon, timing and plain-language detail, the export buttons, and the live
// progress of a drill that is still running. Shared by the restore wizard, the
// Verify wizard and the drill report page.
import { useState } from 'react';
import type {
  DrillProbe,
  DrillReport,
  DrillStep,
  DrillStepStatus,
} from '../../../shared/domain.ts';
import { formatBytes, formatCount } from '../format.ts';
import { drillSummaryText } from '../names.ts';
import { DRILL_STEPS, exportDrill, STEP_STATUS_LABEL } from '../restores.ts';
import { useProgress } from '../stores/progress.ts';
import { useSecretsStatus } from '../stores/secrets.ts';
import { toastError } from '../stores/toasts.ts';
import type { IconName } from './Icon.tsx';
import { Icon } from './Icon.tsx';
import { StepProgress } from './ProgressBar.tsx';

const STATUS_ICON: Record<DrillStepStatus, IconName> = {
  pass: 'check',
  warn: 'warning',
  fail: 'error',
  skip: 'minus',
};

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

export function StepStatusIcon({ status }: { status: DrillStepStatus | 'pending' | 'running' }) {
  if (status === 'running')
    return (
      <span className="step-mark step-running" aria-hidden="true">
        <span className="spinner" />
      </span>
    );
  return (
    <span className={`step-mark step-${status}`} aria-hidden="true">
      {status === 'pending' ? null : <Icon name={STATUS_ICON[status]} size={13} />}
    </span>
  );
}

export function DrillVerdict({ report }: { report: DrillReport }) {
  const warned = report.passed && report.steps.some((s) => s.status === 'warn');
  return (
    <div
      className={
        report.passed
          ? warned
            ? 'result-banner result-warn'
            : 'result-banner result-ok'
          : 'result-banner result-fail'
      }
      role={report.passed ? 'status' : 'alert'}
      data-testid="drill-verdict"
      data-passed={report.passed}
    >
      <Icon name={report.passed ? (warned ? 'warning' : 'check') : 'error'} size={20} />
      <div>
        <strong>
          {report.passed
            ? warned
              ? 'Restore drill passed, with warnings'
              : 'Restore drill passed'
            : 'Restore drill failed'}
        </strong>
        <p title={report.summary}>{drillSummaryText(report)}</p>
      </div>
    </div>
  );
}

/** Every step of the drill; steps after a failure are shown as not run. */
export function DrillSteps({ report }: { report: DrillReport }) {
  const byKey = new Map(report.steps.map((s) => [s.key, s]));
  const refusedAtPreflight = report.steps.length === 1 && report.steps[0]?.status === 'fail';
  const rows: (DrillStep | { key: string; title: string; notRun: true })[] = DRILL_STEPS.map(
    (d) => byKey.get(d.key) ?? { key: d.key, title: d.title, notRun: true as const },
  );
  // Steps the host reported that this renderer does not know yet still show.
  for (const s of report.steps) if (!DRILL_STEPS.some((d) => d.key === s.key)) rows.push(s);
  return (
    <ol className="drill-steps" aria-label="Drill steps">
      {rows.map((s) =>
        'notRun' in s ? (
          <li key={s.key} className="drill-step drill-step-notrun" data-step={s.key}>
            <StepStatusIcon status="pending" />
            <span className="drill-step-title">{s.title}</span>
            <span className="drill-step-ms muted">—</span>
            <span className="drill-step-detail muted">
              {refusedAtPreflight ? 'Not run: the file was refused.' : 'Not run.'}
            </span>
          </li>
        ) : (
          <li
            key={s.key}
            className={`drill-step drill-step-${s.status}`}
            data-step={s.key}
            data-status={s.status}
          >
            <StepStatusIcon status={s.status} />
            <span className="drill-step-title">
              {s.title}
              <span className="visually-hidden">: {STEP_STATUS_LABEL[s.status]}.</span>
            </span>
            <span className="drill-step-ms muted" title="How long this step took">
              {formatMs(s.ms)}
            </span>
            <span className="drill-step-detail">
              {s.detail}
              {s.key === 'secrets' && <SecretsUnlockedSince step={s} />}
            </span>
            {Array.isArray(s.probes) && s.probes.length > 0 && <DrillProbes probes={s.probes} />}
            {Array.isArray(s.log) && s.log.length > 0 && (
              <details className="drill-step-log">
                <summary>The app’s last log lines</summary>
                <pre>{s.log.join('\n')}</pre>
              </details>
            )}
          </li>
        ),
      )}
    </ol>
  );
}

/** The boot step's rows: each request to the app booted on the copy (and its start and stop). */
function DrillProbes({ probes }: { probes: DrillProbe[] }) {
  return (
    <table className="drill-probes" aria-label="Requests to the app booted on the copy">
      <thead>
        <tr>
          <th scope="col">
            <span className="visually-hidden">Result</span>
          </th>
          <th scope="col">Probe</th>
          <th scope="col">Request</th>
          <th scope="col">HTTP</th>
          <th scope="col">Time</th>
          <th scope="col">Detail</th>
        </tr>
      </thead>
      <tbody>
        {probes.map((p, i) => (
          <tr key={i} data-probe={p.name} data-status={p.status}>
            <td>
              <StepStatusIcon status={p.status} />
              <span className="visually-hidden">{STEP_STATUS_LABEL[p.status]}</span>
            </td>
            <td>{p.name}</td>
            <td>{p.request ? <code>{p.request}</code> : <span className="muted">—</span>}</td>
            <td data-testid="probe-http">{p.httpStatus ?? <span className="muted">—</span>}</td>
            <td className="drill-step-ms">{formatMs(p.ms)}</td>
            <td>{p.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * A secrets step that found its key locked (or a wrong passphrase tried) is history once
 * secrets are unlocked: say so live, so no view keeps implying the key is unusable.
 */
function SecretsUnlockedSince({ step }: { step: DrillStep }) {
  const { status } = useSecretsStatus();
  const state = step.facts?.['keyState'];
  if ((state !== 'locked' && state !== 'wrong') || !status?.unlocked) return null;
  return (
    <span className="drill-step-now" data-testid="secrets-unlocked-since">
      <Icon name="unlock" size={13} /> Secrets are unlocked now: run the drill again to check these
      references.
    </span>
  );
}

export function ExportButtons({ drillId, small }: { drillId: string; small?: boolean }) {
  const [busy, setBusy] = useState<'markdown' | 'html' | null>(null);
  async function run(format: 'markdown' | 'html') {
    setBusy(format);
    const r = await exportDrill(drillId, format);
    setBusy(null);
    if (!r.ok) toastError('Could not export the report', r.error);
  }
  const cls = small ? 'button button-small' : 'button';
  return (
    <div className="button-row">
      <button
        type="button"
        className={cls}
        aria-disabled={busy !== null || undefined}
        onClick={() => {
          if (!busy) void run('markdown');
        }}
      >
        <Icon name="download" /> Export Markdown
      </button>
      <button
        type="button"
        className={cls}
        aria-disabled={busy !== null || undefined}
        onClick={() => {
          if (!busy) void run('html');
        }}
      >
        <Icon name="download" /> Export HTML
      </button>
    </div>
  );
}

/**
 * A running restore: the copy (bytes) and then each drill step as the host
 * reports it. `copiedBytes` is set once the copy is staged; `opId` is the
 * running operation whose progress events to follow.
 */
export function RestoreProgress(props: {
  opId: string | null;
  copiedBytes: number | null;
  /**
   * 'copy': only the copy runs (the preflight stages it); 'drill': the copy is staged and
   * the drill runs; 'auto': both in one operation (verify), told apart by the progress unit.
   */
  phase: 'copy' | 'drill' | 'auto';
}) {
  const { opId, copiedBytes } = props;
  const progress = useProgress((s) => (opId ? s.ops[opId] : undefined));
  const copying = props.phase === 'copy' || (props.phase === 'auto' && progress?.unit !== 'steps');
  const byteProgress = progress?.unit === 'bytes' ? progress : undefined;
  const stepProgress = progress?.unit === 'steps' ? progress : undefined;
  // Steps after "copy": the first two (preflight, copy) happened while staging.
  const done = copying ? 0 : Math.max(2, stepProgress?.done ?? 2);
  const total = DRILL_STEPS.length;
  const pct = copying
    ? byteProgress && byteProgress.total > 0
      ? Math.round((byteProgress.done / byteProgress.total) * 100)
      : null
    : Math.round((done / total) * 100);
  const current = DRILL_STEPS[done];
  const label = copying
    ? 'Checking the file and copying it into a private folder'
    : current
      ? `Step ${done + 1} of ${total}: ${current.title}`
      : 'Writing the report';
  return (
    <div className="run-step">
      <ol className="drill-steps drill-steps-running" aria-label="Drill steps">
        {DRILL_STEPS.map((s, i) => {
          const state = copying
            ? i === 0 || i === 1
              ? 'running'
              : 'pending'
            : i < done
              ? 'pass'
              : i === done
                ? 'running'
                : 'pending';
          return (
            <li
              key={s.key}
              className={`drill-step drill-step-${state}`}
              data-step={s.key}
              data-status={state}
            >
              <StepStatusIcon status={state === 'pass' ? 'pass' : state} />
              <span className="drill-step-title">
                <span className="visually-hidden">
                  {state === 'pass' ? 'Done: ' : state === 'running' ? 'Now: ' : 'Next: '}
                </span>
                {s.title}
              </span>
              <span className="drill-step-ms muted">
                {s.key === 'copy' && copiedBytes !== null ? formatBytes(copiedBytes) : ''}
              </span>
            </li>
          );
        })}
      </ol>
      <StepProgress testIdPrefix="restore" text={label} label={label} pct={pct}>
        <span data-testid="restore-bytes">
          {copying
            ? byteProgress
              ? `${formatBytes(byteProgress.done)} of ${formatBytes(byteProgress.total)} copied`
              : 'Reading the file'
            : copiedBytes !== null
              ? `Copy done (${formatCount(copiedBytes)} bytes); ${done} of ${total} steps finished`
              : `${done} of ${total} steps finished`}
        </span>
      </StepProgress>
    </div>
  );
}
