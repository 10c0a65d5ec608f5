// The band on every screen while automation is paused: who paused it, why and
// since when, and Resume. Writes made here still work (only automation is held
// off); a promote replacing the data is shown as the automatic pause it is.
import { useEffect, useState } from 'react';
import { pausedBy } from '../../../shared/automation.ts';
import { invoke } from '../api.ts';
import { formatTimeExact } from '../format.ts';
import { useAutomation } from '../stores/automation.ts';
import { useRevision } from '../stores/data.ts';
import { toastError } from '../stores/toasts.ts';
import { Icon } from './Icon.tsx';

/** Whether the banner shows (the shell makes room for it). */
export const usePaused = (): boolean => useAutomation((s) => s.status?.paused === true);

export function PauseBanner() {
  const status = useAutomation((s) => s.status);
  const setStatus = useAutomation((s) => s.set);
  const refresh = useAutomation((s) => s.refresh);
  // Also after a reconnect (every list's revision moves) and whenever the audit log changes.
  const rev = useRevision('audit');
  const [resuming, setResuming] = useState(false);
  useEffect(() => {
    void refresh();
  }, [rev, refresh]);

  if (!status?.paused) return null;
  const { pause, promote } = status;

  async function resume() {
    setResuming(true);
    const r = await invoke('automation.resume', {});
    setResuming(false);
    if (r.ok) setStatus(r.value);
    else toastError('Could not resume automation', r.error);
  }

  return (
    <div
      className="pause-banner"
      role="status"
      aria-label="Automation paused"
      data-testid="pause-banner"
    >
      <Icon name="warning" />
      <div className="pause-banner-text">
        {pause ? (
          <>
            <strong>Automation is paused</strong>
            <span data-testid="pause-banner-who">
              by {pausedBy(pause)}
              {' since '}
              <span className="nowrap">{formatTimeExact(pause.since)}</span>
            </span>
            {pause.reason && (
              <span className="pause-banner-reason" data-testid="pause-banner-reason">
                “{pause.reason}”
              </span>
            )}
            {pause.holderAlive === false && (
              <span data-testid="pause-banner-stale">
                The process that held it is no longer running.
              </span>
            )}
            <span className="muted">
              Scripts and CI get PAUSED; your own changes here still work.
            </span>
          </>
        ) : (
          promote && (
            <>
              <strong>Automation is held off</strong>
              <span>
                a restored copy{promote.restoreId ? ` (${promote.restoreId})` : ''} is being made
                live
                {promote.since !== null && (
                  <span className="nowrap"> since {formatTimeExact(promote.since)}</span>
                )}
              </span>
            </>
          )
        )}
      </div>
      {pause && (
        <button
          type="button"
          className="button button-small"
          onClick={() => void resume()}
          disabled={resuming}
        >
          Resume
        </button>
      )}
    </div>
  );
}
