// Keys & secrets: whether secrets are set up and unlocked, how the data key is
// protected (and a warning when the OS "keychain" only obfuscates), unlocking
// with the passphrase or the recovery key, and rotating the key.
import { useState } from 'react';
import type { SecretsStatus } from '../../../shared/domain.ts';
import { platform } from '../api.ts';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { SecretTeamKeyBanner } from '../components/SecretTeamKeyBanner.tsx';
import { SecretUnlockForm } from '../components/SecretUnlockForm.tsx';
import { ErrorState, Loading } from '../components/States.tsx';
import { SecretPendingRecoveryBanner } from '../dialogs/SecretPendingRecovery.tsx';
import { SecretRecoveryUnlockDialog } from '../dialogs/SecretRecoveryUnlockDialog.tsx';
import { SecretRotateDialog } from '../dialogs/SecretRotateDialog.tsx';
import { SecretProtectionNote, SecretSetupDialog } from '../dialogs/SecretSetupDialog.tsx';
import { formatCount } from '../format.ts';
import { PROVIDER_LABEL, useSecretsStatus } from '../stores/secrets.ts';

function keychainText(s: SecretsStatus): string {
  if (!s.keychain) return platform === 'browser' ? 'Not used by the browser host' : 'Not available';
  if (!s.keychain.available) return `Not available (${s.keychain.backend})`;
  if (s.keychain.weak) return `${s.keychain.backend} — obfuscation only, not used`;
  return `${s.keychain.backend} — available`;
}

function StatusCard({ status }: { status: SecretsStatus }) {
  return (
    <section className="card" aria-labelledby="keys-status">
      <h2 id="keys-status" className="card-title">
        <Icon name="shield" /> Status
      </h2>
      <dl className="facts" data-testid="secrets-status">
        <dt>Set up</dt>
        <dd data-testid="secrets-initialized">{status.initialized ? 'Yes' : 'Not yet'}</dd>
        <dt>State</dt>
        <dd data-testid="secrets-state">
          {!status.initialized ? (
            <span className="muted">—</span>
          ) : status.needsTeamKey ? (
            // This machine's own key may be unlocked, but it is not the one the team uses now.
            <span className="pill pill-warn" data-key-state="missing">
              <Icon name="key" size={12} /> Needs the team&apos;s new key
            </span>
          ) : status.unlocked ? (
            <span className="pill pill-ok">
              <Icon name="unlock" size={12} /> Unlocked
            </span>
          ) : (
            <span className="pill pill-warn" data-key-state={status.keyState ?? undefined}>
              <Icon name="lock" size={12} /> Locked
              {status.keyState === 'wrong' && ' · wrong passphrase tried'}
            </span>
          )}
        </dd>
        <dt>Active key</dt>
        <dd>
          {status.activeKeyId ? (
            <code className="selectable" data-testid="secrets-key-id">
              {status.activeKeyId}
            </code>
          ) : (
            <span className="muted">None yet</span>
          )}
        </dd>
        <dt>Protected by</dt>
        <dd data-testid="secrets-providers">
          {status.providers.length > 0 ? (
            status.providers.map((p) => PROVIDER_LABEL[p]).join(' · ')
          ) : (
            <span className="muted">—</span>
          )}
        </dd>
        <dt>OS keychain</dt>
        <dd>{keychainText(status)}</dd>
        <dt>Key file</dt>
        <dd>
          {status.keyFileConfigured ? (
            <>
              Configured (<code>STATEWARD_KEY_FILE</code>)
            </>
          ) : (
            <span className="muted">Not configured</span>
          )}
        </dd>
        {status.needsTeamKey && (
          <>
            <dt>Team key</dt>
            <dd data-testid="secrets-team-key">
              <span className="pill pill-warn">
                <Icon name="warning" size={12} />
                {'Not on this machine:\u00a0'}
                <code>{status.needsTeamKey.keyId}</code>
              </span>
            </dd>
          </>
        )}
        <dt>Secrets</dt>
        <dd data-testid="secrets-count">
          {formatCount(status.secretCount)} across all environments
        </dd>
      </dl>
    </section>
  );
}

