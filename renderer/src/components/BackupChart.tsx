// Backup size over time, drawn as plain SVG: a time axis, a size axis with
// "nice" binary steps, one point per backup colored by kind (hollow when
// compact). Colors come from CSS variables, so it follows the theme.
import type { BackupEntry, BackupKind } from '../../../shared/domain.ts';
import { BACKUP_KINDS } from '../../../shared/domain.ts';
import { BACKUP_KIND_LABEL } from '../backups.ts';
import { byteTicks, formatTick, timeAxis } from '../chartAxis.ts';
import { formatBytes, formatTimeExact } from '../format.ts';
import { useWidth } from '../hooks/useWidth.ts';

const HEIGHT = 200;
const M = { top: 14, right: 20, bottom: 30, left: 68 };

export function BackupChart(props: {
  entries: readonly BackupEntry[];
  selectedId: string | null;
  onSelect(entry: BackupEntry): void;
}) {
  const { entries, selectedId, onSelect } = props;
  const [ref, measured] = useWidth<HTMLDivElement>();
  const width = measured ?? 0;
  const points = [...entries].sort((a, b) => a.createdAt - b.createdAt);
  const kinds = BACKUP_KINDS.filter((k) => points.some((p) => p.kind === k));
  const hasCompact = points.some((p) => p.compact);

  const yTicks = byteTicks(Math.max(...points.map((p) => p.bytes), 1));
  const yMax = yTicks[yTicks.length - 1]!;
  const innerW = Math.max(width - M.left - M.right, 10);
  const innerH = HEIGHT - M.top - M.bottom;
  const {
    from,
    to,
    ticks: xTicks,
    step,
  } = timeAxis(
    points.map((p) => p.createdAt),
    Math.max(2, Math.floor(innerW / 110)),
  );
  const x = (t: number) => M.left + ((t - from) / (to - from)) * innerW;
  const y = (b: number) => M.top + innerH - (b / yMax) * innerH;
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
