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
    </div>
  );
}
