// "Restore a backup": pick a backup (or, in Electron, any file) → the
// preflight summary (the copy is staged) → the restore drill with progress →
// the drill's report (export; re-bind secrets) → preview → promote (with a
// confirmation that says what happens) or discard. State: stores/restoreWizard.ts.
// The same wizard runs on the refusal screen, where the preview is shown here.
import { backupTitle } from '../names.ts';
import type { ReactNode } from 'react';
import { Fragment, useEffect, useRef, useState } from 'react';
import type { PreflightReport } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke, platform } from '../api.ts';
import { isUnsafeBackup, safeFirst, withHint } from '../backups.ts';
import { BackupPicker } from '../components/BackupPicker.tsx';
import { KindBadge, HashLine } from '../components/BackupFacts.tsx';
import { ComparisonView, PromoteLoss } from '../components/Comparison.tsx';
import { PromoteKeeps } from '../components/PromoteKeeps.tsx';
import { Dialog } from '../components/Dialog.tsx';
import {
  DrillSteps,
  DrillVerdict,
  ExportButtons,
  RestoreProgress,
} from '../components/DrillReport.tsx';
import { Icon } from '../components/Icon.tsx';
import { SecretsRebind } from '../components/SecretsRebind.tsx';
import { EmptyState, ErrorState, Loading } from '../components/States.tsx';
import { WizardSteps } from '../components/WizardSteps.tsx';
import { StepProgress } from '../components/ProgressBar.tsx';
import { useProgress } from '../stores/progress.ts';
import {
  formatAgo,
  formatBytes,
  formatCount,
  formatDuration,
  formatTime,
  formatTimeExact,
  plural,
} from '../format.ts';
import { useNow } from '../hooks/useNow.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { cannotOpenReason, referencesIn, unresolvedSecrets } from '../restores.ts';
import { useRevision } from '../stores/data.ts';
import type { RestoreStep } from '../stores/restoreWizard.ts';
import { useRestoreWizard } from '../stores/restoreWizard.ts';
import { FormError } from './FormError.tsx';

const STEPS: { step: RestoreStep; label: string }[] = [
  { step: 'pick', label: 'Backup' },
  { step: 'check', label: 'Check' },
  { step: 'restore', label: 'Restore' },
  { step: 'drill', label: 'Drill result' },
  { step: 'preview', label: 'Preview' },
  { step: 'promote', label: 'Promote' },
];

const TITLES: Record<RestoreStep, string> = {
  pick: 'Restore a backup',
  check: 'Check the backup',
  restore: 'Restoring into a copy…',
  drill: 'Restore drill',
  preview: 'Preview the restored copy',
  promote: 'Make the restored copy live?',
  done: 'The restored copy is live',
};

