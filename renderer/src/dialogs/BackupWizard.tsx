// The running backup that "Back up now" started (stores/backupWizard.ts): one
// progress figure — the stage in words, bytes, a percentage for the whole
// backup that the bar shows too, the time left — and Cancel (never focused by
// default). When it ends: where the backup is, its size, its verified state,
// what compact achieved, and the manifest's facts one click away.
import type { ReactNode } from 'react';
import { Fragment } from 'react';
import type { BackupStage } from '../../../shared/backup-progress.ts';
import { BACKUP_STAGES } from '../../../shared/backup-progress.ts';
import type { BackupEntry } from '../../../shared/domain.ts';
import { backupsFolderOf, copyOutcomeText, SAVE_COPY_LABEL, STAGE_LABEL } from '../backups.ts';
import { KindBadge, ManifestFacts } from '../components/BackupFacts.tsx';
import { Dialog } from '../components/Dialog.tsx';
import { Icon } from '../components/Icon.tsx';
import { StepProgress } from '../components/ProgressBar.tsx';
import { formatBytes, formatCount, formatDuration } from '../format.ts';
import { useApp } from '../stores/app.ts';
import type { Outcome } from '../stores/backupWizard.ts';
import { useBackupWizard } from '../stores/backupWizard.ts';
import { useNav } from '../stores/nav.ts';
import type { Progress } from '../stores/progress.ts';
import { useProgress } from '../stores/progress.ts';
import { useVerifyWizard } from '../stores/verifyWizard.ts';
import { FormError } from './FormError.tsx';

export function BackupWizard() {
  const w = useBackupWizard();
  const progress = useProgress((s) => (w.opId ? s.ops[w.opId] : undefined));
  const stage = stageOf(progress);
  const kind = w.compact ? 'compact backup' : 'backup';
  const title = w.running
    ? `Backing up (${w.compact ? 'compact' : 'full'})…`
    : w.outcome?.kind === 'done'
      ? 'Backup complete'
      : w.outcome?.kind === 'cancelled'
        ? 'Backup cancelled'
        : 'Backup failed';

  let body: ReactNode = null;
  let footer: ReactNode;
  let submit: (() => void) | undefined;
  if (w.running) {
    body = (
      <RunProgress progress={progress} compact={w.compact} cancelRequested={w.cancelRequested} />
    );
    // The backup is kept once it is written: Cancel would no longer undo it.
    const tooLate = stage === 'offsite' || stage === 'done';
    footer = (
      <>
        <button type="button" className="button" onClick={w.close}>
          Hide
        </button>
        {/* Never focused by default: an Enter meant for "Back up now" must not cancel it. */}
        <button
          type="button"
          className="button button-danger"
          disabled={w.cancelRequested || tooLate}
          title={
            tooLate
              ? 'The backup is already written; the off-site copy finishes on its own.'
              : undefined
          }
          onClick={() => void w.cancel()}
        >
          {w.cancelRequested ? 'Cancelling…' : 'Cancel backup'}
        </button>
      </>
    );
  } else if (w.outcome) {
    body = <Result outcome={w.outcome} />;
    submit = w.close;
    footer =
      w.outcome.kind === 'done' ? (
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
            onClick={() => void w.start({ compact: w.compact, saveCopy: w.saveCopy })}
          >
            Try the {kind} again
          </button>
        </>
      );
  }
  const step = w.running ? 'run' : 'result';

  return (
    <Dialog
      open={w.open}
      wide
      title={title}
      onClose={w.close}
      onSubmit={submit}
      // Keyed by step: a reused <button> turning into "submit" during its own click would submit too.
      footer={<Fragment key={step}>{footer}</Fragment>}
    >
      <div className="backup-run-body" data-step={step} data-testid="wizard-step">
        {body}
      </div>
    </Dialog>
  );
}

function stageOf(p: Progress | undefined): BackupStage | null {
  return p && (BACKUP_STAGES as readonly string[]).includes(p.phase)
    ? (p.phase as BackupStage)
    : null;
}

/** The current stage's bytes in words. */
function bytesLine(stage: BackupStage | null, p: Progress | undefined): string {
  if (!p || !stage) return 'Waiting for the first progress report';
  const of = `${formatBytes(p.done)} of ${formatBytes(p.total)}`;
  switch (stage) {
    case 'snapshot':
      return `${of} copied`;
    case 'verify':
      return p.done >= p.total ? `${of} hashed; quick_check still running` : `${of} hashed`;
    case 'finalize':
      return 'Syncing to disk and renaming into place';
    case 'offsite':
      return p.done === 0
        ? `Writing the copy (${formatBytes(p.total)})`
        : `${of} read back and hashed`;
    case 'done':
      return formatBytes(p.total);
  }
}

