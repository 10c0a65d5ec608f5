// What promoting a restored copy changes, by name: projects, environments,
// deployments, secrets and configuration snapshots added, removed or changed
// between live and the copy, matched by primary key (a deployment's log lines by
// their number only). Done in SQL on a read-only connection of live with the copy
// ATTACHed read-only, so a page of 200 items
// never loads the rest into memory; the summary is counted, not listed.
// Secrets: names and reference ids only; their values and ciphertext are
// compared inside SQLite and never selected.
import type {
  RestoreDiff,
  RestoreDiffChange,
  RestoreDiffCount,
  RestoreDiffField,
  RestoreDiffItem,
  RestoreDiffKind,
} from '../../../shared/domain.ts';
import { RESTORE_DIFF_CHANGES, RESTORE_DIFF_KINDS } from '../../../shared/domain.ts';
import { AppError } from '../../../shared/errors.ts';
import type { ReadableDB } from '../store/db.ts';
import { openReadOnly } from '../store/db.ts';

/** The most items one page may hold. */
export const RESTORE_DIFF_MAX_PAGE = 200;

type Schema = 'main' | 'copy';

interface FieldSpec {
  /** The name the result (and the UI) uses. */
  field: string;
  /** Columns compared; the field differs when any of them does. */
  cols: readonly string[];
  /** What is shown for it (over the aliases of KindSpec.from, of side s); null: never shown (secret values). */
  show: string | null | ((s: Schema) => string);
  /** Reported only while this column is the same on both sides (else that column's change says it). */
  sameAs?: string;
  /** Compared by this SQL over l and c instead of by cols, when both sides have the table `needs`. */
  derived?: { needs: string; differs: string };
}

interface KindSpec {
  kind: RestoreDiffKind;
  table: string;
  /** FROM clause over alias t (the row) for one side: joins for the names around it. */
  from: (s: Schema) => string;
  name: string;
  context: string;
  at: string;
  status: string;
  fields: readonly FieldSpec[];
}

const TEXT_MAX = 200;
const short = (expr: string) => `substr(${expr}, 1, ${TEXT_MAX})`;
const envLabel = `p.name || '/' || e.name`;
/** Log lines per deployment of one side, counted over the (deployment_id, …) index. */
const logCounts = (s: Schema) =>
  `(SELECT deployment_id AS id, count(*) AS n FROM ${s}.deployment_logs GROUP BY deployment_id)`;
/**
 * The deployments whose number of log lines differs between the sides: a join of the two
 * aggregates plus an anti-join for those only the copy has lines of. Not correlated, so
 * SQLite builds the set once per statement; no log line leaves SQLite.
 */
const LOGS_DIFFER = `l.id IN (
  SELECT m.id FROM ${logCounts('main')} m LEFT JOIN ${logCounts('copy')} k ON k.id = m.id WHERE k.n IS NOT m.n
  UNION ALL
  SELECT k.id FROM ${logCounts('copy')} k LEFT JOIN ${logCounts('main')} m ON m.id = k.id WHERE m.id IS NULL)`;
const underEnv = (table: string) => (s: Schema) =>
  `${s}.${table} t LEFT JOIN ${s}.environments e ON e.id = t.environment_id LEFT JOIN ${s}.projects p ON p.id = e.project_id`;