export function RestoreWizard() {
  const w = useRestoreWizard();
  const title =
    w.step === 'pick' && w.mode === 'refused' ? 'Restore an older backup' : TITLES[w.step];

  let body: ReactNode = null;
  let footer: ReactNode = null;
  let submit: (() => void) | undefined;
  const closeButton = (
    <button type="button" className="button" onClick={w.close}>
      Close
    </button>
  );

  switch (w.step) {
    case 'pick':
      body = <PickStep />;
      submit = () => void w.check();
      footer = (
        <>
          {closeButton}
          <button
            type="submit"
            className="button button-primary"
            aria-disabled={!w.choice || undefined}
          >
            {w.choice?.kind === 'upload' ? 'Upload and check this file' : 'Check this backup'}
          </button>
        </>
      );
      break;
    case 'check': {
      const report = w.staged?.report;
      body = <CheckStep />;
      if (w.busy) footer = closeButton;
      else if (report?.ok) {
        submit = () => void w.runDrill();
        footer = (
          <>
            <button type="button" className="button" onClick={() => void w.backToPick()}>
              Back
            </button>
            <button type="submit" className="button button-primary" data-autofocus autoFocus>
              <Icon name="restore" /> Restore and run the drill
            </button>
          </>
        );
      } else {
        submit = () => void w.backToPick();
        footer = (
          <>
            {closeButton}
            <button type="submit" className="button button-primary" autoFocus>
              Back: choose another backup
            </button>
          </>
        );
      }
      break;
    }
    case 'restore':
      body = w.error ? (
        <FormError error={w.error} />
      ) : (
        <>
          <RestoreProgress
            opId={w.opId}
            copiedBytes={w.staged?.report.facts.bytes ?? null}
            phase="drill"
          />
          <p className="muted small">
            The drill works on the copy in the restores folder; live data is not touched. You can
            close this window: the drill continues.
          </p>
        </>
      );
      footer = w.error ? (
        <>
          <button type="button" className="button" onClick={() => void w.discard()}>
            Discard copy
          </button>
          <button
            type="button"
            className="button button-primary"
            autoFocus
            onClick={() => void w.runDrill()}
          >
            Try again
          </button>
        </>
      ) : (
        closeButton
      );
      break;
    case 'drill': {
      const passed = w.drill?.passed ?? false;
      body = <DrillStepView />;
      const unresolved = w.drill ? unresolvedSecrets(w.drill) : [];
      const secretsSettled =
        unresolved.length === 0 ||
        w.secretsAcknowledged ||
        (w.secrets !== null && w.secrets.unresolved.length === 0);
      if (passed) {
        submit = secretsSettled ? w.toPreview : undefined;
        footer = (
          <>
            <button type="button" className="button" onClick={() => void w.discard()}>
              Discard copy
            </button>
            <button
              type="submit"
              className="button button-primary"
              aria-disabled={!secretsSettled || undefined}
              title={secretsSettled ? undefined : 'Decide about the secrets above first'}
              autoFocus={secretsSettled}
            >
              <Icon name="eye" /> Preview the copy
            </button>
          </>
        );
      } else {
        submit = () => void w.backToPick();
        footer = (
          <>
            <button type="button" className="button" onClick={() => void w.discard()}>
              Discard copy
            </button>
            <button type="submit" className="button button-primary" autoFocus>
              Choose another backup
            </button>
          </>
        );
      }
      break;
    }
    case 'preview':
      body = <InlinePreview />;
      submit = w.toPromote;
      footer = (
        <>
          <button type="button" className="button" onClick={() => void w.discard()}>
            Discard copy
          </button>
          <button type="submit" className="button button-primary" autoFocus>
            Promote…
          </button>
        </>
      );
      break;
    case 'promote':
      body = <PromoteStep />;
      submit = () => void w.promote();
      footer = (
        <>
          <button
            type="button"
            className="button"
            data-autofocus
            autoFocus
            disabled={w.busy === 'promote'}
            onClick={w.backFromPromote}
          >
            {w.drill || w.mode === 'refused' ? 'Back' : 'Cancel'}
          </button>
          <button
            type="submit"
            className="button button-danger-solid"
            aria-disabled={w.busy === 'promote' || undefined}
          >
            {w.busy === 'promote' ? 'Promoting…' : 'Promote: make this copy live'}
          </button>
        </>
      );
      break;
    case 'done':
      body = <DoneStep />;
      submit = () => void w.finish();
      footer = (
        <button type="submit" className="button button-primary" autoFocus data-autofocus>
          {w.mode === 'refused' ? 'Open Stateward' : 'Done'}
        </button>
      );
      break;
  }

  return (
    <Dialog
      open={w.open}
      wide
      title={title}
      onClose={w.step === 'done' ? () => void w.finish() : w.close}
      onSubmit={submit}
      footer={<Fragment key={`${w.step}-${w.busy ?? ''}`}>{footer}</Fragment>}
    >
      <WizardSteps
        steps={STEPS}
        current={w.step === 'done' ? 'promote' : w.step}
        finished={w.step === 'done'}
      />
      <div
        className="wizard-body wizard-roomy restore-wizard"
        data-step={w.step}
        data-testid="restore-step"
      >
        {body}
      </div>
    </Dialog>
  );
}

