// The recovery key, shown after setup and after a key rotation (and again until confirmed):
// what it is for, Copy and Print, and the "I have stored it" confirmation the
// caller requires before moving on. The key lives only in the caller's
// component state and is dropped when the dialog closes.
import { useEffect, useRef, useState } from 'react';
import { copyText } from '../clipboard.ts';
import { toastError } from '../stores/toasts.ts';
import { Icon } from './Icon.tsx';

/**
 * Prints a page holding just the key and what to do with it. A same-origin,
 * script-less iframe (new windows are denied in the app) filled through the
 * DOM, printed, then removed.
 */
function printRecoveryKey(recoveryKey: string, keyId: string): void {
  const frame = document.createElement('iframe');
  frame.setAttribute('aria-hidden', 'true');
  frame.tabIndex = -1;
  frame.style.cssText = 'position:fixed;width:0;height:0;border:0;visibility:hidden';
  document.body.appendChild(frame);
  try {
    const doc = frame.contentDocument;
    const win = frame.contentWindow;
    if (!doc || !win) throw new Error('the print frame did not open');
    doc.title = 'Stateward recovery key';
    const style = doc.createElement('style');
    style.textContent =
      'body{font:14px/1.5 system-ui,sans-serif;margin:48px;color:#000}' +
      'h1{font-size:20px;margin:0 0 16px}' +
      '.key{font:600 20px/1.6 ui-monospace,monospace;letter-spacing:.04em;padding:16px;' +
      'border:2px solid #000;border-radius:6px;word-break:break-all;margin:16px 0}' +
      'li{margin:4px 0}.muted{color:#444;font-size:12px}';
    doc.head.appendChild(style);
    const add = (tag: string, text: string, className?: string) => {
      const el = doc.createElement(tag);
      el.textContent = text;
      if (className) el.className = className;
      doc.body.appendChild(el);
      return el;
    };
    add('h1', 'Stateward recovery key');
    add('div', recoveryKey, 'key');
    const steps = doc.createElement('ol');
    for (const line of [
      'Keep this sheet somewhere safe and private, away from the computer (a safe, a locked drawer).',
      'Anyone with this key and a backup can read the secrets in that backup.',
      'To restore a backup on another machine: open Keys & secrets, choose "Unlock with recovery key" and type this key.',
      'It also unlocks secrets if the passphrase is forgotten.',
    ]) {
      const li = doc.createElement('li');
      li.textContent = line;
      steps.appendChild(li);
    }
    doc.body.appendChild(steps);
    add('p', `Key id ${keyId} · printed ${new Date().toLocaleString()}`, 'muted');
    win.print();
  } catch (e) {
    toastError('Could not print', {
      code: 'UNSUPPORTED_HERE',
      message: String(e),
      hint: 'Copy the key and store it in a password manager instead.',
    });
  } finally {
    // print() returns once the print dialog is closed; give it a moment either way.
    setTimeout(() => frame.remove(), 1000);
  }
}

export function SecretRecoveryKey(props: {
  recoveryKey: string;
  keyId: string;
  stored: boolean;
  onStored(stored: boolean): void;
  /** Rotation adds what it means for older backups. */
  rotated?: boolean;
}) {
  const { recoveryKey, keyId, stored, onStored, rotated } = props;
  const box = useRef<HTMLDivElement>(null);
  // Toasts sit below a modal dialog's backdrop: the Copy button itself says it worked.
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(t);
  }, [copied]);
  // This step replaces the previous one inside an open dialog: move the focus to it.
  useEffect(() => box.current?.focus(), []);

  async function copy() {
    if (await copyText(recoveryKey, 'Select the key and copy it with the keyboard instead.'))
      setCopied(true);
  }

  return (
    <div className="secret-recovery" data-testid="recovery-key-step" ref={box} tabIndex={-1}>
      <div className="result-banner result-ok" role="status">
        <Icon name="key" size={20} />
        <div>
          <strong>{rotated ? 'New recovery key' : 'Your recovery key'}</strong>
          <p>
            It decrypts this data directory&apos;s secrets without the passphrase or this
            machine&apos;s keychain. You need it to{' '}
            <strong>restore a backup on another machine</strong> (or if the passphrase is
            forgotten).
          </p>
        </div>
      </div>
      <div className="secret-recovery-key-box">
        <code className="secret-recovery-key selectable" data-testid="recovery-key">
          {recoveryKey}
        </code>
        <div className="button-row">
          <button type="button" className="button" onClick={() => void copy()}>
            <Icon name={copied ? 'check' : 'copy'} /> {copied ? 'Copied' : 'Copy'}
          </button>
          <button
            type="button"
            className="button"
            onClick={() => printRecoveryKey(recoveryKey, keyId)}
          >
            <Icon name="print" /> Print
          </button>
        </div>
      </div>
      <ul className="secret-notes">
        <li>
          It is shown again until you confirm below that it is stored; Stateward never writes it
          down anywhere.
        </li>
        <li>Store it in a password manager or print it and keep the sheet somewhere safe.</li>
        {rotated && (
          <li>
            Backups taken before this rotation were made with the old key: restoring one of them on
            another machine needs the <strong>old</strong> recovery key. Keep both.
          </li>
        )}
      </ul>
      <label className="check secret-stored-check">
        <input type="checkbox" checked={stored} onChange={(e) => onStored(e.target.checked)} />
        <span>I have stored the recovery key somewhere safe</span>
      </label>
    </div>
  );
}
