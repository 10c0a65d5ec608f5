// "Disconnected": shown over every screen while the browser page cannot reach its
// host. It retries by itself (stores/connection.ts); the button only skips the wait.
import { formatTimeExact } from '../format.ts';
import { retryNow, useConnection } from '../stores/connection.ts';
import { Icon } from './Icon.tsx';

export function ConnectionBanner() {
  const state = useConnection((s) => s.state);
  const since = useConnection((s) => s.since);
  if (state === 'connected') return null;
  return (
    <div className="connection-banner" role="alert" data-testid="connection-banner">
      <Icon name="error" />
      <div className="connection-banner-text">
        {state === 'disconnected' ? (
          <>
            <strong>Disconnected from the Stateward host</strong>
            <span>
              Reconnecting by itself…{' '}
              {since !== null && <span className="nowrap">(since {formatTimeExact(since)})</span>}
            </span>
          </>
        ) : (
          <>
            <strong>The host is back, but with a new access token</strong>
            <span>Open the address it printed most recently (it ends with #token=…).</span>
          </>
        )}
      </div>
      <button type="button" className="button button-small" onClick={retryNow}>
        Reconnect now
      </button>
    </div>
  );
}
