// What the Backups page's detail panel offers for one backup's restore: a
// restore drill (the Verify wizard, preselected) and a restore into a copy
// (the restore wizard, preselected) — or why this version cannot open it.
import type { BackupEntry } from '../../../shared/domain.ts';
import { Icon } from '../components/Icon.tsx';
import { useApp } from '../stores/app.ts';
import { cannotOpenReason } from '../restores.ts';
import { useRestoreWizard } from '../stores/restoreWizard.ts';
import { useVerifyWizard } from '../stores/verifyWizard.ts';

export function RestoreActions({ entry }: { entry: BackupEntry }) {
  const showVerify = useVerifyWizard((s) => s.show);
  const showRestore = useRestoreWizard((s) => s.show);
  const appSchema = useApp((s) => s.status?.appSchemaVersion ?? null);
  const reason = appSchema === null ? null : cannotOpenReason(entry, appSchema);
  if (reason) return <p className="muted small">{reason}</p>;
  return (
    <div className="button-row restore-actions">
      <button type="button" className="button button-small" onClick={() => showVerify([entry.id])}>
        <Icon name="shield" /> Verify this backup
      </button>
      <button
        type="button"
        className="button button-small"
        onClick={() => showRestore({ backupId: entry.id })}
      >
        <Icon name="restore" /> Restore to a copy…
      </button>
    </div>
  );
}
