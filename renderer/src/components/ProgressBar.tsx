import type { ReactNode } from 'react';
import type { Progress } from '../stores/progress.ts';
import { formatCount, formatDuration } from '../format.ts';

/** Determinate once a progress event arrived, indeterminate before. */
export function ProgressBar({ progress, label }: { progress: Progress | null; label: string }) {
  const pct =
    progress && progress.total > 0 ? Math.min(100, (progress.done / progress.total) * 100) : null;
  return (
    <div className="progress" role="status" aria-live="polite">
      <div className="progress-label">
        <span>{label}</span>
        {progress && (
          <span className="muted">
            {formatCount(progress.done)} / {formatCount(progress.total)} {progress.unit}
            {progress.etaMs !== null && progress.done < progress.total
              ? ` · about ${formatDuration(progress.etaMs)} left`
              : ''}
          </span>
        )}
      </div>
      <ProgressTrack pct={pct} label={label} />
    </div>
  );
}

/** A run in steps: what it is doing with the percentage, the bar, then a line of detail. */
export function StepProgress(props: {
  /** Prefix of the test ids of the text and the percentage ("backup" → backup-phase). */
  testIdPrefix: string;
  text: string;
  label: string;
  pct: number | null;
  children: ReactNode;
}) {
  const { testIdPrefix, text, label, pct, children } = props;
  return (
    <div className="progress" role="status" aria-live="polite">
      <div className="progress-label">
        <span data-testid={`${testIdPrefix}-phase`}>{text}</span>
        {pct !== null && <span data-testid={`${testIdPrefix}-percent`}>{pct}%</span>}
      </div>
      <ProgressTrack pct={pct} label={label} />
      <div className="progress-label muted small">{children}</div>
    </div>
  );
}

/** The bar itself: filled to `pct` percent, or indeterminate while `pct` is null. */
function ProgressTrack({ pct, label }: { pct: number | null; label: string }) {
  return (
    <div
      className={pct === null ? 'progress-track progress-indeterminate' : 'progress-track'}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct === null ? undefined : Math.round(pct)}
    >
      <div className="progress-fill" style={pct === null ? undefined : { width: `${pct}%` }} />
    </div>
  );
}
