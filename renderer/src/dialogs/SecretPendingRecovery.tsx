// A recovery key that was never confirmed as stored (the app closed, a crash, a
// CLI run whose output was lost) is offered again until the user confirms it:
// a banner wherever secrets are shown, and a dialog with the key. The key is
// fetched only when the dialog opens and lives only in its state.
import { useEffect, useState } from 'react';
import type { SecretsStatus } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke } from '../api.ts';
import { Dialog } from '../components/Dialog.tsx';
import { Icon } from '../components/Icon.tsx';
import { SecretRecoveryKey } from '../components/SecretRecoveryKey.tsx';
import { useSecrets } from '../stores/secrets.ts';
import { FormError } from './FormError.tsx';

/** Tell the core the recovery key of `keyId` is stored (after setup, rotation or a re-show). */
export async function acknowledgeRecoveryKey(keyId: string): Promise<AppErrorShape | null> {
  const r = await invoke('secrets.acknowledgeRecoveryKey', { keyId });
  if (r.ok) useSecrets.getState().apply(r.value);
  return r.ok ? null : r.error;
}

function PendingRecoveryDialog(props: { onClose(): void }) {
  const [keys, setKeys] = useState<
    { keyId: string; recoveryKey: string; active: boolean }[] | null
  >(null);
  const [error, setError] = useState<AppErrorShape | null>(null);
  const [stored, setStored] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void invoke('secrets.pendingRecoveryKeys', {}).then((r) => {
      if (r.ok) setKeys(r.value);
      else setError(r.error);
    });
  }, []);

  const current = keys?.[0];
  async function confirm() {
    if (!current || !stored || busy) return;
    setBusy(true);
    const err = await acknowledgeRecoveryKey(current.keyId);
    setBusy(false);
    if (err) return setError(err);
    setStored(false);
    const rest = keys!.slice(1);
    if (rest.length === 0) props.onClose();
    else setKeys(rest);
  }

  return (
    <Dialog
      open
      wide
      title="Store your recovery key"
      onClose={props.onClose}
      onSubmit={() => void confirm()}
      footer={
        <>
          <button type="button" className="button" onClick={props.onClose}>
            Later
          </button>
          <button
            type="submit"
            className="button button-primary"
            disabled={!current || !stored || busy}
          >
            Confirm stored
          </button>
        </>
      }
    >
      <FormError error={error} />
      {current && (
        <>
          <p className="muted">
            {current.active
              ? 'The recovery key of the active data key'
              : 'The recovery key of an older data key (it opens older backups)'}{' '}
            <code>{current.keyId}</code> was never confirmed as stored. It is shown again until you
            confirm it.
          </p>
          <SecretRecoveryKey
            recoveryKey={current.recoveryKey}
            keyId={current.keyId}
            stored={stored}
            onStored={setStored}
          />
        </>
      )}
    </Dialog>
  );
}

/** A banner while a recovery key is pending; "Show it" opens the key (once secrets are unlocked). */
export function SecretPendingRecoveryBanner(props: { status: SecretsStatus }) {
  const { status } = props;
  const [open, setOpen] = useState(false);
  if (status.recoveryPending.length === 0) return null;
  return (
    <div
      className="secret-warning secret-warning-strong"
      role="alert"
      data-testid="recovery-pending"
    >
      <Icon name="key" size={20} />
      <div>
        <strong>A recovery key was never confirmed as stored</strong>
        <p>
          Without it, a backup&apos;s secrets cannot be read on another machine.{' '}
          {status.unlocked ? 'Store it now.' : 'Unlock secrets to see it.'}
        </p>
        {status.unlocked && (
          <div className="button-row">
            <button type="button" className="button button-primary" onClick={() => setOpen(true)}>
              <Icon name="key" /> Show the recovery key
            </button>
          </div>
        )}
      </div>
      {open && <PendingRecoveryDialog onClose={() => setOpen(false)} />}
    </div>
  );
}
