// Record a deployment: where, what version, its status and diagnostics, and
// optionally the configuration it ran with (saved first as a snapshot, whose id
// the deployment then references).
import { useState } from 'react';
import type { DeploymentDetail, DeploymentStatus } from '../../../shared/domain.ts';
import { DEPLOYMENT_STATUSES } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke } from '../api.ts';
import { Dialog, DialogButtons } from '../components/Dialog.tsx';
import { Field, OptionSelect } from '../components/Field.tsx';
import type { FieldErrors } from '../errors.ts';
import { fieldErrorsOf } from '../errors.ts';
import { STATUS_LABEL } from '../format.ts';
import { useDebounced } from '../hooks/useDebounced.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { useRevision } from '../stores/data.ts';
import { toastSuccess } from '../stores/toasts.ts';
import { FormError } from './FormError.tsx';

const FIELDS = [
  'projectId',
  'environmentId',
  'version',
  'status',
  'accessUrl',
  'diagnosticSummary',
  'snapshot',
] as const;
type F = (typeof FIELDS)[number];

/** Projects offered in the picker; a data dir with more is searched by name first. */
const PROJECT_PICKER_LIMIT = 500;

function parseSnapshot(text: string): { content: Record<string, unknown> } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'The configuration must be a JSON object, like {"replicas": 2}.' };
  }
  return { content: value as Record<string, unknown> };
}

