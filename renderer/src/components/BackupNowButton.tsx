// "Back up now" is one click: a full backup into the backups folder. Beside it,
// out of the way, an Options… menu offers a compact backup and a backup with a
// copy saved where the user chooses. A menu: Arrow keys move, Escape and Tab close.
import type { KeyboardEvent } from 'react';
import { useEffect, useId, useRef, useState } from 'react';
import { platform } from '../api.ts';
import { BACKUP_AND_SAVE_LABEL } from '../backups.ts';
import type { BackupOptions } from '../stores/backupWizard.ts';
import { useBackupWizard } from '../stores/backupWizard.ts';
import { Icon } from './Icon.tsx';

/** The menu's width in styles.css (.menu: 22rem). */
const MENU_WIDTH_PX = 22 * 16;

export function BackupNowButton({ small = false }: { small?: boolean }) {
  const start = useBackupWizard((s) => s.start);
  const [open, setOpen] = useState(false);
  // The menu opens towards the side with room (the buttons sit left in a narrow page header).
  const [alignEnd, setAlignEnd] = useState(true);
  const wrap = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  const menuId = useId();
  const size = small ? ' button-small' : '';

  useEffect(() => {
    if (!open) return;
    wrap.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    const outside = (e: MouseEvent) => {
      if (!wrap.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', outside);
    return () => document.removeEventListener('mousedown', outside);
  }, [open]);

  function choose(options: BackupOptions) {
    setOpen(false);
    void start(options);
  }

  function onMenuKey(e: KeyboardEvent<HTMLDivElement>) {
    const items = [...(wrap.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const at = items.indexOf(document.activeElement as HTMLElement);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const step = e.key === 'ArrowDown' ? 1 : -1;
      items[(at + step + items.length) % items.length]?.focus();
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      (e.key === 'Home' ? items[0] : items.at(-1))?.focus();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
      toggle.current?.focus();
    } else if (e.key === 'Tab') {
      setOpen(false);
    }
  }

  return (
    <div className="backup-now" ref={wrap}>
      <button type="button" className={`button button-primary${size}`} onClick={() => choose({})}>
        <Icon name="backup" /> Back up now
      </button>
      <button
        ref={toggle}
        type="button"
        className={`button${size}`}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        title="Compact backup, or save a copy elsewhere"
        onClick={() => {
          const box = wrap.current?.getBoundingClientRect();
          if (box) setAlignEnd(box.left + MENU_WIDTH_PX > window.innerWidth - 16);
          setOpen(!open);
        }}
      >
        Options…
      </button>
      {open && (
        <div
          id={menuId}
          className={alignEnd ? 'menu menu-end' : 'menu menu-start'}
          role="menu"
          aria-label="Backup options"
          onKeyDown={onMenuKey}
        >
          <button
            type="button"
            role="menuitem"
            className="menu-item"
            tabIndex={-1}
            onClick={() => choose({ compact: true })}
          >
            <strong>Compact backup</strong>
            <span className="muted small">
              Strips metrics and resource status (re-created as the app runs) and vacuums. Smaller,
              slower to make.
            </span>
          </button>
          <button
            type="button"
            role="menuitem"
            className="menu-item"
            tabIndex={-1}
            onClick={() => choose({ saveCopy: true })}
          >
            <strong>{BACKUP_AND_SAVE_LABEL}</strong>
            <span className="muted small">
              {platform === 'electron'
                ? 'A full backup in the backups folder, then a copy where you choose (a USB drive, a shared folder). Stateward does not manage that copy.'
                : 'A full backup in the backups folder, then your browser downloads a copy. Stateward does not manage that copy.'}
            </span>
          </button>
        </div>
      )}
    </div>
  );
}
