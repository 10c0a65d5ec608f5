// "Move to a team database": connect → dry run (the real copy in one
// transaction, rolled back) with the per-table report → confirm → the move with
// progress (pre-move backup, COMMIT, the data dir bound to PostgreSQL) → done:
// the app is connected to the team database (the Dashboard shows its panel and
// banner), or, when it could not switch, a restart opens it. The same checks and codes as
// `stateward postgres copy`. State: stores/moveWizard.ts.
import type { ReactNode } from 'react';
import { Fragment } from 'react';
import type { PgMoveReport } from '../../../shared/domain.ts';
import { Dialog } from '../components/Dialog.tsx';
import { Icon } from '../components/Icon.tsx';
import { PgPasswordField, PgUrlField } from '../components/PgFields.tsx';
import { StepProgress } from '../components/ProgressBar.tsx';
import { WizardSteps } from '../components/WizardSteps.tsx';
import { formatCount, formatDuration } from '../format.ts';
import type { Progress } from '../stores/progress.ts';
import { useProgress } from '../stores/progress.ts';
import type { MoveStep } from '../stores/moveWizard.ts';
import { useMoveWizard } from '../stores/moveWizard.ts';
import { useNav } from '../stores/nav.ts';
import { FormError } from './FormError.tsx';

const STEPS: { step: MoveStep; label: string }[] = [
  { step: 'connect', label: 'Connect' },
  { step: 'report', label: 'Dry run' },
  { step: 'confirm', label: 'Confirm' },
  { step: 'done', label: 'Move' },
];

/** Where each step sits on the step bar. */
const SHOWN_AS: Record<MoveStep, MoveStep> = {
  connect: 'connect',
  dry: 'report',
  report: 'report',
  confirm: 'confirm',
  move: 'done',
  done: 'done',
};

/** The button that opens the wizard (the Dashboard's data directory card, SQLite only). */
export function MoveToTeamButton() {
  const show = useMoveWizard((s) => s.show);
  return (
    <button type="button" className="button button-small" onClick={show}>
      <Icon name="database" /> Move to a team database…
    </button>
  );
}

export function MoveWizard() {
  const w = useMoveWizard();
  const go = useNav((s) => s.go);
  const progress = useProgress((s) => (w.opId ? s.ops[w.opId] : undefined));

  let body: ReactNode;
  let footer: ReactNode;
  let submit: (() => void) | undefined;
  switch (w.step) {
    case 'connect':
      body = <ConnectStep />;
      submit = () => void w.dryRun();
      footer = (
        <>
          <button type="button" className="button" onClick={w.close}>
            Cancel
          </button>
          <button
            type="submit"
            className="button button-primary"
            aria-disabled={w.url.trim() === '' || undefined}
          >
            Dry run
          </button>
        </>
      );
      break;
    case 'dry':
    case 'move':
      body = <RunStep progress={progress} execute={w.step === 'move'} />;
      footer = (
        <button type="button" className="button" onClick={w.close}>
          Hide
        </button>
      );
      break;
    case 'report':
      body = w.report && <ReportStep report={w.report} />;
      submit = w.confirm;
      footer = (
        <>
          <button type="button" className="button" onClick={w.back}>
            Back
          </button>
          <button type="submit" className="button button-primary">
            Continue to the move…
          </button>
        </>
      );
      break;
    case 'confirm':
      body = w.report && <ConfirmStep report={w.report} />;
      footer = (
        <>
          <button type="button" className="button" onClick={w.back}>
            Back
          </button>
          {/* Never the default: Enter must not move the data. */}
          <button
            type="button"
            className="button button-danger-solid"
            onClick={() => void w.execute()}
          >
            Move to PostgreSQL now
          </button>
        </>
      );
      break;
    case 'done':
      body = w.moved && <DoneStep moved={w.moved} />;
      if (w.moved?.connected) {
        submit = () => {
          w.close();
          go({ view: 'dashboard' });
        };
        footer = (
          <button type="submit" className="button button-primary">
            Open the Dashboard
          </button>
        );
      } else {
        // No way back into this window's data: it stays until Stateward is restarted.
        footer = <span className="muted small">Restart Stateward to continue.</span>;
      }
      break;
  }

  const title =
    w.step === 'dry'
      ? 'Dry run: copying and rolling back…'
      : w.step === 'move'
        ? 'Moving to PostgreSQL…'
        : w.step === 'done'
          ? w.moved?.connected
            ? 'Connected to the team database'
            : 'Moved to the team database'
          : 'Move to a team database';
  return (
    <Dialog
      open={w.open}
      wide
      title={title}
      onClose={w.close}
      onSubmit={submit}
      footer={<Fragment key={w.step}>{footer}</Fragment>}
    >
      <WizardSteps steps={STEPS} current={SHOWN_AS[w.step]} />
      <div className="wizard-body wizard-roomy" data-step={w.step} data-testid="move-step">
        {body}
      </div>
    </Dialog>
  );
}

function ConnectStep() {
  const w = useMoveWizard();
  return (
    <div className="move-connect">
      <p className="muted">
        This data directory&apos;s database is copied once into an empty PostgreSQL database (or an
        empty schema in it), every table checked by row count and content hash. First a dry run: the
        whole copy in one transaction that is rolled back, so you see what the move will do and
        nothing is written.
      </p>
      <FormError error={w.error} />
      <PgUrlField
        value={w.url}
        help="postgres://USER@HOST:PORT/DATABASE — add ?schema=NAME for a schema of its own, ?sslmode=verify-full for a server elsewhere. Without the password."
        onChange={w.setUrl}
      />
      <PgPasswordField
        value={w.password}
        help="Used for this move only and never stored. Leave it empty to use PGPASSWORD or ~/.pgpass."
        onChange={w.setPassword}
      />
    </div>
  );
}

