// A password-type input with its own show/hide toggle. Uncontrolled on purpose:
// what is typed stays in the input element (read through `inputRef` on submit),
// never in React state, and React never mirrors it into a `value` attribute.
// The toggle changes only this field, never another one on the same form.
import type { ChangeEvent, Ref } from 'react';
import { useState } from 'react';
import { Icon } from './Icon.tsx';

export function SecretInput(props: {
  inputRef: Ref<HTMLInputElement>;
  /** What the toggle shows or hides, for its label ("passphrase", "value"). */
  what: string;
  autoComplete?: 'new-password' | 'current-password' | 'off';
  autoFocus?: boolean;
  mono?: boolean;
  placeholder?: string;
  maxLength?: number;
  onChange?(e: ChangeEvent<HTMLInputElement>): void;
  // Set by <Field>: the label's id and the error/help wiring.
  id?: string;
  'aria-invalid'?: boolean;
  'aria-describedby'?: string;
}) {
  const { inputRef, what, autoComplete = 'off', autoFocus, mono, placeholder, maxLength } = props;
  const [shown, setShown] = useState(false);
  return (
    <div className="secret-input">
      <input
        ref={inputRef}
        id={props.id}
        className={mono ? 'input input-mono' : 'input'}
        type={shown ? 'text' : 'password'}
        autoComplete={autoComplete}
        autoCapitalize="off"
        autoCorrect="off"
        spellCheck={false}
        placeholder={placeholder}
        maxLength={maxLength}
        data-autofocus={autoFocus || undefined}
        aria-invalid={props['aria-invalid']}
        aria-describedby={props['aria-describedby']}
        onChange={props.onChange}
      />
      <button
        type="button"
        className="secret-input-toggle"
        aria-pressed={shown}
        aria-label={shown ? `Hide ${what}` : `Show ${what}`}
        title={shown ? `Hide ${what}` : `Show ${what}`}
        onClick={() => setShown((s) => !s)}
      >
        <Icon name={shown ? 'eyeOff' : 'eye'} />
      </button>
    </div>
  );
}
