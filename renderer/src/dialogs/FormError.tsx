import type { AppErrorShape } from '../../../shared/errors.ts';
import { issueLines } from '../errors.ts';

/**
 * An error that belongs to no single field, shown at the top of a form. Invalid input
 * lists every problem at once, in words (not the validator's wording, not one at a time).
 */
export function FormError({ error }: { error: AppErrorShape | null }) {
  if (!error) return null;
  const lines = issueLines(error);
  return (
    <div className="form-error" role="alert">
      {lines.length > 0 ? (
        <>
          <strong>
            {lines.length === 1 ? 'One value needs fixing' : 'Some values need fixing'}
          </strong>
          <ul className="form-error-issues">
            {lines.map((l) => (
              <li key={l}>{l}</li>
            ))}
          </ul>
        </>
      ) : (
        <strong>{error.message}</strong>
      )}
      {error.hint && <p>{error.hint}</p>}
      <p className="form-error-code">{error.code}</p>
    </div>
  );
}
