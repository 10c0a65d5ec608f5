// A list of backups to choose from: one (radio buttons, arrows move) for a
// restore, or several (checkboxes) for the Verify wizard. Each row shows the
// kind, age, size, schema and verified state; a backup this version cannot
// open is shown disabled with the reason; one whose newest drill failed, or
// that is damaged, comes last with why (never the first choice).
import type { ReactNode } from 'react';
import type { BackupEntry } from '../../../shared/domain.ts';
import { formatAgo, formatBytes, formatCount, formatTime, formatTimeExact } from '../format.ts';
import { isUnsafeBackup, manifestDamaged, safeFirst } from '../backups.ts';
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
  const { legend, appSchemaVersion, now, multiple, selected, onChange } = props;
  // Failed and damaged backups come last, saying why: never the first (or focused) choice.
  const entries = safeFirst(props.entries);
  const firstEnabled =
    entries.find((e) => !cannotOpenReason(e, appSchemaVersion) && !isUnsafeBackup(e)) ??
    entries.find((e) => !cannotOpenReason(e, appSchemaVersion));
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
          const unsafe = !reason && isUnsafeBackup(e);
          const recommended =
            props.recommendPreUpgrade && e.kind === 'pre-upgrade' && !reason && !unsafe;
          return (
            <label
              key={e.id}
              className={[
                'pick-row',
                checked && !reason ? 'pick-row-checked' : '',
                reason ? 'pick-row-disabled' : '',
                recommended ? 'pick-row-recommended' : '',
                unsafe ? 'pick-row-unsafe' : '',
              ]
                .filter(Boolean)
                .join(' ')}
              data-backup-id={e.id}
              data-kind={e.kind}
              data-state={e.verification.state}
            >
              <input
                type={multiple ? 'checkbox' : 'radio'}
                name="backup-pick"
                value={e.id}
                checked={checked && !reason}
                disabled={reason !== null}
                data-autofocus={e.id === focusId || undefined}
                aria-describedby={reason || unsafe ? `why-${e.id}` : undefined}
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
                {manifestDamaged(e) ? (
                  <span className="pill pill-danger">manifest damaged</span>
                ) : e.hasManifest ? (
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
              {(reason || unsafe || recommended) && (
                <span
                  className={
                    reason || unsafe
                      ? 'pick-note pick-note-reason'
                      : 'pick-note pick-note-recommended'
                  }
                  id={reason || unsafe ? `why-${e.id}` : undefined}
                >
                  <Icon name={reason || unsafe ? 'warning' : 'shield'} size={13} />
                  {reason ??
                    (unsafe
                      ? e.verification.reason
                      : 'Taken automatically before the last upgrade: the usual one to go back to.')}
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
