// Shown when the app cannot open its data directory (or cannot reach its host):
// the reason, the code, what to do, and where to look. Never blank.
import type { ReactNode } from 'react';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { Icon } from '../components/Icon.tsx';
import type { Refusal } from '../stores/app.ts';
import { useApp } from '../stores/app.ts';
import { RestoreWizard } from '../dialogs/RestoreWizard.tsx';
import { RefusalRestore } from './RefusalRestore.tsx';

/** Refusals where this process does not hold the data dir: a restore could not be promoted. */
const NO_RESTORE = new Set(['DATA_DIR_LOCKED', 'DATA_DIR_UNUSABLE']);

function Frame(props: { title: string; children: ReactNode }) {
  const start = useApp((s) => s.start);
  return (
    <main className="refusal" aria-labelledby="refusal-title">
      <div className="refusal-card">
        <div className="refusal-icon">
          <Icon name="warning" size={32} />
        </div>
        <h1 id="refusal-title">{props.title}</h1>
        {props.children}
        <div className="refusal-actions">
          <button type="button" className="button button-primary" onClick={() => void start()}>
            Try again
          </button>
        </div>
      </div>
    </main>
  );
}

export function RefusalScreen({ refusal }: { refusal: Refusal }) {
  return (
    <Frame title="Stateward did not open this data directory">
      <p className="refusal-message" data-testid="refusal-message">
        {refusal.message}
      </p>
      {refusal.hint && (
        <div className="refusal-hint">
          <strong>What you can do</strong>
          <p>{refusal.hint}</p>
        </div>
      )}
      <dl className="facts">
        <dt>Error code</dt>
        <dd>
          <code data-testid="refusal-code">{refusal.code}</code>
        </dd>
        <dt>Data directory</dt>
        <dd className="path">{refusal.dataDir}</dd>
        <dt>Log file</dt>
        <dd className="path">{refusal.logFile ?? 'No log file (logs go to the error output)'}</dd>
      </dl>
      <p className="muted small">
        Nothing in the data directory was changed. Stateward opens it again once the problem is
        fixed.
      </p>
      {!NO_RESTORE.has(refusal.code) && (
        <>
          <RefusalRestore />
          <RestoreWizard />
        </>
      )}
    </Frame>
  );
}

export function UnreachableScreen({ error }: { error: AppErrorShape }) {
  return (
    <Frame title="Stateward could not start">
      <p className="refusal-message">{error.message}</p>
      {error.hint && (
        <div className="refusal-hint">
          <strong>What you can do</strong>
          <p>{error.hint}</p>
        </div>
      )}
      <dl className="facts">
        <dt>Error code</dt>
        <dd>
          <code>{error.code}</code>
        </dd>
      </dl>
    </Frame>
  );
}
