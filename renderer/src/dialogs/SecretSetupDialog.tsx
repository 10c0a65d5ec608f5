// First use of secrets: create the data key, protected by a passphrase unless a
// key file or a real OS keychain protects it, then show the recovery key once.
import { useRef, useState } from 'react';
import type { SecretsStatus } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke, platform } from '../api.ts';
import { Dialog, DialogButtons } from '../components/Dialog.tsx';
import { CheckField } from '../components/Field.tsx';
import { Icon } from '../components/Icon.tsx';
import {
  readNewPassphrase,
  SecretPassphraseFields,
} from '../components/SecretPassphraseFields.tsx';
import { SecretRecoveryKey } from '../components/SecretRecoveryKey.tsx';
import { fieldErrorsOf } from '../errors.ts';
import { protectedWithoutPassphrase, useSecrets } from '../stores/secrets.ts';
import { FormError } from './FormError.tsx';
import { acknowledgeRecoveryKey } from './SecretPendingRecovery.tsx';

type Errors = { passphrase?: string | undefined; confirm?: string | undefined };

/** Why this machine needs a passphrase, or what protects the key without one. */
export function SecretProtectionNote({ status }: { status: SecretsStatus }) {
  const without = protectedWithoutPassphrase(status);
  if (without === 'keyfile')
    return (
      <p className="result-note">
        The key file named by <code>STATEWARD_KEY_FILE</code> protects the data key, so no
        passphrase is needed. Keep that file as safe as the secrets themselves.
      </p>
    );
  if (without === 'os-keychain')
    return (
      <p className="result-note">
        Your operating system&apos;s keychain ({status.keychain?.backend}) protects the data key, so
        no passphrase is needed on this machine.
      </p>
    );
  if (status.keychain?.weak)
    return (
      <div className="secret-warning" role="note">
        <Icon name="warning" />
        <p>
          This system has no real keychain: only <code>{status.keychain.backend}</code>, which
          merely obfuscates what it stores. Choose a passphrase instead; Stateward asks for it when
          it starts and never stores it.
        </p>
      </div>
    );
  return (
    <p className="result-note">
      {platform === 'browser'
        ? 'In the browser, a passphrase protects the data key. '
        : 'No OS keychain is available, so a passphrase protects the data key. '}
      Stateward asks for it after it starts and never stores it.
    </p>
  );
}

export function SecretSetupDialog(props: {
  status: SecretsStatus;
  onClose(): void;
  /** The user confirmed having stored the recovery key. */
  onDone(): void;
}) {
  const { status, onClose, onDone } = props;
  const refresh = useSecrets((s) => s.refresh);
  const passRef = useRef<HTMLInputElement>(null);
  const confirmRef = useRef<HTMLInputElement>(null);
  const [required, setRequired] = useState(protectedWithoutPassphrase(status) === null);
  const [addPassphrase, setAddPassphrase] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<AppErrorShape | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<{ recoveryKey: string; keyId: string } | null>(null);
  const [stored, setStored] = useState(false);
  const [closeWarning, setCloseWarning] = useState(false);
  const askPassphrase = required || addPassphrase;

  async function submit() {
    if (busy) return;
    let passphrase: string | undefined;
    if (askPassphrase) {
      const read = readNewPassphrase(passRef, confirmRef);
      if ('errors' in read) {
        setErrors(read.errors);
        return;
      }
      passphrase = read.passphrase;
    }
    setBusy(true);
    setFormError(null);
    const r = await invoke('secrets.setup', passphrase === undefined ? {} : { passphrase });
    setBusy(false);
    void refresh();
    if (r.ok) {
      setCreated(r.value);
      return;
    }
    if (r.error.code === 'SECRETS_PASSPHRASE_REQUIRED') setRequired(true);
    const { fields, placed } = fieldErrorsOf(r.error, ['passphrase'] as const);
    setErrors(fields);
    setFormError(placed ? null : r.error);
  }

  function close() {
    if (created && !stored) {
      setCloseWarning(true);
      return;
    }
    if (created) {
      // Confirmed stored: it is not offered again (on failure the banner keeps offering it).
      void acknowledgeRecoveryKey(created.keyId);
      onDone();
    } else onClose();
  }

  if (created) {
    return (
      <Dialog
        open
        wide
        title="Store your recovery key"
        onClose={close}
        onSubmit={close}
        footer={
          <button type="submit" className="button button-primary" disabled={!stored}>
            Continue
          </button>
        }
      >
        <SecretRecoveryKey
          recoveryKey={created.recoveryKey}
          keyId={created.keyId}
          stored={stored}
          onStored={(s) => {
            setStored(s);
            setCloseWarning(false);
          }}
        />
        {closeWarning && (
          <p className="field-error" role="alert">
            Confirm that you stored the recovery key first: until then it is shown again.
          </p>
        )}
      </Dialog>
    );
  }

  return (
    <Dialog
      open
      wide
      title="Set up secrets"
      onClose={close}
      onSubmit={() => void submit()}
      footer={
        <DialogButtons onCancel={close} busy={busy} busyLabel="Setting up…">
          Set up secrets
        </DialogButtons>
      }
    >
      <p>
        Secrets such as API keys and database URLs are encrypted in the data directory with a data
        key. Backups and exports carry only the encrypted values and references like{' '}
        <code>sec_…</code>, never a plain value.
      </p>
      <SecretProtectionNote status={status} />
      <FormError error={formError} />
      {!required && (
        <CheckField
          checked={addPassphrase}
          onChange={setAddPassphrase}
          label="Also protect it with a passphrase"
          help={
            <>
              Lets you unlock from the command line or if the{' '}
              {status.keyFileConfigured ? 'key file' : 'keychain'} is lost.
            </>
          }
        />
      )}
      {askPassphrase && (
        <SecretPassphraseFields
          passRef={passRef}
          confirmRef={confirmRef}
          errors={errors}
          autoFocus
          onEdit={(f) => setErrors((x) => ({ ...x, [f]: undefined }))}
        />
      )}
      <p className="muted small">
        Next you get a <strong>recovery key</strong>. Store it: it is what restores a backup&apos;s
        secrets on another machine.
      </p>
    </Dialog>
  );
}