const SPECS: readonly KindSpec[] = [
  {
    kind: 'project',
    table: 'projects',
    from: (s) => `${s}.projects t`,
    name: 't.name',
    context: 'NULL',
    at: 't.created_at',
    status: 'NULL',
    fields: [
      { field: 'name', cols: ['name'], show: 't.name' },
      { field: 'description', cols: ['description'], show: short('t.description') },
    ],
  },
  {
    kind: 'environment',
    table: 'environments',
    from: (s) => `${s}.environments t LEFT JOIN ${s}.projects p ON p.id = t.project_id`,
    name: 't.name',
    context: 'p.name',
    at: 't.created_at',
    status: 'NULL',
    fields: [
      { field: 'project', cols: ['project_id'], show: 'p.name' },
      { field: 'name', cols: ['name'], show: 't.name' },
      { field: 'kind', cols: ['kind'], show: 't.kind' },
      { field: 'description', cols: ['description'], show: short('t.description') },
    ],
  },
  {
    kind: 'deployment',
    table: 'deployments',
    from: underEnv('deployments'),
    name: 't.version',
    context: envLabel,
    at: 't.started_at',
    status: 't.status',
    fields: [
      { field: 'environment', cols: ['environment_id'], show: envLabel },
      { field: 'version', cols: ['version'], show: 't.version' },
      { field: 'status', cols: ['status'], show: 't.status' },
      { field: 'startedAt', cols: ['started_at'], show: 't.started_at' },
      { field: 'finishedAt', cols: ['finished_at'], show: 't.finished_at' },
      { field: 'snapshot', cols: ['snapshot_id'], show: 't.snapshot_id' },
      { field: 'accessUrl', cols: ['access_url'], show: short('t.access_url') },
      {
        field: 'diagnosticSummary',
        cols: ['diagnostic_summary'],
        show: short('t.diagnostic_summary'),
      },
      // Counts only: a log line's text is never shown here.
      {
        field: 'logs',
        cols: [],
        show: (s) =>
          `(SELECT CASE count(*) WHEN 1 THEN '1 line' ELSE count(*) || ' lines' END FROM ${s}.deployment_logs g WHERE g.deployment_id = t.id)`,
        derived: { needs: 'deployment_logs', differs: LOGS_DIFFER },
      },
    ],
  },
  {
    kind: 'secret',
    table: 'secrets',
    from: underEnv('secrets'),
    name: 't.name',
    context: envLabel,
    at: 't.created_at',
    status: 'NULL',
    fields: [
      { field: 'environment', cols: ['environment_id'], show: envLabel },
      { field: 'name', cols: ['name'], show: 't.name' },
      { field: 'keyId', cols: ['key_id'], show: 't.key_id' },
      // Compared in SQLite; neither side's value or ciphertext is ever read out. Under
      // another key every ciphertext differs (a rotation): then only keyId is reported.
      { field: 'value', cols: ['iv', 'tag', 'ciphertext'], show: null, sameAs: 'key_id' },
    ],
  },
  {
    kind: 'snapshot',
    table: 'config_snapshots',
    from: underEnv('config_snapshots'),
    name: `'v' || t.version`,
    context: envLabel,
    at: 't.created_at',
    status: 'NULL',
    fields: [
      { field: 'environment', cols: ['environment_id'], show: envLabel },
      { field: 'version', cols: ['version'], show: 't.version' },
      { field: 'content', cols: ['sha256'], show: 'substr(t.sha256, 1, 12)' },
    ],
  },
];