function PickStep() {
  const w = useRestoreWizard();
  const rev = useRevision('backups');
  const list = useQuery('restore-pick-backups', () => invoke('backups.list', {}), rev);
  const startup = useQuery('app-startup', () => invoke('app.startup', {}));
  const now = useNow();
  const [fileError, setFileError] = useState<AppErrorShape | null>(null);
  const ref = useRef<HTMLDivElement>(null);
  const appSchema = startup.data?.appSchemaVersion ?? null;
  const entries = list.data ?? [];
  const { choice, choose, preselect, mode } = w;

  // Preselect once the list is in: the backup asked for, else (on the refusal
  // screen) the newest pre-upgrade backup, else the newest one this version opens.
  const listed = list.data;
  useEffect(() => {
    if (choice || appSchema === null || !listed) return;
    // A failed or damaged backup is never preselected (unless asked for by name).
    const openable = safeFirst(listed.filter((e) => !cannotOpenReason(e, appSchema)));
    const pick =
      openable.find((e) => e.id === preselect) ??
      (mode === 'refused'
        ? openable.find((e) => e.kind === 'pre-upgrade' && !isUnsafeBackup(e))
        : undefined) ??
      openable[0];
    if (pick) choose({ kind: 'backup', entry: pick });
  }, [choice, appSchema, listed, preselect, mode, choose]);

  // Focus the chosen row once the list has rendered (the dialog opened before it loaded).
  const loaded = appSchema !== null && list.data !== undefined;
  useEffect(() => {
    if (!loaded) return;
    const el =
      ref.current?.querySelector<HTMLInputElement>('input[name="backup-pick"]:checked') ??
      ref.current?.querySelector<HTMLInputElement>('input[name="backup-pick"]:not(:disabled)');
    el?.focus();
  }, [loaded]);

  async function chooseFile() {
    setFileError(null);
    const r = await invoke('dialog.openFile', { title: 'Choose a Stateward backup file' });
    if (!r.ok) setFileError(withHint(r.error));
    else if (r.value.path) choose({ kind: 'file', path: r.value.path });
  }

  if (list.error) return <ErrorState error={list.error} onRetry={list.reload} />;
  if (startup.error) return <ErrorState error={startup.error} onRetry={startup.reload} />;
  if (!list.data || appSchema === null) return <Loading label="Listing backups…" />;
  const openable = entries.filter((e) => !cannotOpenReason(e, appSchema)).length;

  return (
    <div className="restore-pick" ref={ref}>
      <p className="muted">
        {mode === 'refused'
          ? `Choose a backup this version can open (schema ${appSchema} or older). It is restored into a separate copy and checked first; the refused database is only replaced when you promote, and it is kept as a pre-restore backup.`
          : 'The backup is restored into a separate copy and checked there. Live data is not touched unless you promote the copy at the end.'}
      </p>
      {entries.length === 0 ? (
        <EmptyState icon="backup" title="No backups in the backups folder">
          {platform === 'electron'
            ? 'Choose a backup file from elsewhere instead.'
            : 'Upload a backup file from this computer instead.'}
        </EmptyState>
      ) : (
        <>
          <BackupPicker
            legend={`Which backup? ${formatCount(openable)} of ${formatCount(entries.length)} can be restored by this version.`}
            entries={entries}
            appSchemaVersion={appSchema}
            now={now}
            selected={choice?.kind === 'backup' ? [choice.entry.id] : []}
            recommendPreUpgrade={mode === 'refused'}
            onChange={(id, on) => {
              const entry = entries.find((e) => e.id === id);
              if (on && entry) choose({ kind: 'backup', entry });
            }}
          />
        </>
      )}
      {platform === 'browser' && <UploadPick />}
      {platform === 'electron' && (
        <div className="restore-file">
          <button type="button" className="button" onClick={() => void chooseFile()}>
            <Icon name="projects" /> Choose a file…
          </button>
          {choice?.kind === 'file' ? (
            <span className="path" data-testid="restore-file-choice">
              {choice.path}
            </span>
          ) : (
            <span className="muted small">
              A backup from another machine, a USB drive, or a copy made with sqlite3 .backup.
            </span>
          )}
        </div>
      )}
      <FormError error={fileError} />
    </div>
  );
}

