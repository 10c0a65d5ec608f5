// The audit log, newest first, paged; optionally narrowed to one action.
import { useState } from 'react';
import type { AuditEntry } from '../../../shared/domain.ts';
import { invoke } from '../api.ts';
import type { Column } from '../components/ListBox.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { PagedListBox } from '../components/Pager.tsx';
import { SearchBox } from '../components/SearchBox.tsx';
import { EmptyState, ErrorState, Loading } from '../components/States.tsx';
import { formatClock, formatDate, formatTimeExact } from '../format.ts';
import { useDebounced } from '../hooks/useDebounced.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { useRevision } from '../stores/data.ts';
import { usePreviewId } from '../stores/preview.ts';

const PAGE = 100;

function detailText(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' · ');
}

/** "backup:7e9a6820918fe2e8" → the kind in words and a short id (the whole one in its title). */
function Target({ target }: { target: string }) {
  const m = /^([a-z-]+):(.+)$/.exec(target);
  if (!m) return <span className="truncate">{target || '—'}</span>;
  const [, kind, id] = m;
  return (
    <span className="nowrap" title={target}>
      {kind} <code className="small">{id!.length > 10 ? `${id!.slice(0, 8)}…` : id}</code>
    </span>
  );
}

const COLUMNS: Column<AuditEntry>[] = [
  {
    title: 'Time',
    width: '7.5rem',
    render: (a) => (
      <span className="cell-stack nowrap" title={formatTimeExact(a.ts)}>
        <span>{formatDate(a.ts)}</span>
        <span className="muted small">{formatClock(a.ts)}</span>
      </span>
    ),
  },
  {
    title: 'Action',
    width: 'minmax(9.25rem, 0.8fr)',
    render: (a) => <code className="truncate">{a.action}</code>,
  },
  {
    title: 'Target · actor',
    width: 'minmax(8.5rem, 0.9fr)',
    render: (a) => (
      <span className="cell-stack">
        <Target target={a.target} />
        <span className="muted small truncate">by {a.actor}</span>
      </span>
    ),
  },
  {
    title: 'Detail',
    width: 'minmax(10rem, 1.6fr)',
    render: (a) => {
      const text = detailText(a.detail);
      // Wraps (up to three lines) instead of cutting a short detail off.
      return (
        <span className="muted audit-detail" title={text}>
          {text || '—'}
        </span>
      );
    },
  },
];

export function Audit() {
  const [offset, setOffset] = useState(0);
  const [action, setAction] = useState('');
  const filter = useDebounced(action.trim(), 250);
  const rev = useRevision('audit');
  // A restored copy being previewed is read instead of live.
  const restoreId = usePreviewId();
  const list = useQuery(
    `audit:${restoreId ?? 'live'}:${filter}:${offset}`,
    () => invoke('audit.list', { offset, limit: PAGE, action: filter || undefined, restoreId }),
    rev,
  );

  let body;
  if (list.error) body = <ErrorState error={list.error} onRetry={list.reload} />;
  else if (!list.data) body = <Loading />;
  else if (list.data.total === 0)
    body = filter ? (
      <EmptyState icon="search" title={`No entries with action “${filter}”`}>
        Actions are matched exactly, for example <code>project.created</code>.
      </EmptyState>
    ) : (
      <EmptyState icon="audit" title="The audit log is empty">
        Every change to projects, environments and deployments is recorded here.
      </EmptyState>
    );
  else
    body = (
      <PagedListBox
        label="Audit log"
        page={list.data}
        columns={COLUMNS}
        rowKey={(a) => a.id}
        busy={list.loading}
        noun="entries"
        offset={offset}
        limit={PAGE}
        onOffset={setOffset}
      />
    );

  return (
    <div className="page">
      <PageHeader title="Audit log" subtitle="Who changed what, newest first." />
      <SearchBox
        label="Filter by action"
        placeholder="Filter by action, e.g. project.created"
        value={action}
        onChange={(v) => {
          setAction(v);
          setOffset(0);
        }}
      />
      {body}
    </div>
  );
}
