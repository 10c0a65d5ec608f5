// "Back up now": choose full or compact, see where it goes (plus an optional
// copy elsewhere), watch it run with real progress (and cancel it), then read
// what the manifest recorded. The state lives in stores/backupWizard.ts.
import type { ReactNode } from 'react';
import { Fragment, useEffect, useRef } from 'react';
import { invoke, platform } from '../api.ts';
import type { Phase } from '../backups.ts';
import {
  backupsFolderOf,
  copyOutcomeText,
  PHASE_LABEL,
  PHASES,
  SAVE_COPY_LABEL,
} from '../backups.ts';
import { KindBadge, ManifestFacts } from '../components/BackupFacts.tsx';
import { Dialog } from '../components/Dialog.tsx';
import { Icon } from '../components/Icon.tsx';
import { StepProgress } from '../components/ProgressBar.tsx';
import { WizardSteps } from '../components/WizardSteps.tsx';
import { formatBytes, formatDuration } from '../format.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { useApp } from '../stores/app.ts';
import type { Outcome, WizardStep } from '../stores/backupWizard.ts';
import { useBackupWizard } from '../stores/backupWizard.ts';
import { useRevision } from '../stores/data.ts';
import { useNav } from '../stores/nav.ts';
import type { Progress } from '../stores/progress.ts';
import { useProgress } from '../stores/progress.ts';
import { useVerifyWizard } from '../stores/verifyWizard.ts';
import { FormError } from './FormError.tsx';

const STEPS: { step: WizardStep; label: string }[] = [
  { step: 'mode', label: 'Mode' },
  { step: 'destination', label: 'Destination' },
  { step: 'run', label: 'Run' },
  { step: 'result', label: 'Result' },
];

export function BackupWizard() {
  const w = useBackupWizard();
  const title =
    w.step === 'result'
      ? w.outcome?.kind === 'done'
        ? 'Backup complete'
        : w.outcome?.kind === 'cancelled'
          ? 'Backup cancelled'
          : 'Backup failed'
      : w.step === 'run'
        ? 'Backing up…'
        : 'Back up now';

  let body: ReactNode;
  let footer: ReactNode;
  let submit: (() => void) | undefined;
  switch (w.step) {
    case 'mode':
      body = <ModeStep compact={w.compact} onCompact={w.setCompact} />;
      submit = () => w.goTo('destination');
      footer = (
        <>
          <button type="button" className="button" onClick={w.close}>
            Close
          </button>
          <button type="submit" className="button button-primary">
            Next
          </button>
        </>
      );
      break;
    case 'destination':
      body = <DestinationStep saveCopy={w.saveCopy} onSaveCopy={w.setSaveCopy} />;
      submit = () => void w.run();
      footer = (
        <>
          <button type="button" className="button" onClick={() => w.goTo('mode')}>
            Back
          </button>
          <button type="submit" className="button button-primary" autoFocus>
            <Icon name="backup" /> Run {w.compact ? 'compact' : 'full'} backup
          </button>
        </>
      );
      break;
    case 'run':
      body = <RunStep opId={w.opId} cancelRequested={w.cancelRequested} />;
      footer = (
        // Never focused by default: an Enter meant for "Run backup" must not cancel it.
        <button
          type="button"
          className="button button-danger"
          disabled={w.cancelRequested}
          onClick={() => void w.cancel()}
        >
          {w.cancelRequested ? 'Cancelling…' : 'Cancel backup'}
        </button>
      );
      break;
    case 'result':
      body = w.outcome && <ResultStep outcome={w.outcome} />;
      submit = w.close;
      footer =
        w.outcome?.kind === 'done' ? (
          <button type="submit" className="button button-primary" autoFocus>
            Done
          </button>
        ) : (
          <>
            <button type="button" className="button" onClick={w.close}>
              Close
            </button>
            <button
              type="button"
              className="button button-primary"
              autoFocus
              onClick={() => w.goTo('mode')}
            >
              Start over
            </button>
          </>
        );
      break;
  }

  return (
    <Dialog
      open={w.open}
      wide
      title={title}
      onClose={w.close}
      onSubmit={submit}
      // Keyed by step: a reused <button> turning from "button" into "submit" during its own
      // click would submit the next step too.
      footer={<Fragment key={w.step}>{footer}</Fragment>}
    >
      <WizardSteps steps={STEPS} current={w.step} />
      <div className="wizard-body" data-step={w.step} data-testid="wizard-step">
        {body}
      </div>
    </Dialog>
  );
}

