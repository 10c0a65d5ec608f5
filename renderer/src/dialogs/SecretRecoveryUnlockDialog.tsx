// Unlock with a recovery key: after restoring a backup from another machine, or
// when the passphrase is lost. The key is kept in this machine's keyring when
// something here can protect it (the unlocked passphrase, the key file, the OS
// keychain, or a passphrase chosen now); otherwise only until Stateward stops.
import { useRef, useState } from 'react';
import type { SecretsStatus } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke } from '../api.ts';
import { Dialog, DialogButtons } from '../components/Dialog.tsx';
import { CheckField, Field } from '../components/Field.tsx';
import { SecretInput } from '../components/SecretInput.tsx';
import {
  readNewPassphrase,
  SecretPassphraseFields,
} from '../components/SecretPassphraseFields.tsx';
import { fieldErrorsOf } from '../errors.ts';
import { protectedWithoutPassphrase, useSecrets } from '../stores/secrets.ts';
import { toastSuccess } from '../stores/toasts.ts';
import { FormError } from './FormError.tsx';

type Errors = {
  recoveryKey?: string | undefined;
  passphrase?: string | undefined;
  confirm?: string | undefined;
};

export function SecretRecoveryUnlockDialog(props: {
  status: SecretsStatus;
  /** Team mode: joining with the team's recovery key (the status names the key). */
  team?: boolean;
  onClose(): void;
}) {
  const { status, onClose } = props;
  const teamKey = props.team ? (status.needsTeamKey ?? null) : null;
  const refresh = useSecrets((s) => s.refresh);
  const keyRef = useRef<HTMLInputElement>(null);
  const passRef = useRef<HTMLInputElement>(null);
  const confirmRef = useRef<HTMLInputElement>(null);
  // An unlocked passphrase, the key file or the keychain protect the key with no new passphrase.
  const canSave = status.unlocked || protectedWithoutPassphrase(status) !== null;
  // No keyring yet (another machine's backup): keeping the key needs a passphrase. A locked
  // keyring already holds the key under the current passphrase: a new one is optional.
  const [savePassphrase, setSavePassphrase] = useState(!status.initialized);
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<AppErrorShape | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit() {
    if (busy) return;
    const recoveryKey = (keyRef.current?.value ?? '').trim();
    if (recoveryKey === '') {
      setErrors({ recoveryKey: 'Enter the recovery key (it starts with SWRK-).' });
      return;
    }
    let passphrase: string | undefined;
    if (!canSave && savePassphrase) {
      const read = readNewPassphrase(passRef, confirmRef);
      if ('errors' in read) {
        setErrors(read.errors);
        return;
      }
      passphrase = read.passphrase;
    }
    setBusy(true);
    setFormError(null);
    const r = await invoke(
      'secrets.unlockWithRecoveryKey',
      passphrase === undefined ? { recoveryKey } : { recoveryKey, passphrase },
    );
    setBusy(false);
    void refresh();
    if (r.ok) {
      toastSuccess(
        teamKey ? "Joined with the team's key" : 'Recovery key accepted',
        r.value.saved
          ? `Key ${r.value.keyId} is now kept on this machine.`
          : `Key ${r.value.keyId} is unlocked until Stateward stops.`,
      );
      onClose();
      return;
    }
    if (r.error.code === 'SECRETS_RECOVERY_KEY_INVALID') {
      setErrors({ recoveryKey: r.error.message });
      return;
    }
    const { fields, placed } = fieldErrorsOf(r.error, ['recoveryKey', 'passphrase'] as const);
    setErrors(fields);
    setFormError(placed ? null : r.error);
  }

  return (
    <Dialog
      open
      title={teamKey ? "Join with the team's recovery key" : 'Unlock with recovery key'}
      onClose={onClose}
      onSubmit={() => void submit()}
      footer={
        <DialogButtons onCancel={onClose} busy={busy} busyLabel="Checking…">
          {teamKey ? 'Join' : 'Unlock'}
        </DialogButtons>
      }
    >
      {teamKey ? (
        <p>
          Enter the team&apos;s recovery key for data key <code>{teamKey.keyId}</code> — the member
          who set it up or last rotated it (<strong>{teamKey.rotatedBy}</strong>) was shown it. You
          enter it once: it is then kept on this machine.
        </p>
      ) : (
        <p>
          Use the recovery key that was shown when secrets were set up (or last rotated) — for
          example after restoring a backup taken on another machine, or if the passphrase is lost.
        </p>
      )}
      <FormError error={formError} />
      <Field label="Recovery key" error={errors.recoveryKey}>
        <SecretInput
          inputRef={keyRef}
          what="recovery key"
          mono
          autoFocus
          maxLength={200}
          placeholder="SWRK-XXXX-XXXX-…"
          onChange={() => setErrors((x) => ({ ...x, recoveryKey: undefined }))}
        />
      </Field>
      {canSave ? (
        <p className="muted small">
          The key will be kept in this machine&apos;s keyring, protected like the current key.
        </p>
      ) : (
        <>
          {teamKey && status.initialized && (
            <p className="muted small" data-testid="join-unlock-first">
              Unlock secrets with this machine&apos;s passphrase first, and the team&apos;s key is
              kept under it too — or set a new passphrase for it here.
            </p>
          )}
          {status.initialized ? (
            <CheckField
              checked={savePassphrase}
              onChange={setSavePassphrase}
              label="Set a new passphrase (if the current one is forgotten)"
              help="Otherwise secrets stay unlocked until Stateward stops and the current passphrase keeps working."
            />
          ) : (
            <CheckField
              checked={savePassphrase}
              onChange={setSavePassphrase}
              label="Keep it on this machine under a passphrase"
              help="Otherwise it is unlocked only until Stateward stops, and you need the recovery key again next time."
            />
          )}
          {savePassphrase && (
            <SecretPassphraseFields
              passRef={passRef}
              confirmRef={confirmRef}
              errors={errors}
              label="New passphrase"
              onEdit={(f) => setErrors((x) => ({ ...x, [f]: undefined }))}
            />
          )}
        </>
      )}
    </Dialog>
  );
}