export function RecordDeploymentDialog(props: {
  /** Fixed when recording from an environment's page. */
  projectId?: number;
  environmentId?: number;
  onClose(): void;
  onRecorded?(deployment: DeploymentDetail): void;
}) {
  const { onClose, onRecorded } = props;
  const fixed = props.environmentId !== undefined;
  const [projectId, setProjectId] = useState<number | null>(props.projectId ?? null);
  const [environmentId, setEnvironmentId] = useState<number | null>(props.environmentId ?? null);
  const [projectQuery, setProjectQuery] = useState('');
  const [version, setVersion] = useState('');
  const [status, setStatus] = useState<DeploymentStatus>('queued');
  const [accessUrl, setAccessUrl] = useState('');
  const [summary, setSummary] = useState('');
  const [snapshotText, setSnapshotText] = useState('');
  // A snapshot saved by an earlier attempt whose deployment then failed: reused
  // if the text is unchanged, so a retry does not store the same configuration twice.
  const [savedSnapshot, setSavedSnapshot] = useState<{
    environmentId: number;
    text: string;
    id: number;
  } | null>(null);
  const [errors, setErrors] = useState<FieldErrors<F>>({});
  const [formError, setFormError] = useState<AppErrorShape | null>(null);
  const [busy, setBusy] = useState(false);
  const projectsRev = useRevision('projects');
  const envRev = useRevision('environments');
  const query = useDebounced(projectQuery.trim(), 200);

  const projects = useQuery(
    `record-projects:${fixed}:${query}`,
    () =>
      fixed
        ? Promise.resolve({ ok: true as const, value: { items: [], total: 0, offset: 0 } })
        : invoke('projects.list', {
            limit: PROJECT_PICKER_LIMIT,
            query: query || undefined,
          }),
    projectsRev,
  );
  const environments = useQuery(
    `record-envs:${fixed}:${projectId ?? 0}`,
    () =>
      fixed || projectId === null
        ? Promise.resolve({ ok: true as const, value: [] })
        : invoke('environments.list', { projectId }),
    envRev,
  );

  const clear = (f: F) => setErrors((x) => ({ ...x, [f]: undefined }));

  async function submit() {
    if (busy) return;
    const local: FieldErrors<F> = {};
    if (environmentId === null) {
      if (projectId === null) local.projectId = 'Choose a project.';
      else local.environmentId = 'Choose an environment.';
    }
    if (version.trim() === '') local.version = 'Enter the version that was deployed.';
    let content: Record<string, unknown> | null = null;
    if (snapshotText.trim() !== '') {
      const parsed = parseSnapshot(snapshotText);
      if ('error' in parsed) local.snapshot = parsed.error;
      else content = parsed.content;
    }
    if (Object.keys(local).length > 0 || environmentId === null) {
      setErrors(local);
      return;
    }
    setBusy(true);
    setFormError(null);
    try {
      let snapshotId: number | null = null;
      if (content) {
        if (
          savedSnapshot &&
          savedSnapshot.environmentId === environmentId &&
          savedSnapshot.text === snapshotText
        ) {
          snapshotId = savedSnapshot.id;
        } else {
          const s = await invoke('snapshots.create', { environmentId, content });
          if (!s.ok) {
            const { fields } = fieldErrorsOf(s.error, ['content', 'environmentId'] as const);
            // A secret's value in the configuration: say how to refer to it instead.
            const secret = s.error.details?.['secret'];
            if (fields.content && typeof secret === 'string' && s.error.hint)
              setErrors({ snapshot: `${fields.content} ${s.error.hint}` });
            else if (fields.content) setErrors({ snapshot: fields.content });
            else if (fields.environmentId) setErrors({ environmentId: fields.environmentId });
            else setFormError(s.error);
            return;
          }
          snapshotId = s.value.id;
          setSavedSnapshot({ environmentId, text: snapshotText, id: s.value.id });
        }
      }
      const r = await invoke('deployments.create', {
        environmentId,
        version,
        status,
        accessUrl: accessUrl.trim() === '' ? null : accessUrl.trim(),
        diagnosticSummary: summary.trim() === '' ? null : summary,
        snapshotId,
      });
      if (!r.ok) {
        const { fields, placed } = fieldErrorsOf(r.error, [...FIELDS, 'snapshotId'] as const);
        const { snapshotId: snapErr, ...rest } = fields;
        setErrors(snapErr ? { ...rest, snapshot: snapErr } : rest);
        setFormError(placed ? null : r.error);
        return;
      }
      toastSuccess(
        'Deployment recorded',
        `${r.value.projectName} / ${r.value.environmentName} · ${r.value.version}`,
      );
      onRecorded?.(r.value);
      onClose();
    } finally {
      setBusy(false);
    }
  }

  const projectItems = projects.data?.items ?? [];
  const envItems = environments.data ?? [];

  return (
    <Dialog
      open
      wide
      title="Record deployment"
      onClose={onClose}
      onSubmit={() => void submit()}
      footer={
        <DialogButtons onCancel={onClose} busy={busy} busyLabel="Recording…">
          Record deployment
        </DialogButtons>
      }
    >
      <FormError error={formError ?? projects.error ?? environments.error} />
      {!fixed && (
        <div className="form-row">
          <Field
            label="Project"
            error={errors.projectId}
            help={
              (projects.data?.total ?? 0) > PROJECT_PICKER_LIMIT
                ? `Showing the first ${PROJECT_PICKER_LIMIT}; filter by name below.`
                : undefined
            }
          >
            <select
              className="input"
              autoFocus
              value={projectId ?? ''}
              onChange={(e) => {
                setProjectId(e.target.value === '' ? null : Number(e.target.value));
                setEnvironmentId(null);
                clear('projectId');
              }}
            >
              <option value="">
                {projects.loading ? 'Loading projects…' : 'Choose a project'}
              </option>
              {projectItems.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Environment" error={errors.environmentId}>
            <select
              className="input"
              value={environmentId ?? ''}
              disabled={projectId === null}
              onChange={(e) => {
                setEnvironmentId(e.target.value === '' ? null : Number(e.target.value));
                clear('environmentId');
              }}
            >
              <option value="">
                {projectId === null
                  ? 'Choose a project first'
                  : envItems.length === 0 && !environments.loading
                    ? 'This project has no environments'
                    : 'Choose an environment'}
              </option>
              {envItems.map((env) => (
                <option key={env.id} value={env.id}>
                  {env.name}
                </option>
              ))}
            </select>
          </Field>
        </div>
      )}
      {!fixed && (projects.data?.total ?? 0) > PROJECT_PICKER_LIMIT && (
        <Field label="Filter projects by name">
          <input
            className="input"
            type="search"
            value={projectQuery}
            onChange={(e) => setProjectQuery(e.target.value)}
          />
        </Field>
      )}
      <div className="form-row">
        <Field label="Version" error={errors.version}>
          <input
            className="input"
            autoFocus={fixed}
            autoComplete="off"
            spellCheck={false}
            placeholder="e.g. 1.4.2"
            value={version}
            onChange={(e) => {
              setVersion(e.target.value);
              clear('version');
            }}
          />
        </Field>
        <Field label="Status" error={errors.status}>
          <OptionSelect
            value={status}
            options={DEPLOYMENT_STATUSES}
            labels={STATUS_LABEL}
            onChange={setStatus}
          />
        </Field>
      </div>
      <Field label="Access URL" optional error={errors.accessUrl}>
        <input
          className="input"
          type="url"
          autoComplete="off"
          spellCheck={false}
          placeholder="https://staging.example.local"
          value={accessUrl}
          onChange={(e) => {
            setAccessUrl(e.target.value);
            clear('accessUrl');
          }}
        />
      </Field>
      <Field label="Diagnostic summary" optional error={errors.diagnosticSummary}>
        <textarea
          className="input"
          rows={3}
          value={summary}
          onChange={(e) => {
            setSummary(e.target.value);
            clear('diagnosticSummary');
          }}
        />
      </Field>
      <Field
        label="Configuration snapshot (JSON)"
        optional
        error={errors.snapshot}
        help={
          'Saved as a new snapshot version of the environment and linked to this deployment. ' +
          'Refer to a secret as {"$secret": "NAME"}, never by its value.'
        }
      >
        <textarea
          className="input input-mono"
          rows={6}
          spellCheck={false}
          placeholder={'{\n  "image": "registry.local/app:1.4.2",\n  "replicas": 2\n}'}
          value={snapshotText}
          onChange={(e) => {
            setSnapshotText(e.target.value);
            clear('snapshot');
          }}
        />
      </Field>
    </Dialog>
  );
}
