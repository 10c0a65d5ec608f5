// Keyboard navigation for a list whose container holds focus: arrows, Home/End,
// PageUp/PageDown move the active row, Enter opens it, Escape calls `onEscape`
// (even on an empty list). The active row is exposed through
// aria-activedescendant, which works for virtualized lists too.
import type { KeyboardEvent } from 'react';
import { useCallback } from 'react';

export function useListKeys(opts: {
  count: number;
  active: number;
  setActive(index: number): void;
  onOpen?(index: number): void;
  onEscape?(): void;
  /** Rows per PageUp/PageDown; a function is asked at key time (e.g. from the viewport). */
  pageSize?: number | (() => number);
}): (e: KeyboardEvent<HTMLElement>) => void {
  const { count, active, setActive, onOpen, onEscape, pageSize = 10 } = opts;
  return useCallback(
    (e: KeyboardEvent<HTMLElement>) => {
      if (e.key === 'Escape' && onEscape) {
        e.preventDefault();
        onEscape();
        return;
      }
      if (count === 0 || e.altKey || e.ctrlKey || e.metaKey) return;
      const clamp = (i: number) => Math.max(0, Math.min(count - 1, i));
      const from = active < 0 ? -1 : active;
      const page = typeof pageSize === 'function' ? pageSize() : pageSize;
      let next: number;
      switch (e.key) {
        case 'ArrowDown':
          next = clamp(from + 1);
          break;
        case 'ArrowUp':
          next = clamp(from < 0 ? 0 : from - 1);
          break;
        case 'Home':
          next = 0;
          break;
        case 'End':
          next = count - 1;
          break;
        case 'PageDown':
          next = clamp(from + page);
          break;
        case 'PageUp':
          next = clamp(from - page);
          break;
        case 'Enter':
          if (from >= 0 && onOpen) {
            e.preventDefault();
            onOpen(from);
          }
          return;
        default:
          return;
      }
      e.preventDefault();
      setActive(next);
    },
    [count, active, setActive, onOpen, onEscape, pageSize],
  );
}
