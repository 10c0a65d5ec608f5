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

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Each field of `shape` from `stored` when valid, else its default; `bad` gets the invalid ones' names. */
function perField<T extends object>(
  shape: Record<string, z.ZodType>,
  stored: Record<string, unknown>,
  defaults: T,
  prefix: string,
  bad: string[],
): T {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, schema] of Object.entries(shape)) {
    if (!(k in stored)) continue;
    const field = schema.safeParse(stored[k]);
    if (field.success) out[k] = field.data;
    else bad.push(prefix + k);
  }
  return out as T;
}

/**
 * A stored value read back, field by field: the settings to use (every valid
 * field kept, the default for each invalid one) and the invalid fields' names
 * (`retention.keepLast`); `bad` is null when the value is not an object at all.
 * A field never stored is not invalid: it takes its default, as in files an
 * older version wrote.
 */
export function readBackupSettings(stored: unknown): {
  settings: BackupSettings;
  bad: string[] | null;
} {
  if (stored === undefined) return { settings: DEFAULT_BACKUP_SETTINGS, bad: [] };
  if (!isRecord(stored)) return { settings: DEFAULT_BACKUP_SETTINGS, bad: null };
  const bad: string[] = [];
  const { retention: retentionSchema, ...rest } = settingsSchema.shape;
  const settings = perField(rest, stored, DEFAULT_BACKUP_SETTINGS, '', bad);
  if (isRecord(stored.retention))
    settings.retention = perField(
      retentionSchema.shape,
      stored.retention,
      DEFAULT_BACKUP_SETTINGS.retention,
      'retention.',
      bad,
    );
  else if ('retention' in stored) bad.push('retention');
  return { settings, bad };
}
