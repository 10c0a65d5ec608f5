// Rotate the data key: confirm, re-encrypt every secret with a new key, then
// show the new recovery key once (the same step as at setup).
import { useState } from 'react';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke } from '../api.ts';
import { Dialog } from '../components/Dialog.tsx';
import { Icon } from '../components/Icon.tsx';
import { SecretRecoveryKey } from '../components/SecretRecoveryKey.tsx';
import { useSecrets } from '../stores/secrets.ts';
import { toastSuccess } from '../stores/toasts.ts';
import { FormError } from './FormError.tsx';
import { acknowledgeRecoveryKey } from './SecretPendingRecovery.tsx';

export function SecretRotateDialog(props: { activeKeyId: string | null; onClose(): void }) {
  const { activeKeyId, onClose } = props;
  const refresh = useSecrets((s) => s.refresh);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppErrorShape | null>(null);
  const [rotated, setRotated] = useState<{
    recoveryKey: string;
    keyId: string;
    reencrypted: number;
  } | null>(null);
  const [stored, setStored] = useState(false);
  const [closeWarning, setCloseWarning] = useState(false);

  async function rotate() {
    if (busy) return;
    setBusy(true);
    setError(null);
    const r = await invoke('secrets.rotate', {});
    setBusy(false);
    void refresh();
    if (r.ok) setRotated(r.value);
    else setError(r.error);
  }

  function close() {
    if (rotated && !stored) {
      setCloseWarning(true);
      return;
    }
    if (rotated) void acknowledgeRecoveryKey(rotated.keyId);
    if (rotated)
      toastSuccess(
        'Key rotated',
        `${rotated.reencrypted} ${rotated.reencrypted === 1 ? 'secret' : 'secrets'} re-encrypted with key ${rotated.keyId}.`,
      );
    onClose();
  }

  if (rotated) {
    return (
      <Dialog
        open
        wide
        title="Store the new recovery key"
        onClose={close}
        onSubmit={close}
        footer={
          <button type="submit" className="button button-primary" disabled={!stored}>
            Continue
          </button>
        }
      >
        <p className="muted">
          Key <code>{rotated.keyId}</code> is now active; {rotated.reencrypted}{' '}
          {rotated.reencrypted === 1 ? 'secret was' : 'secrets were'} re-encrypted with it.
        </p>
        <SecretRecoveryKey
          recoveryKey={rotated.recoveryKey}
          keyId={rotated.keyId}
          stored={stored}
          rotated
          onStored={(s) => {
            setStored(s);
            setCloseWarning(false);
          }}
        />
        {closeWarning && (
          <p className="field-error" role="alert">
            Confirm that you stored the new recovery key first: until then it is shown again.
          </p>
        )}
      </Dialog>
    );
  }

  return (
    <Dialog
      open
      title="Rotate the data key?"
      onClose={close}
      onSubmit={() => void rotate()}
      footer={
        <>
          <button type="button" className="button" onClick={close} data-autofocus>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Rotating…' : 'Rotate key'}
          </button>
        </>
      }
    >
      <FormError error={error} />
      <p>
        A new data key replaces {activeKeyId ? <code>{activeKeyId}</code> : 'the current key'} and
        every secret is re-encrypted with it, in one step. You get a new recovery key.
      </p>
      <div className="secret-warning" role="note">
        <Icon name="warning" />
        <p>
          Backups taken <strong>before</strong> the rotation hold secrets encrypted with the old
          key. This machine keeps the old key, but restoring such a backup{' '}
          <strong>on another machine</strong> needs the old recovery key. Keep it as well as the new
          one.
        </p>
      </div>
    </Dialog>
  );
}
