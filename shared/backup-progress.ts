// One honest progress figure for a whole backup: its stages weighted by the
// bytes each is expected to read or write, so the percentage never runs ahead
// of the work, never goes back, and reaches 100 only when the backup is done.
// The core computes it (it knows the plan); the renderer and the CLI show it.

/** The stages of a backup, in the order they run. */
export const BACKUP_STAGES = ['snapshot', 'verify', 'finalize', 'offsite', 'done'] as const;
export type BackupStage = (typeof BACKUP_STAGES)[number];

export interface BackupProgressPlan {
  /** The live database's size (page_count × page_size) when the backup starts. */
  liveBytes: number;
  /** Compact: the snapshot also strips rows and vacuums (about as much work again). */
  compact: boolean;
  /** A copy to the off-site folder follows (copied, then read back and hashed). */
  offsite: boolean;
}

/**
 * Expected cost of each stage, in bytes processed: the snapshot writes the file
 * (compact: and rewrites it), the check and the hash each read it; finalizing
 * (manifest, renames, fsync of the folder) is small but not nothing; the backup
 * is then kept, and the off-site copy writes it elsewhere and reads it back.
 */
export function stageWeights(plan: BackupProgressPlan): Record<BackupStage, number> {
  const b = Math.max(1, plan.liveBytes);
  return {
    snapshot: plan.compact ? 2 * b : b,
    verify: 2 * b,
    offsite: plan.offsite ? 2 * b : 0,
    finalize: Math.max(1, Math.round(b / 50)),
    done: 0,
  };
}

/**
 * The whole backup's percentage (an integer 0–100) with `stage` running and
 * `fraction` (0–1) of it done: the weights of the stages before it plus its
 * share. Below 100 until the stage is 'done'.
 */
export function backupPercent(
  plan: BackupProgressPlan,
  stage: BackupStage,
  fraction: number,
): number {
  if (stage === 'done') return 100;
  const w = stageWeights(plan);
  let total = 0;
  let before = 0;
  for (const s of BACKUP_STAGES) {
    if (s === stage) before = total;
    total += w[s];
  }
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  return Math.min(99, Math.floor(((before + w[stage] * f) / total) * 100));
}

export interface BackupProgressFigure {
  stage: BackupStage;
  percent: number;
  /** Time left for the whole backup, from the pace so far; null until there is a pace. */
  etaMs: number | null;
}

/**
 * Follows one backup: each report of a stage's fraction gives the figure to show,
 * never lower than the one before (a report that arrives late, or a stage
 * reported again, cannot move the bar back), with an ETA for the whole backup.
 */
export function backupProgressTracker(plan: BackupProgressPlan, startedAt: number) {
  let shown = 0;
  let stageAt = 0;
  return (stage: BackupStage, fraction: number, now: number): BackupProgressFigure => {
    const at = BACKUP_STAGES.indexOf(stage);
    // A stage never runs again once a later one reported.
    const current = at < stageAt ? BACKUP_STAGES[stageAt]! : stage;
    stageAt = Math.max(stageAt, at);
    shown = Math.max(shown, at < stageAt ? shown : backupPercent(plan, stage, fraction));
    const elapsed = Math.max(0, now - startedAt);
    const etaMs =
      shown >= 100 ? 0 : shown >= 2 ? Math.round((elapsed * (100 - shown)) / shown) : null;
    return { stage: current, percent: shown, etaMs };
  };
}
