import { formatCount } from '../format.ts';
import type { ListBoxProps } from './ListBox.tsx';
import { ListBox } from './ListBox.tsx';

export function Pager(props: {
  offset: number;
  limit: number;
  total: number;
  shown: number;
  onOffset(offset: number): void;
  noun: string;
}) {
  const { offset, limit, total, shown, onOffset, noun } = props;
  if (total === 0) return null;
  return (
    <nav className="pager" aria-label={`${noun} pages`}>
      <span className="pager-range">
        {formatCount(offset + 1)}–{formatCount(offset + shown)} of {formatCount(total)} {noun}
      </span>
      <button
        type="button"
        className="button button-small"
        disabled={offset === 0}
        onClick={() => onOffset(Math.max(0, offset - limit))}
      >
        Previous
      </button>
      <button
        type="button"
        className="button button-small"
        disabled={offset + shown >= total}
        onClick={() => onOffset(offset + limit)}
      >
        Next
      </button>
    </nav>
  );
}

/** One page of a longer list: the rows, then the pager under them. */
export function PagedListBox<T>(
  props: Omit<ListBoxProps<T>, 'items'> & {
    page: { items: readonly T[]; total: number };
    /** What the rows are, for the pager ("projects"). */
    noun: string;
    offset: number;
    limit: number;
    onOffset(offset: number): void;
  },
) {
  const { page, noun, offset, limit, onOffset, ...list } = props;
  return (
    <>
      <ListBox {...list} items={page.items} />
      <Pager
        noun={noun}
        offset={offset}
        limit={limit}
        total={page.total}
        shown={page.items.length}
        onOffset={onOffset}
      />
    </>
  );
}
