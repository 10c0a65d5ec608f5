// One project: its details and environments.
import { useState } from 'react';
import type { Environment } from '../../../shared/domain.ts';
import { invoke } from '../api.ts';
import { Icon } from '../components/Icon.tsx';
import type { Column } from '../components/ListBox.tsx';
import { ListBox } from '../components/ListBox.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { EmptyState, ErrorState, Loading } from '../components/States.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { EnvironmentDialog, KIND_LABEL } from '../dialogs/EnvironmentDialog.tsx';
import { ProjectDialog } from '../dialogs/ProjectDialog.tsx';
import {
  formatClock,
  formatCount,
  formatDate,
  formatTime,
  formatTimeExact,
  plural,
} from '../format.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { useRevision } from '../stores/data.ts';
import { useNav } from '../stores/nav.ts';
import { usePreviewId } from '../stores/preview.ts';

const COLUMNS: Column<Environment>[] = [
  {
    title: 'Environment',
    width: 'minmax(8rem, 1fr)',
    render: (e) => (
      <span className="cell-stack">
        <strong className="truncate">{e.name}</strong>
        {e.description && <span className="muted small truncate">{e.description}</span>}
      </span>
    ),
  },
  {
    title: 'Kind',
    width: '7rem',
    render: (e) => <span className={`pill pill-kind-${e.kind}`}>{KIND_LABEL[e.kind]}</span>,
  },
  {
    title: 'Deployments',
    width: '6.5rem',
    align: 'end',
    render: (e) => formatCount(e.deploymentCount),
  },
  {
    title: 'Last deployment',
    width: '8rem',
    render: (e) =>
      e.lastDeploymentAt === null ? (
        <span className="muted">Never</span>
      ) : (
        <span className="cell-stack nowrap" title={formatTimeExact(e.lastDeploymentAt)}>
          <span>{formatDate(e.lastDeploymentAt)}</span>
          <span className="muted small">{formatClock(e.lastDeploymentAt)}</span>
        </span>
      ),
  },
  {
    title: 'Last status',
    width: '7.5rem',
    render: (e) =>
      e.lastStatus ? <StatusBadge status={e.lastStatus} /> : <span className="muted">—</span>,
  },
];

export function ProjectScreen({ projectId }: { projectId: number }) {
  const go = useNav((s) => s.go);
  const projectRev = useRevision('projects', 'environments', 'deployments');
  const envRev = useRevision('environments', 'deployments');
  // A restored copy being previewed is read instead of live, and cannot be changed.
  const restoreId = usePreviewId();
  const project = useQuery(
    `project:${restoreId ?? 'live'}:${projectId}`,
    () => invoke('projects.get', { id: projectId, restoreId }),
    projectRev,
  );
  const envs = useQuery(
    `project-envs:${restoreId ?? 'live'}:${projectId}`,
    () => invoke('environments.list', { projectId, restoreId }),
    envRev,
  );
  const [editing, setEditing] = useState(false);
  const [creating, setCreating] = useState(false);

  if (project.error) {
    return (
      <div className="page">
        <PageHeader
          title="Project"
          crumbs={[{ label: 'Projects', onClick: () => go({ view: 'projects' }) }]}
        />
        <ErrorState
          title="Could not open this project"
          error={project.error}
          onRetry={project.reload}
        />
      </div>
    );
  }
  if (!project.data) return <Loading />;
  const p = project.data;

  const newButton = restoreId ? undefined : (
    <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
      <Icon name="plus" /> New environment
    </button>
  );

  let body;
  if (envs.error) body = <ErrorState error={envs.error} onRetry={envs.reload} />;
  else if (!envs.data) body = <Loading />;
  else if (envs.data.length === 0)
    body = (
      <EmptyState icon="deployments" title="No environments yet" action={newButton}>
        Add the places this project is deployed to, such as staging and production.
      </EmptyState>
    );
  else
    body = (
      <ListBox
        label={`Environments of ${p.name}`}
        items={envs.data}
        columns={COLUMNS}
        rowKey={(e) => e.id}
        busy={envs.loading}
        onOpen={(e) => go({ view: 'environment', projectId, environmentId: e.id })}
      />
    );

  return (
    <div className="page">
      <PageHeader
        crumbs={[{ label: 'Projects', onClick: () => go({ view: 'projects' }) }]}
        title={p.name}
        subtitle={p.description || undefined}
        actions={
          restoreId ? undefined : (
            <>
              <button type="button" className="button" onClick={() => setEditing(true)}>
                <Icon name="edit" /> Edit project
              </button>
              {newButton}
            </>
          )
        }
      />
      <p className="meta-line muted">
        {plural(p.environmentCount, 'environment')} · {plural(p.deploymentCount, 'deployment')} ·
        created {formatTime(p.createdAt)}
      </p>
      <h2 className="section-title">Environments</h2>
      {body}
      {editing && <ProjectDialog project={p} onClose={() => setEditing(false)} />}
      {creating && (
        <EnvironmentDialog
          projectId={projectId}
          onClose={() => setCreating(false)}
          onSaved={(e) => go({ view: 'environment', projectId, environmentId: e.id })}
        />
      )}
    </div>
  );
}
