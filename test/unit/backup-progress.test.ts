// The backup's one progress figure (shared/backup-progress.ts): stages weighted
// by the bytes they process, 0 → 100, never backwards, 100 only when done.
import { describe, expect, it } from 'vitest';
import type { BackupProgressPlan, BackupStage } from '../../shared/backup-progress.ts';
import {
  BACKUP_STAGES,
  backupPercent,
  backupProgressTracker,
  stageWeights,
} from '../../shared/backup-progress.ts';

const MB = 1024 * 1024;
const full: BackupProgressPlan = { liveBytes: 30 * MB, compact: false, offsite: false };
const everything: BackupProgressPlan = { liveBytes: 30 * MB, compact: true, offsite: true };

/** Every report a backup could make: each stage from 0 to 1 in `steps` steps, in order. */
function run(plan: BackupProgressPlan, steps = 10): [BackupStage, number][] {
  const out: [BackupStage, number][] = [];
  for (const s of BACKUP_STAGES) {
    if (s !== 'done' && stageWeights(plan)[s] === 0) continue;
    for (let i = 0; i <= steps; i++) out.push([s, i / steps]);
  }
  return out;
}

describe('backupPercent', () => {
  it.each([full, everything, { liveBytes: 0, compact: false, offsite: true }])(
    'starts at 0, ends at 100 and never goes back (%o)',
    (plan) => {
      const seen = run(plan).map(([s, f]) => backupPercent(plan, s, f));
      expect(seen[0]).toBe(0);
      expect(seen.at(-1)).toBe(100);
      for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
    },
  );

  it('is below 100 until the backup is done, however far the last stage got', () => {
    expect(backupPercent(full, 'finalize', 1)).toBe(99);
    expect(backupPercent(everything, 'offsite', 1)).toBe(99);
    expect(backupPercent(full, 'done', 0)).toBe(100);
  });

  it('weights the stages by the bytes they process', () => {
    // Full, no off-site: snapshot 1×, check + hash 2×, finalize 1/50 → the snapshot is a third.
    expect(backupPercent(full, 'snapshot', 1)).toBe(33);
    expect(backupPercent(full, 'verify', 0)).toBe(33);
    expect(backupPercent(full, 'verify', 0.5)).toBe(66);
    // A finished snapshot is less of a compact backup (it still strips and vacuums) …
    const compact = { ...full, compact: true };
    expect(backupPercent(compact, 'snapshot', 0.5)).toBe(24);
    expect(backupPercent(compact, 'snapshot', 1)).toBe(49);
    // … and much less of one copied off-site too.
    expect(backupPercent(everything, 'snapshot', 1)).toBe(33);
    expect(backupPercent(everything, 'offsite', 0)).toBe(66);
    // The old wizard said "100%" at step 2 of 3: a whole stage done is never the whole backup.
    for (const s of ['snapshot', 'verify', 'offsite'] as const)
      expect(backupPercent(everything, s, 1)).toBeLessThan(100);
  });

  it('takes a fraction outside 0–1 (or NaN) as the nearest end', () => {
    expect(backupPercent(full, 'verify', 7)).toBe(backupPercent(full, 'verify', 1));
    expect(backupPercent(full, 'verify', -1)).toBe(backupPercent(full, 'verify', 0));
    expect(backupPercent(full, 'verify', Number.NaN)).toBe(backupPercent(full, 'verify', 0));
  });
});

describe('backupProgressTracker', () => {
  it('never shows less than before: late or repeated reports do not move it back', () => {
    const track = backupProgressTracker(everything, 0);
    const reports: [BackupStage, number][] = [
      ['snapshot', 0.2],
      ['snapshot', 0.9],
      ['snapshot', 0.4], // the copy's size read while the vacuum shrank it
      ['verify', 0.1],
      ['snapshot', 1], // a late snapshot report
      ['verify', 0.05],
      ['finalize', 0],
      ['offsite', 0.5],
      ['verify', 1],
      ['done', 1],
    ];
    const shown = reports.map(([s, f], i) => track(s, f, (i + 1) * 100));
    for (let i = 1; i < shown.length; i++)
      expect(shown[i]!.percent, JSON.stringify(shown[i])).toBeGreaterThanOrEqual(
        shown[i - 1]!.percent,
      );
    // The stage shown never goes back either.
    expect(shown[4]!.stage).toBe('verify');
    expect(shown[8]!.stage).toBe('offsite');
    expect(shown.at(-1)).toEqual({ stage: 'done', percent: 100, etaMs: 0 });
  });

  it('estimates the time left for the whole backup from the pace so far', () => {
    const track = backupProgressTracker(full, 1000);
    expect(track('snapshot', 0, 1000).etaMs).toBeNull();
    // A third done after 3 s: about 6 s left.
    const third = track('snapshot', 1, 4000);
    expect(third.percent).toBe(33);
    expect(third.etaMs).toBeGreaterThan(5500);
    expect(third.etaMs).toBeLessThan(6600);
  });
});