/** The browser host: a file on this computer, chosen or dropped, is uploaded when the check starts. */
function UploadPick() {
  const { choice, choose } = useRestoreWizard();
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const take = (files: FileList | null) => {
    const file = files?.[0];
    if (file) choose({ kind: 'upload', file });
  };
  return (
    <div
      className={over ? 'restore-file restore-drop restore-drop-over' : 'restore-file restore-drop'}
      data-testid="restore-upload"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        take(e.dataTransfer.files);
      }}
    >
      <input
        ref={input}
        type="file"
        hidden
        accept=".sqlite,.sqlite3,.db,application/vnd.sqlite3,application/x-sqlite3"
        onChange={(e) => {
          take(e.target.files);
          e.target.value = '';
        }}
      />
      <button type="button" className="button" onClick={() => input.current?.click()}>
        <Icon name="projects" /> Upload a file…
      </button>
      {choice?.kind === 'upload' ? (
        <span className="inline-facts" data-testid="restore-file-choice">
          <span className="path">{choice.file.name}</span>
          <span className="muted">{formatBytes(choice.file.size)}</span>
        </span>
      ) : (
        <span className="muted small">
          Or drop a backup file here: from another machine, a USB drive, or a copy made with sqlite3
          .backup. It is sent to this host, checked and copied there; never opened in place.
        </span>
      )}
    </div>
  );
}

/** Sending the file to the host, then (same operation) the host's check and copy. */
function UploadProgress({ opId, file }: { opId: string | null; file: File }) {
  const progress = useProgress((s) => (opId ? s.ops[opId] : undefined));
  if (progress && progress.phase !== 'upload')
    return <RestoreProgress opId={opId} copiedBytes={null} phase="copy" />;
  const pct =
    progress && progress.total > 0 ? Math.round((progress.done / progress.total) * 100) : 0;
  const text = `Uploading ${file.name}`;
  return (
    <div className="run-step" data-testid="upload-progress">
      <StepProgress testIdPrefix="upload" text={text} label={text} pct={pct}>
        <span data-testid="upload-bytes">
          {formatBytes(progress?.done ?? 0)} of {formatBytes(file.size)} sent
          {progress?.etaMs ? ` · about ${formatDuration(progress.etaMs)} left` : ''}
        </span>
      </StepProgress>
      <p className="muted small">
        Then the host checks the file and copies it into a private folder; live data is not touched.
      </p>
    </div>
  );
}

function factsRow(label: string, value: ReactNode, testId?: string) {
  return (
    <Fragment key={label}>
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </Fragment>
  );
}

function migrationLine(report: PreflightReport): ReactNode {
  const f = report.facts;
  if (f.schemaVersion < f.appSchemaVersion) {
    return (
      <>
        <strong data-testid="preflight-migration">
          Will migrate {f.schemaVersion} → {f.appSchemaVersion}
        </strong>
        {f.pendingMigrations.length > 0 && (
          <span className="muted small"> ({f.pendingMigrations.join(', ')}, on the copy only)</span>
        )}
      </>
    );
  }
  return (
    <span data-testid="preflight-migration">
      Schema {f.schemaVersion}, the same as this version: nothing to migrate
    </span>
  );
}

