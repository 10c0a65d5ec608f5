// The restore wizard's answer to a drill whose secret references did not all
// resolve, following each key's state: a key this machine holds but has locked
// is unlocked with the passphrase first (the recovery key is the fallback); a key
// it does not have takes the recovery key of the machine that stored it (or the
// values are entered again after promoting). Any unlock — here, on Keys &
// secrets, in another window — checks the copy again, without a reload.
import type { KeyboardEvent } from 'react';
import { useEffect, useState } from 'react';
import type { DrillReport, SecretResolution } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke } from '../api.ts';
import { FormError } from '../dialogs/FormError.tsx';
import { formatCount } from '../format.ts';
import { referencesIn, secretsResolution } from '../restores.ts';
import { useRevision } from '../stores/data.ts';
import { useRestoreWizard } from '../stores/restoreWizard.ts';
import { useSecretsStatus } from '../stores/secrets.ts';
import { Icon } from './Icon.tsx';
import { SecretUnlockForm } from './SecretUnlockForm.tsx';

type Refs = SecretResolution['unresolved'];

const refName = (u: Refs[number]) => `${u.project}/${u.environment} ${u.name}`;
const keyIdsOf = (refs: Refs) => [...new Set(refs.map((u) => u.keyId).filter(Boolean))];

function RefList({ refs }: { refs: Refs }) {
  return (
    <ul className="rebind-list">
      {refs.slice(0, 8).map((u) => (
        <li key={`${u.project}/${u.environment}/${u.name}`}>
          <span className="muted">
            {u.project} / {u.environment}
          </span>{' '}
          <code>{u.name}</code>
        </li>
      ))}
      {refs.length > 8 && <li className="muted">and {refs.length - 8} more</li>}
    </ul>
  );
}

/** Reads the copy's references again whenever the keys change, and once on mount. */
function useRecheck(restoreId: string | null): void {
  const rev = useRevision('secrets');
  useEffect(() => {
    if (!restoreId) return;
    let live = true;
    void invoke('restores.secrets', { restoreId }).then((r) => {
      if (live && r.ok && useRestoreWizard.getState().copy?.restoreId === restoreId)
        useRestoreWizard.setState({ secrets: r.value });
    });
    return () => {
      live = false;
    };
  }, [restoreId, rev]);
}

export function SecretsRebind({ report }: { report: DrillReport }) {
  const w = useRestoreWizard();
  const { status } = useSecretsStatus();
  const [recovery, setRecovery] = useState(false);
  useRecheck(w.copy?.restoreId ?? null);
  const current = w.secrets ?? secretsResolution(report);
  if (!current || current.total === 0) return null;
  if (current.unresolved.length === 0) {
    return (
      <div className="safety-row safety-ok" role="status" data-testid="secrets-resolved">
        <Icon name="check" />
        <div>
          <strong>Every secret reference resolves now</strong>
          <p>
            {formatCount(current.total)} of {formatCount(current.total)} resolve with the key you
            unlocked (no value was shown).
          </p>
        </div>
      </div>
    );
  }
  const locked = referencesIn(current, ['locked', 'wrong']);
  const missing = referencesIn(current, ['missing']);
  if (w.secretsAcknowledged) {
    return (
      <div className="safety-row safety-info" data-testid="secrets-acknowledged">
        <Icon name="info" />
        <div>
          <strong>
            {missing.length > 0
              ? `You will enter ${missing.length === 1 ? 'this value' : 'these values'} again after promoting`
              : 'Not checked: unlock secrets with the passphrase after promoting'}
          </strong>
          <p>{(missing.length > 0 ? missing : locked).map(refName).join(', ')}</p>
        </div>
      </div>
    );
  }
  return (
    <section
      className="rebind"
      aria-labelledby="rebind-title"
      data-testid="secrets-rebind"
      data-key-state={current.keyState ?? undefined}
    >
      {locked.length > 0 && (
        <div className="safety-row safety-warn" data-testid="secrets-locked">
          <Icon name="lock" />
          <div>
            <strong id="rebind-title">
              {formatCount(locked.length)} secret{' '}
              {locked.length === 1 ? 'reference is' : 'references are'} locked, not missing
            </strong>
            <p>
              This machine holds {keyIdsOf(locked).length === 1 ? 'the key' : 'the keys'} (
              <code>{keyIdsOf(locked).join(', ')}</code>) that encrypted{' '}
              {locked.length === 1 ? 'it' : 'them'};{' '}
              {keyIdsOf(locked).length === 1 ? 'it is' : 'they are'} just locked. Unlock with the
              passphrase and {locked.length === 1 ? 'it is' : 'they are'} checked again; no recovery
              key is needed.
            </p>
            <RefList refs={locked} />
          </div>
        </div>
      )}
      {locked.length > 0 &&
        status?.initialized &&
        !status.unlocked &&
        (recovery ? (
          <RecoveryKeyForm needed={keyIdsOf(locked)} onCancel={() => setRecovery(false)} />
        ) : (
          <SecretUnlockForm status={status} embedded={{ onRecoveryKey: () => setRecovery(true) }} />
        ))}
      {missing.length > 0 && <MissingKeys missing={missing} titled={locked.length === 0} />}
      <div className="button-row">
        <button type="button" className="button" onClick={w.acknowledgeSecrets}>
          {missing.length > 0
            ? 'I’ll enter the values again after promoting'
            : 'Continue without checking them'}
        </button>
      </div>
    </section>
  );
}

