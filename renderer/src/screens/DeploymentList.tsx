// The virtualized deployments list: only visible rows are in the DOM, pages of
// 200 are fetched as they scroll into view, and it stays smooth at 100,000 rows.
// The list holds focus; arrows/Page/Home/End move, Enter opens the detail panel.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useId, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { ReactNode } from 'react';
import type { Deployment } from '../../../shared/domain.ts';
import { ErrorState } from '../components/States.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import type { DeploymentFilter } from '../deploymentPages.ts';
import { DeploymentPages } from '../deploymentPages.ts';
import { formatDuration, formatTime, plural } from '../format.ts';
import { useListKeys } from '../hooks/useListKeys.ts';
import { useWidth } from '../hooks/useWidth.ts';
import { useRevision } from '../stores/data.ts';

const ROW_HEIGHT = 44;
/** Below these widths the full column set (with the finish time) does not fit. */
const FULL_MIN_PX = 900;
const FULL_MIN_PX_NO_PROJECT = 740;

export function DeploymentList(props: {
  filter: DeploymentFilter;
  selectedId: number | null;
  onOpen(deployment: Deployment): void;
  onEscape?(): void;
  empty: ReactNode;
  showProject: boolean;
  /** Narrow layout beside the detail panel: the finish time is left out. */
  compact: boolean;
}) {
  const { filter, selectedId, onOpen, onEscape, empty, showProject } = props;
  // A narrow window gets the narrow layout too, rather than columns cut off at the edge.
  const [rootRef, width] = useWidth<HTMLDivElement>();
  const compact =
    props.compact ||
    (width !== null && width < (showProject ? FULL_MIN_PX : FULL_MIN_PX_NO_PROJECT));
  const cols = { showProject, compact };
  const template = columnsOf(cols);
  const filterKey = JSON.stringify(filter);
  // One page cache per filter; a new filter starts a fresh cache.
  // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed by the filter's value, not identity
  const pages = useMemo(() => new DeploymentPages(filter), [filterKey]);
  useSyncExternalStore(pages.subscribe, pages.getVersion);
  const rev = useRevision('deployments');
  const seenRev = useRef(rev);
  const parentRef = useRef<HTMLDivElement>(null);
  const id = useId();
  const [active, setActive] = useState(-1);
  const total = pages.total ?? 0;
  const current = Math.min(active, total - 1);

  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual is designed for this; its values are read only in this render
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => parentRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const firstVisible = items[0]?.index ?? 0;
  const lastVisible = items[items.length - 1]?.index ?? 0;

  useEffect(() => {
    pages.ensure(firstVisible, Math.max(lastVisible, firstVisible + 50));
  }, [pages, firstVisible, lastVisible]);

  useEffect(() => {
    if (rev !== seenRev.current) {
      seenRev.current = rev;
      pages.invalidate();
    }
  }, [rev, pages]);

  const onKeyDown = useListKeys({
    count: total,
    active: current,
    pageSize: () =>
      Math.max(1, Math.floor((parentRef.current?.clientHeight ?? 400) / ROW_HEIGHT) - 1),
    setActive: (i) => {
      setActive(i);
      virtualizer.scrollToIndex(i, { align: 'auto' });
    },
    onOpen: (i) => {
      const d = pages.row(i);
      if (d) onOpen(d);
    },
    onEscape,
  });

  if (pages.error && pages.total === null) {
    return <ErrorState error={pages.error} onRetry={() => pages.retry()} />;
  }

  return (
    <div className="dlist" ref={rootRef} data-compact={compact || undefined}>
      <div className="dlist-summary muted small" aria-live="polite">
        {pages.total === null ? 'Loading…' : plural(total, 'deployment')}
        {pages.error && (
          <span className="inline-error">
            {' '}
            · Some rows could not load: {pages.error.message}{' '}
            <button type="button" className="link-button" onClick={() => pages.retry()}>
              Retry
            </button>
          </span>
        )}
      </div>
      <div className="table-head" style={{ ['--columns' as string]: template }} aria-hidden="true">
        {showProject && <span className="cell">Project / environment</span>}
        <span className="cell">Version</span>
        <span className="cell">Status</span>
        <span className="cell">Started</span>
        {!compact && <span className="cell">Finished</span>}
        <span className="cell cell-end">Duration</span>
      </div>
      {pages.total === 0 ? (
        empty
      ) : (
        <div
          ref={parentRef}
          className="dlist-scroll"
          role="listbox"
          aria-label="Deployments"
          aria-busy={pages.total === null || undefined}
          tabIndex={0}
          aria-activedescendant={current >= 0 ? `${id}-d-${current}` : undefined}
          onKeyDown={onKeyDown}
          onFocus={() => {
            if (active < 0 && total > 0) setActive(firstVisible);
          }}
        >
          <div
            style={{
              height: virtualizer.getTotalSize(),
              position: 'relative',
              ['--columns' as string]: template,
            }}
          >
            {items.map((v) => {
              const d = pages.row(v.index);
              const cls = [
                'row',
                v.index === current ? 'row-active' : '',
                d && d.id === selectedId ? 'row-selected' : '',
              ]
                .filter(Boolean)
                .join(' ');
              return (
                <div
                  key={v.key}
                  id={`${id}-d-${v.index}`}
                  role="option"
                  aria-selected={d !== undefined && d.id === selectedId}
                  aria-posinset={v.index + 1}
                  aria-setsize={total}
                  data-index={v.index}
                  className={cls}
                  style={{ height: ROW_HEIGHT, transform: `translateY(${v.start}px)` }}
                  onClick={() => {
                    setActive(v.index);
                    if (d) onOpen(d);
                  }}
                >
                  {d ? <Cells d={d} {...cols} /> : <Placeholder {...cols} />}
                </div>
              );
            })}
          </div>
        </div>
      )}
    </div>
  );
}

