// All projects: search by name, paged, Enter or click opens one.
import { useState } from 'react';
import type { Project } from '../../../shared/domain.ts';
import { invoke } from '../api.ts';
import type { Column } from '../components/ListBox.tsx';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { PagedListBox } from '../components/Pager.tsx';
import { SearchBox } from '../components/SearchBox.tsx';
import { EmptyState, ErrorState, Loading } from '../components/States.tsx';
import { ProjectDialog } from '../dialogs/ProjectDialog.tsx';
import { formatCount, formatTime } from '../format.ts';
import { useDebounced } from '../hooks/useDebounced.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { useRevision } from '../stores/data.ts';
import { useNav } from '../stores/nav.ts';
import { usePreviewId } from '../stores/preview.ts';

const PAGE = 50;

const COLUMNS: Column<Project>[] = [
  {
    title: 'Project',
    width: 'minmax(12rem, 1.2fr)',
    render: (p) => (
      <span className="cell-stack">
        <strong className="truncate">{p.name}</strong>
        {p.description && <span className="muted small truncate">{p.description}</span>}
      </span>
    ),
  },
  {
    title: 'Environments',
    width: '8rem',
    align: 'end',
    render: (p) => formatCount(p.environmentCount),
  },
  {
    title: 'Deployments',
    width: '8rem',
    align: 'end',
    render: (p) => formatCount(p.deploymentCount),
  },
  {
    title: 'Last deployment',
    width: '12rem',
    render: (p) =>
      p.lastDeploymentAt === null ? (
        <span className="muted">Never</span>
      ) : (
        formatTime(p.lastDeploymentAt)
      ),
  },
];

export function Projects() {
  const [search, setSearch] = useState('');
  const [offset, setOffset] = useState(0);
  const [creating, setCreating] = useState(false);
  const query = useDebounced(search.trim(), 200);
  // Projects show environment and deployment counts, so any of these changes them.
  const rev = useRevision('projects', 'environments', 'deployments');
  const go = useNav((s) => s.go);
  // A restored copy being previewed is read instead of live, and cannot be changed.
  const restoreId = usePreviewId();
  const list = useQuery(
    `projects:${restoreId ?? 'live'}:${query}:${offset}`,
    () => invoke('projects.list', { query: query || undefined, offset, limit: PAGE, restoreId }),
    rev,
  );

  const newButton = restoreId ? undefined : (
    <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
      <Icon name="plus" /> New project
    </button>
  );

  let body;
  if (list.error) body = <ErrorState error={list.error} onRetry={list.reload} />;
  else if (!list.data) body = <Loading />;
  else if (list.data.total === 0)
    body = query ? (
      <EmptyState icon="search" title={`No project matches “${query}”`}>
        Try another part of the name.
      </EmptyState>
    ) : (
      <EmptyState icon="projects" title="No projects yet" action={newButton}>
        A project groups the environments you deploy to.
      </EmptyState>
    );
  else
    body = (
      <PagedListBox
        label="Projects"
        page={list.data}
        columns={COLUMNS}
        rowKey={(p) => p.id}
        busy={list.loading}
        onOpen={(p) => go({ view: 'project', projectId: p.id })}
        noun="projects"
        offset={offset}
        limit={PAGE}
        onOffset={setOffset}
      />
    );

  return (
    <div className="page">
      <PageHeader title="Projects" actions={newButton} />
      <SearchBox
        label="Search projects by name"
        placeholder="Search projects by name"
        value={search}
        onChange={(v) => {
          setSearch(v);
          setOffset(0);
        }}
      />
      {body}
      {creating && (
        <ProjectDialog
          onClose={() => setCreating(false)}
          onSaved={(p) => go({ view: 'project', projectId: p.id })}
        />
      )}
    </div>
  );
}
