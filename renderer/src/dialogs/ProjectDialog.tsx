// Create or edit a project. Server-side validation (BAD_INPUT) and name clashes
// (CONFLICT) come back onto the fields they concern.
import { useState } from 'react';
import type { Project } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke } from '../api.ts';
import { Dialog, DialogButtons } from '../components/Dialog.tsx';
import type { FieldErrors } from '../errors.ts';
import { fieldErrorsOf } from '../errors.ts';
import { toastSuccess } from '../stores/toasts.ts';
import { FormError } from './FormError.tsx';
import { DescriptionField, NameField } from './NameFields.tsx';

const FIELDS = ['name', 'description'] as const;
type F = (typeof FIELDS)[number];

export function ProjectDialog(props: {
  project?: Project;
  onClose(): void;
  onSaved?(project: Project): void;
}) {
  const { project, onClose, onSaved } = props;
  const [name, setName] = useState(project?.name ?? '');
  const [description, setDescription] = useState(project?.description ?? '');
  const [errors, setErrors] = useState<FieldErrors<F>>({});
  const [formError, setFormError] = useState<AppErrorShape | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit() {
    if (busy) return;
    if (name.trim() === '') {
      setErrors({ name: 'Give the project a name.' });
      return;
    }
    setBusy(true);
    const r = project
      ? await invoke('projects.update', { id: project.id, name, description })
      : await invoke('projects.create', { name, description });
    setBusy(false);
    if (r.ok) {
      toastSuccess(project ? 'Project saved' : 'Project created', r.value.name);
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
      title={project ? `Edit project ${project.name}` : 'New project'}
      onClose={onClose}
      onSubmit={() => void submit()}
      footer={
        <DialogButtons onCancel={onClose} busy={busy} busyLabel="Saving…">
          {project ? 'Save' : 'Create project'}
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