/** What a caller asks for: one kind and one class, or all; a page after `cursor`. */
export interface RestoreDiffQuery {
  kind?: RestoreDiffKind | undefined;
  change?: RestoreDiffChange | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

type Key = number | string;

/** An opaque cursor: the kind and the primary key of the last item of a page. */
export function encodeCursor(kind: RestoreDiffKind, id: Key): string {
  return `${kind}:${Buffer.from(JSON.stringify(id)).toString('base64url')}`;
}

export function decodeCursor(cursor: string): { kind: RestoreDiffKind; id: Key } {
  const bad = () =>
    new AppError('BAD_INPUT', 'That page cursor is not one this list handed out.', {
      hint: 'Start again from the first page.',
    });
  const at = cursor.indexOf(':');
  const kind = cursor.slice(0, at) as RestoreDiffKind;
  if (at < 0 || !RESTORE_DIFF_KINDS.includes(kind)) throw bad();
  let id: unknown;
  try {
    id = JSON.parse(Buffer.from(cursor.slice(at + 1), 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!(typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id))))
    throw bad();
  return { kind, id };
}

/** A cursor this list handed out, for the kind asked for (BAD_INPUT otherwise). */
export function checkCursor(cursor: string, kind: RestoreDiffKind | undefined) {
  const from = decodeCursor(cursor);
  if (kind && from.kind !== kind)
    throw new AppError('BAD_INPUT', 'That page cursor belongs to another kind of item.', {
      hint: 'Start again from the first page.',
    });
  return from;
}

/** A kind as both sides have it: only the columns both have are compared. */
interface Prepared {
  spec: KindSpec;
  fields: FieldSpec[];
  /** SQL that is true when the live row l and the copy row c differ in field i. */
  differs: string[];
}

function columnsOf(db: ReadableDB, s: Schema, table: string): Set<string> {
  return new Set(
    (
      db.prepare(`SELECT name FROM pragma_table_info(?, ?)`).all(table, s) as { name: string }[]
    ).map((r) => r.name),
  );
}

function prepare(db: ReadableDB): Prepared[] {
  const out: Prepared[] = [];
  for (const spec of SPECS) {
    const live = columnsOf(db, 'main', spec.table);
    const copy = columnsOf(db, 'copy', spec.table);
    // A table one side lacks (or without its key) cannot be matched row by row.
    if (!live.has('id') || !copy.has('id')) continue;
    const both = (c: string) => live.has(c) && copy.has(c);
    const tableOnBoth = (t: string) =>
      columnsOf(db, 'main', t).size > 0 && columnsOf(db, 'copy', t).size > 0;
    const fields = spec.fields.filter(
      (f) => f.cols.every(both) && (!f.derived || tableOnBoth(f.derived.needs)),
    );
    const differs = fields.map((f) => {
      if (f.derived) return f.derived.differs;
      const any = f.cols.map((c) => `l."${c}" IS NOT c."${c}"`).join(' OR ');
      return f.sameAs && both(f.sameAs) ? `(${any}) AND l."${f.sameAs}" IS c."${f.sameAs}"` : any;
    });
    out.push({ spec, fields, differs });
  }
  return out;
}

/**
 * Rows of `t` only one side has, as "FROM … WHERE …" (live is l, the copy c). An
 * anti-join: half the time of NOT EXISTS over a million rows (no correlated subquery).
 */
function onlyIn(side: Schema, t: string): string {
  return side === 'main'
    ? `main.${t} l LEFT JOIN copy.${t} c ON c.id = l.id WHERE c.id IS NULL`
    : `copy.${t} c LEFT JOIN main.${t} l ON l.id = c.id WHERE l.id IS NULL`;
}

function countKind(db: ReadableDB, k: Prepared): RestoreDiffCount {
  const t = k.spec.table;
  const one = (sql: string) => db.prepare(sql).pluck().get() as number | null;
  // One pass over the rows both have (ids are unique on each side): the rest is arithmetic.
  const differs = k.differs.length ? k.differs.map((d) => `(${d})`).join(' OR ') : '0';
  const both = db
    .prepare(
      `SELECT count(*) AS common, total(CASE WHEN ${differs} THEN 1 ELSE 0 END) AS changed
       FROM main.${t} l JOIN copy.${t} c ON c.id = l.id`,
    )
    .get() as { common: number; changed: number };
  const removed = one(`SELECT count(*) FROM main.${t}`)! - both.common;
  const added = one(`SELECT count(*) FROM copy.${t}`)! - both.common;
  const since = k.spec.at.replace(/^t\./, 'l.');
  return {
    kind: k.spec.kind,
    added,
    removed,
    changed: both.changed,
    removedSince: removed > 0 ? one(`SELECT min(${since}) FROM ${onlyIn('main', t)}`) : null,
  };
}

interface Hit {
  change: RestoreDiffChange;
  id: Key;
  /** Per field, 1 when it differs (changed items only). */
  flags: (number | null)[];
}

/** Up to `limit` items of one kind after `after` (in key order), of the classes asked for. */
function pageOfKind(
  db: ReadableDB,
  k: Prepared,
  changes: readonly RestoreDiffChange[],
  after: Key | null,
  limit: number,
): Hit[] {
  const t = k.spec.table;
  const nulls = k.fields.map((_, i) => `NULL AS f${i}`);
  const flags = k.differs.map((d, i) => `(${d}) AS f${i}`);
  const from = (alias: string) => (after === null ? '' : `AND ${alias}.id > @after`);
  const arms: string[] = [];
  for (const change of changes) {
    if (change === 'removed')
      arms.push(
        `SELECT 'removed' AS change, l.id AS id${nulls.map((n) => `, ${n}`).join('')} FROM ${onlyIn('main', t)} ${from('l')}`,
      );
    else if (change === 'added')
      arms.push(
        `SELECT 'added' AS change, c.id AS id${nulls.map((n) => `, ${n}`).join('')} FROM ${onlyIn('copy', t)} ${from('c')}`,
      );
    else if (k.differs.length)
      arms.push(
        `SELECT 'changed' AS change, l.id AS id${flags.map((f) => `, ${f}`).join('')} FROM main.${t} l
         JOIN copy.${t} c ON c.id = l.id
         WHERE (${k.differs.map((d) => `(${d})`).join(' OR ')}) ${from('l')}`,
      );
  }
  if (!arms.length) return [];
  const rows = db
    .prepare(`${arms.join(' UNION ALL ')} ORDER BY id LIMIT @limit`)
    .raw()
    .all({ limit, ...(after === null ? {} : { after }) }) as unknown[][];
  return rows.map((r) => ({
    change: r[0] as RestoreDiffChange,
    id: r[1] as Key,
    flags: r.slice(2) as (number | null)[],
  }));
}

interface Shown {
  name: string | null;
  context: string | null;
  at: number | null;
  status: string | null;
  values: (string | number | null)[];
}

/** The names and shown values of some rows of one side, by key. */
function rowsOf(db: ReadableDB, k: Prepared, s: Schema, ids: Key[]): Map<Key, Shown> {
  const out = new Map<Key, Shown>();
  if (!ids.length) return out;
  const spec = k.spec;
  const shown = k.fields
    .map((f, i) => `, ${(typeof f.show === 'function' ? f.show(s) : f.show) ?? 'NULL'} AS v${i}`)
    .join('');
  const rows = db
    .prepare(
      `SELECT t.id, ${spec.name}, ${spec.context}, ${spec.at}, ${spec.status}${shown}
       FROM ${spec.from(s)} WHERE t.id IN (SELECT value FROM json_each(?))`,
    )
    .raw()
    .all(JSON.stringify(ids)) as unknown[][];
  for (const r of rows) {
    out.set(r[0] as Key, {
      name: r[1] === null ? null : String(r[1]),
      context: r[2] === null ? null : String(r[2]),
      at: typeof r[3] === 'number' ? r[3] : null,
      status: r[4] === null ? null : String(r[4]),
      values: r.slice(5) as (string | number | null)[],
    });
  }
  return out;
}

function toItems(db: ReadableDB, k: Prepared, hits: Hit[]): RestoreDiffItem[] {
  const live = rowsOf(
    db,
    k,
    'main',
    hits.filter((h) => h.change !== 'added').map((h) => h.id),
  );
  const copy = rowsOf(
    db,
    k,
    'copy',
    hits.filter((h) => h.change !== 'removed').map((h) => h.id),
  );
  return hits.map((h) => {
    const l = live.get(h.id);
    const c = copy.get(h.id);
    // Named as the user knows it now (live), or as the copy has it when live does not.
    const main = (h.change === 'added' ? c : l) ?? c ?? l;
    const fields: RestoreDiffField[] =
      h.change === 'changed'
        ? k.fields.flatMap((f, i) =>
            h.flags[i]
              ? [{ field: f.field, live: l?.values[i] ?? null, copy: c?.values[i] ?? null }]
              : [],
          )
        : [];
    return {
      kind: k.spec.kind,
      change: h.change,
      id: h.id,
      name: main?.name ?? `#${String(h.id)}`,
      context: main?.context ?? null,
      at: main?.at ?? null,
      status: h.change === 'changed' ? (c?.status ?? null) : (main?.status ?? null),
      fields,
    };
  });
}

/**
 * Open live read-only with the copy attached (read-only too), run
 * `fn` in one read transaction (both sides as of one instant), close.
 */
function withBoth<T>(liveFile: string, copyFile: string, fn: (db: ReadableDB) => T): T {
  const db = openReadOnly(liveFile);
  try {
    // The connection's read-only flag holds for what it attaches (this build of SQLite
    // takes no URI filenames, so ?mode=ro cannot be said); a write would fail with SQLITE_READONLY.
    db.prepare(`ATTACH DATABASE ? AS copy`).run(copyFile);
    return db.transaction(() => fn(db))();
  } finally {
    db.close();
  }
}

/**
 * The differences between live (`liveFile`) and a drilled copy (`copyFile`):
 * the summary (counts per kind and class; only on the first page, without a
 * cursor) and one page of named items in kind, then key order.
 */
export function diffRestore(
  restoreId: string,
  liveFile: string,
  copyFile: string,
  q: RestoreDiffQuery = {},
): RestoreDiff {
  const limit = Math.min(Math.max(1, Math.floor(q.limit ?? 50)), RESTORE_DIFF_MAX_PAGE);
  const from = q.cursor === undefined ? null : checkCursor(q.cursor, q.kind);
  const changes = q.change ? [q.change] : RESTORE_DIFF_CHANGES;
  return withBoth(liveFile, copyFile, (db) => {
    const kinds = prepare(db);
    const summary = from === null ? kinds.map((k) => countKind(db, k)) : null;
    const startAt = from ? RESTORE_DIFF_KINDS.indexOf(from.kind) : 0;
    const items: RestoreDiffItem[] = [];
    // One more than a page: whether a next page exists, without counting.
    let more = false;
    for (const k of kinds) {
      if (q.kind && k.spec.kind !== q.kind) continue;
      const at = RESTORE_DIFF_KINDS.indexOf(k.spec.kind);
      if (at < startAt) continue;
      const after = from && at === startAt ? from.id : null;
      const hits = pageOfKind(db, k, changes, after, limit + 1 - items.length);
      if (items.length + hits.length > limit) {
        more = true;
        hits.length = limit - items.length;
      }
      items.push(...toItems(db, k, hits));
      if (more) break;
    }
    const last = items[items.length - 1];
    return {
      restoreId,
      summary,
      items,
      nextCursor: more && last ? encodeCursor(last.kind, last.id) : null,
    };
  });
}
