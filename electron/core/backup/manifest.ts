// Backup file naming and the sidecar manifest (read back with a schema: a
// sidecar is user-reachable input like any other).
import { z } from 'zod';
import type { BackupKind, BackupManifest } from '../../../shared/domain.ts';
import { BACKUP_FORMAT_VERSION, BACKUP_KINDS } from '../../../shared/domain.ts';

export const BACKUP_EXT = '.sqlite';
export const MANIFEST_SUFFIX = '.manifest.json';
export { TEMP_PREFIX } from '../fsutil.ts';

export const manifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT_VERSION),
  id: z.string().regex(/^[a-z0-9]{8,32}$/),
  kind: z.enum(BACKUP_KINDS),
  createdAt: z.number().int().nonnegative(),
  appVersion: z.string(),
  schemaVersion: z.number().int().nonnegative(),
  method: z.literal('sqlite-backup-api'),
  compact: z.boolean(),
  fileName: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  pageSize: z.number().int().positive(),
  pageCount: z.number().int().nonnegative(),
  rowCounts: z.record(z.string(), z.number().int().nonnegative()),
  newestDeploymentAt: z.number().int().nullable(),
  dataKeyId: z.string().nullable(),
  quickCheck: z.literal('ok'),
  changeSeq: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  compaction: z
    .object({
      liveBytes: z.number().int().nonnegative(),
      bytes: z.number().int().nonnegative(),
      strippedRows: z.number().int().nonnegative(),
      smaller: z.boolean(),
      reason: z.string().nullable(),
    })
    .optional(),
  source: z
    .object({
      backend: z.literal('postgres'),
      serverVersion: z.string(),
      database: z.string(),
      schema: z.string(),
      host: z.string(),
    })
    .optional(),
  rescue: z.string().optional(),
}) satisfies z.ZodType<BackupManifest>;

/** `20261121T213000Z` — sortable, safe in every file system. */
export function stampOf(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

export function backupFileName(createdAt: number, kind: BackupKind, id: string): string {
  return `${stampOf(createdAt)}-${kind}-${id}${BACKUP_EXT}`;
}

export function manifestNameFor(backupFileName: string): string {
  return backupFileName.slice(0, -BACKUP_EXT.length) + MANIFEST_SUFFIX;
}

const NAME_RE =
  /^(\d{8}T\d{6}Z)-(manual|scheduled|pre-upgrade|pre-restore|pre-move)-([a-z0-9]{8,32})\.sqlite$/;

export function parseBackupFileName(
  name: string,
): { kind: BackupKind; id: string; createdAt: number } | null {
  const m = NAME_RE.exec(name);
  if (!m) return null;
  const s = m[1]!;
  const iso = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`;
  return { kind: m[2] as BackupKind, id: m[3]!, createdAt: Date.parse(iso) };
}
