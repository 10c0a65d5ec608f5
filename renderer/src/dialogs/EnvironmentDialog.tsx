// Create or edit an environment of a project.
import { useState } from 'react';
import type { Environment, EnvironmentKind } from '../../../shared/domain.ts';
import { ENVIRONMENT_KINDS } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke } from '../api.ts';
import { Dialog } from '../components/Dialog.tsx';
import { Field } from '../components/Field.tsx';
import type { FieldErrors } from '../errors.ts';
import { fieldErrorsOf } from '../errors.ts';
import { toastSuccess } from '../stores/toasts.ts';
import { FormError } from './FormError.tsx';

const FIELDS = ['name', 'kind', 'description'] as const;
type F = (typeof FIELDS)[number];

export const KIND_LABEL: Record<EnvironmentKind, string> = {
  development: 'Development',
  staging: 'Staging',
  production: 'Production',
  other: 'Other',
};

export function EnvironmentDialog(props: {
  projectId: number;
  environment?: Environment;
  onClose(): void;
  onSaved?(environment: Environment): void;
}) {
  const { projectId, environment, onClose, onSaved } = props;
  const [name, setName] = useState(environment?.name ?? '');
  const [kind, setKind] = useState<EnvironmentKind>(environment?.kind ?? 'development');
  const [description, setDescription] = useState(environment?.description ?? '');
  const [errors, setErrors] = useState<FieldErrors<F>>({});
  const [formError, setFormError] = useState<AppErrorShape | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit() {
    if (busy) return;
    if (name.trim() === '') {
      setErrors({ name: 'Give the environment a name.' });
      return;
    }
    setBusy(true);
    const r = environment
      ? await invoke('environments.update', { id: environment.id, name, kind, description })
      : await invoke('environments.create', { projectId, name, kind, description });
    setBusy(false);
    if (r.ok) {
      toastSuccess(environment ? 'Environment saved' : 'Environment created', r.value.name);
      onSaved?.(r.value);
      onClose();
      return;
    }
    const { fields, placed } = fieldErrorsOf(r.error, FIELDS, 'name');
    setErrors(fields);
    setFormError(placed ? null : r.error);
  }

  return (
    <Dialog
      open
      title={environment ? `Edit environment ${environment.name}` : 'New environment'}
      onClose={onClose}
      onSubmit={() => void submit()}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : environment ? 'Save' : 'Create environment'}
          </button>
        </>
      }
    >
      <FormError error={formError} />
      <Field label="Name" error={errors.name}>
        <input
          className="input"
          autoFocus
          autoComplete="off"
          spellCheck={false}
          value={name}
          maxLength={200}
          onChange={(e) => {
            setName(e.target.value);
            setErrors((x) => ({ ...x, name: undefined }));
          }}
        />
      </Field>
      <Field label="Kind" error={errors.kind}>
        <select
          className="input"
          value={kind}
          onChange={(e) => setKind(e.target.value as EnvironmentKind)}
        >
          {ENVIRONMENT_KINDS.map((k) => (
            <option key={k} value={k}>
              {KIND_LABEL[k]}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Description" optional error={errors.description}>
        <textarea
          className="input"
          rows={3}
          value={description}
          onChange={(e) => {
            setDescription(e.target.value);
            setErrors((x) => ({ ...x, description: undefined }));
          }}
        />
      </Field>
    </Dialog>
  );
}
