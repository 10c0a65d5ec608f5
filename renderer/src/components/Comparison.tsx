// Live and a restored copy side by side: schema version, rows per table (the
// differences highlighted) and the newest deployment on each side; then, by
// name, what promoting the copy changes (restores.diff): a summary first, then
// a paged list filterable by kind and class.
import { useState } from 'react';
import type { Comparison as ComparisonData } from '../../../shared/domain.ts';
import type {
  DeploymentStatus,
  RestoreDiffChange,
  RestoreDiffCount,
  RestoreDiffField,
  RestoreDiffItem,
  RestoreDiffKind,
} from '../../../shared/domain.ts';
import {
  DEPLOYMENT_STATUSES,
  RESTORE_DIFF_CHANGES,
  RESTORE_DIFF_KINDS,
} from '../../../shared/domain.ts';
import { invoke } from '../api.ts';
import { STATUS_LABEL, formatCount, formatTime, plural } from '../format.ts';
import { useDebounced } from '../hooks/useDebounced.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { TABLE_LABEL } from '../restores.ts';
import { useRevision } from '../stores/data.ts';
import { OptionSelect } from './Field.tsx';
import { Icon } from './Icon.tsx';
import { ErrorState, Loading } from './States.tsx';
import { StatusBadge } from './StatusBadge.tsx';

function diffText(live: number | null, copy: number): string {
  if (live === null) return '';
  const d = copy - live;
  if (d === 0) return 'same';
  return d > 0 ? `+${formatCount(d)} in the copy` : `${formatCount(-d)} fewer in the copy`;
}

type Newest = ComparisonData['newestDeployment']['live'];

function NewestCard({ title, d }: { title: string; d: Newest }) {
  const status = d && (DEPLOYMENT_STATUSES as readonly string[]).includes(d.status);
  return (
    <div className="compare-newest-card">
      <h3>{title}</h3>
      {d ? (
        <>
          <p className="truncate" title={`${d.project} ${d.version}`}>
            <strong>{d.project}</strong> <span className="mono muted">{d.version}</span>
          </p>
          <p className="compare-newest-line">
            {status ? (
              <StatusBadge status={d.status as DeploymentStatus} />
            ) : (
              <span className="pill">{d.status}</span>
            )}
            <span className="muted small">{formatTime(d.startedAt)}</span>
          </p>
        </>
      ) : (
        <p className="muted">No deployments.</p>
      )}
    </div>
  );
}

