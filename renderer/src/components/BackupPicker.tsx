// A list of backups to choose from: one (radio buttons, arrows move) for a
// restore, or several (checkboxes) for the Verify wizard. Each row shows the
// kind, age, size, schema and verified state; a backup this version cannot
// open is shown disabled with the reason.
import type { ReactNode } from 'react';
import type { BackupEntry } from '../../../shared/domain.ts';
import { formatAgo, formatBytes, formatCount, formatTime, formatTimeExact } from '../format.ts';
import { cannotOpenReason } from '../restores.ts';
import { KindBadge, VerifiedPill } from './BackupFacts.tsx';
import { Icon } from './Icon.tsx';

export function BackupPicker(props: {
  legend: string;
  entries: readonly BackupEntry[];
  appSchemaVersion: number;
  now: number;
  multiple?: boolean;
  selected: readonly string[];
  onChange(id: string, on: boolean): void;
  /** Mark pre-upgrade backups as the ones to pick (the rollback path). */
  recommendPreUpgrade?: boolean;
  extra?: ReactNode;
}) {
  const { legend, entries, appSchemaVersion, now, multiple, selected, onChange } = props;
  const firstEnabled = entries.find((e) => !cannotOpenReason(e, appSchemaVersion));
  const focusId =
    entries.find((e) => selected.includes(e.id) && !cannotOpenReason(e, appSchemaVersion))?.id ??
    firstEnabled?.id;
  return (
    <fieldset className="choice-fieldset">
      <legend>{legend}</legend>
      <div className="pick-list" data-testid="backup-picker">
        {entries.map((e) => {
          const reason = cannotOpenReason(e, appSchemaVersion);
          const checked = selected.includes(e.id);
          const recommended = props.recommendPreUpgrade && e.kind === 'pre-upgrade' && !reason;
          return (
            <label
              key={e.id}
              className={[
                'pick-row',
                checked && !reason ? 'pick-row-checked' : '',
                reason ? 'pick-row-disabled' : '',
                recommended ? 'pick-row-recommended' : '',
              ]
                .filter(Boolean)
                .join(' ')}
              data-backup-id={e.id}
              data-kind={e.kind}
            >
              <input
                type={multiple ? 'checkbox' : 'radio'}
                name="backup-pick"
                value={e.id}
                checked={checked && !reason}
                disabled={reason !== null}
                data-autofocus={e.id === focusId || undefined}
                aria-describedby={reason ? `why-${e.id}` : undefined}
                onChange={(ev) => onChange(e.id, ev.target.checked)}
              />
              <span className="pick-kind">
                <KindBadge entry={e} />
              </span>
              <span className="pick-when">
                <strong title={formatTimeExact(e.createdAt)}>{formatAgo(e.createdAt, now)}</strong>
                <span className="muted small">{formatTime(e.createdAt)}</span>
              </span>
              <span className="pick-size" title={`${formatCount(e.bytes)} bytes`}>
                <span>{formatBytes(e.bytes)}</span>
                <span className="muted small">{e.compact ? 'compact' : 'full'}</span>
              </span>
              <span className="pick-schema">
                {e.hasManifest ? (
                  <span className={reason ? 'pill pill-danger' : 'pill'}>
                    schema {e.schemaVersion}
                  </span>
                ) : (
                  <span className="pill pill-warn" title="No manifest: checked on its own merits">
                    no manifest
                  </span>
                )}
              </span>
              <span className="pick-state">
                {reason ? (
                  <span className="muted small">cannot open</span>
                ) : (
                  <VerifiedPill entry={e} now={now} />
                )}
              </span>
              {(reason || recommended) && (
                <span
                  className={
                    reason ? 'pick-note pick-note-reason' : 'pick-note pick-note-recommended'
                  }
                  id={reason ? `why-${e.id}` : undefined}
                >
                  <Icon name={reason ? 'warning' : 'shield'} size={13} />
                  {reason ??
                    'Taken automatically before the last upgrade: the usual one to go back to.'}
                </span>
              )}
            </label>
          );
        })}
        {props.extra}
      </div>
    </fieldset>
  );
}
