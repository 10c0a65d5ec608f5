// A keyboard-navigable list of rows laid out as columns (projects, environments,
// audit entries). The container holds focus; arrows move the active row, Enter
// or a click opens it.
import type { ReactNode } from 'react';
import { useEffect, useId, useState } from 'react';
import { useListKeys } from '../hooks/useListKeys.ts';

export interface Column<T> {
  title: string;
  width: string;
  render(item: T): ReactNode;
  align?: 'end';
}

export interface ListBoxProps<T> {
  label: string;
  items: readonly T[];
  columns: readonly Column<T>[];
  rowKey(item: T): string | number;
  onOpen?(item: T): void;
  busy?: boolean;
  /** The row whose details are open elsewhere (highlighted). */
  selectedKey?: string | number | null;
  onEscape?(): void;
}

export function ListBox<T>(props: ListBoxProps<T>) {
  const { label, items, columns, rowKey, onOpen, busy, selectedKey, onEscape } = props;
  const id = useId();
  const [active, setActive] = useState(-1);
  const current = Math.min(active, items.length - 1);
  const template = columns.map((c) => c.width).join(' ');
  const onKeyDown = useListKeys({
    count: items.length,
    active: current,
    setActive,
    onOpen: onOpen ? (i) => onOpen(items[i] as T) : undefined,
    onEscape,
  });

  useEffect(() => {
    if (current >= 0)
      document.getElementById(`${id}-row-${current}`)?.scrollIntoView({ block: 'nearest' });
  }, [current, id]);

  return (
    <div className="table" style={{ ['--columns' as string]: template }}>
      <div className="table-head" aria-hidden="true">
        {columns.map((c) => (
          <span key={c.title} className={c.align === 'end' ? 'cell cell-end' : 'cell'}>
            {c.title}
          </span>
        ))}
      </div>
      <div
        className="table-body"
        role="listbox"
        aria-label={label}
        aria-busy={busy || undefined}
        tabIndex={0}
        aria-activedescendant={current >= 0 ? `${id}-row-${current}` : undefined}
        onKeyDown={onKeyDown}
        onFocus={() => {
          if (active < 0 && items.length > 0) setActive(0);
        }}
      >
        {items.map((item, i) => (
          <div
            key={rowKey(item)}
            id={`${id}-row-${i}`}
            role="option"
            aria-selected={i === current}
            className={[
              'row',
              i === current ? 'row-active' : '',
              selectedKey !== undefined && selectedKey !== null && rowKey(item) === selectedKey
                ? 'row-selected'
                : '',
            ]
              .filter(Boolean)
              .join(' ')}
            onClick={() => {
              setActive(i);
              onOpen?.(item);
            }}
          >
            {columns.map((c) => (
              <span key={c.title} className={c.align === 'end' ? 'cell cell-end' : 'cell'}>
                {c.render(item)}
              </span>
            ))}
          </div>
        ))}
      </div>
    </div>
  );
}