function RunProgress(props: {
  progress: Progress | undefined;
  compact: boolean;
  cancelRequested: boolean;
}) {
  const { progress, compact, cancelRequested } = props;
  const stage = stageOf(progress);
  // One number for the label and the bar: the whole backup's, from the host (0 until it reports).
  const pct = progress?.percent ?? 0;
  const waiting = progress?.phase === 'waiting';
  const words = waiting
    ? 'Waiting for the scheduled backup that is running to finish'
    : stage === null
      ? 'Starting'
      : stage === 'snapshot' && compact
        ? 'Taking a snapshot, then stripping metrics and vacuuming'
        : STAGE_LABEL[stage];
  return (
    // Where the focus rests while it runs (never on Cancel): Enter here does nothing.
    <div className="run-step" tabIndex={-1} data-autofocus data-testid="backup-run">
      <StepProgress
        testIdPrefix="backup"
        text={stage === 'done' ? words : `${words}…`}
        label="Backup progress"
        pct={pct}
      >
        <span data-testid="backup-bytes">
          {waiting ? 'Yours starts as soon as it ends' : bytesLine(stage, progress)}
        </span>
        <span data-testid="backup-eta">
          {progress?.etaMs != null && pct < 100
            ? `about ${formatDuration(progress.etaMs)} left`
            : ''}
        </span>
      </StepProgress>
      <p className="muted small">
        {cancelRequested
          ? 'Cancelling: the half-written file is being removed.'
          : 'You can hide this window: the backup continues and you will be told when it finishes.'}
      </p>
    </div>
  );
}

function Result({ outcome }: { outcome: Outcome }) {
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

/** Where it is, its size and its verified state, in one line. */
function verifiedWords(entry: BackupEntry): string {
  switch (entry.verification.state) {
    case 'verified':
      return 'verified';
    case 'failed':
      return 'its restore drill failed';
    case 'damaged':
      return 'damaged';
    default:
      return 'not verified yet (no restore drill has opened it)';
  }
}

function DoneResult(props: { entry: BackupEntry; finishedDespiteCancel: boolean }) {
  const { entry, finishedDespiteCancel } = props;
  const status = useApp((s) => s.status);
  const copy = useBackupWizard((s) => s.copy);
  const saveCopyNow = useBackupWizard((s) => s.saveCopyNow);
  const close = useBackupWizard((s) => s.close);
  const go = useNav((s) => s.go);
  const openBackup = useNav((s) => s.openBackup);
  const showVerify = useVerifyWizard((s) => s.show);
  const folder = status ? backupsFolderOf(status.dataDir) : 'the backups folder';
  const compaction = entry.manifest?.compaction;
  return (
    <div className="result">
      <div className="result-banner result-ok" role="status">
        <Icon name="check" size={20} />
        <div>
          <strong>
            Backup written, checked and hashed <KindBadge entry={entry} />
          </strong>
          <p data-testid="backup-result-line">
            {finishedDespiteCancel
              ? 'It had already finished when Cancel arrived, so it was kept. '
              : ''}
            In <span className="path">{folder}</span>
            {entry.offsite.copied ? ' (and copied off-site)' : ''} ·{' '}
            <span title={`${formatCount(entry.bytes)} bytes`}>{formatBytes(entry.bytes)}</span> ·{' '}
            {entry.compact ? 'compact' : 'full'} ·{' '}
            {entry.verification.state === 'verified' ? (
              <span data-state="verified">{verifiedWords(entry)}</span>
            ) : (
              // Amber: a backup no drill has opened is not proven yet.
              <strong data-state={entry.verification.state}>{verifiedWords(entry)}</strong>
            )}
          </p>
        </div>
      </div>
      {compaction &&
        (compaction.smaller ? (
          <p className="result-note" data-testid="backup-compaction">
            Compact: {formatBytes(compaction.bytes)} instead of {formatBytes(compaction.liveBytes)}{' '}
            (the live database), {formatCount(compaction.strippedRows)} metrics and status rows
            stripped.
          </p>
        ) : (
          <div className="safety-row safety-warn" data-testid="backup-compaction">
            <Icon name="warning" />
            <div>
              <strong>Compact is not smaller</strong>
              <p>{compaction.reason}</p>
            </div>
          </div>
        ))}
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
      <details className="result-details">
        <summary>What the manifest records</summary>
        <ManifestFacts entry={entry} testIdPrefix="result" />
      </details>
    </div>
  );
}
