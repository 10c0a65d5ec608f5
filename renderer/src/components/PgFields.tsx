// The team database's URL and password fields, as the connect dialog and the move
// wizard both ask for them (the password never goes into the URL).
import { Field } from './Field.tsx';

interface PgFieldProps {
  value: string;
  onChange: (value: string) => void;
  help: string;
  error?: string | undefined;
}

export function PgUrlField(props: PgFieldProps) {
  return (
    <Field label="Database URL" error={props.error} help={props.help}>
      <input
        className="input mono"
        name="pg-url"
        autoComplete="off"
        spellCheck={false}
        placeholder="postgres://stateward@db.example.org:5432/stateward"
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </Field>
  );
}

export function PgPasswordField(props: PgFieldProps) {
  return (
    <Field label="Password" optional error={props.error} help={props.help}>
      <input
        className="input"
        name="pg-password"
        type="password"
        autoComplete="off"
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </Field>
  );
}
