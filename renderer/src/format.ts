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

/**
 * A count with its noun: "1 environment", "2 environments", "1,204 deployments".
 * `many` defaults to the noun plus "s" ("copy" → pass "copies").
 */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

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
const dateOnly = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
});
/** The day only ("Nov 27, 2026"), for a column that puts the time of day beneath it. */
export const formatDate = (ms: number): string => dateOnly.format(ms);
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

/** A rounded span of time: "40 s", "5 min", "3 h", "2 d", "4 mo", "2 y". */
function spanText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m} min`;
  const h = Math.round(ms / 3_600_000);
  if (h < 48) return `${h} h`;
  const d = Math.round(ms / 86_400_000);
  if (d < 60) return `${d} d`;
  const mo = Math.round(d / 30.44);
  if (mo < 24) return `${mo} mo`;
  return `${Math.round(d / 365.25)} y`;
}

/** "3 h ago" (pair it with the exact time in a title). A time slightly ahead reads "just now". */
export function formatAgo(ms: number, now: number): string {
  const d = now - ms;
  if (d < 45_000) return 'just now';
  return `${spanText(d)} ago`;
}

/** "in 5 h", or "due now" when the time has come. */
export function formatIn(ms: number, now: number): string {
  const d = ms - now;
  if (d <= 30_000) return 'due now';
  return `in ${spanText(d)}`;
}