export function ComparisonView({
  data,
  liveLabel = 'Live',
  changes = true,
}: {
  data: ComparisonData;
  liveLabel?: string;
  /** Under the counts, what a promote changes by name (needs live open). */
  changes?: boolean;
}) {
  // On the refusal screen live is not open: only the copy's side can be shown.
  const liveOpen = data.schemaVersion.live !== null;
  const schemaDiffers = liveOpen && data.schemaVersion.live !== data.schemaVersion.copy;
  const newestSame =
    data.newestDeployment.live?.id === data.newestDeployment.copy?.id &&
    data.newestDeployment.live?.startedAt === data.newestDeployment.copy?.startedAt;
  return (
    <div className="compare">
      <table className="compare-table" data-testid="compare-table">
        <thead>
          <tr>
            <th scope="col">What</th>
            {liveOpen && (
              <th scope="col" className="num">
                {liveLabel}
              </th>
            )}
            <th scope="col" className="num">
              Restored copy
            </th>
            {liveOpen && <th scope="col">Difference</th>}
          </tr>
        </thead>
        <tbody>
          <tr className={schemaDiffers ? 'compare-diff' : undefined} data-table="schema">
            <th scope="row">Schema version</th>
            {liveOpen && <td className="num">{data.schemaVersion.live}</td>}
            <td className="num">{data.schemaVersion.copy}</td>
            {liveOpen && (
              <td>
                {schemaDiffers ? (
                  <span className="diff-mark">different</span>
                ) : (
                  <span className="muted">same</span>
                )}
              </td>
            )}
          </tr>
          {data.tables.map((t) => {
            const differs = liveOpen && t.live !== null && t.live !== t.copy;
            return (
              <tr
                key={t.table}
                className={differs ? 'compare-diff' : undefined}
                data-table={t.table}
              >
                <th scope="row">
                  {TABLE_LABEL[t.table] ?? t.table}{' '}
                  <span className="mono muted small">{t.table}</span>
                </th>
                {liveOpen && <td className="num">{t.live === null ? '—' : formatCount(t.live)}</td>}
                <td className="num">{formatCount(t.copy)}</td>
                {liveOpen && (
                  <td>
                    {differs ? (
                      <span className="diff-mark">{diffText(t.live, t.copy)}</span>
                    ) : (
                      <span className="muted">{diffText(t.live, t.copy) || '—'}</span>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {liveOpen ? (
        <div className={newestSame ? 'compare-newest' : 'compare-newest compare-newest-diff'}>
          <NewestCard
            title={`Newest deployment — ${liveLabel.toLowerCase()}`}
            d={data.newestDeployment.live}
          />
          <NewestCard title="Newest deployment — restored copy" d={data.newestDeployment.copy} />
        </div>
      ) : (
        <div className="compare-newest compare-newest-single">
          <NewestCard title="Newest deployment in the copy" d={data.newestDeployment.copy} />
        </div>
      )}
      {liveOpen && changes && <RestoreChanges restoreId={data.restoreId} />}
    </div>
  );
}

// ---------------------------------------------------------------- by name

type KindFilter = RestoreDiffKind | 'all';
type ChangeFilter = RestoreDiffChange | 'all';

const KIND_NOUN: Record<RestoreDiffKind, [one: string, many: string]> = {
  project: ['project', 'projects'],
  environment: ['environment', 'environments'],
  deployment: ['deployment', 'deployments'],
  secret: ['secret', 'secrets'],
  snapshot: ['configuration snapshot', 'configuration snapshots'],
};

const KIND_LABEL: Record<KindFilter, string> = {
  all: 'All kinds',
  project: 'Projects',
  environment: 'Environments',
  deployment: 'Deployments',
  secret: 'Secrets',
  snapshot: 'Configuration snapshots',
};

/** Seen from live: what promoting the copy does to it. */
const CHANGE_LABEL: Record<ChangeFilter, string> = {
  all: 'Every change',
  removed: 'Lost by promoting',
  added: 'Brought back',
  changed: 'Changed back',
};

const CHANGE_PILL: Record<RestoreDiffChange, { text: string; className: string }> = {
  removed: { text: 'Lost', className: 'pill pill-danger' },
  added: { text: 'Comes back', className: 'pill pill-ok' },
  changed: { text: 'Changes', className: 'pill pill-warn' },
};

const FIELD_LABEL: Record<string, string> = {
  project: 'project',
  environment: 'environment',
  name: 'name',
  description: 'description',
  kind: 'kind',
  version: 'version',
  status: 'status',
  startedAt: 'started',
  finishedAt: 'finished',
  snapshot: 'configuration snapshot',
  accessUrl: 'URL',
  diagnosticSummary: 'diagnostic summary',
  keyId: 'encryption key',
  value: 'value',
  content: 'content',
};

/**
 * Live changes (here or in another window) change the diff: refetch once they
 * settle, not once per write (each diff reads every row of both sides).
 */
const useDiffRevision = () =>
  useDebounced(
    useRevision('projects', 'environments', 'deployments', 'snapshots', 'secrets'),
    1000,
  );

const nounOf = (kind: RestoreDiffKind, n: number) => plural(n, ...KIND_NOUN[kind]);

/** "a", "a and b", "a, b and c". */
function listText(parts: readonly string[]): string {
  return parts.length < 2
    ? (parts[0] ?? '')
    : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** What live has and the copy does not: "2 deployments recorded since …, 1 project created since …". */
export function lossText(summary: readonly RestoreDiffCount[]): string | null {
  const parts = summary
    .filter((s) => s.removed > 0)
    .map((s) => {
      const what = nounOf(s.kind, s.removed);
      if (s.removedSince === null) return what;
      return `${what} ${s.kind === 'deployment' ? 'recorded' : 'created'} since ${formatTime(s.removedSince)}`;
    });
  return parts.length ? listText(parts) : null;
}

function total(
  summary: readonly RestoreDiffCount[],
  kind: KindFilter,
  change: ChangeFilter,
): number {
  return summary
    .filter((s) => kind === 'all' || s.kind === kind)
    .reduce(
      (n, s) =>
        n + (change === 'all' ? s.added + s.removed + s.changed : s[change as RestoreDiffChange]),
      0,
    );
}

function shownValue(field: string, v: string | number | null): string {
  if (v === null) return '—';
  if ((field === 'startedAt' || field === 'finishedAt') && typeof v === 'number')
    return formatTime(v);
  if (field === 'status' && typeof v === 'string' && v in STATUS_LABEL)
    return STATUS_LABEL[v as DeploymentStatus];
  return String(v);
}

function FieldChange({ f }: { f: RestoreDiffField }) {
  const label = FIELD_LABEL[f.field] ?? f.field;
  // A secret's value is compared by the host and never sent: only that it differs.
  if (f.field === 'value') return <li>{label} set again (values are never shown)</li>;
  return (
    <li>
      <span className="muted">{label}:</span> {shownValue(f.field, f.live)} →{' '}
      <strong>{shownValue(f.field, f.copy)}</strong>
    </li>
  );
}

function ItemRow({ item }: { item: RestoreDiffItem }) {
  const pill = CHANGE_PILL[item.change];
  const status =
    item.status && (DEPLOYMENT_STATUSES as readonly string[]).includes(item.status)
      ? (item.status as DeploymentStatus)
      : null;
  return (
    <tr data-kind={item.kind} data-change={item.change}>
      <td>
        <span className={pill.className}>{pill.text}</span>
      </td>
      <td className="muted">{KIND_NOUN[item.kind][0]}</td>
      <td className="diff-name">
        <strong className={item.kind === 'deployment' ? 'mono' : undefined}>{item.name}</strong>
        {item.context && <span className="muted small diff-context">{item.context}</span>}
      </td>
      <td>
        {item.change === 'changed' ? (
          <ul className="diff-fields">
            {item.fields.map((f) => (
              <FieldChange key={f.field} f={f} />
            ))}
          </ul>
        ) : (
          <span className="diff-facts">
            {status && <StatusBadge status={status} />}
            {item.at !== null && (
              <span className="muted small">
                {item.kind === 'deployment' ? 'started' : 'created'} {formatTime(item.at)}
              </span>
            )}
          </span>
        )}
      </td>
    </tr>
  );
}

const KIND_FILTERS: readonly KindFilter[] = ['all', ...RESTORE_DIFF_KINDS];
const CHANGE_FILTERS: readonly ChangeFilter[] = ['all', ...RESTORE_DIFF_CHANGES];

/** A labelled filter select above the changes table (Kind, Change). */
function FilterSelect<T extends string>({
  label,
  ...select
}: {
  label: string;
  value: T;
  options: readonly T[];
  labels: Record<T, string>;
  onChange(value: NoInfer<T>): void;
}) {
  return (
    <label className="inline-field">
      <span className="muted small">{label}</span>
      <OptionSelect aria-label={label} {...select} />
    </label>
  );
}

function Summary({
  summary,
  onPick,
}: {
  summary: readonly RestoreDiffCount[];
  onPick(kind: RestoreDiffKind, change: RestoreDiffChange): void;
}) {
  return (
    <table className="compare-table diff-summary" data-testid="restore-diff-summary">
      <thead>
        <tr>
          <th scope="col">What</th>
          {RESTORE_DIFF_CHANGES.map((c) => (
            <th key={c} scope="col" className="num">
              {CHANGE_LABEL[c]}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {summary.map((s) => (
          <tr key={s.kind} data-kind={s.kind}>
            <th scope="row">{KIND_LABEL[s.kind]}</th>
            {RESTORE_DIFF_CHANGES.map((c) => (
              <td key={c} className="num" data-change={c}>
                {s[c] === 0 ? (
                  <span className="muted">—</span>
                ) : (
                  <button
                    type="button"
                    className="link-button"
                    aria-label={`Show the ${nounOf(s.kind, s[c])} ${CHANGE_LABEL[c].toLowerCase()}`}
                    onClick={() => onPick(s.kind, c)}
                  >
                    {formatCount(s[c])}
                  </button>
                )}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * What promoting a restored copy changes, by name: the counts per kind first,
 * then the items a page at a time (keyset cursors), filtered by kind and class.
 */
export function RestoreChanges({
  restoreId,
  initialChange = 'all',
  pageSize = 50,
  embedded = false,
}: {
  restoreId: string;
  initialChange?: ChangeFilter;
  pageSize?: number;
  /** Inside the promote dialog, under its own warning: the list only (no title, headline or counts). */
  embedded?: boolean;
}) {
  const rev = useDiffRevision();
  const [kind, setKind] = useState<KindFilter>('all');
  const [change, setChange] = useState<ChangeFilter>(initialChange);
  // The cursors of the pages so far: the last one is the page shown (undefined: the first).
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const input = {
    restoreId,
    limit: pageSize,
    ...(kind === 'all' ? {} : { kind }),
    ...(change === 'all' ? {} : { change }),
    ...(cursor === undefined ? {} : { cursor }),
  };
  const page = useQuery(
    `restore-diff:${JSON.stringify(input)}`,
    () => invoke('restores.diff', input),
    rev,
  );
  // The summary comes with a first page; it stays while later pages are shown.
  const [kept, setKept] = useState<{ id: string; summary: RestoreDiffCount[] } | null>(null);
  const fresh = page.data?.summary ?? null;
  if (fresh && (kept?.id !== restoreId || kept.summary !== fresh))
    setKept({ id: restoreId, summary: fresh });
  const summary = fresh ?? (kept?.id === restoreId ? kept.summary : null);

  const filter = (k: KindFilter, c: ChangeFilter) => {
    setKind(k);
    setChange(c);
    setCursors([undefined]);
  };
  const everything = summary ? total(summary, 'all', 'all') : null;
  const matching = summary ? total(summary, kind, change) : null;
  const offset = (cursors.length - 1) * pageSize;
  const items = page.data?.items ?? [];
  const loss = summary ? lossText(summary) : null;

  return (
    <section
      className="diff"
      aria-labelledby={`diff-title-${restoreId}`}
      data-testid="restore-diff"
    >
      <h3 id={`diff-title-${restoreId}`} className={embedded ? 'visually-hidden' : 'inline-title'}>
        What promoting changes, by name
      </h3>
      {!embedded && summary && (
        <p className="diff-headline" data-testid="restore-diff-headline">
          {everything === 0
            ? 'Live and the copy hold the same projects, environments, deployments, secrets and configuration snapshots: promoting loses nothing.'
            : loss
              ? `Promoting this copy loses ${loss}: they are only in live (and in the pre-restore backup a promote takes).`
              : 'Promoting this copy loses nothing that is only in live; what differs is listed below.'}
        </p>
      )}
      {!embedded && summary && everything !== 0 && (
        <Summary summary={summary} onPick={(k, c) => filter(k, c)} />
      )}
      {everything !== 0 && (
        <>
          <div className="toolbar diff-filters">
            <FilterSelect
              label="Kind"
              value={kind}
              options={KIND_FILTERS}
              labels={KIND_LABEL}
              onChange={(k) => filter(k, change)}
            />
            <FilterSelect
              label="Change"
              value={change}
              options={CHANGE_FILTERS}
              labels={CHANGE_LABEL}
              onChange={(c) => filter(kind, c)}
            />
          </div>
          {page.error ? (
            <ErrorState
              title="Could not list the changes"
              error={page.error}
              onRetry={page.reload}
            />
          ) : !page.data ? (
            <Loading label="Comparing live with the copy…" />
          ) : items.length === 0 ? (
            <p className="muted">Nothing of this kind differs.</p>
          ) : (
            <>
              <table className="compare-table diff-table" aria-label="Changes by name">
                <thead>
                  <tr>
                    <th scope="col">Change</th>
                    <th scope="col">What</th>
                    <th scope="col">Name</th>
                    <th scope="col">Details (live → copy)</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((i) => (
                    <ItemRow key={`${i.kind}:${String(i.id)}`} item={i} />
                  ))}
                </tbody>
              </table>
              <nav className="pager" aria-label="Pages of changes">
                <span className="pager-range">
                  {formatCount(offset + 1)}–{formatCount(offset + items.length)}
                  {matching !== null && ` of ${plural(matching, 'change')}`}
                </span>
                <button
                  type="button"
                  className="button button-small"
                  disabled={cursors.length === 1}
                  onClick={() => setCursors((cs) => cs.slice(0, -1))}
                >
                  Previous
                </button>
                <button
                  type="button"
                  className="button button-small"
                  disabled={!page.data.nextCursor}
                  onClick={() => {
                    const next = page.data?.nextCursor;
                    if (next) setCursors((cs) => [...cs, next]);
                  }}
                >
                  Next
                </button>
              </nav>
            </>
          )}
        </>
      )}
    </section>
  );
}

/**
 * The promote dialog's warning: what live has that the copy does not (lost by
 * promoting) and what changes back, with the list by name one click away.
 */
export function PromoteLoss({ restoreId }: { restoreId: string }) {
  const [open, setOpen] = useState(false);
  const q = useQuery(
    `restore-diff-summary:${restoreId}`,
    () => invoke('restores.diff', { restoreId, limit: 1 }),
    useDiffRevision(),
  );
  if (q.error)
    return (
      <ErrorState title="Could not work out what changes" error={q.error} onRetry={q.reload} />
    );
  const summary = q.data?.summary;
  if (!summary) return <Loading label="Working out what promoting changes…" />;
  const loss = lossText(summary);
  const changed = total(summary, 'all', 'changed');
  const back = total(summary, 'all', 'added');
  const rest = [
    changed > 0 &&
      `${plural(changed, 'item')} in live ${changed === 1 ? 'is' : 'are'} changed back to the copy’s version`,
    back > 0 && `${plural(back, 'item')} only in the copy ${back === 1 ? 'comes' : 'come'} back`,
  ].filter((x): x is string => typeof x === 'string');
  return (
    <div className="promote-loss" data-testid="promote-loss">
      <div className={loss ? 'safety-row safety-warn' : 'safety-row'}>
        <Icon name={loss ? 'warning' : 'check'} />
        <div>
          <strong>{loss ? `You will lose: ${loss}.` : 'Nothing only in live is lost.'}</strong>
          <p>
            {loss && 'They stay only in the pre-restore backup. '}
            {rest.length > 0 && `${listText(rest)}.`}
          </p>
          {(loss || rest.length > 0) && (
            <button
              type="button"
              className="link-button"
              aria-expanded={open}
              onClick={() => setOpen((o) => !o)}
            >
              {open ? 'Hide the list' : 'See them by name'}
            </button>
          )}
        </div>
      </div>
      {open && (
        <RestoreChanges
          restoreId={restoreId}
          initialChange={loss ? 'removed' : 'all'}
          pageSize={20}
          embedded
        />
      )}
    </div>
  );
}
