// The overview's warnings as rows: amber for advice, red when data is at risk
// now (overdue, last attempt failed). Shared by the Dashboard and the Backups page.
import type { BackupOverview } from '../../../shared/domain.ts';
import { SEVERE_WARNINGS, WARNING_TITLE } from '../backups.ts';
import { afterTitle } from '../names.ts';
import { Icon } from './Icon.tsx';

export function WarningRow(props: {
  warning: BackupOverview['warnings'][number];
  /** The overview's last failure code: an off-site copy failure is not a failed backup. */
  failureCode?: string | undefined;
}) {
  const { warning, failureCode } = props;
  const severe = SEVERE_WARNINGS.has(warning.code);
  const title =
    warning.code === 'LAST_BACKUP_FAILED' && failureCode === 'OFFSITE_COPY_FAILED'
      ? (WARNING_TITLE.OFFSITE_COPY_FAILED ?? warning.code)
      : (WARNING_TITLE[warning.code] ?? warning.code);
  return (
    <li
      className={severe ? 'safety-row safety-danger' : 'safety-row safety-warn'}
      data-warning={warning.code}
      role={severe ? 'alert' : undefined}
    >
      <Icon name={severe ? 'error' : 'warning'} />
      <div>
        <strong>{title}</strong>
        <p>{afterTitle(title, warning.message)}</p>
      </div>
    </li>
  );
}
