// Turns a failed command's error into messages for individual form fields, so
// BAD_INPUT and CONFLICT show next to the input they are about.
import type { AppErrorShape } from '../../shared/errors.ts';

export type FieldErrors<F extends string> = Partial<Record<F, string>>;

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Maps an error onto fields. `BAD_INPUT` issues carry a path (`name`, `content.x`);
 * `conflictField` says which field a `CONFLICT` is about; `details.field` is honoured too.
 * Returns the field errors and whether anything was placed.
 */
export function fieldErrorsOf<F extends string>(
  error: AppErrorShape,
  fields: readonly F[],
  conflictField?: F,
): { fields: FieldErrors<F>; placed: boolean } {
  const out: FieldErrors<F> = {};
  const known = (p: string): F | undefined => fields.find((f) => p === f || p.startsWith(`${f}.`));
  if (error.code === 'BAD_INPUT') {
    const issues = error.details?.['issues'];
    if (Array.isArray(issues)) {
      for (const issue of issues as { path?: unknown; message?: unknown }[]) {
        const f = typeof issue.path === 'string' ? known(issue.path) : undefined;
        if (f && !out[f] && typeof issue.message === 'string') out[f] = capitalize(issue.message);
      }
    }
  }
  const detailField = error.details?.['field'];
  if (typeof detailField === 'string') {
    const f = known(detailField);
    if (f && !out[f]) out[f] = error.message;
  }
  if (error.code === 'CONFLICT' && conflictField && !out[conflictField]) {
    out[conflictField] = error.message;
  }
  return { fields: out, placed: Object.keys(out).length > 0 };
}
