// What the renderer says about backups, in one place: labels, hints for the
// backup error codes, and saving a copy outside the backups folder (Save As in
// Electron, a one-time download link in the browser).
import type { BackupStage } from '../../shared/backup-progress.ts';
import type { BackupEntry } from '../../shared/domain.ts';
import type { AppErrorShape } from '../../shared/errors.ts';
import { invoke, platform } from './api.ts';

export { BACKUP_KIND_LABEL, backupTitle } from './names.ts';

/** A backup's stage in words (the stages and their weights: shared/backup-progress.ts). */
export const STAGE_LABEL: Record<BackupStage, string> = {
  snapshot: 'Taking a consistent snapshot',
  verify: 'Checking (quick_check) and hashing (SHA-256)',
  finalize: 'Writing it to disk with its manifest',
  offsite: 'Copying off-site',
  done: 'Done',
};

/** Failed its newest drill, or damaged: never offered as safe (listed after the others, with why). */
export function isUnsafeBackup(entry: Pick<BackupEntry, 'verification'>): boolean {
  return entry.verification.state === 'failed' || entry.verification.state === 'damaged';
}

/** The same backups, the failed and damaged ones moved after the others (order kept otherwise). */
export function safeFirst<T extends Pick<BackupEntry, 'verification'>>(entries: readonly T[]): T[] {
  return [...entries.filter((e) => !isUnsafeBackup(e)), ...entries.filter(isUnsafeBackup)];
}

/** Its manifest is there but damaged (the list says so instead of "no manifest"). */
export function manifestDamaged(entry: Pick<BackupEntry, 'verification'>): boolean {
  return entry.verification.code === 'BACKUP_MANIFEST_UNREADABLE';
}

/** The schedule intervals offered; any other value (set elsewhere) is shown as custom. */
export const INTERVALS: readonly { minutes: number; label: string }[] = [
  { minutes: 60, label: 'Hourly' },
  { minutes: 6 * 60, label: 'Every 6 hours' },
  { minutes: 24 * 60, label: 'Daily' },
  { minutes: 7 * 24 * 60, label: 'Weekly' },
];

export function intervalLabel(minutes: number): string {
  const known = INTERVALS.find((i) => i.minutes === minutes);
  if (known) return known.label.toLowerCase();
  if (minutes % 60 === 0) return `every ${minutes / 60} h`;
  return `every ${minutes} min`;
}

/** Titles for the overview's warning codes; unknown codes fall back to their message. */
export const WARNING_TITLE: Record<string, string> = {
  NO_BACKUP: 'No backups yet',
  BACKUP_OVERDUE: 'Backup overdue',
  SAME_FILESYSTEM: 'Backups are on the same drive',
  PORTABLE_BACKUPS_INSIDE: 'Backups live inside the portable folder',
  LAST_BACKUP_FAILED: 'The last backup failed',
  OFFSITE_COPY_FAILED: 'The last off-site copy failed',
  LAST_BACKUP_UNSAFE: 'The newest backup is not safe',
  SETTINGS_FILE_UNREADABLE: 'Backup settings file could not be read',
};

/** Warnings that mean data is at risk right now (shown in red, not amber). */
export const SEVERE_WARNINGS: ReadonlySet<string> = new Set([
  'BACKUP_OVERDUE',
  'LAST_BACKUP_FAILED',
  'OFFSITE_COPY_FAILED',
  'LAST_BACKUP_UNSAFE',
]);

const HINTS: Record<string, string> = {
  BACKUP_IN_PROGRESS: 'Another backup is running. Wait for it to finish, then try again.',
  BACKUP_DISK_FULL:
    'The drive holding the data directory is full. Free some space (or delete old backups), then try again.',
  BACKUP_DESTINATION_UNWRITABLE:
    'Stateward cannot write to that folder. Check that it exists, is mounted and that you may write there.',
  BACKUP_CHECK_FAILED:
    'The new backup did not pass its integrity check, so it was not kept. The live database may be damaged.',
  OFFSITE_COPY_FAILED:
    'The backup itself is safe in the backups folder; only the off-site copy failed. Check the off-site folder.',
  UNSUPPORTED_HERE: 'This action is not available in this window.',
};

/** The error with a hint: the backend's own, else a plain-language one for its code. */
export function withHint(error: AppErrorShape): AppErrorShape {
  if (error.hint) return error;
  const hint = HINTS[error.code];
  return hint ? { ...error, hint } : error;
}

/** A fresh operation id; randomUUID where available (secure contexts), else built by hand. */
export function newOpId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const SAVE_COPY_LABEL = platform === 'electron' ? 'Save a copy…' : 'Download a copy';
/** The Back up now menu's item: a backup, then the same Save As (or download) as SAVE_COPY_LABEL. */
export const BACKUP_AND_SAVE_LABEL =
  platform === 'electron' ? 'Back up and save a copy to…' : 'Back up and download a copy';

export type CopyOutcome =
  | { state: 'saved'; path: string }
  | { state: 'downloading'; fileName: string }
  | { state: 'dismissed' }
  | { state: 'failed'; error: AppErrorShape };

/**
 * Saves a copy of a backup somewhere the user picks. Electron: the Save dialog
 * (named after the file) then `backups.export`. Browser: a one-time link that
 * the browser downloads.
 */
export async function saveBackupCopy(entry: BackupEntry): Promise<CopyOutcome> {
  if (platform === 'electron') {
    const d = await invoke('dialog.saveFile', {
      title: 'Save a copy of the backup',
      defaultName: entry.fileName,
    });
    if (!d.ok) return { state: 'failed', error: withHint(d.error) };
    if (d.value.path === null) return { state: 'dismissed' };
    const r = await invoke('backups.export', { id: entry.id, path: d.value.path });
    return r.ok
      ? { state: 'saved', path: r.value.path }
      : { state: 'failed', error: withHint(r.error) };
  }
  const r = await invoke('backups.downloadLink', { id: entry.id });
  if (!r.ok) return { state: 'failed', error: withHint(r.error) };
  download(r.value.url, r.value.fileName);
  return { state: 'downloading', fileName: r.value.fileName };
}

/** Has the browser download `href` as `fileName`, through a hidden link. */
export function download(href: string, fileName: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = fileName;
  a.rel = 'noopener';
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
}

/** One line about a copy's outcome, for a toast or the wizard's result. */
export function copyOutcomeText(o: CopyOutcome): string {
  switch (o.state) {
    case 'saved':
      return `A copy was saved to ${o.path}.`;
    case 'downloading':
      return `Your browser is downloading ${o.fileName}.`;
    case 'dismissed':
      return 'No copy was saved: the Save dialog was closed.';
    case 'failed':
      return o.error.message;
  }
}

/** The path of the backups folder inside a data directory, with the directory's own separator. */
export function backupsFolderOf(dataDir: string): string {
  const sep = dataDir.includes('\\') && !dataDir.includes('/') ? '\\' : '/';
  return `${dataDir.replace(/[\\/]+$/, '')}${sep}backups`;
}
