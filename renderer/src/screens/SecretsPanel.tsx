// An environment's secrets: name, reference, whether the value resolves on this
// machine, when it changed; add, update, remove and reveal. Set-up and unlock
// are offered right here when needed. Lists carry names and references only —
// a value reaches the page solely through an explicit Reveal.
import { useId, useState } from 'react';
import type { SecretEntry } from '../../../shared/domain.ts';
import { invoke } from '../api.ts';
import { copyText } from '../clipboard.ts';
import { Dialog } from '../components/Dialog.tsx';
import { Icon } from '../components/Icon.tsx';
import { SecretReveal } from '../components/SecretReveal.tsx';
import { SecretTeamKeyBanner } from '../components/SecretTeamKeyBanner.tsx';
import { SecretUnlockForm } from '../components/SecretUnlockForm.tsx';
import { EmptyState, ErrorState, Loading } from '../components/States.tsx';
import { SecretEditDialog } from '../dialogs/SecretEditDialog.tsx';
import { SecretPendingRecoveryBanner } from '../dialogs/SecretPendingRecovery.tsx';
import { SecretSetupDialog } from '../dialogs/SecretSetupDialog.tsx';
import { formatAgo, formatTimeExact } from '../format.ts';
import { useNow } from '../hooks/useNow.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { useRevision } from '../stores/data.ts';
import { useNav } from '../stores/nav.ts';
import { usePreviewId } from '../stores/preview.ts';
import { useSecretsStatus } from '../stores/secrets.ts';
import { toastError, toastSuccess } from '../stores/toasts.ts';

export type EnvironmentTab = 'deployments' | 'secrets';
const TAB_KEY = 'stateward.environment-tab';

/** Which part of the environment screen is open; kept for reloads. */
export function useEnvironmentTab(): [EnvironmentTab, (tab: EnvironmentTab) => void] {
  const [tab, setTab] = useState<EnvironmentTab>(() =>
    sessionStorage.getItem(TAB_KEY) === 'secrets' ? 'secrets' : 'deployments',
  );
  return [
    tab,
    (t) => {
      sessionStorage.setItem(TAB_KEY, t);
      setTab(t);
    },
  ];
}

/** An environment's secrets, from the restored copy being previewed when there is one. */
function useSecretList(environmentId: number, explicitRestoreId?: string) {
  const previewId = usePreviewId();
  const restoreId = explicitRestoreId ?? previewId;
  // `secrets`: unlocking (or locking) changes each entry's key state, so the list is read again.
  const rev = useRevision('environments', 'secrets');
  return useQuery(
    `secrets:${environmentId}:${restoreId ?? ''}`,
    () => invoke('secrets.list', restoreId ? { environmentId, restoreId } : { environmentId }),
    rev,
  );
}

/** The environment screen's tab strip: Deployments | Secrets (n). */
export function SecretsEnvironmentTabs(props: {
  environmentId: number;
  tab: EnvironmentTab;
  onTab(tab: EnvironmentTab): void;
  restoreId?: string;
}) {
  const { environmentId, tab, onTab, restoreId } = props;
  const list = useSecretList(environmentId, restoreId);
  const count = list.data?.length;
  const tabs: { id: EnvironmentTab; label: string; badge?: number | undefined }[] = [
    { id: 'deployments', label: 'Deployments' },
    { id: 'secrets', label: 'Secrets', badge: count },
  ];
  return (
    <div className="tabs" role="tablist" aria-label="Environment">
      {tabs.map((t) => (
        <button
          key={t.id}
          type="button"
          role="tab"
          id={`env-tab-${t.id}`}
          aria-selected={tab === t.id}
          tabIndex={tab === t.id ? 0 : -1}
          className={tab === t.id ? 'tab tab-current' : 'tab'}
          onClick={() => onTab(t.id)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
              e.preventDefault();
              const next = t.id === 'deployments' ? 'secrets' : 'deployments';
              onTab(next);
              document.getElementById(`env-tab-${next}`)?.focus();
            }
          }}
        >
          {t.id === 'secrets' ? <Icon name="key" /> : <Icon name="deployments" />}
          {t.label}
          {t.badge !== undefined && <span className="tab-count">{t.badge}</span>}
        </button>
      ))}
    </div>
  );
}

