// Turns a failed command's error into messages for individual form fields, so
// BAD_INPUT and CONFLICT show next to the input they are about.
import type { AppErrorShape } from '../../shared/errors.ts';

export type FieldErrors<F extends string> = Partial<Record<F, string>>;

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const TYPE_NAME: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'yes or no',
};

/**
 * A validation message a person can read: zod's own wording ("Too small: expected
 * number to be >=1") becomes "Must be at least 1"; the contract's own messages
 * ("must be a file name, not a path") pass through, capitalised.
 */
export function humanIssue(message: string): string {
  const m = message.trim().replace(/\.$/, '');
  let r: RegExpMatchArray | null;
  if ((r = /^Too small: expected number to be >=\s*(-?[\d.]+)$/.exec(m)))
    return `Must be at least ${r[1]}`;
  if ((r = /^Too small: expected number to be >\s*(-?[\d.]+)$/.exec(m)))
    return `Must be more than ${r[1]}`;
  if ((r = /^Too big: expected number to be <=\s*(-?[\d.]+)$/.exec(m)))
    return `Must be at most ${r[1]}`;
  if ((r = /^Too big: expected number to be <\s*(-?[\d.]+)$/.exec(m)))
    return `Must be less than ${r[1]}`;
  if ((r = /^Too small: expected string to have >=\s*(\d+) characters?$/.exec(m)))
    return r[1] === '1' ? 'Must not be empty' : `Must be at least ${r[1]} characters`;
  if ((r = /^Too big: expected string to have <=\s*(\d+) characters?$/.exec(m)))
    return `Must be at most ${r[1]} characters`;
  if ((r = /^Invalid input: expected (\w+), received (\w+)$/.exec(m))) {
    if (r[2] === 'undefined' || r[2] === 'null') return 'Required';
    if (r[2] === 'NaN') return 'Must be a number';
    return `Must be ${TYPE_NAME[r[1]!] ?? r[1]!}`;
  }
  if (/^Invalid (string|input): must match pattern/.test(m)) return 'Not in the expected format';
  if (/^Unrecognized key/.test(m)) return 'Not a setting this version knows';
  return capitalize(m);
}

/** Every issue of a BAD_INPUT error as "field: message" lines (none for other errors). */
export function issueLines(error: AppErrorShape): string[] {
  if (error.code !== 'BAD_INPUT') return [];
  const issues = error.details?.['issues'];
  if (!Array.isArray(issues)) return [];
  return (issues as { path?: unknown; message?: unknown }[])
    .filter((i) => typeof i.message === 'string')
    .map((i) => {
      const text = humanIssue(i.message as string);
      return typeof i.path === 'string' && i.path !== '' ? `${i.path}: ${text}` : text;
    });
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
        if (f && !out[f] && typeof issue.message === 'string') out[f] = humanIssue(issue.message);
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
