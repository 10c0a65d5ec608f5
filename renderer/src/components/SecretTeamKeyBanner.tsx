// Team mode: this machine lacks the team's data key — it joined after secrets were
// set up, or another member rotated the key. The member enters the team's recovery
// key once (the recovery-unlock dialog, in its "join" wording); it is then kept in
// this machine's keyring. Never a value, never the recovery key itself: only which
// key, who made it active and when.
import { useState } from 'react';
import type { SecretsStatus } from '../../../shared/domain.ts';
import { SecretRecoveryUnlockDialog } from '../dialogs/SecretRecoveryUnlockDialog.tsx';
import { formatTime } from '../format.ts';
import { Icon } from './Icon.tsx';

export function SecretTeamKeyBanner(props: { status: SecretsStatus }) {
  const { status } = props;
  const [joining, setJoining] = useState(false);
  const need = status.needsTeamKey;
  if (!need) return null;
  const rotated = status.initialized;
  return (
    <div
      className="secret-warning secret-warning-strong"
      role="alert"
      data-testid="needs-team-key"
      data-key-id={need.keyId}
    >
      <Icon name="key" size={20} />
      <div>
        <strong>
          {rotated
            ? 'The team rotated its data key: enter the new recovery key'
            : "This machine needs the team's data key"}
        </strong>
        <p>
          The team&apos;s secrets are encrypted with key <code>{need.keyId}</code>, made active by{' '}
          <strong>{need.rotatedBy}</strong> on {formatTime(need.since)}. This machine does not have
          it yet, so secrets cannot be set or revealed here. Ask {need.rotatedBy} for the
          team&apos;s recovery key and enter it once: it is then kept on this machine.
        </p>
        <div className="button-row">
          <button type="button" className="button button-primary" onClick={() => setJoining(true)}>
            <Icon name="key" /> Join with the team&apos;s recovery key
          </button>
        </div>
      </div>
      {joining && (
        <SecretRecoveryUnlockDialog status={status} team onClose={() => setJoining(false)} />
      )}
    </div>
  );
}
