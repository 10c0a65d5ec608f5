// The name and description fields of the project and environment dialogs.
import { Field } from '../components/Field.tsx';

type Props = { value: string; error: string | undefined; onChange(value: string): void };

export function NameField({ value, error, onChange }: Props) {
  return (
    <Field label="Name" error={error}>
      <input
        className="input"
        autoFocus
        autoComplete="off"
        spellCheck={false}
        value={value}
        maxLength={200}
        onChange={(e) => onChange(e.target.value)}
      />
    </Field>
  );
}

export function DescriptionField({ value, error, onChange }: Props) {
  return (
    <Field label="Description" optional error={error}>
      <textarea
        className="input"
        rows={3}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </Field>
  );
}
