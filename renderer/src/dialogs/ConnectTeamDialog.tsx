// "Connect to a team database" (issue 11.1): bind this local data dir to a
// Stateward database on PostgreSQL (or initialize an empty schema there) after
// the same checks as `stateward postgres connect`, and switch this app to it.
// The data in the local database is not copied (that is the move). Each
// refusal is shown on the field it concerns: the server and URL, the
// password, the schema. The password is sent once and kept only in the app's
// memory, or wrapped by the OS keychain when asked (the desktop app; a browser
// has none, so the option is not offered).
import { useState } from 'react';
import { create } from 'zustand';
import type { PgConnectReport } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke } from '../api.ts';
import { Dialog, DialogButtons } from '../components/Dialog.tsx';
import { CheckField, Field } from '../components/Field.tsx';
import { Icon } from '../components/Icon.tsx';
import { PgPasswordField, PgUrlField } from '../components/PgFields.tsx';
import { useQuery } from '../hooks/useQuery.ts';
import type { FieldErrors } from '../errors.ts';
import { fieldErrorsOf } from '../errors.ts';
import { useNav } from '../stores/nav.ts';
import { FormError } from './FormError.tsx';

const FIELDS = ['url', 'password', 'schema', 'rememberPassword'] as const;
type F = (typeof FIELDS)[number];

/** Which field each refusal concerns (the rest are shown above the form). */
const FIELD_OF_CODE: Record<string, F> = {
  PG_UNREACHABLE: 'url',
  PG_DATABASE_MISSING: 'url',
  PG_TLS_REQUIRED: 'url',
  PG_TLS_FAILED: 'url',
  PG_SERVER_TOO_OLD: 'url',
  PG_READ_ONLY: 'url',
  PG_AUTH_FAILED: 'password',
  PG_SCHEMA_FOREIGN: 'schema',
  SCHEMA_FROM_NEWER_VERSION: 'schema',
  MIGRATION_HISTORY_OUT_OF_SYNC: 'schema',
  MIGRATION_CHECKSUM_MISMATCH: 'schema',
};

/** A refusal on its field: the message, the hint and the code. */
function placeError(error: AppErrorShape): { fields: FieldErrors<F>; placed: boolean } {
  const text = `${error.message}${error.hint ? ` ${error.hint}` : ''} (${error.code})`;
  const byCode = FIELD_OF_CODE[error.code];
  if (byCode) return { fields: { [byCode]: text }, placed: true };
  // A URL that does not parse names 'databaseUrl' (core's word for it).
  if (error.code === 'BAD_INPUT' && error.details?.['field'] === 'databaseUrl')
    return { fields: { url: text }, placed: true };
  const r = fieldErrorsOf(error, FIELDS);
  for (const f of FIELDS) if (r.fields[f]) r.fields[f] = `${r.fields[f]} (${error.code})`;
  return r;
}

/** Whether the dialog is open: app-wide, so it outlives the screen that opened it (first run → Dashboard). */
const useConnectTeam = create<{ open: boolean; set(open: boolean): void }>((set) => ({
  open: false,
  set: (open) => set({ open }),
}));

/** The button that opens the dialog (the Dashboard's data directory card and the first run; local data dirs only). */
export function ConnectTeamButton() {
  const set = useConnectTeam((s) => s.set);
  return (
    <button type="button" className="button button-small" onClick={() => set(true)}>
      <Icon name="database" /> Connect to a team database…
    </button>
  );
}

/** Mounted once by the app shell, beside the wizards. */
export function ConnectTeam() {
  const { open, set } = useConnectTeam();
  return open ? <ConnectTeamDialog onClose={() => set(false)} /> : null;
}

