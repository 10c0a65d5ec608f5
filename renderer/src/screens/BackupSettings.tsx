// Schedule & retention: when scheduled backups run, which are kept, and the
// optional off-site folder. Saves only what changed; the backend validates
// (BAD_INPUT lands on the field it is about).
import { useState } from 'react';
import type { BackupSettings, OffsiteCheck } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import type { CommandInput } from '../../../shared/contract.ts';
import { invoke, platform } from '../api.ts';
import { INTERVALS } from '../backups.ts';
import { formatBytes, plural } from '../format.ts';
import { CheckField, Field } from '../components/Field.tsx';
import { Icon } from '../components/Icon.tsx';
import { WarningRow } from '../components/BackupWarnings.tsx';
import { FormError } from '../dialogs/FormError.tsx';
import type { FieldErrors } from '../errors.ts';
import { fieldErrorsOf } from '../errors.ts';
import { useData } from '../stores/data.ts';
import { toastSuccess } from '../stores/toasts.ts';

/**
 * The retention fields, with the limits backups.updateSettings accepts (shared/contract.ts),
 * checked here first so that every field's problem shows at once.
 */
const RETENTION = [
  { key: 'keepLast', label: 'Keep last', unit: 'backup', min: 1, max: 1000 },
  { key: 'daily', label: 'Daily', unit: 'day', min: 0, max: 366 },
  { key: 'weekly', label: 'Weekly', unit: 'week', min: 0, max: 520 },
  { key: 'monthly', label: 'Monthly', unit: 'month', min: 0, max: 240 },
] as const;
type RetentionKey = (typeof RETENTION)[number]['key'];
type RetentionField = (typeof RETENTION)[number];

/** What a retention field's value means, counted right ("the newest 1 backup" never shows). */
function retentionHelp(f: RetentionField, text: string): string {
  if (!/^\d+$/.test(text.trim())) return `A whole number of ${f.unit}s.`;
  const n = Number(text.trim());
  if (f.key === 'keepLast')
    return n === 1 ? 'The newest backup.' : `The newest ${plural(n, 'backup')}.`;
  if (n === 0) return `None kept by ${f.unit}.`;
  return `One a ${f.unit} for ${plural(n, f.unit)}.`;
}

/** Why a retention value is refused, in words; null when it is fine. */
function retentionProblem(f: RetentionField, text: string): string | null {
  const t = text.trim();
  if (t === '') return `Enter how many ${f.unit}s to keep (${f.min} or more).`;
  if (!/^\d+$/.test(t)) return `Enter a whole number of ${f.unit}s, like ${f.min === 0 ? 7 : 5}.`;
  const n = Number(t);
  if (n < f.min) return `Keep at least ${plural(f.min, f.unit)}.`;
  if (n > f.max) return `At most ${plural(f.max, f.unit)}.`;
  return null;
}

const FIELDS = [
  'scheduleEnabled',
  'intervalMinutes',
  'onlyIfChanged',
  'compactScheduled',
  'retention.keepLast',
  'retention.daily',
  'retention.weekly',
  'retention.monthly',
  'offsiteDir',
] as const;
type F = (typeof FIELDS)[number];

interface Form {
  scheduleEnabled: boolean;
  intervalMinutes: number;
  onlyIfChanged: boolean;
  compactScheduled: boolean;
  retention: Record<RetentionKey, string>;
  offsiteDir: string;
}

function toForm(s: BackupSettings): Form {
  return {
    scheduleEnabled: s.scheduleEnabled,
    intervalMinutes: s.intervalMinutes,
    onlyIfChanged: s.onlyIfChanged,
    compactScheduled: s.compactScheduled,
    retention: {
      keepLast: String(s.retention.keepLast),
      daily: String(s.retention.daily),
      weekly: String(s.retention.weekly),
      monthly: String(s.retention.monthly),
    },
    offsiteDir: s.offsiteDir ?? '',
  };
}

const isAbsolutePath = (p: string) =>
  p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');

/** What saving the off-site folder proved, in plain words (shown with the "saved" toast). */
export function offsiteProofText(check: OffsiteCheck): string {
  const free = check.freeBytes === null ? '' : ` ${formatBytes(check.freeBytes)} free.`;
  return `Off-site folder ${check.dir}${check.created ? ' (created)' : ''}: Stateward wrote, synced, read back and removed a test file there. ${
    check.sameDrive
      ? 'It is on the same drive as the data directory: one disk failure would lose both.'
      : 'It is on another drive than the data directory.'
  }${free}`;
}