/** The current table and phase in words, with its rate. */
function progressText(p: Progress | undefined, execute: boolean): string {
  if (!p) return execute ? 'Connecting…' : 'Connecting and checking…';
  if (p.phase === 'backup') return 'Taking the pre-move backup of this data directory';
  const [phase, table] = p.phase.split(' ');
  return `${phase === 'verify' ? 'Verifying' : 'Copying'} ${table ?? ''}`;
}

function RunStep({ progress, execute }: { progress: Progress | undefined; execute: boolean }) {
  const p = progress;
  return (
    <div className="move-run">
      <StepProgress
        testIdPrefix="move"
        text={progressText(p, execute)}
        label={execute ? 'Moving to PostgreSQL' : 'Dry run'}
        pct={p?.percent ?? null}
      >
        {p
          ? `${formatCount(p.done)} of ${formatCount(p.total)} ${p.unit}${
              p.rate !== undefined ? ` · ${formatCount(p.rate)} rows/s` : ''
            }${p.etaMs !== null && p.done < p.total ? ` · about ${formatDuration(p.etaMs)} left` : ''}`
          : 'Waiting for the first progress report'}
      </StepProgress>
      <p className="muted small">
        {execute
          ? 'Nothing is committed until every table is verified and the pre-move backup is taken; if this stops, the team database stays empty and this data directory as it was.'
          : 'Everything happens in one transaction that is rolled back at the end.'}
      </p>
    </div>
  );
}

function ReportTable({ report }: { report: PgMoveReport }) {
  return (
    <table className="compare-table move-report" data-testid="move-report">
      <thead>
        <tr>
          <th scope="col">Table</th>
          <th scope="col" className="num">
            Rows read
          </th>
          <th scope="col" className="num">
            Rows written
          </th>
          <th scope="col">Content hash (both sides)</th>
          <th scope="col" className="num">
            Time
          </th>
          <th scope="col" className="num">
            Rows/s
          </th>
        </tr>
      </thead>
      <tbody>
        {report.tables.map((t) => (
          <tr key={t.name} data-table={t.name}>
            <th scope="row" className="mono">
              {t.name}
            </th>
            <td className="num">{formatCount(t.rowsRead)}</td>
            <td className="num">{formatCount(t.rowsWritten)}</td>
            <td className="mono small" title={`source ${t.sourceHash}\ntarget ${t.targetHash}`}>
              {t.sourceHash === t.targetHash ? (
                <>
                  <Icon name="check" /> {t.sourceHash.slice(0, 12)}
                </>
              ) : (
                `${t.sourceHash.slice(0, 12)} ≠ ${t.targetHash.slice(0, 12)}`
              )}
            </td>
            <td className="num nowrap">
              {t.ms < 10_000 ? `${formatCount(t.ms)} ms` : formatDuration(t.ms)}
            </td>
            <td className="num">{formatCount(t.rowsPerSec)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const totalRows = (r: PgMoveReport) => r.tables.reduce((n, t) => n + t.rowsRead, 0);

function ReportStep({ report }: { report: PgMoveReport }) {
  return (
    <div className="move-report-step">
      <p data-testid="move-summary">
        <strong>
          Dry run passed: {formatCount(report.tables.length)} tables,{' '}
          {formatCount(totalRows(report))} rows copied and verified in {formatDuration(report.ms)},
          then rolled back.
        </strong>{' '}
        Nothing was written to <span className="mono">{report.target}</span>.
      </p>
      <ReportTable report={report} />
    </div>
  );
}

function ConfirmStep({ report }: { report: PgMoveReport }) {
  const error = useMoveWizard((s) => s.error);
  return (
    <div className="move-confirm">
      <FormError error={error} />
      <p>
        Move {formatCount(totalRows(report))} rows into{' '}
        <span className="mono">{report.target}</span>?
      </p>
      <ul>
        <li>A pre-move backup of this data directory is taken first.</li>
        <li>
          The copy is committed only when every table matches; then this data directory is bound to
          the team database (<span className="mono">database.json</span>, never the password).
        </li>
        <li>The local database file stays as it is: restoring a backup is the way back.</li>
        <li>After the move this app works on the team database.</li>
      </ul>
    </div>
  );
}

function DoneStep({
  moved,
}: {
  moved: PgMoveReport & { restartNeeded: boolean; connected: boolean };
}) {
  return (
    <div className="result" data-testid="move-done">
      <div className="result-banner result-ok" role="status">
        <Icon name="check" size={20} />
        <div>
          <strong>
            {formatCount(totalRows(moved))} rows are in the team database
            {moved.adopted ? ' (an earlier, interrupted move had already copied them)' : ''}.
          </strong>
          <p>
            <span className="path">{moved.target}</span>
            {moved.preMoveBackup && (
              <>
                {' '}
                · pre-move backup <span className="path">{moved.preMoveBackup.fileName}</span>
              </>
            )}
          </p>
        </div>
      </div>
      {moved.connected ? (
        <p className="result-note" data-testid="move-connected">
          <strong>Connected to the team database</strong>: every screen now shows it. For later
          starts, give the password in PGPASSWORD or ~/.pgpass if the server needs one.
        </p>
      ) : (
        <p className="result-note" data-testid="move-restart">
          <strong>Restart Stateward to open the team database</strong>: close and reopen the app (or
          stop and start <span className="mono">npm run serve</span>), with the password in
          PGPASSWORD or ~/.pgpass if the server needs one. Until then this window changes no data.
        </p>
      )}
      <ReportTable report={moved} />
    </div>
  );
}
