// "Verify backups": pick one or more backups → a restore drill runs on each in
// turn (into a temporary copy, discarded afterwards) with progress → a report
// per backup with its steps and export. State: stores/verifyWizard.ts.
import type { ReactNode } from 'react';
import { Fragment, useEffect, useRef } from 'react';
import type { BackupEntry } from '../../../shared/domain.ts';
import { invoke } from '../api.ts';
import { BackupPicker } from '../components/BackupPicker.tsx';
import { KindBadge } from '../components/BackupFacts.tsx';
import { Dialog } from '../components/Dialog.tsx';
import {
  DrillSteps,
  DrillVerdict,
  ExportButtons,
  RestoreProgress,
  StepStatusIcon,
} from '../components/DrillReport.tsx';
import { EmptyState, ErrorState, Loading } from '../components/States.tsx';
import { WizardSteps } from '../components/WizardSteps.tsx';
import { formatBytes, formatCount, formatTime, plural } from '../format.ts';
import { backupTitle } from '../names.ts';
import { useNow } from '../hooks/useNow.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { useTeam } from '../components/TeamBanner.tsx';
import { cannotOpenReason, DRILL_STEPS } from '../restores.ts';
import { useRevision } from '../stores/data.ts';
import type { VerifyItem, VerifyStep } from '../stores/verifyWizard.ts';
import { useVerifyWizard } from '../stores/verifyWizard.ts';
import { FormError } from './FormError.tsx';

const STEPS: { step: VerifyStep; label: string }[] = [
  { step: 'pick', label: 'Backups' },
  { step: 'run', label: 'Drills' },
  { step: 'reports', label: 'Reports' },
];

export function VerifyWizard() {
  const w = useVerifyWizard();
  const rev = useRevision('backups');
  const list = useQuery('verify-backups', () => invoke('backups.list', {}), w.open ? rev : -1);
  const startup = useQuery('app-startup', () => invoke('app.startup', {}));
  const entries = list.data ?? [];
  const appSchema = startup.data?.appSchemaVersion ?? null;

  let body: ReactNode;
  let footer: ReactNode;
  let submit: (() => void) | undefined;
  const count = w.selected.length;
  switch (w.step) {
    case 'pick':
      body =
        list.error || startup.error ? (
          <ErrorState error={(list.error ?? startup.error)!} onRetry={list.reload} />
        ) : !list.data || appSchema === null ? (
          <Loading label="Listing backups…" />
        ) : (
          <PickStep entries={entries} appSchema={appSchema} />
        );
      submit = () => void w.run(entries);
      footer = (
        <>
          <button type="button" className="button" onClick={w.close}>
            Close
          </button>
          <button
            type="submit"
            className="button button-primary"
            aria-disabled={count === 0 || undefined}
          >
            {count <= 1 ? 'Run the restore drill' : `Run ${count} restore drills`}
          </button>
        </>
      );
      break;
    case 'run':
      body = <RunStep />;
      footer = (
        <button type="button" className="button" onClick={w.close}>
          Close
        </button>
      );
      break;
    case 'reports':
      body = <ReportsStep />;
      submit = w.close;
      footer = (
        <>
          <button type="button" className="button" onClick={w.again}>
            Verify others
          </button>
          <button type="submit" className="button button-primary" autoFocus>
            Done
          </button>
        </>
      );
      break;
  }

  const title =
    w.step === 'run'
      ? 'Running restore drills…'
      : w.step === 'reports'
        ? 'Drill reports'
        : 'Verify backups';
  return (
    <Dialog
      open={w.open}
      wide
      title={title}
      onClose={w.close}
      onSubmit={submit}
      footer={<Fragment key={w.step}>{footer}</Fragment>}
    >
      <WizardSteps steps={STEPS} current={w.step} />
      <div className="wizard-body wizard-roomy" data-step={w.step} data-testid="verify-step">
        {body}
      </div>
    </Dialog>
  );
}

function PickStep({ entries, appSchema }: { entries: BackupEntry[]; appSchema: number }) {
  const w = useVerifyWizard();
  const now = useNow();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el =
      ref.current?.querySelector<HTMLInputElement>('input[name="backup-pick"]:checked') ??
      ref.current?.querySelector<HTMLInputElement>('input[name="backup-pick"]:not(:disabled)');
    el?.focus();
  }, []);
  if (entries.length === 0)
    return (
      <EmptyState icon="backup" title="No backups yet">
        Take a backup first; then a restore drill can prove it restores.
      </EmptyState>
    );
  const openable = entries.filter((e) => !cannotOpenReason(e, appSchema));
  const all = openable.length > 0 && openable.every((e) => w.selected.includes(e.id));
  return (
    <div ref={ref} className="verify-pick">
      <p className="muted">
        Each backup is restored into a temporary copy, checked (integrity, migrations, booting, your
        data, secret references) and the copy is removed. The reports stay, and the backups are
        marked verified.
      </p>
      <div className="button-row">
        <button
          type="button"
          className="button button-small"
          onClick={() => w.setSelected(all ? [] : openable.map((e) => e.id))}
        >
          {all ? 'Select none' : `Select all ${formatCount(openable.length)}`}
        </button>
        <span className="muted small">{formatCount(w.selected.length)} selected</span>
      </div>
      <TargetChoice />
      <BackupPicker
        legend="Which backups?"
        entries={entries}
        appSchemaVersion={appSchema}
        now={now}
        multiple
        selected={w.selected}
        onChange={w.toggle}
      />
    </div>
  );
}

