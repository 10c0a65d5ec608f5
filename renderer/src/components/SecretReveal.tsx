// Reveal one secret's value: an explicit, audited call, then a small popover
// that keeps the value masked until asked, offers Copy, and hides itself after
// 30 seconds. The value exists only in this component's state while the
// popover is open, and in the DOM only while it is unmasked.
import { useEffect, useId, useRef, useState } from 'react';
import type { SecretEntry } from '../../../shared/domain.ts';
import { invoke } from '../api.ts';
import { copyText } from '../clipboard.ts';
import { toastError, toastSuccess } from '../stores/toasts.ts';
import { Icon } from './Icon.tsx';

export const REVEAL_SECONDS = 30;
const MASK = '•'.repeat(16);

export function SecretReveal({ secret }: { secret: SecretEntry }) {
  const [value, setValue] = useState<string | null>(null);
  const [unmasked, setUnmasked] = useState(false);
  const [left, setLeft] = useState(REVEAL_SECONDS);
  const [busy, setBusy] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const popover = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const open = value !== null;

  function hide(returnFocus: boolean) {
    setValue(null);
    setUnmasked(false);
    if (returnFocus) button.current?.focus();
  }

  async function reveal() {
    if (busy) return;
    if (open) {
      hide(false);
      return;
    }
    setBusy(true);
    const r = await invoke('secrets.reveal', { id: secret.id });
    setBusy(false);
    if (!r.ok) {
      toastError(`Could not reveal ${secret.name}`, r.error);
      return;
    }
    setLeft(REVEAL_SECONDS);
    setValue(r.value.value);
  }

  // Count down while open; at zero the value is dropped.
  useEffect(() => {
    if (!open) return;
    popover.current?.focus();
    const started = Date.now();
    const tick = setInterval(() => {
      const remaining = REVEAL_SECONDS - Math.floor((Date.now() - started) / 1000);
      if (remaining <= 0) {
        setValue(null);
        setUnmasked(false);
      } else setLeft(remaining);
    }, 250);
    return () => clearInterval(tick);
  }, [open]);

  async function copy() {
    if (value === null) return;
    if (await copyText(value, 'Show the value and select it instead.'))
      toastSuccess(
        `${secret.name} copied`,
        'The clipboard keeps it until you copy something else.',
      );
  }

  return (
    <div className="secret-reveal">
      <button
        ref={button}
        type="button"
        className="button button-small"
        aria-expanded={open}
        aria-haspopup="dialog"
        aria-label={open ? `Hide ${secret.name}` : `Reveal ${secret.name}`}
        disabled={busy || !secret.resolves}
        title={secret.resolves ? undefined : 'This machine has no key that decrypts this secret'}
        onClick={() => void reveal()}
      >
        <Icon name={open ? 'eyeOff' : 'eye'} /> {open ? 'Hide' : 'Reveal'}
      </button>
      {open && (
        <div
          ref={popover}
          className="secret-popover"
          role="dialog"
          aria-labelledby={titleId}
          tabIndex={-1}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.stopPropagation();
              hide(true);
            }
          }}
        >
          <div className="secret-popover-head">
            <strong id={titleId}>
              Value of <code>{secret.name}</code>
            </strong>
            <button
              type="button"
              className="icon-button"
              aria-label="Hide the value"
              onClick={() => hide(true)}
            >
              <Icon name="close" />
            </button>
          </div>
          <div className="secret-popover-value">
            {unmasked ? (
              <code className="selectable" data-testid="secret-value">
                {value}
              </code>
            ) : (
              <code className="secret-masked" aria-label="Value hidden" data-testid="secret-masked">
                {MASK}
              </code>
            )}
          </div>
          <div className="button-row">
            <button
              type="button"
              className="button button-small"
              aria-pressed={unmasked}
              onClick={() => setUnmasked((u) => !u)}
            >
              <Icon name={unmasked ? 'eyeOff' : 'eye'} /> {unmasked ? 'Mask' : 'Show'}
            </button>
            <button type="button" className="button button-small" onClick={() => void copy()}>
              <Icon name="copy" /> Copy
            </button>
            <span className="muted small secret-popover-timer" aria-live="off">
              Hides in {left} s
            </span>
          </div>
          <p className="secret-popover-note small">
            <Icon name="info" size={14} /> Revealing is recorded in the audit log.
          </p>
        </div>
      )}
    </div>
  );
}