function CheckStep() {
  const w = useRestoreWizard();
  if (w.busy === 'preflight') {
    return w.choice?.kind === 'upload' ? (
      <UploadProgress opId={w.opId} file={w.choice.file} />
    ) : (
      <RestoreProgress opId={w.opId} copiedBytes={null} phase="copy" />
    );
  }
  if (w.error) return <FormError error={w.error} />;
  const report = w.staged?.report;
  if (!report) return <Loading />;
  const f = report.facts;

  if (!report.ok) {
    return (
      <div className="preflight-refused" role="alert" data-testid="preflight-refused">
        <div className="result-banner result-fail">
          <Icon name="error" size={20} />
          <div>
            <strong>This file cannot be restored</strong>
            <p data-testid="preflight-reason">{report.reason}</p>
          </div>
        </div>
        {report.hint && (
          <div className="refusal-hint">
            <strong>What you can do</strong>
            <p data-testid="preflight-hint">{report.hint}</p>
          </div>
        )}
        <dl className="facts facts-compact">
          {factsRow('Error code', <code data-testid="preflight-code">{report.code}</code>)}
          {factsRow('File', <span className="path">{f.fileName}</span>)}
          {factsRow('Size', formatBytes(f.bytes))}
        </dl>
        <p className="muted small">Nothing was copied or changed. Live data is untouched.</p>
      </div>
    );
  }

  return (
    <div className="preflight" data-testid="preflight-summary">
      <div className="result-banner result-ok" role="status">
        <Icon name="check" size={20} />
        <div>
          <strong>The file checks out and is copied into a private folder</strong>
          <p>{report.reason}</p>
        </div>
      </div>
      <dl className="facts facts-compact">
        {factsRow('File', <span className="path">{f.fileName}</span>, 'preflight-file')}
        {factsRow(
          'Size',
          <span title={`${formatCount(f.bytes)} bytes`}>{formatBytes(f.bytes)}</span>,
          'preflight-size',
        )}
        {f.kind &&
          factsRow(
            'Backup',
            <span className="inline-facts">
              <KindBadge entry={{ kind: f.kind }} />
              {f.createdAt !== null && (
                <span title={formatTimeExact(f.createdAt)}>taken {formatTime(f.createdAt)}</span>
              )}
              {f.appVersion && <span className="muted">by Stateward {f.appVersion}</span>}
            </span>,
          )}
        {factsRow(
          'SHA-256',
          <span className="hash-fact">
            {f.manifest === 'sidecar' ? (
              <span className="pill pill-ok" data-testid="preflight-hash">
                <Icon name="check" size={12} /> matches the manifest
              </span>
            ) : (
              <span className="pill pill-warn" data-testid="preflight-hash">
                <Icon name="warning" size={12} />
                {f.manifest === 'embedded' ? 'no manifest file beside it' : 'no manifest'}
              </span>
            )}
            {f.sha256 && <HashLine sha256={f.sha256} testId="preflight-sha256" />}
          </span>,
        )}
        {factsRow('Schema', migrationLine(report))}
        {f.rowCounts &&
          factsRow(
            'Contents',
            `${plural(f.rowCounts['projects'] ?? 0, 'project')} · ${plural(f.rowCounts['environments'] ?? 0, 'environment')} · ${plural(f.rowCounts['deployments'] ?? 0, 'deployment')}`,
          )}
      </dl>
      {f.manifest !== 'sidecar' && (
        <div className="safety-row safety-warn" data-testid="preflight-no-manifest">
          <Icon name="warning" />
          <div>
            <strong>No recorded hash to compare with</strong>
            <p>
              {f.manifest === 'embedded'
                ? 'There is no manifest file beside it; its facts were read from inside the file. '
                : 'It was not made by Stateward’s backup (or its manifest is missing). '}
              The drill checks it on its own merits: integrity, migrations, booting and your data.
            </p>
          </div>
        </div>
      )}
      {report.warnings.length > 0 && (
        <ul className="safety-list" aria-label="Warnings">
          {report.warnings.map((warning) => (
            <li key={warning} className="safety-row safety-warn">
              <Icon name="warning" />
              <div>
                <p>{warning}</p>
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function DrillStepView() {
  const w = useRestoreWizard();
  if (!w.drill) return <Loading />;
  const unresolved = unresolvedSecrets(w.drill);
  return (
    <div className="drill-result">
      <DrillVerdict report={w.drill} />
      <DrillSteps report={w.drill} />
      <div className="drill-export">
        <span className="muted small">Keep the evidence:</span>
        <ExportButtons drillId={w.drill.id} small />
      </div>
      {w.drill.passed && unresolved.length > 0 && <SecretsRebind report={w.drill} />}
    </div>
  );
}

/** On the refusal screen the app cannot switch to the copy, so the preview is shown here. */
function InlinePreview() {
  const w = useRestoreWizard();
  const restoreId = w.copy?.restoreId ?? '';
  const compare = useQuery(`compare:${restoreId}`, () => invoke('restores.compare', { restoreId }));
  const projects = useQuery(`preview-projects:${restoreId}`, () =>
    invoke('projects.list', { restoreId, limit: 8 }),
  );
  const recent = useQuery(`preview-deployments:${restoreId}`, () =>
    invoke('deployments.list', { restoreId, limit: 5 }),
  );
  return (
    <div className="inline-preview" data-testid="inline-preview">
      <div className="preview-note">
        <Icon name="eye" />
        <span>
          <strong>Restored copy — read-only.</strong> {w.copy?.fileName}
          {w.copy?.createdAt ? `, taken ${formatTime(w.copy.createdAt)}` : ''}
        </span>
      </div>
      <section aria-labelledby="inline-projects">
        <h3 id="inline-projects" className="inline-title">
          Projects in the copy{projects.data ? ` (${formatCount(projects.data.total)})` : ''}
        </h3>
        {projects.error ? (
          <ErrorState error={projects.error} onRetry={projects.reload} />
        ) : !projects.data ? (
          <Loading />
        ) : projects.data.total === 0 ? (
          <p className="muted">No projects.</p>
        ) : (
          <ul className="inline-list" data-testid="inline-projects">
            {projects.data.items.map((p) => (
              <li key={p.id}>
                <strong>{p.name}</strong>
                <span className="muted small">
                  {plural(p.environmentCount, 'environment')} ·{' '}
                  {plural(p.deploymentCount, 'deployment')}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      {recent.data && recent.data.items.length > 0 && (
        <section aria-labelledby="inline-deployments">
          <h3 id="inline-deployments" className="inline-title">
            Latest deployments in the copy
          </h3>
          <ul className="inline-list">
            {recent.data.items.map((d) => (
              <li key={d.id}>
                <span>
                  <strong>{d.projectName}</strong> / {d.environmentName}{' '}
                  <span className="mono muted">{d.version}</span>
                </span>
                <span className="muted small">
                  {d.status} · {formatTime(d.startedAt)}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section aria-labelledby="inline-compare">
        <h3 id="inline-compare" className="inline-title">
          What the copy holds
        </h3>
        {compare.error ? (
          <ErrorState error={compare.error} onRetry={compare.reload} />
        ) : !compare.data ? (
          <Loading />
        ) : (
          <ComparisonView data={compare.data} />
        )}
      </section>
    </div>
  );
}

function PromoteStep() {
  const w = useRestoreWizard();
  const copy = w.copy;
  const restoreId = copy?.restoreId ?? '';
  const compare = useQuery(`compare:${restoreId}`, () => invoke('restores.compare', { restoreId }));
  // Unlocking (here or anywhere) changes what resolves: read the copy's references again.
  const keysRev = useRevision('secrets');
  const secrets = useQuery(
    `restore-secrets:${restoreId}`,
    () => invoke('restores.secrets', { restoreId }),
    keysRev,
  );
  const now = useNow();
  if (!copy) return null;
  const c = compare.data;
  const count = (t: string) => c?.tables.find((x) => x.table === t);
  const projects = count('projects');
  const deployments = count('deployments');
  const refused = w.mode === 'refused';
  const unresolved = secrets.data ? referencesIn(secrets.data, ['missing']).length : 0;
  const locked = secrets.data ? referencesIn(secrets.data, ['locked', 'wrong']).length : 0;
  return (
    <div className="promote" data-testid="promote-confirm">
      <p>
        The copy of{' '}
        <strong title={copy.fileName}>
          {backupTitle({ fileName: copy.fileName, createdAt: copy.createdAt })}
        </strong>
        {copy.createdAt !== null && (
          <>
            {' '}
            (taken{' '}
            <span title={formatTimeExact(copy.createdAt)}>{formatAgo(copy.createdAt, now)}</span>)
          </>
        )}{' '}
        passed its restore drill. Promoting it does exactly this:
      </p>
      <ol className="promote-steps">
        <li>
          <strong>
            A pre-restore backup of the {refused ? 'refused' : 'current live'} data is taken
          </strong>{' '}
          and listed under Backups, so this can be undone by restoring it.
          {refused && ' It stays readable by the newer version that wrote it.'}
        </li>
        <li>
          <strong>The copy becomes live:</strong> Stateward closes the live database, moves it (with
          its -wal and -shm files) aside, renames the copy into its place, syncs the folder and
          opens it. If anything fails midway, the old data stays live.
        </li>
        <li>
          <strong>From then on you see the backup’s data.</strong>{' '}
          {refused
            ? 'Anything written by the newer version is only in the pre-restore backup.'
            : 'Changes made after the backup was taken are only in the pre-restore backup.'}
        </li>
      </ol>
      <PromoteKeeps />
      {c && projects && deployments && projects.live !== null && deployments.live !== null && (
        <div className="promote-diff" data-testid="promote-diff">
          <span>
            Projects: {formatCount(projects.live)} now →{' '}
            <strong>{formatCount(projects.copy)}</strong>
          </span>
          <span>
            Deployments: {formatCount(deployments.live)} now →{' '}
            <strong>{formatCount(deployments.copy)}</strong>
          </span>
        </div>
      )}
      {/* By name: what live has that the copy lacks (needs live open, so not on the refusal screen). */}
      {!refused && restoreId && <PromoteLoss restoreId={restoreId} />}
      {unresolved > 0 && (
        <div className="safety-row safety-warn">
          <Icon name="warning" />
          <div>
            <strong>
              {formatCount(unresolved)} secret {unresolved === 1 ? 'value' : 'values'} will need to
              be entered again
            </strong>
            <p>This machine does not have the key that encrypted them.</p>
          </div>
        </div>
      )}
      {locked > 0 && (
        <div className="safety-row safety-info" data-testid="promote-secrets-locked">
          <Icon name="lock" />
          <div>
            <strong>
              {formatCount(locked)} secret {locked === 1 ? 'value is' : 'values are'} locked, not
              missing
            </strong>
            <p>
              This machine holds their key: unlock with the passphrase (Keys &amp; secrets) to use
              them.
            </p>
          </div>
        </div>
      )}
      <FormError error={w.error} />
    </div>
  );
}

function DoneStep() {
  const w = useRestoreWizard();
  const pre = w.promoted?.preRestoreBackup ?? false;
  return (
    <div className="result">
      <div className="result-banner result-ok" role="status" data-testid="promote-done">
        <Icon name="check" size={20} />
        <div>
          <strong>The restored copy is now live</strong>
          <p>
            {pre
              ? 'A pre-restore backup of the previous data was taken first; it is listed under Backups.'
              : 'There was no previous data to back up (or it could not be read); any old files were kept aside in the data directory.'}
          </p>
        </div>
      </div>
      <p className="muted">
        {w.mode === 'refused'
          ? 'Stateward can open its data directory again.'
          : 'Every screen now shows the restored data.'}
      </p>
    </div>
  );
}
