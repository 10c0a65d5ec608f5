// Add a secret to an environment, or give an existing one a new value. The
// value is typed into an uncontrolled password field and read once, on submit.
import { useRef, useState } from 'react';
import type { SecretEntry } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke } from '../api.ts';
import { Dialog, DialogButtons } from '../components/Dialog.tsx';
import { Field } from '../components/Field.tsx';
import { SecretInput } from '../components/SecretInput.tsx';
import type { FieldErrors } from '../errors.ts';
import { fieldErrorsOf } from '../errors.ts';
import { toastSuccess } from '../stores/toasts.ts';
import { FormError } from './FormError.tsx';

const FIELDS = ['name', 'value'] as const;
type F = (typeof FIELDS)[number];

export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function SecretEditDialog(props: {
  environmentId: number;
  environmentName: string;
  /** Updating this secret; absent to add a new one. */
  secret?: SecretEntry;
  /** Names already in the environment (adding one of them replaces its value). */
  existing: readonly string[];
  onClose(): void;
}) {
  const { environmentId, environmentName, secret, existing, onClose } = props;
  const [name, setName] = useState(secret?.name ?? '');
  const valueRef = useRef<HTMLInputElement>(null);
  const [errors, setErrors] = useState<FieldErrors<F>>({});
  const [formError, setFormError] = useState<AppErrorShape | null>(null);
  const [busy, setBusy] = useState(false);
  const replaces = !secret && existing.includes(name.trim());

  async function submit() {
    if (busy) return;
    const n = name.trim();
    const value = valueRef.current?.value ?? '';
    const local: FieldErrors<F> = {};
    if (n === '') local.name = 'Give the secret a name, like DATABASE_URL.';
    else if (!SECRET_NAME.test(n))
      local.name = 'Use letters, digits, _ . - and start with a letter or _ (like DATABASE_URL).';
    if (value === '') local.value = 'Enter the value to store.';
    if (Object.keys(local).length > 0) {
      setErrors(local);
      return;
    }
    setBusy(true);
    setFormError(null);
    const r = await invoke('secrets.set', { environmentId, name: n, value });
    setBusy(false);
    if (r.ok) {
      if (valueRef.current) valueRef.current.value = '';
      toastSuccess(
        secret || replaces ? 'Secret updated' : 'Secret added',
        `${r.value.name} in ${environmentName}`,
      );
      onClose();
      return;
    }
    const { fields, placed } = fieldErrorsOf(r.error, FIELDS);
    setErrors(fields);
    setFormError(placed ? null : r.error);
  }

  return (
    <Dialog
      open
      title={secret ? `Update ${secret.name}` : `Add a secret to ${environmentName}`}
      onClose={onClose}
      onSubmit={() => void submit()}
      footer={
        <DialogButtons onCancel={onClose} busy={busy} busyLabel="Saving…">
          {secret || replaces ? 'Update secret' : 'Add secret'}
        </DialogButtons>
      }
    >
      <FormError error={formError} />
      <Field
        label="Name"
        error={errors.name}
        help={
          replaces
            ? 'This environment already has a secret with this name: its value will be replaced.'
            : 'Letters, digits, _ . - — for example DATABASE_URL.'
        }
      >
        <input
          className="input input-mono"
          autoComplete="off"
          spellCheck={false}
          maxLength={128}
          placeholder="DATABASE_URL"
          readOnly={secret !== undefined}
          data-autofocus={secret ? undefined : true}
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            setErrors((x) => ({ ...x, name: undefined }));
          }}
        />
      </Field>
      <Field
        label={secret ? 'New value' : 'Value'}
        error={errors.value}
        help={`Stored encrypted. In a configuration snapshot write {"$secret": "${name.trim() || 'NAME'}"} instead of the value.`}
      >
        <SecretInput
          inputRef={valueRef}
          what="value"
          mono
          autoFocus={secret !== undefined}
          maxLength={65536}
          onChange={() => setErrors((x) => ({ ...x, value: undefined }))}
        />
      </Field>
    </Dialog>
  );
}
