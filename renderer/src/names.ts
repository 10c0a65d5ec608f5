// What things are called on screen: backups by kind and time rather than by file
// name. Pure (no transport), so unit tests import it directly.
import type { BackupKind } from '../../shared/domain.ts';
import { formatTime } from './format.ts';

export const BACKUP_KIND_LABEL: Record<BackupKind, string> = {
  manual: 'Manual',
  scheduled: 'Scheduled',
  'pre-upgrade': 'Pre-upgrade',
  'pre-restore': 'Pre-restore',
};

/** A backup file name as Stateward writes it: `20261127T135214Z-manual-03a48e….sqlite`. */
const FILE_NAME_RE =
  /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z-(manual|scheduled|pre-upgrade|pre-restore)-[0-9a-z]+\.sqlite$/;

/**
 * What a person calls a backup: "Manual backup of Nov 27, 2026, 01:52 PM". From the
 * kind and time when known, else read from Stateward's file name; any other file keeps
 * its name. (Show the file name itself one click away: a title, the detail, the report.)
 */
export function backupTitle(b: {
  fileName: string;
  kind?: BackupKind | null;
  createdAt?: number | null;
}): string {
  let kind = b.kind ?? null;
  let at = b.createdAt ?? null;
  const m = FILE_NAME_RE.exec(b.fileName);
  if (m) {
    kind ??= m[7] as BackupKind;
    at ??= Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  }
  if (kind === null || at === null) return b.fileName;
  return `${BACKUP_KIND_LABEL[kind]} backup of ${formatTime(at)}`;
}

/**
 * A message shown under a title, without the title repeated at its start: under "The last
 * restore drill failed", "The last restore drill failed: hash mismatch" reads "Hash mismatch".
 */
export function afterTitle(title: string, message: string): string {
  let m = message.trim();
  const t = title.trim().toLowerCase();
  while (m.toLowerCase().startsWith(t) && /^[:.\-–—]/.test(m.slice(t.length).trimStart())) {
    m = m.slice(t.length).trimStart().slice(1).trimStart();
  }
  return m === '' ? message : m.charAt(0).toUpperCase() + m.slice(1);
}

/**
 * A drill's summary under its verdict ("Restore drill passed"): without the verdict
 * repeated ("Passed: "), and the backup named by kind and time instead of its file name.
 */
export function drillSummaryText(report: {
  summary: string;
  source: { fileName: string; kind: BackupKind | null; createdAt: number | null };
}): string {
  let text = report.summary.replace(/^(Passed|Failed): /, '');
  const name = report.source.fileName;
  const title = backupTitle(report.source);
  if (name && title !== name) text = text.split(name).join(title);
  return text.charAt(0).toUpperCase() + text.slice(1);
}
