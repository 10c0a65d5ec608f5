// A backup's verified state, computed in one place from all the evidence, newest
// first: the file as it is now, then its newest restore drill. Every place that
// says whether a backup is safe (the list, its detail, the pickers, the CLI,
// retention's "newest verified") reads the result of this function.
import type { BackupVerification, DrillReport } from '../../../shared/domain.ts';

/** What the listing knows about a backup file right now (cheap: no hashing). */
export interface BackupFileState {
  id: string;
  fileName: string;
  bytes: number;
  /** The SHA-256 its manifest records, when it has a readable manifest. */
  sha256: string | null;
  /** Its modification time (ms) now; compared with the one the drill read. */
  modifiedAt?: number;
  /**
   * Damage seen without opening the file: its manifest cannot be read, describes another
   * file, or records another size. Null when nothing is wrong (or there is no manifest).
   */
  damage: { code: string; reason: string } | null;
}

/** Preflight refusals that say the file itself is damaged (not merely unusable here). */
const DAMAGE_CODES: ReadonlySet<string> = new Set([
  'BACKUP_HASH_MISMATCH',
  'BACKUP_MANIFEST_UNREADABLE',
  'BACKUP_FACTS_MISMATCH',
  'BACKUP_UNREADABLE',
  'BACKUP_EMPTY',
  'NOT_SQLITE',
  'NOT_A_STATEWARD_DB',
  'DB_CORRUPT',
  'MIGRATION_HISTORY_OUT_OF_SYNC',
]);

/** Failures of this machine at the time, not of the backup: no evidence either way. */
const CIRCUMSTANCE_CODES: ReadonlySet<string> = new Set([
  'DISK_FULL',
  'DATA_DIR_BUSY',
  'CANCELLED',
  'CONFLICT',
  'PROMOTE_IN_PROGRESS',
]);

/** The step a failed drill failed at, with its code. */
function failingStep(
  r: DrillReport,
): { key: string; title: string; detail: string; code: string | null } | null {
  const s = r.steps.find((x) => x.status === 'fail');
  if (!s) return null;
  const code = typeof s.facts?.['code'] === 'string' ? (s.facts['code'] as string) : null;
  return { key: s.key, title: s.title, detail: s.detail, code };
}

/** Whether a drill report says anything about the backup (a full disk at the time does not). */
function isEvidence(r: DrillReport): boolean {
  if (r.passed) return true;
  const code = failingStep(r)?.code;
  return !(code && CIRCUMSTANCE_CODES.has(code));
}

/** The drill read the file in backups/, not another copy of the backup (kept off-site, uploaded). */
function readThisFile(r: DrillReport): boolean {
  return r.source.fromBackups !== false;
}

const NOT_VERIFIED = 'No restore drill has restored and opened it yet.';

/** The verified state of one backup, from its file's state and its drills (any order). */
export function verificationOf(
  file: BackupFileState,
  drills: readonly DrillReport[],
): BackupVerification {
  const own = drills
    .filter((r) => r.source.backupId === file.id && readThisFile(r) && isEvidence(r))
    .sort((a, b) => b.finishedAt - a.finishedAt);
  const newest = own[0] ?? null;
  const lastPassedAt = own.find((r) => r.passed)?.finishedAt ?? null;
  const base = { lastPassedAt, empty: false };
  // The file as it is now is the newest evidence of all.
  if (file.damage) return { ...base, state: 'damaged', at: null, drillId: null, ...file.damage };
  if (!newest)
    return {
      ...base,
      state: 'not-verified',
      at: null,
      drillId: null,
      code: null,
      reason: NOT_VERIFIED,
    };
  if (newest.passed) {
    const was = newest.source;
    const changed =
      was.bytes !== file.bytes
        ? `it is ${file.bytes} bytes now, ${was.bytes} when it was drilled`
        : file.sha256 !== null && was.sha256 !== null && file.sha256 !== was.sha256
          ? 'its manifest records another SHA-256 than the file the drill restored'
          : null;
    // Written to since the drill read it (same size and manifest): perhaps the same bytes (a
    // copy put back), perhaps not. Not evidence of damage, but no longer of a good file either.
    if (
      !changed &&
      was.modifiedAt !== undefined &&
      file.modifiedAt !== undefined &&
      was.modifiedAt !== file.modifiedAt
    )
      return {
        ...base,
        state: 'not-verified',
        at: null,
        drillId: newest.id,
        code: 'BACKUP_CHANGED_SINCE_DRILL',
        reason:
          'The file was written to after its last restore drill passed, so that drill may not have read these bytes. Drill it again before relying on it.',
      };
    if (changed)
      return {
        ...base,
        state: 'damaged',
        at: null,
        drillId: newest.id,
        code: 'BACKUP_CHANGED_SINCE_DRILL',
        reason: `Changed since its last restore drill passed: ${changed}. Drill it again before relying on it.`,
      };
    const empty = newest.empty === true;
    return {
      ...base,
      empty,
      state: 'verified',
      at: newest.finishedAt,
      drillId: newest.id,
      code: null,
      reason: empty
        ? 'A restore drill restored and opened it, but it holds no projects and no deployments: that proves the file restores, not that your data does.'
        : 'A restore drill restored and opened it.',
    };
  }
  const step = failingStep(newest);
  const atPreflight = step?.key === 'preflight';
  return {
    ...base,
    state: atPreflight && step?.code && DAMAGE_CODES.has(step.code) ? 'damaged' : 'failed',
    at: newest.finishedAt,
    drillId: newest.id,
    code: step?.code ?? 'DRILL_FAILED',
    reason: step
      ? `${atPreflight ? 'Its restore drill was refused' : `Its restore drill failed at “${step.title}”`}: ${step.detail}`
      : newest.summary,
  };
}

/** One lookup for a whole listing: the reports are grouped once. */
export function verificationIndex(
  drills: readonly DrillReport[],
): (file: BackupFileState) => BackupVerification {
  const byBackup = new Map<string, DrillReport[]>();
  for (const r of drills) {
    const id = r.source.backupId;
    if (!id) continue;
    const list = byBackup.get(id) ?? [];
    list.push(r);
    byBackup.set(id, list);
  }
  return (file) => verificationOf(file, byBackup.get(file.id) ?? []);
}

/** What retention protects as "the newest verified backup": verified by its newest evidence, and not empty. */
export function countsAsVerified(v: BackupVerification): boolean {
  return v.state === 'verified' && !v.empty;
}

/** Failed or damaged: never offered as safe. */
export function isUnsafe(v: BackupVerification): boolean {
  return v.state === 'failed' || v.state === 'damaged';
}