/** The value's state as core reports it: locked is not missing, and neither is wrong. */
function StatePill({ secret, tried }: { secret: SecretEntry; tried: boolean }) {
  switch (secret.keyState) {
    case 'unlocked':
      return <span className="pill pill-ok">set</span>;
    case 'locked':
      return (
        <span
          className="pill"
          data-key-state="locked"
          title={`Its key ${secret.keyId} is on this machine but locked: unlock with the passphrase to use it.`}
        >
          <Icon name="lock" size={12} /> locked
        </span>
      );
    case 'wrong':
      // While the key is not unlocked, 'wrong' is a passphrase that did not open it; once it
      // is, the value itself does not verify with it.
      return tried ? (
        <span
          className="pill pill-warn"
          data-key-state="wrong"
          title={`Its key ${secret.keyId} is on this machine, but the passphrase tried did not unlock it. Try the passphrase again, or the recovery key.`}
        >
          <Icon name="lock" size={12} /> locked · wrong passphrase
        </span>
      ) : (
        <span
          className="pill pill-warn"
          data-key-state="wrong"
          title={`Key ${secret.keyId} is unlocked, yet this value does not verify with it: it was changed, moved or renamed outside Stateward. Set it again.`}
        >
          <Icon name="warning" size={12} /> changed outside Stateward
        </span>
      );
    case 'missing':
      return (
        <span
          className="pill pill-warn"
          data-key-state="missing"
          title={`Encrypted with key ${secret.keyId}, which this machine does not have. Unlock with that machine's recovery key, or set a new value.`}
        >
          <Icon name="warning" size={12} /> key not on this machine
        </span>
      );
  }
}

async function copyReference(secret: SecretEntry) {
  if (await copyText(secret.id, 'Select the reference and copy it with the keyboard instead.'))
    toastSuccess('Reference copied', secret.id);
}

function RemoveDialog(props: { secret: SecretEntry; environmentName: string; onClose(): void }) {
  const { secret, environmentName, onClose } = props;
  const [busy, setBusy] = useState(false);
  async function remove() {
    if (busy) return;
    setBusy(true);
    const r = await invoke('secrets.unset', {
      environmentId: secret.environmentId,
      name: secret.name,
    });
    setBusy(false);
    if (!r.ok) {
      toastError(`Could not remove ${secret.name}`, r.error);
      return;
    }
    toastSuccess('Secret removed', `${secret.name} from ${environmentName}`);
    onClose();
  }
  return (
    <Dialog
      open
      title={`Remove ${secret.name}?`}
      onClose={onClose}
      onSubmit={() => void remove()}
      footer={
        <>
          <button type="button" className="button" onClick={onClose} data-autofocus>
            Cancel
          </button>
          <button type="submit" className="button button-danger" disabled={busy}>
            {busy ? 'Removing…' : 'Remove secret'}
          </button>
        </>
      }
    >
      <p>
        The encrypted value of <code>{secret.name}</code> is deleted from {environmentName}.
        Configuration that refers to <code>{`{"$secret": "${secret.name}"}`}</code> will no longer
        resolve. Backups taken before keep their copy.
      </p>
    </Dialog>
  );
}

