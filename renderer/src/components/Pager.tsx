import { formatCount } from '../format.ts';

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