interface ColumnOptions {
  showProject: boolean;
  compact: boolean;
}

function columnsOf({ showProject, compact }: ColumnOptions): string {
  if (compact) {
    // Beside the detail panel: names shrink first, the status and start time stay whole.
    return [
      showProject ? 'minmax(0, 1.6fr)' : null,
      'minmax(3.5rem, 0.6fr)',
      '7.5rem',
      '10.5rem',
      '5.75rem',
    ]
      .filter(Boolean)
      .join(' ');
  }
  return [
    showProject ? 'minmax(10rem, 1.4fr)' : null,
    'minmax(5rem, 0.7fr)',
    '7.5rem',
    'minmax(10.5rem, 1fr)',
    'minmax(10.5rem, 1fr)',
    '6rem',
  ]
    .filter(Boolean)
    .join(' ');
}

function Cells({ d, showProject, compact }: ColumnOptions & { d: Deployment }) {
  return (
    <>
      {showProject && (
        // Two lines, so a narrow list still shows whole names.
        <span className="cell cell-stack" title={`${d.projectName} / ${d.environmentName}`}>
          <strong className="truncate">{d.projectName}</strong>
          <span className="muted small truncate">{d.environmentName}</span>
        </span>
      )}
      <span className="cell mono truncate" title={d.version}>
        {d.version}
      </span>
      <span className="cell">
        <StatusBadge status={d.status} />
      </span>
      <span className="cell nowrap">{formatTime(d.startedAt)}</span>
      {!compact && (
        <span className="cell nowrap">
          {d.finishedAt === null ? <span className="muted">—</span> : formatTime(d.finishedAt)}
        </span>
      )}
      <span className="cell cell-end nowrap">
        {d.finishedAt === null ? (
          <span className="muted">in progress</span>
        ) : (
          formatDuration(d.finishedAt - d.startedAt)
        )}
      </span>
    </>
  );
}

function Placeholder({ showProject, compact }: ColumnOptions) {
  const n = 4 + (showProject ? 1 : 0) + (compact ? 0 : 1);
  return (
    <>
      {Array.from({ length: n }, (_, i) => (
        <span key={i} className="cell">
          <span className="skeleton" />
        </span>
      ))}
    </>
  );
}