/** Team mode only: drill on this machine (a temporary SQLite copy) or on the team's server. */
function TargetChoice() {
  const w = useVerifyWizard();
  const { team } = useTeam();
  if (!team) return null;
  return (
    <fieldset className="verify-target" data-testid="verify-target">
      <legend>Where to drill</legend>
      <label>
        <input
          type="radio"
          name="drill-target"
          checked={w.target === 'local'}
          onChange={() => w.setTarget('local')}
        />{' '}
        On this machine <span className="muted small">(a temporary local copy)</span>
      </label>
      <label>
        <input
          type="radio"
          name="drill-target"
          checked={w.target === 'server'}
          onChange={() => w.setTarget('server')}
        />{' '}
        On the team server{' '}
        <span className="muted small">
          (a scratch schema in {team.database}, checked through the PostgreSQL store, then dropped)
        </span>
      </label>
    </fieldset>
  );
}

function itemStatus(item: VerifyItem | undefined) {
  if (!item || item.state === 'pending') return 'pending' as const;
  if (item.state === 'running') return 'running' as const;
  if (item.state === 'error') return 'fail' as const;
  return item.report.passed ? ('pass' as const) : ('fail' as const);
}

function RunStep() {
  const w = useVerifyWizard();
  const running = w.queue.find((e) => w.items[e.id]?.state === 'running');
  const runningItem = running ? w.items[running.id] : undefined;
  const done = w.queue.filter((e) => {
    const s = w.items[e.id]?.state;
    return s === 'done' || s === 'error';
  }).length;
  return (
    <div className="verify-run">
      <p className="muted" role="status" aria-live="polite" data-testid="verify-count">
        {formatCount(done)} of {plural(w.queue.length, 'backup')} drilled
      </p>
      <ol className="verify-queue">
        {w.queue.map((e) => (
          <li key={e.id} className="verify-queue-item" data-status={itemStatus(w.items[e.id])}>
            <StepStatusIcon status={itemStatus(w.items[e.id])} />
            <KindBadge entry={e} />
            <span className="truncate" title={e.fileName}>
              {formatTime(e.createdAt)}
            </span>
            <span className="muted small truncate">
              {formatBytes(e.bytes)} · {e.compact ? 'compact' : 'full'}
            </span>
          </li>
        ))}
      </ol>
      {runningItem?.state === 'running' && running && (
        <div className="verify-current">
          <p className="verify-now">
            <span className="muted">Now drilling</span>{' '}
            <span title={running.fileName}>{backupTitle(running)}</span>
          </p>
          <RestoreProgress opId={runningItem.opId} copiedBytes={running.bytes} phase="auto" />
        </div>
      )}
    </div>
  );
}

function stepsLabel(n: number): string {
  return n < DRILL_STEPS.length ? `Steps (${n} of ${DRILL_STEPS.length} run)` : `Steps (${n})`;
}

function ReportsStep() {
  const w = useVerifyWizard();
  const passed = w.queue.filter((e) => {
    const i = w.items[e.id];
    return i?.state === 'done' && i.report.passed;
  }).length;
  // A passed drill of an empty backup proves the file restores, not any data: said beside the count.
  const empty = w.queue.filter((e) => {
    const i = w.items[e.id];
    return i?.state === 'done' && i.report.passed && i.report.empty === true;
  }).length;
  return (
    <div className="verify-reports">
      <p data-testid="verify-summary">
        <strong>
          {passed === w.queue.length
            ? w.queue.length === 1
              ? 'The backup passed its restore drill.'
              : `All ${formatCount(w.queue.length)} backups passed their restore drills.`
            : `${formatCount(passed)} of ${plural(w.queue.length, 'backup')} passed.`}
        </strong>
        {empty > 0 && (
          <span data-testid="verify-empty">
            {' '}
            {empty === w.queue.length && empty === 1
              ? 'But it is empty (no projects, no deployments): that proves the file restores, not your data.'
              : `${plural(empty, 'backup')} ${empty === 1 ? 'is' : 'are'} empty (no projects, no deployments): that proves the file restores, not your data.`}
          </span>
        )}
      </p>
      {w.queue.map((e) => {
        const item = w.items[e.id];
        return (
          <section
            key={e.id}
            className="verify-report"
            data-testid="verify-report"
            data-backup-id={e.id}
            aria-label={`Report for the ${backupTitle(e)}`}
          >
            <header className="verify-report-head">
              <KindBadge entry={e} />
              <span className="truncate" title={e.fileName}>
                {formatTime(e.createdAt)} · {formatBytes(e.bytes)} ·{' '}
                {e.compact ? 'compact' : 'full'}
              </span>
            </header>
            {item?.state === 'done' ? (
              <>
                <DrillVerdict report={item.report} />
                <details className="drill-details" open={!item.report.passed}>
                  <summary>{stepsLabel(item.report.steps.length)}</summary>
                  <DrillSteps report={item.report} />
                </details>
                <ExportButtons drillId={item.report.id} small />
              </>
            ) : item?.state === 'error' ? (
              <FormError error={item.error} />
            ) : (
              <Loading />
            )}
          </section>
        );
      })}
    </div>
  );
}
