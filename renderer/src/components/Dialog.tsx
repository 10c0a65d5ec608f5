// A modal built on <dialog>: the browser traps focus and turns Escape into
// `cancel`, which closes it. Children render only while open. On opening, the
// focus goes to the element marked `data-autofocus`, else the first field, else
// the safe default button — never the × (typing would do nothing and Enter would
// close it) and never a destructive button (Enter would run it).
import type { ReactNode } from 'react';
import { useEffect, useId, useRef } from 'react';
import { Icon } from './Icon.tsx';

const FIELD =
  'input:not([type="hidden"]):not(:disabled), select:not(:disabled), textarea:not(:disabled)';
/** Buttons Enter may safely press: enabled, not destructive (the header's × is not in the footer). */
const SAFE_BUTTON =
  '.dialog-footer button:not(:disabled):not([aria-disabled="true"]):not(.button-danger):not(.button-danger-solid)';

/** Where the focus goes when a dialog opens (exported for the wizards that change step in place). */
export function initialFocusOf(root: HTMLElement): HTMLElement | null {
  return (
    root.querySelector<HTMLElement>('[data-autofocus]') ??
    root.querySelector<HTMLElement>(`.dialog-body :is(${FIELD})`) ??
    root.querySelector<HTMLElement>(`${SAFE_BUTTON}[type="submit"]`) ??
    // Nothing to type into and nothing safe to submit (yet): the body, so Enter does nothing.
    root.querySelector<HTMLElement>('.dialog-body')
  );
}

export function Dialog(props: {
  open: boolean;
  title: string;
  onClose(): void;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
  onSubmit?(): void;
}) {
  const { open, title, onClose, children, footer, wide, onSubmit } = props;
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const closeRef = useRef(onClose);
  useEffect(() => {
    closeRef.current = onClose;
  });

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (!open) {
      if (d.open) d.close();
      return;
    }
    // The control that opened it gets the focus back when it closes (also when the dialog
    // unmounts with its screen, where the browser's own restore does not happen).
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!d.open) {
      d.showModal();
      // React's autoFocus runs before the dialog is shown; `data-autofocus` marks what to focus then.
      initialFocusOf(d)?.focus();
    }
    // While the focus rests on the body (a list still loading, a wizard step just replaced),
    // give it to the first field as soon as one appears.
    const resting = () => {
      const a = document.activeElement;
      return a === null || a === document.body || a === d || a?.classList.contains('dialog-body');
    };
    const observer = new MutationObserver(() => {
      if (!resting()) return;
      const target = initialFocusOf(d);
      if (target && !target.classList.contains('dialog-body')) target.focus();
    });
    observer.observe(d, { childList: true, subtree: true, attributes: true });
    // Someone using the mouse decides where the focus goes.
    const stop = () => observer.disconnect();
    d.addEventListener('pointerdown', stop, { once: true });
    // The browser's Back/Forward go to another screen: close the dialog as × would,
    // rather than leave it floating over a screen it does not belong to.
    const onPopState = () => closeRef.current();
    window.addEventListener('popstate', onPopState);
    return () => {
      observer.disconnect();
      d.removeEventListener('pointerdown', stop);
      window.removeEventListener('popstate', onPopState);
      setTimeout(() => {
        const a = document.activeElement;
        const lost = a === null || a === document.body;
        if (lost && opener?.isConnected && !opener.closest('dialog:not([open])')) opener.focus();
      });
    };
  }, [open]);

  return (
    <dialog
      ref={ref}
      className={wide ? 'dialog dialog-wide' : 'dialog'}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {open && (
        <form
          method="dialog"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            onSubmit?.();
          }}
        >
          <header className="dialog-header">
            <h2 id={titleId}>{title}</h2>
            <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
              <Icon name="close" />
            </button>
          </header>
          <div className="dialog-body" tabIndex={-1}>
            {children}
          </div>
          {footer && <footer className="dialog-footer">{footer}</footer>}
        </form>
      )}
    </dialog>
  );
}

/** The footer of a form dialog: Cancel, and the submit button, disabled while busy. */
export function DialogButtons(props: {
  onCancel(): void;
  busy: boolean;
  /** The submit button's text while busy ("Saving…"). */
  busyLabel: string;
  children: ReactNode;
}) {
  const { onCancel, busy, busyLabel, children } = props;
  return (
    <>
      <button type="button" className="button" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? busyLabel : children}
      </button>
    </>
  );
}