function ModeStep({ compact, onCompact }: { compact: boolean; onCompact(c: boolean): void }) {
  return (
    <fieldset className="choice-fieldset">
      <legend>What kind of backup?</legend>
      <label className={compact ? 'radio-card' : 'radio-card radio-card-checked'}>
        <input
          type="radio"
          name="backup-mode"
          value="full"
          checked={!compact}
          autoFocus={!compact}
          data-autofocus={!compact || undefined}
          onChange={() => onCompact(false)}
        />
        <span className="radio-card-text">
          <strong>Full</strong>
          <span className="muted">
            The whole database exactly as it is now. Quick to make; the one to keep before a risky
            change.
          </span>
        </span>
      </label>
      <label className={compact ? 'radio-card radio-card-checked' : 'radio-card'}>
        <input
          type="radio"
          name="backup-mode"
          value="compact"
          checked={compact}
          autoFocus={compact}
          data-autofocus={compact || undefined}
          onChange={() => onCompact(true)}
        />
        <span className="radio-card-text">
          <strong>Compact</strong>
          <span className="muted">
            Strips metrics and resource status (the app re-creates them as it runs) and vacuums the
            file. Smaller, but slower to make.
          </span>
        </span>
      </label>
    </fieldset>
  );
}

function DestinationStep(props: { saveCopy: boolean; onSaveCopy(v: boolean): void }) {
  const { saveCopy, onSaveCopy } = props;
  const status = useApp((s) => s.status);
  const rev = useRevision('backups');
  const overview = useQuery('backups-overview', () => invoke('backups.overview', {}), rev);
  const offsiteDir = overview.data?.settings.offsiteDir ?? null;
  return (
    <fieldset className="choice-fieldset">
      <legend>Where does it go?</legend>
      <div className="radio-card radio-card-checked radio-card-static">
        <Icon name="check" />
        <span className="radio-card-text">
          <strong>Backups folder</strong>
          {status && <span className="path">{backupsFolderOf(status.dataDir)}</span>}
          <span className="muted">
            Always. This is where Stateward keeps its backups, lists them and applies retention.
          </span>
          {offsiteDir && (
            <span className="muted">
              Each new backup is also copied to the off-site folder{' '}
              <span className="path">{offsiteDir}</span>.
            </span>
          )}
        </span>
      </div>
      <label className={saveCopy ? 'radio-card radio-card-checked' : 'radio-card'}>
        <input type="checkbox" checked={saveCopy} onChange={(e) => onSaveCopy(e.target.checked)} />
        <span className="radio-card-text">
          <strong>Also save a copy…</strong>
          <span className="muted">
            {platform === 'electron'
              ? 'When the backup is done, choose where to save a copy of it (a USB drive, a shared folder). Stateward does not manage that copy.'
              : 'When the backup is done, your browser downloads a copy of it to its downloads folder. Stateward does not manage that copy.'}
          </span>
        </span>
      </label>
    </fieldset>
  );
}

function phaseIndex(p: Progress | undefined): number {
  return p ? PHASES.indexOf(p.phase as Phase) : -1;
}

