// Unlock secrets on this machine: with the passphrase, or — where the key file or
// the OS keychain holds a wrap of the key — without one; the recovery key is
// one click away. The passphrase stays in its input and is read once on submit.
import { useRef, useState } from 'react';
import type { SecretsStatus } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke } from '../api.ts';
import { FormError } from '../dialogs/FormError.tsx';
import { SecretRecoveryUnlockDialog } from '../dialogs/SecretRecoveryUnlockDialog.tsx';
import { useSecrets } from '../stores/secrets.ts';
import { toastSuccess } from '../stores/toasts.ts';
import { Field } from './Field.tsx';
import { Icon } from './Icon.tsx';
import { SecretInput } from './SecretInput.tsx';

export function SecretUnlockForm({ status }: { status: SecretsStatus }) {
  const apply = useSecrets((s) => s.apply);
  const passRef = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [formError, setFormError] = useState<AppErrorShape | null>(null);
  const [busy, setBusy] = useState(false);
  const [recovering, setRecovering] = useState(false);
  const byPassphrase = status.providers.includes('passphrase');
  const withoutPassphrase = status.providers.filter((p) => p !== 'passphrase');

  async function unlock(usePassphrase: boolean) {
    if (busy) return;
    let passphrase: string | undefined;
    if (usePassphrase) {
      passphrase = passRef.current?.value ?? '';
      if (passphrase === '') {
        setError('Enter the passphrase.');
        return;
      }
    }
    setBusy(true);
    setFormError(null);
    const r = await invoke('secrets.unlock', passphrase === undefined ? {} : { passphrase });
    setBusy(false);
    if (r.ok) {
      if (passRef.current) passRef.current.value = '';
      apply(r.value);
      toastSuccess('Secrets unlocked', 'They stay unlocked until Stateward stops.');
      return;
    }
    if (r.error.code === 'SECRETS_WRONG_PASSPHRASE') {
      setError(r.error.message);
      passRef.current?.select();
    } else setFormError(r.error);
  }

  return (
    <>
      <form
        className="secret-unlock"
        aria-label="Unlock secrets"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void unlock(byPassphrase);
        }}
      >
        <div className="secret-unlock-head">
          <Icon name="lock" size={20} />
          <div>
            <strong>Secrets are locked</strong>
            <p className="muted small">
              {byPassphrase
                ? 'Enter the passphrase to add, update or reveal secrets. It is asked once after Stateward starts and never stored.'
                : 'Unlock to add, update or reveal secrets.'}
            </p>
          </div>
        </div>
        <FormError error={formError} />
        {byPassphrase && (
          <div className="secret-unlock-row">
            <Field label="Passphrase" error={error ?? undefined}>
              <SecretInput
                inputRef={passRef}
                what="passphrase"
                autoComplete="current-password"
                maxLength={1024}
                onChange={() => setError(null)}
              />
            </Field>
            <button type="submit" className="button button-primary" disabled={busy}>
              <Icon name="unlock" /> {busy ? 'Unlocking…' : 'Unlock'}
            </button>
          </div>
        )}
        <div className="button-row">
          {withoutPassphrase.length > 0 && (
            <button
              type="button"
              className={byPassphrase ? 'button' : 'button button-primary'}
              disabled={busy}
              onClick={() => void unlock(false)}
            >
              <Icon name="unlock" />{' '}
              {withoutPassphrase.includes('os-keychain')
                ? 'Unlock with the OS keychain'
                : 'Unlock with the key file'}
            </button>
          )}
          <button type="button" className="link-button small" onClick={() => setRecovering(true)}>
            Unlock with recovery key instead
          </button>
        </div>
      </form>
      {recovering && (
        <SecretRecoveryUnlockDialog status={status} onClose={() => setRecovering(false)} />
      )}
    </>
  );
}
