// The axes of the backup chart, as pure functions (unit-tested): round time ticks,
// "nice" binary byte steps, and a time axis that stays honest for one backup or a few
// taken seconds apart (one tick at their time, not four ticks over 45 seconds).

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIME_STEPS = [
  SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
  91 * DAY,
  365 * DAY,
];

const hms = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const hm = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayHm = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
const day = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const month = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric' });

/** Time ticks at round local times, at most `max` of them. */
export function timeTicks(
  from: number,
  to: number,
  max: number,
): { ticks: number[]; step: number } {
  const span = Math.max(to - from, 1);
  const step = TIME_STEPS.find((s) => span / s <= max) ?? TIME_STEPS[TIME_STEPS.length - 1]!;
  // Align to local midnight for day steps and bigger, else to the step itself.
  const tz = new Date(from).getTimezoneOffset() * MINUTE;
  const first = Math.ceil((from - tz) / step) * step + tz;
  const ticks: number[] = [];
  for (let t = first; t <= to; t += step) ticks.push(t);
  return { ticks, step };
}

export function formatTick(t: number, step: number, span: number): string {
  // The one tick of backups within a minute: say the day too, it is the only label.
  if (span <= MINUTE) return dayHm.format(t);
  if (step < MINUTE) return hms.format(t);
  if (step < DAY) return span > DAY ? dayHm.format(t) : hm.format(t);
  // Steps of a month or more are fixed day counts, so two ticks may share a month: show days.
  if (step < 91 * DAY) return day.format(t);
  return month.format(t);
}

/** A rounded maximum and step for a byte axis: 1, 2 or 5 × a power of ten of a binary unit. */
export function byteTicks(max: number): number[] {
  const top = Math.max(max, 1);
  let unit = 1;
  while (top / unit >= 1024) unit *= 1024;
  const v = top / unit;
  const raw = v / 4;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * pow >= raw) ?? 10) * pow * unit;
  const ticks: number[] = [];
  for (let t = 0; t < top + step; t += step) {
    ticks.push(t);
    if (t >= top) break;
  }
  return ticks;
}

/**
 * The time axis for these times: its range and ticks. Backups spread over more than a
 * minute get round ticks over their span (padded a little). Backups all within a minute
 * (or just one) are drawn in a minute-wide window with a single tick at their time.
 */
export function timeAxis(
  times: readonly number[],
  maxTicks: number,
): { from: number; to: number; ticks: number[]; step: number } {
  const first = times.length ? Math.min(...times) : 0;
  const last = times.length ? Math.max(...times) : first;
  if (last - first < MINUTE) {
    const mid = (first + last) / 2;
    return {
      from: mid - MINUTE / 2,
      to: mid + MINUTE / 2,
      ticks: times.length ? [mid] : [],
      step: MINUTE,
    };
  }
  const pad = (last - first) * 0.04;
  const from = first - pad;
  const to = last + pad;
  return { from, to, ...timeTicks(from, to, maxTicks) };
}