function RunStep({ opId, cancelRequested }: { opId: string | null; cancelRequested: boolean }) {
  const progress = useProgress((s) => (opId ? s.ops[opId] : undefined));
  const at = phaseIndex(progress);
  const phase = at >= 0 ? PHASES[at]! : null;
  const pct =
    progress && progress.total > 0
      ? Math.min(100, Math.round((progress.done / progress.total) * 100))
      : null;
  const label = phase ? PHASE_LABEL[phase] : 'Starting…';
  // The focus rests on the progress itself (the Run button it was on is gone), not on Cancel.
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div className="run-step" ref={ref} tabIndex={-1} data-testid="backup-run">
      <ol className="phase-list">
        {PHASES.map((p, i) => (
          <li
            key={p}
            className={i < at ? 'phase done' : i === at ? 'phase current' : 'phase'}
            data-phase={p}
          >
            <span className="phase-mark" aria-hidden="true">
              {i < at ? (
                <Icon name="check" size={12} />
              ) : i === at ? (
                <span className="spinner" />
              ) : null}
            </span>
            <span>
              <span className="visually-hidden">
                {i < at ? 'Done: ' : i === at ? 'Now: ' : 'Next: '}
              </span>
              {PHASE_LABEL[p]}
            </span>
          </li>
        ))}
      </ol>
      <StepProgress
        testIdPrefix="backup"
        text={phase ? `Step ${at + 1} of ${PHASES.length}: ${label}` : label}
        label={label}
        pct={pct}
      >
        <span data-testid="backup-bytes">
          {progress && phase !== 'finalize'
            ? `${formatBytes(progress.done)} of ${formatBytes(progress.total)}`
            : progress
              ? 'Syncing to disk and renaming into place'
              : 'Waiting for the first progress report'}
        </span>
        <span>
          {progress?.etaMs != null && progress.done < progress.total
            ? `about ${formatDuration(progress.etaMs)} left`
            : ''}
        </span>
      </StepProgress>
      <p className="muted small">
        {cancelRequested
          ? 'Cancelling: the half-written file is being removed.'
          : 'You can close this window: the backup continues and you will be told when it finishes.'}
      </p>
    </div>
  );
}

function ResultStep({ outcome }: { outcome: Outcome }) {
  if (outcome.kind === 'cancelled') {
    return (
      <div className="result-banner result-neutral" role="status">
        <Icon name="info" size={20} />
        <div>
          <strong data-testid="backup-cancelled">Cancelled — nothing was kept</strong>
          <p>The partial file was removed. Your earlier backups are untouched.</p>
        </div>
      </div>
    );
  }
  if (outcome.kind === 'failed') return <FormError error={outcome.error} />;
  return <DoneResult entry={outcome.entry} finishedDespiteCancel={outcome.finishedDespiteCancel} />;
}

function DoneResult(props: {
  entry: Extract<Outcome, { kind: 'done' }>['entry'];
  finishedDespiteCancel: boolean;
}) {
  const { entry, finishedDespiteCancel } = props;
  const copy = useBackupWizard((s) => s.copy);
  const saveCopyNow = useBackupWizard((s) => s.saveCopyNow);
  const close = useBackupWizard((s) => s.close);
  const go = useNav((s) => s.go);
  const openBackup = useNav((s) => s.openBackup);
  const showVerify = useVerifyWizard((s) => s.show);
  return (
    <div className="result">
      <div className="result-banner result-ok" role="status">
        <Icon name="check" size={20} />
        <div>
          <strong>
            Backup written, checked and hashed <KindBadge entry={entry} />
          </strong>
          <p>
            {finishedDespiteCancel
              ? 'It had already finished when Cancel arrived, so it was kept. '
              : ''}
            It is in the backups folder, <strong>not verified</strong> yet: no restore drill has
            opened it.
          </p>
        </div>
      </div>
      <div className="button-row">
        <button
          type="button"
          className="button"
          aria-disabled={copy === 'working' || undefined}
          onClick={() => void saveCopyNow()}
        >
          <Icon name="download" /> {copy === 'working' ? 'Saving…' : SAVE_COPY_LABEL}
        </button>
        <button
          type="button"
          className="button"
          onClick={() => {
            close();
            go({ view: 'backups' });
            openBackup(entry.id);
            showVerify([entry.id]);
          }}
        >
          <Icon name="shield" /> Verify this backup (restore drill)
        </button>
      </div>
      {copy !== null && copy !== 'working' && (
        <div
          className={copy.state === 'failed' ? 'form-error' : 'result-note'}
          role={copy.state === 'failed' ? 'alert' : 'status'}
        >
          {copy.state === 'failed' ? <strong>Could not save a copy</strong> : null}
          <p>{copyOutcomeText(copy)}</p>
          {copy.state === 'failed' && copy.error.hint && <p>{copy.error.hint}</p>}
          {copy.state === 'failed' && <p className="form-error-code">{copy.error.code}</p>}
        </div>
      )}
      <ManifestFacts entry={entry} testIdPrefix="result" />
    </div>
  );
}