/** References whose key this machine does not have: the recovery key of the machine that stored them. */
function MissingKeys({ missing, titled }: { missing: Refs; titled: boolean }) {
  const [asking, setAsking] = useState(false);
  const needed = keyIdsOf(missing);
  return (
    <>
      <div className="safety-row safety-warn" data-testid="secrets-missing">
        <Icon name="warning" />
        <div>
          <strong id={titled ? 'rebind-title' : undefined}>
            {formatCount(missing.length)} secret{' '}
            {missing.length === 1 ? 'reference needs' : 'references need'} to be re-bound
          </strong>
          <p>
            This machine does not have the key
            {needed.length > 0 && (
              <>
                {' '}
                (<code>{needed.join(', ')}</code>)
              </>
            )}{' '}
            that encrypted {missing.length === 1 ? 'it' : 'them'}:
          </p>
          <RefList refs={missing} />
        </div>
      </div>
      {asking ? (
        <RecoveryKeyForm needed={needed} onCancel={() => setAsking(false)} />
      ) : (
        <div className="button-row">
          <button type="button" className="button" onClick={() => setAsking(true)}>
            <Icon name="shield" /> Unlock with recovery key
          </button>
        </div>
      )}
    </>
  );
}

/** The recovery key (and an optional passphrase to keep it here), inline: no nested form. */
function RecoveryKeyForm({ needed, onCancel }: { needed: string[]; onCancel(): void }) {
  const w = useRestoreWizard();
  const [key, setKey] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppErrorShape | null>(null);

  async function unlock() {
    if (busy) return;
    if (key.trim().length < 10) {
      setError({
        code: 'BAD_INPUT',
        message: 'Enter the recovery key (it looks like SWRK-XXXX-…).',
      });
      return;
    }
    setBusy(true);
    setError(null);
    const e = await w.unlockSecrets(key.trim(), passphrase);
    setBusy(false);
    const after = useRestoreWizard.getState().secrets;
    // A valid recovery key, but of another key: say which key these references need.
    if (!e && after?.keys.some((k) => needed.includes(k.keyId) && k.state !== 'unlocked'))
      setError({
        code: 'SECRETS_RECOVERY_KEY_INVALID',
        message: `That recovery key opens another key; these references need key ${needed.join(', ')}. Use the recovery key of the machine that stored them.`,
      });
    else setError(e);
  }

  const enter = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      void unlock();
    }
  };
  return (
    <div className="rebind-form">
      <div className="field">
        <label htmlFor="rebind-key">Recovery key</label>
        <input
          id="rebind-key"
          className="input input-mono"
          autoComplete="off"
          spellCheck={false}
          placeholder="SWRK-XXXX-XXXX-…"
          value={key}
          autoFocus
          onChange={(e) => {
            setKey(e.target.value);
            setError(null);
          }}
          onKeyDown={enter}
        />
        <p className="field-help">
          The key shown once when secrets were set up on the machine that stored them.
        </p>
      </div>
      <div className="field">
        <label htmlFor="rebind-pass">
          Passphrase <span className="field-optional">(optional)</span>
        </label>
        <input
          id="rebind-pass"
          className="input"
          type="password"
          autoComplete="new-password"
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
          onKeyDown={enter}
        />
        <p className="field-help">
          To keep the key on this machine, protected by this passphrase (at least 8 characters).
        </p>
      </div>
      <FormError error={error} />
      <div className="button-row">
        <button type="button" className="button button-primary" onClick={() => void unlock()}>
          {busy ? 'Unlocking…' : 'Unlock and check again'}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