export function SecretsScreen() {
  const { status, error, refresh } = useSecretsStatus();
  const [setup, setSetup] = useState(false);
  const [recovering, setRecovering] = useState(false);
  const [rotating, setRotating] = useState(false);
  // Team mode, this machine lacks the team's key: it joins (recovery key), never sets up a second key.
  const needsTeamKey = Boolean(status?.needsTeamKey);

  const header = (
    <PageHeader
      title="Keys & secrets"
      subtitle="How this data directory's secrets are protected, and the keys that decrypt them."
      actions={
        status && !status.initialized && !needsTeamKey ? (
          <button type="button" className="button button-primary" onClick={() => setSetup(true)}>
            <Icon name="key" /> Set up secrets
          </button>
        ) : undefined
      }
    />
  );

  if (error)
    return (
      <div className="page">
        {header}
        <ErrorState title="Could not read the secrets status" error={error} onRetry={refresh} />
      </div>
    );
  if (!status)
    return (
      <div className="page">
        {header}
        <Loading />
      </div>
    );

  return (
    <div className="page">
      {header}
      {!setup && !rotating && <SecretPendingRecoveryBanner status={status} />}
      <SecretTeamKeyBanner status={status} />
      {status.keychain?.weak && (
        <div className="secret-warning secret-warning-strong" role="alert">
          <Icon name="warning" size={20} />
          <div>
            <strong>This system&apos;s keychain is not a real keychain</strong>
            <p>
              The OS offers only <code>{status.keychain.backend}</code>, which stores keys merely
              obfuscated: anyone who can read your files could read them. Stateward does not use it
              and protects the data key with a passphrase instead. Installing a keyring service
              (GNOME Keyring, KWallet) lets the OS keychain protect it.
            </p>
          </div>
        </div>
      )}
      <div className="keys-grid">
        <StatusCard status={status} />
        <div className="keys-side">
          {status.initialized && !status.unlocked && (
            <section className="card" aria-label="Unlock">
              <SecretUnlockForm status={status} />
            </section>
          )}
          {!status.initialized && !needsTeamKey && (
            <section className="card" aria-labelledby="keys-setup">
              <h2 id="keys-setup" className="card-title">
                <Icon name="key" /> Not set up yet
              </h2>
              <div className="keys-card-body">
                <p>
                  Secrets are set up with their first use: a data key is created and you get a
                  recovery key. You can also do it now.
                </p>
                <SecretProtectionNote status={status} />
                <div className="button-row">
                  <button
                    type="button"
                    className="button button-primary"
                    onClick={() => setSetup(true)}
                  >
                    <Icon name="key" /> Set up secrets
                  </button>
                </div>
              </div>
            </section>
          )}
          <section className="card" aria-labelledby="keys-recovery">
            <h2 id="keys-recovery" className="card-title">
              <Icon name="key" /> Recovery key
            </h2>
            <div className="keys-card-body">
              <p>
                The recovery key is shown when secrets are set up or the key is rotated, and again
                until you confirm it is stored. It is what makes a backup&apos;s secrets readable{' '}
                <strong>on another machine</strong>: restore the backup there, then choose{' '}
                <em>Unlock with recovery key</em>.
              </p>
              <p className="muted small">
                Lost it? Rotate the key to get a new one. Backups taken before the rotation still
                need the old recovery key on another machine; this machine keeps the old key.
              </p>
              <div className="button-row">
                <button type="button" className="button" onClick={() => setRecovering(true)}>
                  <Icon name="key" /> Unlock with recovery key
                </button>
              </div>
            </div>
          </section>
          {status.initialized && (
            <section className="card" aria-labelledby="keys-rotate">
              <h2 id="keys-rotate" className="card-title">
                <Icon name="rotate" /> Rotate key
              </h2>
              <div className="keys-card-body">
                <p>
                  Creates a new data key, re-encrypts every secret with it and shows a new recovery
                  key. Do it when the recovery key may have been seen by someone else.
                </p>
                <div className="button-row">
                  <button
                    type="button"
                    className="button"
                    disabled={!status.unlocked || needsTeamKey}
                    onClick={() => setRotating(true)}
                  >
                    <Icon name="rotate" /> Rotate key…
                  </button>
                  {needsTeamKey ? (
                    <span className="muted small">
                      Join with the team&apos;s recovery key first.
                    </span>
                  ) : (
                    !status.unlocked && <span className="muted small">Unlock secrets first.</span>
                  )}
                </div>
              </div>
            </section>
          )}
        </div>
      </div>
      {setup && (
        <SecretSetupDialog
          status={status}
          onClose={() => setSetup(false)}
          onDone={() => setSetup(false)}
        />
      )}
      {recovering && (
        <SecretRecoveryUnlockDialog status={status} onClose={() => setRecovering(false)} />
      )}
      {rotating && (
        <SecretRotateDialog activeKeyId={status.activeKeyId} onClose={() => setRotating(false)} />
      )}
    </div>
  );
}