export function SecretsPanel(props: {
  environmentId: number;
  environmentName: string;
  /** Browsing a restored copy: its secrets, read-only. */
  restoreId?: string;
}) {
  const { environmentId, environmentName } = props;
  const previewId = usePreviewId();
  const restoreId = props.restoreId ?? previewId;
  const readOnly = restoreId !== undefined;
  const { status, error: statusError, refresh } = useSecretsStatus();
  const list = useSecretList(environmentId, restoreId);
  const go = useNav((s) => s.go);
  const now = useNow();
  const titleId = useId();
  const [setup, setSetup] = useState(false);
  const [editing, setEditing] = useState<SecretEntry | 'new' | null>(null);
  const [removing, setRemoving] = useState<SecretEntry | null>(null);
  const items = list.data ?? [];
  // Team mode without the team's key: nothing can be sealed or revealed here until it joins.
  const needsTeamKey = Boolean(status?.needsTeamKey);
  const canEdit = !readOnly && status?.initialized === true && status.unlocked && !needsTeamKey;
  // Only references whose key this machine lacks: a locked key is unlocked with the passphrase.
  const unresolved = items.filter((s) => s.keyState === 'missing').length;

  function add() {
    if (!status || needsTeamKey) return;
    if (!status.initialized) setSetup(true);
    else setEditing('new');
  }

  let body;
  const error = statusError ?? list.error;
  if (error) {
    body = (
      <ErrorState
        title="Could not load the secrets"
        error={error}
        onRetry={() => {
          void refresh();
          list.reload();
        }}
      />
    );
  } else if (!status || !list.data) {
    body = <Loading />;
  } else {
    body = (
      <>
        {!readOnly && <SecretTeamKeyBanner status={status} />}
        {!readOnly && status.initialized && !status.unlocked && (
          <SecretUnlockForm status={status} />
        )}
        {!readOnly && !setup && <SecretPendingRecoveryBanner status={status} />}
        {unresolved > 0 && !needsTeamKey && (
          <div className="secret-warning" role="note">
            <Icon name="warning" />
            <p>
              {unresolved === 1
                ? '1 secret does not resolve on this machine: '
                : `${unresolved} secrets do not resolve on this machine: `}
              the key that encrypted {unresolved === 1 ? 'it' : 'them'} is not here (for example
              after restoring a backup taken elsewhere). Unlock with that machine&apos;s recovery
              key in{' '}
              <button type="button" className="link-button" onClick={() => go({ view: 'secrets' })}>
                Keys &amp; secrets
              </button>
              , or set new values.
            </p>
          </div>
        )}
        {items.length === 0 ? (
          !readOnly && !status.initialized && !needsTeamKey ? (
            <EmptyState
              icon="shield"
              title="Secrets are not set up yet"
              action={
                <button type="button" className="button button-primary" onClick={add}>
                  <Icon name="key" /> Set up secrets and add one
                </button>
              }
            >
              Keep API keys, tokens and database URLs encrypted here, and refer to them from
              configuration snapshots as <code>{'{"$secret": "NAME"}'}</code>. Setting up takes a
              passphrase (or the OS keychain) and gives you a recovery key.
            </EmptyState>
          ) : (
            <EmptyState
              icon="shield"
              title={`No secrets in ${environmentName}`}
              action={
                canEdit ? (
                  <button type="button" className="button button-primary" onClick={add}>
                    <Icon name="plus" /> Add secret
                  </button>
                ) : undefined
              }
            >
              Refer to a secret from a configuration snapshot as{' '}
              <code>{'{"$secret": "NAME"}'}</code>; its value never appears in snapshots, backups or
              logs.
            </EmptyState>
          )
        ) : (
          <div className="secret-table-wrap">
            <table className="secret-table" aria-label={`Secrets of ${environmentName}`}>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Reference</th>
                  <th scope="col">State</th>
                  <th scope="col">Updated</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((s) => (
                  <tr key={s.id} data-testid="secret-row">
                    <th scope="row">
                      <code className="secret-name">{s.name}</code>
                    </th>
                    <td>
                      <span className="secret-ref">
                        <code className="selectable" data-testid="secret-ref">
                          {s.id}
                        </code>
                        <button
                          type="button"
                          className="icon-button"
                          aria-label={`Copy the reference of ${s.name}`}
                          title="Copy the reference"
                          onClick={() => void copyReference(s)}
                        >
                          <Icon name="copy" size={14} />
                        </button>
                      </span>
                    </td>
                    <td>
                      <StatePill secret={s} tried={status.keyState === 'wrong'} />
                    </td>
                    <td className="nowrap">
                      <span title={formatTimeExact(s.updatedAt)}>
                        {formatAgo(s.updatedAt, now)}
                      </span>
                    </td>
                    <td>
                      {!readOnly && (
                        <div className="secret-actions">
                          {status.unlocked && !needsTeamKey && <SecretReveal secret={s} />}
                          <button
                            type="button"
                            className="button button-small"
                            disabled={!canEdit}
                            aria-label={`Update ${s.name}`}
                            onClick={() => setEditing(s)}
                          >
                            <Icon name="edit" size={14} /> Update
                          </button>
                          <button
                            type="button"
                            className="button button-small button-danger"
                            aria-label={`Remove ${s.name}`}
                            onClick={() => setRemoving(s)}
                          >
                            Remove
                          </button>
                        </div>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </>
    );
  }

  return (
    <section className="card secrets-panel" aria-labelledby={titleId}>
      <div className="card-title-row">
        <h2 id={titleId} className="card-title">
          <Icon name="key" /> Secrets
        </h2>
        <div className="button-row">
          <button
            type="button"
            className="button button-small"
            onClick={() => go({ view: 'secrets' })}
          >
            Keys &amp; secrets
          </button>
          {canEdit && items.length > 0 && (
            <button type="button" className="button button-primary button-small" onClick={add}>
              <Icon name="plus" /> Add secret
            </button>
          )}
        </div>
      </div>
      <p className="muted small secrets-panel-intro">
        {readOnly
          ? 'Secrets of the restored copy: names and references only.'
          : 'Values are encrypted on this machine. Configuration refers to them by name, never by value.'}
      </p>
      {body}
      {setup && status && (
        <SecretSetupDialog
          status={status}
          onClose={() => setSetup(false)}
          onDone={() => {
            setSetup(false);
            setEditing('new');
          }}
        />
      )}
      {editing !== null && (
        <SecretEditDialog
          environmentId={environmentId}
          environmentName={environmentName}
          secret={editing === 'new' ? undefined : editing}
          existing={items.map((s) => s.name)}
          onClose={() => setEditing(null)}
        />
      )}
      {removing && (
        <RemoveDialog
          secret={removing}
          environmentName={environmentName}
          onClose={() => setRemoving(null)}
        />
      )}
    </section>
  );
}