export function BackupSettingsCard({
  settings,
  problem,
}: {
  settings: BackupSettings;
  /** The overview's SETTINGS_FILE_UNREADABLE warning: the defaults shown are not the user's file. */
  problem?: { code: string; message: string } | undefined;
}) {
  // A new key (the settings changed elsewhere, or were saved) starts the form afresh.
  return (
    <>
      {problem && (
        <ul className="safety-list">
          <WarningRow warning={problem} />
        </ul>
      )}
      <SettingsForm key={JSON.stringify(settings)} settings={settings} />
    </>
  );
}

function SettingsForm({ settings }: { settings: BackupSettings }) {
  const initial = toForm(settings);
  const [form, setForm] = useState<Form>(initial);
  const [errors, setErrors] = useState<FieldErrors<F>>({});
  const [formError, setFormError] = useState<AppErrorShape | null>(null);
  const [busy, setBusy] = useState(false);
  const dirty = JSON.stringify(form) !== JSON.stringify(initial);
  const custom = !INTERVALS.some((i) => i.minutes === form.intervalMinutes);

  const update = (patch: Partial<Form>, field?: F) => {
    setForm((f) => ({ ...f, ...patch }));
    if (field) setErrors((e) => ({ ...e, [field]: undefined }));
  };

  async function save() {
    if (busy) return;
    const local: FieldErrors<F> = {};
    const patch: CommandInput<'backups.updateSettings'> = {};
    if (form.scheduleEnabled !== settings.scheduleEnabled)
      patch.scheduleEnabled = form.scheduleEnabled;
    if (form.intervalMinutes !== settings.intervalMinutes)
      patch.intervalMinutes = form.intervalMinutes;
    if (form.onlyIfChanged !== settings.onlyIfChanged) patch.onlyIfChanged = form.onlyIfChanged;
    if (form.compactScheduled !== settings.compactScheduled)
      patch.compactScheduled = form.compactScheduled;
    const retention: Partial<Record<RetentionKey, number>> = {};
    // Every field is checked before anything is sent, so all problems show at once.
    for (const f of RETENTION) {
      const problem = retentionProblem(f, form.retention[f.key]);
      if (problem) {
        local[`retention.${f.key}`] = problem;
        continue;
      }
      const n = Number(form.retention[f.key].trim());
      if (n !== settings.retention[f.key]) retention[f.key] = n;
    }
    if (Object.keys(retention).length > 0) patch.retention = retention;
    const dir = form.offsiteDir.trim();
    if (dir !== '' && !isAbsolutePath(dir)) {
      local.offsiteDir = 'Enter an absolute path, like /media/usb/stateward or D:\\Backups.';
    }
    const nextDir = dir === '' ? null : dir;
    if (nextDir !== settings.offsiteDir) patch.offsiteDir = nextDir;
    if (Object.keys(local).length > 0) {
      setErrors(local);
      setFormError(null);
      return;
    }
    setBusy(true);
    const r = await invoke('backups.updateSettings', patch);
    setBusy(false);
    if (r.ok) {
      setErrors({});
      setFormError(null);
      const check = r.value.offsiteCheck;
      if (check) toastSuccess('Backup settings saved', offsiteProofText(check));
      else toastSuccess('Backup settings saved');
      // The overview (and this form's key) refresh from the new settings.
      useData.getState().bump('backups');
      return;
    }
    if (r.error.code === 'OFFSITE_DIR_REFUSED' || r.error.details?.['field'] === 'offsiteDir') {
      // Why the folder is refused, and what to do, next to the folder.
      setErrors({
        offsiteDir: r.error.hint ? `${r.error.message} ${r.error.hint}` : r.error.message,
      });
      setFormError(null);
      return;
    }
    const { fields, placed } = fieldErrorsOf(r.error, FIELDS);
    // The off-site checks (cannot write there, inside the data directory) name no field.
    if (!placed && r.error.code === 'BAD_INPUT' && /off-site/i.test(r.error.message)) {
      setErrors({
        offsiteDir: r.error.hint ? `${r.error.message} ${r.error.hint}` : r.error.message,
      });
      setFormError(null);
      return;
    }
    setErrors(fields);
    setFormError(placed ? null : r.error);
  }

  async function chooseFolder() {
    const r = await invoke('dialog.openFolder', { title: 'Choose the off-site folder' });
    if (!r.ok) setErrors((e) => ({ ...e, offsiteDir: r.error.message }));
    else if (r.value.path) update({ offsiteDir: r.value.path }, 'offsiteDir');
  }

  return (
    <section className="card settings-card" aria-labelledby="backup-settings-title">
      <h2 id="backup-settings-title" className="card-title">
        <Icon name="clock" /> Schedule &amp; retention
      </h2>
      <form
        noValidate
        className="settings-form"
        aria-labelledby="backup-settings-title"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <FormError error={formError} />
        <div className="settings-grid">
          <fieldset className="settings-group">
            <legend>Schedule</legend>
            <label className="check">
              <input
                type="checkbox"
                checked={form.scheduleEnabled}
                onChange={(e) => update({ scheduleEnabled: e.target.checked }, 'scheduleEnabled')}
              />
              Back up on a schedule
            </label>
            <Field label="Interval" error={errors.intervalMinutes}>
              <select
                className="input"
                value={form.intervalMinutes}
                onChange={(e) =>
                  update({ intervalMinutes: Number(e.target.value) }, 'intervalMinutes')
                }
              >
                {custom && (
                  <option value={form.intervalMinutes}>Every {form.intervalMinutes} minutes</option>
                )}
                {INTERVALS.map((i) => (
                  <option key={i.minutes} value={i.minutes}>
                    {i.label}
                  </option>
                ))}
              </select>
            </Field>
            <CheckField
              checked={form.onlyIfChanged}
              onChange={(v) => update({ onlyIfChanged: v }, 'onlyIfChanged')}
              label="Only if something changed"
              help="Skip a run when nothing changed since the newest backup."
            />
            <CheckField
              checked={form.compactScheduled}
              onChange={(v) => update({ compactScheduled: v }, 'compactScheduled')}
              label="Compact scheduled backups"
              help="Smaller files; metrics and resource status are left out."
            />
          </fieldset>
          <fieldset className="settings-group">
            <legend>Retention</legend>
            <p className="muted small">
              Keep the newest backups (Keep last), plus the newest backup of each of the last so
              many days, weeks and months. Applied after each scheduled backup; the newest verified
              and the newest pre-upgrade backup are always kept.
            </p>
            <div className="retention-grid">
              {RETENTION.map((f) => (
                <Field
                  key={f.key}
                  label={f.label}
                  error={errors[`retention.${f.key}`]}
                  help={retentionHelp(f, form.retention[f.key])}
                >
                  <input
                    className="input"
                    inputMode="numeric"
                    value={form.retention[f.key]}
                    onChange={(e) =>
                      update(
                        { retention: { ...form.retention, [f.key]: e.target.value } },
                        `retention.${f.key}`,
                      )
                    }
                  />
                </Field>
              ))}
            </div>
          </fieldset>
          <fieldset className="settings-group settings-group-wide">
            <legend>Off-site folder</legend>
            <Field
              label="Folder"
              optional
              error={errors.offsiteDir}
              help={
                platform === 'electron'
                  ? 'A folder on another drive or a synced folder, chosen with “Choose folder…”. On save, Stateward writes, syncs, reads back and removes a test file there. Each new backup is copied there and checked.'
                  : 'An absolute path on another drive or a synced folder (its parent folder must exist). On save, Stateward writes, syncs, reads back and removes a test file there. Each new backup is copied there and checked. Leave empty for none.'
              }
            >
              <input
                className="input input-mono"
                autoComplete="off"
                spellCheck={false}
                placeholder="/media/usb/stateward-backups"
                value={form.offsiteDir}
                readOnly={platform === 'electron'}
                onChange={(e) => update({ offsiteDir: e.target.value }, 'offsiteDir')}
              />
            </Field>
            {platform === 'electron' && (
              <div className="settings-actions">
                <button
                  type="button"
                  className="button"
                  disabled={busy}
                  onClick={() => void chooseFolder()}
                >
                  Choose folder…
                </button>
                {form.offsiteDir !== '' && (
                  <button
                    type="button"
                    className="button"
                    disabled={busy}
                    onClick={() => update({ offsiteDir: '' }, 'offsiteDir')}
                  >
                    No off-site folder
                  </button>
                )}
              </div>
            )}
          </fieldset>
        </div>
        <div className="settings-actions">
          {dirty && <span className="muted small">Unsaved changes</span>}
          <button
            type="button"
            className="button"
            disabled={!dirty || busy}
            onClick={() => {
              setForm(initial);
              setErrors({});
              setFormError(null);
            }}
          >
            Revert
          </button>
          <button type="submit" className="button button-primary" disabled={!dirty || busy}>
            {busy ? 'Saving…' : 'Save settings'}
          </button>
        </div>
      </form>
    </section>
  );
}