export function ConnectTeamDialog({ onClose }: { onClose(): void }) {
  const go = useNav((s) => s.go);
  const [url, setUrl] = useState('');
  const [password, setPassword] = useState('');
  const [schema, setSchema] = useState('');
  const [remember, setRemember] = useState(false);
  const [errors, setErrors] = useState<FieldErrors<F>>({});
  const [formError, setFormError] = useState<AppErrorShape | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<PgConnectReport | null>(null);
  // The OS keychain exists only in the desktop app (null in a browser).
  const secrets = useQuery('connect-keychain', () => invoke('secrets.status', {}), 0);
  const keychain = secrets.data?.keychain;
  const canRemember = Boolean(keychain?.available && !keychain.weak);

  const edited = (f: F) => {
    setErrors((x) => ({ ...x, [f]: undefined }));
    setFormError(null);
  };

  async function submit() {
    if (busy) return;
    if (done) {
      onClose();
      go({ view: 'dashboard' });
      return;
    }
    if (url.trim() === '') {
      setErrors({ url: 'Give the database URL.' });
      return;
    }
    setBusy(true);
    const r = await invoke('postgres.connect', {
      url: url.trim(),
      ...(password === '' ? {} : { password }),
      ...(schema.trim() === '' ? {} : { schema: schema.trim() }),
      rememberPassword: canRemember && remember,
    });
    setBusy(false);
    if (r.ok) {
      setPassword('');
      setDone(r.value);
      return;
    }
    const { fields, placed } = placeError(r.error);
    setErrors(fields);
    setFormError(placed ? null : r.error);
  }

  if (done) {
    return (
      <Dialog
        open
        title={done.connected ? 'Connected to the team database' : 'Bound to the team database'}
        onClose={onClose}
        onSubmit={() => void submit()}
        footer={
          done.connected ? (
            <button type="submit" className="button button-primary">
              Open the Dashboard
            </button>
          ) : (
            <span className="muted small">Restart Stateward to continue.</span>
          )
        }
      >
        <div className="result" data-testid="connect-done">
          <div className="result-banner result-ok" role="status">
            <Icon name="check" size={20} />
            <div>
              <strong>
                {done.schemaState === 'initialized'
                  ? `Schema ${done.schema} was empty: initialized for Stateward.`
                  : `Found Stateward's schema ${done.schema} (version ${done.schemaVersion}).`}
              </strong>
              <p>
                <span className="path">{done.target}</span> · PostgreSQL {done.serverVersion}
              </p>
            </div>
          </div>
          <p className="result-note">
            {done.connected
              ? 'This app works on the team database now. '
              : 'Restart Stateward to open the team database. '}
            {done.passwordRemembered
              ? 'The password is kept wrapped by the OS keychain for later starts.'
              : 'For later starts, give the password in PGPASSWORD or ~/.pgpass if the server needs one.'}
            {done.localDatabaseKept &&
              ' The local database stays in the data directory as it was, unused (its data was not copied).'}
          </p>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog
      open
      title="Connect to a team database"
      onClose={onClose}
      onSubmit={() => void submit()}
      footer={
        <DialogButtons onCancel={onClose} busy={busy} busyLabel="Checking…">
          Connect
        </DialogButtons>
      }
    >
      <p className="muted">
        Bind this data directory to a Stateward database on PostgreSQL that your team shares (an
        empty schema is initialized). The local database is not copied: to take its data along, use
        “Move to a team database…” instead.
      </p>
      <FormError error={formError} />
      <PgUrlField
        value={url}
        error={errors.url}
        help="postgres://USER@HOST:PORT/DATABASE — add ?sslmode=verify-full for a server elsewhere. Without the password."
        onChange={(v) => {
          setUrl(v);
          edited('url');
        }}
      />
      <PgPasswordField
        value={password}
        error={errors.password}
        help="Kept in this app's memory only. Leave it empty to use PGPASSWORD or ~/.pgpass."
        onChange={(v) => {
          setPassword(v);
          edited('password');
        }}
      />
      <Field
        label="Schema"
        optional
        error={errors.schema}
        help="The schema in that database (default stateward, or ?schema= in the URL)."
      >
        <input
          className="input mono"
          name="pg-schema"
          autoComplete="off"
          spellCheck={false}
          placeholder="stateward"
          value={schema}
          onChange={(e) => {
            setSchema(e.target.value);
            edited('schema');
          }}
        />
      </Field>
      {canRemember && (
        <>
          <CheckField
            checked={remember}
            onChange={(v) => {
              setRemember(v);
              edited('rememberPassword');
            }}
            label="Remember the password in the OS keychain"
            help={`Wrapped by ${keychain?.backend ?? 'the keychain'} in this data directory's keys folder; never stored in plain text.`}
          />
          {errors.rememberPassword && (
            <p className="field-error" role="alert">
              {errors.rememberPassword}
            </p>
          )}
        </>
      )}
    </Dialog>
  );
}
