// Deployment screens: all deployments, and one environment's deployments. Both
// are a status filter, the virtualized list and the detail panel beside it.
import { useState } from 'react';
import type { DeploymentStatus } from '../../../shared/domain.ts';
import { DEPLOYMENT_STATUSES } from '../../../shared/domain.ts';
import { invoke } from '../api.ts';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { EmptyState, ErrorState, Loading } from '../components/States.tsx';
import { EnvironmentDialog, KIND_LABEL } from '../dialogs/EnvironmentDialog.tsx';
import { RecordDeploymentDialog } from '../dialogs/RecordDeploymentDialog.tsx';
import type { DeploymentFilter } from '../deploymentPages.ts';
import { STATUS_LABEL } from '../format.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { useRevision } from '../stores/data.ts';
import { useNav } from '../stores/nav.ts';
import { usePreviewId } from '../stores/preview.ts';
import { DeploymentDetailPanel } from './DeploymentDetail.tsx';
import { DeploymentList } from './DeploymentList.tsx';
import { SecretsEnvironmentTabs, SecretsPanel, useEnvironmentTab } from './SecretsPanel.tsx';

function DeploymentsView(props: {
  filter: DeploymentFilter;
  showProject: boolean;
  onRecord(): void;
}) {
  const { filter, showProject, onRecord } = props;
  const [status, setStatus] = useState<DeploymentStatus | ''>('');
  const deploymentId = useNav((s) => s.deploymentId);
  const openDeployment = useNav((s) => s.openDeployment);
  const close = () => {
    openDeployment(null);
    document.querySelector<HTMLElement>('.dlist-scroll')?.focus();
  };

  return (
    <>
      <div className="toolbar">
        <label className="inline-field">
          <span>Status</span>
          <select
            className="input"
            value={status}
            onChange={(e) => setStatus(e.target.value as DeploymentStatus | '')}
          >
            <option value="">All statuses</option>
            {DEPLOYMENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className={deploymentId === null ? 'split' : 'split split-open'}>
        <DeploymentList
          filter={status ? { ...filter, status } : filter}
          showProject={showProject}
          compact={deploymentId !== null}
          selectedId={deploymentId}
          onOpen={(d) => openDeployment(d.id)}
          onEscape={deploymentId === null ? undefined : close}
          empty={
            status ? (
              <EmptyState
                icon="search"
                title={`No ${STATUS_LABEL[status].toLowerCase()} deployments`}
              >
                Choose another status or show all.
              </EmptyState>
            ) : (
              <EmptyState
                icon="deployments"
                title="No deployments recorded yet"
                action={
                  filter.restoreId ? undefined : (
                    <button type="button" className="button button-primary" onClick={onRecord}>
                      <Icon name="plus" /> Record deployment
                    </button>
                  )
                }
              >
                Record what was deployed where, how it went, and the configuration it ran with.
              </EmptyState>
            )
          }
        />
        {deploymentId !== null && <DeploymentDetailPanel id={deploymentId} onClose={close} />}
      </div>
    </>
  );
}

export function AllDeployments() {
  const [recording, setRecording] = useState(false);
  // A restored copy being previewed is read instead of live, and cannot be changed.
  const restoreId = usePreviewId();
  const openDeployment = useNav((s) => s.openDeployment);
  const record = () => setRecording(true);
  return (
    <div className="page page-fill">
      <PageHeader
        title="All deployments"
        subtitle="Every deployment of every project, newest first."
        actions={
          restoreId ? undefined : (
            <button type="button" className="button button-primary" onClick={record}>
              <Icon name="plus" /> Record deployment
            </button>
          )
        }
      />
      <DeploymentsView filter={restoreId ? { restoreId } : {}} showProject onRecord={record} />
      {recording && (
        <RecordDeploymentDialog
          onClose={() => setRecording(false)}
          onRecorded={(d) => openDeployment(d.id)}
        />
      )}
    </div>
  );
}

export function EnvironmentScreen(props: { projectId: number; environmentId: number }) {
  const { projectId, environmentId } = props;
  const go = useNav((s) => s.go);
  const openDeployment = useNav((s) => s.openDeployment);
  const rev = useRevision('projects', 'environments');
  // A restored copy being previewed is read instead of live, and cannot be changed.
  const restoreId = usePreviewId();
  const project = useQuery(
    `project:${restoreId ?? 'live'}:${projectId}`,
    () => invoke('projects.get', { id: projectId, restoreId }),
    rev,
  );
  const env = useQuery(
    `environment:${restoreId ?? 'live'}:${environmentId}`,
    () => invoke('environments.get', { id: environmentId, restoreId }),
    rev,
  );
  const [editing, setEditing] = useState(false);
  const [recording, setRecording] = useState(false);
  const [tab, setTab] = useEnvironmentTab();
  const record = () => setRecording(true);
  const crumbs = [
    { label: 'Projects', onClick: () => go({ view: 'projects' }) },
    {
      label: project.data?.name ?? 'Project',
      onClick: () => go({ view: 'project', projectId }),
    },
  ];

  const error = env.error ?? project.error;
  if (error) {
    return (
      <div className="page">
        <PageHeader title="Environment" crumbs={crumbs} />
        <ErrorState title="Could not open this environment" error={error} onRetry={env.reload} />
      </div>
    );
  }
  if (!env.data) return <Loading />;
  const e = env.data;

  return (
    <div className="page page-fill">
      <PageHeader
        crumbs={crumbs}
        current={e.name}
        title={
          <>
            {e.name} <span className={`pill pill-kind-${e.kind}`}>{KIND_LABEL[e.kind]}</span>
          </>
        }
        subtitle={e.description || undefined}
        actions={
          restoreId ? undefined : (
            <>
              <button type="button" className="button" onClick={() => setEditing(true)}>
                <Icon name="edit" /> Edit environment
              </button>
              <button type="button" className="button button-primary" onClick={record}>
                <Icon name="plus" /> Record deployment
              </button>
            </>
          )
        }
      />
      <SecretsEnvironmentTabs environmentId={environmentId} tab={tab} onTab={setTab} />
      {tab === 'secrets' ? (
        <SecretsPanel environmentId={environmentId} environmentName={e.name} />
      ) : (
        <DeploymentsView
          filter={restoreId ? { environmentId, restoreId } : { environmentId }}
          showProject={false}
          onRecord={record}
        />
      )}
      {editing && (
        <EnvironmentDialog
          projectId={projectId}
          environment={e}
          onClose={() => setEditing(false)}
        />
      )}
      {recording && (
        <RecordDeploymentDialog
          projectId={projectId}
          environmentId={environmentId}
          onClose={() => setRecording(false)}
          onRecorded={(d) => openDeployment(d.id)}
        />
      )}
    </div>
  );
}
