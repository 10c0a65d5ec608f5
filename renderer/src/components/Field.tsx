// A labelled form control with its inline error, wired for screen readers.
import type { ReactElement } from 'react';
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
