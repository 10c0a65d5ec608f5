// Choosing a new passphrase: typed twice, with a strength hint. Only the hint's
// level is kept in state; the passphrase itself stays in the two inputs until
// the form reads it with `readNewPassphrase`.
import type { RefObject } from 'react';
import { useState } from 'react';
import { Field } from './Field.tsx';
import { SecretInput } from './SecretInput.tsx';

export const MIN_PASSPHRASE = 8;

export type Strength = 'empty' | 'short' | 'weak' | 'fair' | 'strong';

const COMMON = /^(password|passwort|qwerty|azerty|letmein|welcome|admin|stateward|secret)/i;

/** A rough guess at how hard a passphrase is to guess, for the hint only. */
export function passphraseStrength(p: string): Strength {
  if (p.length === 0) return 'empty';
  if (p.length < MIN_PASSPHRASE) return 'short';
  let pool = 0;
  if (/[a-z]/.test(p)) pool += 26;
  if (/[A-Z]/.test(p)) pool += 26;
  if (/[0-9]/.test(p)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(p)) pool += 33;
  let bits = p.length * Math.log2(Math.max(pool, 2));
  // Repeats and sequences ("aaaaaaaa", "12345678") carry little.
  if (new Set(p).size < p.length / 2) bits /= 2;
  if (COMMON.test(p) || /^(0123|1234|abcd)/i.test(p)) bits = Math.min(bits, 30);
  // Several words separated by spaces are a good passphrase even in lower case.
  if (p.trim().split(/\s+/).length >= 4 && p.length >= 20) bits = Math.max(bits, 70);
  if (bits < 45) return 'weak';
  if (bits < 70) return 'fair';
  return 'strong';
}

const HINT: Record<Strength, string> = {
  empty: `At least ${MIN_PASSPHRASE} characters. A few unrelated words make a strong one.`,
  short: `Too short: at least ${MIN_PASSPHRASE} characters.`,
  weak: 'Weak: easy to guess. Make it longer, e.g. four unrelated words.',
  fair: 'Fair. Longer is stronger: add a word or two.',
  strong: 'Strong.',
};
const LEVEL: Record<Strength, number> = { empty: 0, short: 0, weak: 1, fair: 2, strong: 3 };

export function SecretPassphraseFields(props: {
  passRef: RefObject<HTMLInputElement | null>;
  confirmRef: RefObject<HTMLInputElement | null>;
  errors: { passphrase?: string | undefined; confirm?: string | undefined };
  onEdit?(field: 'passphrase' | 'confirm'): void;
  autoFocus?: boolean;
  label?: string;
}) {
  const { passRef, confirmRef, errors, onEdit, autoFocus, label = 'Passphrase' } = props;
  const [strength, setStrength] = useState<Strength>('empty');
  const level = LEVEL[strength];
  return (
    <>
      <Field label={label} error={errors.passphrase}>
        <SecretInput
          inputRef={passRef}
          what="passphrase"
          autoComplete="new-password"
          autoFocus={autoFocus}
          maxLength={1024}
          onChange={(e) => {
            setStrength(passphraseStrength(e.target.value));
            onEdit?.('passphrase');
          }}
        />
      </Field>
      <div className="secret-strength" data-strength={strength}>
        <div className="secret-strength-bar" aria-hidden="true">
          {[1, 2, 3].map((i) => (
            <span key={i} className={i <= level ? 'on' : undefined} />
          ))}
        </div>
        <p className="field-help" aria-live="polite" data-testid="passphrase-strength">
          {HINT[strength]}
        </p>
      </div>
      <Field label={`Repeat the ${label.toLowerCase()}`} error={errors.confirm}>
        <SecretInput
          inputRef={confirmRef}
          what="repeated passphrase"
          autoComplete="new-password"
          maxLength={1024}
          onChange={() => onEdit?.('confirm')}
        />
      </Field>
    </>
  );
}

/** Reads and checks the two fields; the passphrase, or the errors to show. */
export function readNewPassphrase(
  passRef: RefObject<HTMLInputElement | null>,
  confirmRef: RefObject<HTMLInputElement | null>,
): { passphrase: string } | { errors: { passphrase?: string; confirm?: string } } {
  const passphrase = passRef.current?.value ?? '';
  const confirm = confirmRef.current?.value ?? '';
  if (passphrase.length < MIN_PASSPHRASE)
    return { errors: { passphrase: `Use at least ${MIN_PASSPHRASE} characters.` } };
  if (confirm !== passphrase) return { errors: { confirm: 'The two passphrases differ.' } };
  return { passphrase };
}
