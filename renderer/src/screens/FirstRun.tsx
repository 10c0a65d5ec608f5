// The first screen of an empty data directory: load demo data, start empty, or
// (a local one) connect to the team's database.
import { useState } from 'react';
import type { AppStatus } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke } from '../api.ts';
import { Icon } from '../components/Icon.tsx';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { useTeam } from '../components/TeamBanner.tsx';
import { ConnectTeamButton } from '../dialogs/ConnectTeamDialog.tsx';
import { ProjectDialog } from '../dialogs/ProjectDialog.tsx';
import { FormError } from '../dialogs/FormError.tsx';
import { plural } from '../format.ts';
import { useApp } from '../stores/app.ts';
import { useNav } from '../stores/nav.ts';
import { latestOf, useProgress } from '../stores/progress.ts';
import { toastSuccess } from '../stores/toasts.ts';

const SIZES = {
  small: { projects: 6, deployments: 400, label: 'Small: 6 projects, 400 deployments' },
  large: { projects: 6, deployments: 100_000, label: 'Large: 6 projects, 100,000 deployments' },
} as const;
type Size = keyof typeof SIZES;

export function FirstRun({ status }: { status: AppStatus }) {
  const [size, setSize] = useState<Size>('small');
  const [seeding, setSeeding] = useState(false);
  const [error, setError] = useState<AppErrorShape | null>(null);
  const [creating, setCreating] = useState(false);
  const progress = useProgress((s) => latestOf(s.ops, 'demo.seed'));
  const clearProgress = useProgress((s) => s.clear);
  const refreshStatus = useApp((s) => s.refreshStatus);
  const go = useNav((s) => s.go);
  const { team } = useTeam();

  async function seed() {
    setSeeding(true);
    setError(null);
    clearProgress('demo.seed');
    const { projects, deployments } = SIZES[size];
    const r = await invoke('demo.seed', { projects, deployments });
    if (r.ok) {
      toastSuccess(
        'Demo data loaded',
        `${plural(r.value.projects, 'project')}, ${plural(r.value.environments, 'environment')}, ${plural(r.value.deployments, 'deployment')}.`,
      );
      await refreshStatus();
    } else {
      setError(r.error);
    }
    clearProgress('demo.seed');
    setSeeding(false);
  }

  return (
    <div className="first-run">
      <div className="first-run-intro">
        <h1>Welcome to Stateward</h1>
        <p>
          This data directory has no projects yet. Stateward keeps your projects, environments and
          deployment history in it:
        </p>
        <p className="path first-run-dir">{status.dataDir}</p>
      </div>
      <FormError error={error} />
      <div className="choice-grid">
        <section className="card choice" aria-labelledby="choice-demo">
          <Icon name="database" size={24} />
          <h2 id="choice-demo">Load demo data</h2>
          <p className="muted">
            Sample projects with environments, configuration snapshots, deployments, logs and an
            audit trail — a quick way to look around.
          </p>
          <label className="inline-field">
            <span>Size</span>
            <select
              className="input"
              value={size}
              disabled={seeding}
              onChange={(e) => setSize(e.target.value as Size)}
              aria-label="Demo data size"
            >
              {(Object.keys(SIZES) as Size[]).map((k) => (
                <option key={k} value={k}>
                  {SIZES[k].label}
                </option>
              ))}
            </select>
          </label>
          {seeding ? (
            <ProgressBar progress={progress} label="Loading demo data…" />
          ) : (
            <button type="button" className="button button-primary" onClick={() => void seed()}>
              Load demo data
            </button>
          )}
        </section>
        <section className="card choice" aria-labelledby="choice-empty">
          <Icon name="projects" size={24} />
          <h2 id="choice-empty">Start empty</h2>
          <p className="muted">
            Create your first project, then add its environments and record deployments.
          </p>
          <button
            type="button"
            className="button"
            disabled={seeding}
            onClick={() => setCreating(true)}
          >
            Create a project
          </button>
        </section>
        {team === null && (
          <section className="card choice" aria-labelledby="choice-team">
            <Icon name="shield" size={24} />
            <h2 id="choice-team">Join a team</h2>
            <p className="muted">
              Work on the Stateward database your team shares on PostgreSQL (or set up an empty one
              for it).
            </p>
            <ConnectTeamButton />
          </section>
        )}
      </div>
      {creating && (
        <ProjectDialog
          onClose={() => setCreating(false)}
          onSaved={(p) => {
            void refreshStatus();
            go({ view: 'project', projectId: p.id });
          }}
        />
      )}
    </div>
  );
}
