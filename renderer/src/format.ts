// Human-readable numbers, sizes, times and durations, one format app-wide.
import type { DataDirSource } from '../../shared/domain.ts';

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  let v = n;
  let unit = 'B';
  for (const u of UNITS) {
    if (v < 1024) break;
    v /= 1024;
    unit = u;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v).toString()} ${unit}`;
}

const number = new Intl.NumberFormat();
export const formatCount = (n: number): string => number.format(n);

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
const dateTimeSeconds = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

const clock = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export const formatTime = (ms: number): string => dateTime.format(ms);
/** Time of day only, for log lines (the full time is in their tooltip). */
export const formatClock = (ms: number): string => clock.format(ms);
export const formatTimeExact = (ms: number): string => dateTimeSeconds.format(ms);

export function formatDuration(ms: number): string {
  if (ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${(s % 60).toString().padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${(m % 60).toString().padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export const SOURCE_LABEL: Record<DataDirSource, string> = {
  flag: 'set by --data-dir',
  env: 'set by STATEWARD_DATA_DIR',
  portable: 'portable install',
  default: 'default location',
};

export const STATUS_LABEL = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
  rolled_back: 'Rolled back',
} as const;
