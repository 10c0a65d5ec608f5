// A labelled form control with its inline error, wired for screen readers.
import type { ReactElement, ReactNode } from 'react';
import { cloneElement, useId } from 'react';

export function Field(props: {
  label: string;
  error?: string | undefined;
  help?: string;
  optional?: boolean;
  children: ReactElement<Record<string, unknown>>;
}) {
  const { label, error, help, optional, children } = props;
  const id = useId();
  const describedBy = [error ? `${id}-error` : null, help ? `${id}-help` : null]
    .filter(Boolean)
    .join(' ');
  return (
    <div className={error ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>
        {label}
        {optional && <span className="field-optional"> (optional)</span>}
      </label>
      {cloneElement(children, {
        id,
        'aria-invalid': error ? true : undefined,
        'aria-describedby': describedBy || undefined,
      })}
      {help && !error && (
        <p className="field-help" id={`${id}-help`}>
          {help}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** A <select> of fixed options shown by their labels; a <Field> child (takes its id and aria). */
export function OptionSelect<T extends string>(props: {
  value: T;
  options: readonly T[];
  labels: Record<T, string>;
  onChange(value: NoInfer<T>): void;
  id?: string;
  'aria-label'?: string;
  'aria-invalid'?: boolean;
  'aria-describedby'?: string;
}) {
  const { value, options, labels, onChange, ...wiring } = props;
  return (
    <select
      className="input"
      value={value}
      onChange={(e) => onChange(e.target.value as T)}
      {...wiring}
    >
      {options.map((o) => (
        <option key={o} value={o}>
          {labels[o]}
        </option>
      ))}
    </select>
  );
}

/** A checkbox with its label and, under the label, a line of help. */
export function CheckField(props: {
  checked: boolean;
  onChange(checked: boolean): void;
  label: string;
  help: ReactNode;
}) {
  const { checked, onChange, label, help } = props;
  return (
    <label className="check">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      <span>
        {label}
        <span className="check-help">{help}</span>
      </span>
    </label>
  );
}
