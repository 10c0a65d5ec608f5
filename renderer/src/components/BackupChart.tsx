// Backup size over time, drawn as plain SVG: a time axis, a size axis with
// "nice" binary steps, one point per backup colored by kind (hollow when
// compact). Colors come from CSS variables, so it follows the theme.
import type { RefObject } from 'react';
import { useEffect, useRef, useState } from 'react';
import type { BackupEntry, BackupKind } from '../../../shared/domain.ts';
import { BACKUP_KINDS } from '../../../shared/domain.ts';
import { BACKUP_KIND_LABEL } from '../backups.ts';
import { formatBytes, formatTimeExact } from '../format.ts';

const HEIGHT = 200;
const M = { top: 14, right: 20, bottom: 30, left: 68 };

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

function formatTick(t: number, step: number, span: number): string {
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

function useWidth<T extends HTMLElement>(): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(([e]) => {
      if (e) setWidth(Math.floor(e.contentRect.width));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

export function BackupChart(props: {
  entries: readonly BackupEntry[];
  selectedId: string | null;
  onSelect(entry: BackupEntry): void;
}) {
  const { entries, selectedId, onSelect } = props;
  const [ref, width] = useWidth<HTMLDivElement>();
  const points = [...entries].sort((a, b) => a.createdAt - b.createdAt);
  const kinds = BACKUP_KINDS.filter((k) => points.some((p) => p.kind === k));
  const hasCompact = points.some((p) => p.compact);

  let from = points[0]?.createdAt ?? 0;
  let to = points[points.length - 1]?.createdAt ?? from;
  // A few backups close together still get a readable axis: at least a minute, centred.
  const minSpan = MINUTE;
  if (to - from < minSpan) {
    const mid = (from + to) / 2;
    from = mid - minSpan / 2;
    to = mid + minSpan / 2;
  } else {
    const pad = (to - from) * 0.04;
    from -= pad;
    to += pad;
  }
  const yTicks = byteTicks(Math.max(...points.map((p) => p.bytes), 1));
  const yMax = yTicks[yTicks.length - 1]!;
  const innerW = Math.max(width - M.left - M.right, 10);
  const innerH = HEIGHT - M.top - M.bottom;
  const x = (t: number) => M.left + ((t - from) / (to - from)) * innerW;
  const y = (b: number) => M.top + innerH - (b / yMax) * innerH;
  const { ticks: xTicks, step } = timeTicks(from, to, Math.max(2, Math.floor(innerW / 110)));
  const line = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.createdAt)},${y(p.bytes)}`).join('');
  const sizes = points.map((p) => p.bytes);
  const summary =
    points.length === 0
      ? 'No backups yet.'
      : `Backup size over time: ${points.length} backup${points.length === 1 ? '' : 's'} from ${formatTimeExact(points[0]!.createdAt)} to ${formatTimeExact(points[points.length - 1]!.createdAt)}, between ${formatBytes(Math.min(...sizes))} and ${formatBytes(Math.max(...sizes))}.`;

  return (
    <figure className="chart" data-testid="backup-chart">
      <div ref={ref} className="chart-canvas">
        {width > 0 && (
          <svg width={width} height={HEIGHT} role="img" aria-label={summary}>
            <g className="chart-grid">
              {yTicks.map((t) => (
                <g key={t}>
                  <line x1={M.left} x2={width - M.right} y1={y(t)} y2={y(t)} />
                  <text x={M.left - 8} y={y(t)} dy="0.32em" textAnchor="end">
                    {formatBytes(t)}
                  </text>
                </g>
              ))}
            </g>
            <g className="chart-axis">
              <line x1={M.left} x2={width - M.right} y1={M.top + innerH} y2={M.top + innerH} />
              {xTicks.map((t) => (
                <g key={t}>
                  <line x1={x(t)} x2={x(t)} y1={M.top + innerH} y2={M.top + innerH + 5} />
                  <text
                    x={x(t)}
                    y={M.top + innerH + 18}
                    textAnchor={
                      x(t) > width - M.right - 36 ? 'end' : x(t) < M.left + 36 ? 'start' : 'middle'
                    }
                  >
                    {formatTick(t, step, to - from)}
                  </text>
                </g>
              ))}
            </g>
            {points.length > 1 && <path className="chart-line" d={line} />}
            <g>
              {points.map((p) => (
                <circle
                  key={p.id}
                  className={[
                    'chart-point',
                    `kind-${p.kind}`,
                    p.compact ? 'chart-point-compact' : '',
                    p.id === selectedId ? 'chart-point-selected' : '',
                  ].join(' ')}
                  data-kind={p.kind}
                  cx={x(p.createdAt)}
                  cy={y(p.bytes)}
                  r={p.id === selectedId ? 6.5 : 5}
                  onClick={() => onSelect(p)}
                >
                  <title>
                    {`${BACKUP_KIND_LABEL[p.kind]}${p.compact ? ' (compact)' : ''} · ${formatBytes(p.bytes)} · ${formatTimeExact(p.createdAt)}`}
                  </title>
                </circle>
              ))}
            </g>
          </svg>
        )}
      </div>
      <figcaption className="chart-legend">
        {kinds.map((k: BackupKind) => (
          <span key={k} className="legend-item">
            <svg width="12" height="12" aria-hidden="true">
              <circle className={`chart-point kind-${k}`} cx="6" cy="6" r="4.5" />
            </svg>
            {BACKUP_KIND_LABEL[k]}
          </span>
        ))}
        {hasCompact && (
          <span className="legend-item">
            <svg width="12" height="12" aria-hidden="true">
              <circle
                className="chart-point chart-point-compact legend-neutral"
                cx="6"
                cy="6"
                r="4"
              />
            </svg>
            hollow: compact
          </span>
        )}
      </figcaption>
    </figure>
  );
}
