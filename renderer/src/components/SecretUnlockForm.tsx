// Unlock secrets on this machine: with the passphrase, or — where the key file or
// the OS keychain holds a wrap of the key — without one; the recovery key is
// one click away. The passphrase stays in its input and is read once on submit.
import type { HTMLAttributes } from 'react';
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

export function SecretUnlockForm({
  status,
  embedded,
}: {
  status: SecretsStatus;
  /**
   * Inside another form (the restore wizard's dialog): no nested <form> — Enter in the
   * passphrase unlocks — and the recovery key is offered by the host's own inline form.
   */
  embedded?: { onRecoveryKey(): void };
}) {
  const apply = useSecrets((s) => s.apply);
  const passRef = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [formError, setFormError] = useState<AppErrorShape | null>(null);
  const [busy, setBusy] = useState(false);
  const [recovering, setRecovering] = useState(false);
  const byPassphrase = status.providers.includes('passphrase');
  const withoutPassphrase = status.providers.filter((p) => p !== 'passphrase');
  // A wrong passphrase tried here or in another window (core keeps the key 'wrong' until it opens).
  const [typing, setTyping] = useState(false);
  const wrongBefore =
    status.keyState === 'wrong' && !typing
      ? 'The last passphrase tried did not unlock the key.'
      : undefined;

  const Container = embedded ? EmbeddedForm : 'form';

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
      <Container
        className="secret-unlock"
        aria-label="Unlock secrets"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void unlock(byPassphrase);
        }}
        onKeyDown={(e) => {
          if (embedded && e.key === 'Enter' && (e.target as HTMLElement).tagName === 'INPUT') {
            e.preventDefault();
            void unlock(byPassphrase);
          }
        }}
      >
        <div className="secret-unlock-head">
          <Icon name="lock" size={20} />
          <div>
            <strong data-testid="unlock-key-state" data-key-state={status.keyState ?? undefined}>
              {status.keyState === 'wrong' ? 'Secrets are still locked' : 'Secrets are locked'}
            </strong>
            <p className="muted small">
              {byPassphrase
                ? 'The key is on this machine. Enter the passphrase to add, update, reveal or check secrets. It is asked once after Stateward starts and never stored.'
                : 'The key is on this machine. Unlock to add, update, reveal or check secrets.'}
            </p>
          </div>
        </div>
        <FormError error={formError} />
        {byPassphrase && (
          <div className="secret-unlock-row">
            <Field label="Passphrase" error={error ?? wrongBefore}>
              <SecretInput
                inputRef={passRef}
                what="passphrase"
                autoComplete="current-password"
                maxLength={1024}
                onChange={() => {
                  setError(null);
                  setTyping(true);
                }}
              />
            </Field>
            <button
              type={embedded ? 'button' : 'submit'}
              className="button button-primary"
              disabled={busy}
              onClick={embedded ? () => void unlock(byPassphrase) : undefined}
            >
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
          <button
            type="button"
            className="link-button small"
            onClick={embedded ? embedded.onRecoveryKey : () => setRecovering(true)}
          >
            Unlock with recovery key instead
          </button>
        </div>
      </Container>
      {recovering && (
        <SecretRecoveryUnlockDialog status={status} onClose={() => setRecovering(false)} />
      )}
    </>
  );
}

/** A form's role and label without a <form> element (for use inside another form). */
function EmbeddedForm(props: HTMLAttributes<HTMLDivElement> & { noValidate?: boolean }) {
  const { noValidate: _n, onSubmit: _s, ...rest } = props;
  return <div role="form" {...rest} />;
}
