// The backup settings' shape (this machine's, kept in <data>/settings.json: see
// machine-settings.ts), and how a stored value is read back: checked field by
// field, so one bad field never costs the others.
import path from 'node:path';
import { z } from 'zod';
import type { BackupSettings } from '../../../shared/domain.ts';
import { DEFAULT_BACKUP_SETTINGS } from '../../../shared/domain.ts';

export const settingsSchema = z.object({
  scheduleEnabled: z.boolean(),
  intervalMinutes: z
    .number()
    .int()
    .min(5)
    .max(60 * 24 * 31),
  onlyIfChanged: z.boolean(),
  compactScheduled: z.boolean(),
  retention: z.object({
    keepLast: z.number().int().min(1).max(1000),
    daily: z.number().int().min(0).max(366),
    weekly: z.number().int().min(0).max(520),
    monthly: z.number().int().min(0).max(240),
  }),
  offsiteDir: z
    .string()
    .min(1)
    .max(4096)
    .refine((p) => path.isAbsolute(p), 'must be an absolute path')
    .nullable(),
}) satisfies z.ZodType<BackupSettings>;

/**
 * A stored value read back: the settings to use, and the fields that were not
 * valid (an empty list when all were; a field never stored is not invalid: it
 * takes its default, as in files an older version wrote).
 */
export function readBackupSettings(stored: unknown): { settings: BackupSettings; bad: string[] } {
  if (stored === undefined) return { settings: DEFAULT_BACKUP_SETTINGS, bad: [] };
  const parsed = settingsSchema.safeParse({
    ...DEFAULT_BACKUP_SETTINGS,
    ...(typeof stored === 'object' && stored !== null && !Array.isArray(stored) ? stored : {}),
  });
  if (parsed.success && typeof stored === 'object' && stored !== null && !Array.isArray(stored))
    return { settings: parsed.data, bad: [] };
  return { settings: DEFAULT_BACKUP_SETTINGS, bad: ['backup settings'] };
}
