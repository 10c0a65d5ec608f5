// Create or edit an environment of a project.
import { useState } from 'react';
import type { Environment, EnvironmentKind } from '../../../shared/domain.ts';
import { ENVIRONMENT_KINDS } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke } from '../api.ts';
import { Dialog, DialogButtons } from '../components/Dialog.tsx';
import { Field, OptionSelect } from '../components/Field.tsx';
import type { FieldErrors } from '../errors.ts';
import { fieldErrorsOf } from '../errors.ts';
import { toastSuccess } from '../stores/toasts.ts';
import { FormError } from './FormError.tsx';
import { DescriptionField, NameField } from './NameFields.tsx';

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
        <DialogButtons onCancel={onClose} busy={busy} busyLabel="Saving…">
          {environment ? 'Save' : 'Create environment'}
        </DialogButtons>
      }
    >
      <FormError error={formError} />
      <NameField
        value={name}
        error={errors.name}
        onChange={(v) => {
          setName(v);
          setErrors((x) => ({ ...x, name: undefined }));
        }}
      />
      <Field label="Kind" error={errors.kind}>
        <OptionSelect
          value={kind}
          options={ENVIRONMENT_KINDS}
          labels={KIND_LABEL}
          onChange={setKind}
        />
      </Field>
      <DescriptionField
        value={description}
        error={errors.description}
        onChange={(v) => {
          setDescription(v);
          setErrors((x) => ({ ...x, description: undefined }));
        }}
      />
    </Dialog>
  );
}
