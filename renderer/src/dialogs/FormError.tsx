import type { AppErrorShape } from '../../../shared/errors.ts';

/** An error that belongs to no single field, shown at the top of a form. */
export function FormError({ error }: { error: AppErrorShape | null }) {
  if (!error) return null;
  return (
    <div className="form-error" role="alert">
      <strong>{error.message}</strong>
      {error.hint && <p>{error.hint}</p>}
      <p className="form-error-code">{error.code}</p>
    </div>
  );
}
