// The side panel with the details of the row open in a list: it takes the focus
// when it opens (and when it switches to another row), and Escape or its close
// button closes it.
import type { ReactNode } from 'react';
import { useEffect, useRef } from 'react';
import { Icon } from './Icon.tsx';

export function DetailPanel(props: {
  className: string;
  label: string;
  title: ReactNode;
  titleClassName?: string;
  /** What the panel shows (a row's id): it takes the focus again when this changes. */
  showing: string | number;
  onClose(): void;
  children: ReactNode;
}) {
  const { className, label, title, titleClassName, showing, onClose, children } = props;
  const panelRef = useRef<HTMLElement>(null);

  useEffect(() => {
    panelRef.current?.focus();
  }, [showing]);

  return (
    <aside
      ref={panelRef}
      className={className}
      aria-label={label}
      tabIndex={-1}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onClose();
        }
      }}
    >
      <header className="detail-header">
        <h2 className={titleClassName}>{title}</h2>
        <button type="button" className="icon-button" aria-label="Close details" onClick={onClose}>
          <Icon name="close" />
        </button>
      </header>
      {children}
    </aside>
  );
}
