// What things are called on screen: backups by kind and time rather than by file
// name. Pure (no transport), so unit tests import it directly.
import type { BackupKind } from '../../shared/domain.ts';
import { formatTime, formatTimeExact } from './format.ts';

export const BACKUP_KIND_LABEL: Record<BackupKind, string> = {
  manual: 'Manual',
  scheduled: 'Scheduled',
  'pre-upgrade': 'Pre-upgrade',
  'pre-restore': 'Pre-restore',
  'pre-move': 'Pre-move',
};

/** A backup file name as Stateward writes it: `20261127T135214Z-manual-03a48e….sqlite`. */
const FILE_NAME_RE =
  /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z-(manual|scheduled|pre-upgrade|pre-restore|pre-move)-[0-9a-z]+\.sqlite$/;

/**
 * What a person calls a backup: "Manual backup of Nov 27, 2026, 01:52 PM". From the
 * kind and time when known, else read from Stateward's file name; any other file keeps
 * its name. (Show the file name itself one click away: a title, the detail, the report.)
 */
export function backupTitle(
  b: {
    fileName: string;
    kind?: BackupKind | null;
    createdAt?: number | null;
  },
  exact = false,
): string {
  let kind = b.kind ?? null;
  let at = b.createdAt ?? null;
  const m = FILE_NAME_RE.exec(b.fileName);
  if (m) {
    kind ??= m[7] as BackupKind;
    at ??= Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  }
  if (kind === null || at === null) return b.fileName;
  return `${BACKUP_KIND_LABEL[kind]} backup of ${(exact ? formatTimeExact : formatTime)(at)}`;
}

/** The values that occur more than once: rows that would read alike. */
export function repeated(values: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const v of values) (seen.has(v) ? twice : seen).add(v);
  return twice;
}

/**
 * backupTitle for each row of a list, where no two rows may read alike: a title that two
 * backups taken in the same minute would share names its seconds ("… 01:52:14 PM").
 */
export function distinctBackupTitles(
  items: readonly Parameters<typeof backupTitle>[0][],
): string[] {
  const plain = items.map((b) => backupTitle(b));
  const twice = repeated(plain);
  return items.map((b, i) => (twice.has(plain[i]!) ? backupTitle(b, true) : plain[i]!));
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
export function drillSummaryText(
  report: {
    summary: string;
    source: { fileName: string; kind: BackupKind | null; createdAt: number | null };
  },
  /** What to call the backup instead (a list whose row names it already: "the backup"). */
  title = backupTitle(report.source),
): string {
  let text = report.summary.replace(/^(Passed|Failed): /, '');
  const name = report.source.fileName;
  if (name && title !== name) text = text.split(name).join(title);
  return text.charAt(0).toUpperCase() + text.slice(1);
}
