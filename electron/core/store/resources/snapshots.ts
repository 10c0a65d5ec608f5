// Configuration snapshots: versioned per environment, immutable once written
// (the schema's triggers refuse UPDATE and DELETE).
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { ConfigSnapshot } from '../../../../shared/domain.ts';
import { AppError } from '../../../../shared/errors.ts';
import type { Query, Sql } from '../sql.ts';
import { binaryOrder, raw, row, rows, tableExists } from '../sql.ts';
import { getEnvironment } from './environments.ts';

interface SnapshotRow {
  id: number;
  environment_id: number;
  version: number;
  content: string;
  sha256: string;
  created_at: number;
}

function rowToSnapshot(r: SnapshotRow): ConfigSnapshot {
  return {
    id: r.id,
    environmentId: r.environment_id,
    version: r.version,
    content: JSON.parse(r.content) as Record<string, unknown>,
    sha256: r.sha256,
    createdAt: r.created_at,
  };
}

/** Stable JSON: keys sorted, so equal configurations hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function* getSnapshot(c: Sql, id: number): Query<ConfigSnapshot> {
  const r = yield* row(c.k.selectFrom('config_snapshots').selectAll().where('id', '=', id));
  if (!r) throw new AppError('NOT_FOUND', `Configuration snapshot ${id} does not exist.`);
  return rowToSnapshot(r);
}

export function* listSnapshots(c: Sql, environmentId: number): Query<ConfigSnapshot[]> {
  yield* getEnvironment(c, environmentId);
  const found = yield* rows(
    c.k
      .selectFrom('config_snapshots')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .orderBy('version', 'desc'),
  );
  return found.map(rowToSnapshot);
}

/** The secret names a configuration refers to as {"$secret": "NAME"}, in order, once each. */
function secretRefsOf(content: unknown): string[] {
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('$secret' in o) {
        const name = o['$secret'];
        names.add(typeof name === 'string' ? name : JSON.stringify(name));
      }
      Object.values(o).forEach(walk);
    }
  };
  walk(content);
  return [...names];
}

/** Where `content` has a {"$secret": …} whose value is not a name ("db", "list[1]"), or null. */
function nonNameRef(content: unknown, at = ''): string | null {
  if (Array.isArray(content)) {
    for (const [i, v] of content.entries()) {
      const found = nonNameRef(v, `${at}[${i}]`);
      if (found !== null) return found;
    }
  } else if (content !== null && typeof content === 'object') {
    const o = content as Record<string, unknown>;
    if ('$secret' in o && typeof o['$secret'] !== 'string') return at || '(top level)';
    for (const [k, v] of Object.entries(o)) {
      const found = nonNameRef(v, at ? `${at}.${k}` : k);
      if (found !== null) return found;
    }
  }
  return null;
}

/** The names among `refs` that environment `environmentId` has no secret for. */
function* unknownRefs(c: Sql, environmentId: number, refs: readonly string[]): Query<string[]> {
  if (refs.length === 0) return [];
  // A copy from before secrets existed has no secrets table: every reference dangles.
  if (!(yield* tableExists(c, 'secrets'))) return [...refs];
  const found = yield* rows(
    c.k
      .selectFrom('secrets')
      .select('name')
      .where('environment_id', '=', environmentId)
      .where('name', 'in', refs),
  );
  const have = new Set(found.map((r) => r.name));
  return refs.filter((name) => !have.has(name));
}

const BACKSLASH_U = '\\u';
/** Content that may hold a {"$secret": …}: the word itself, or a backslash-u escape that could spell it. */
function maySpellSecret(c: Sql) {
  return c.dialect === 'sqlite'
    ? sql<boolean>`(s.content LIKE '%secret%' OR instr(s.content, ${BACKSLASH_U}) > 0)`
    : sql<boolean>`(strpos(s.content, 'secret') > 0 OR strpos(s.content, ${BACKSLASH_U}) > 0)`;
}

/**
 * References that resolve to nothing: for each environment's newest snapshot (its
 * current configuration), the {"$secret": NAME} whose secret the environment lacks.
 * Older versions may refer to secrets removed since; that is history, not a fault.
 */
export function* danglingSecretRefs(
  c: Sql,
): Query<{ project: string; environment: string; version: number; name: string }[]> {
  const found = yield* rows<{
    environment_id: number;
    version: number;
    content: string;
    environment: string;
    project: string;
  }>(
    raw(
      c,
      sql`SELECT s.environment_id, s.version, s.content, e.name AS environment, p.name AS project
        FROM config_snapshots s JOIN environments e ON e.id = s.environment_id JOIN projects p ON p.id = e.project_id
        WHERE s.version = (SELECT max(version) FROM config_snapshots WHERE environment_id = s.environment_id)
          AND ${maySpellSecret(c)}
        ORDER BY ${binaryOrder(c, 'p.name')}, ${binaryOrder(c, 'e.name')}`,
    ),
  );
  const out: { project: string; environment: string; version: number; name: string }[] = [];
  for (const r of found) {
    const missing = yield* unknownRefs(c, r.environment_id, secretRefsOf(JSON.parse(r.content)));
    for (const name of missing)
      out.push({ project: r.project, environment: r.environment, version: r.version, name });
  }
  return out;
}

export function* createSnapshot(
  c: Sql,
  input: { environmentId: number; content: Record<string, unknown> },
  now: number,
): Query<ConfigSnapshot> {
  const env = yield* getEnvironment(c, input.environmentId);
  const notAName = nonNameRef(input.content);
  if (notAName !== null)
    throw new AppError(
      'BAD_INPUT',
      `The {"$secret": …} at ${notAName} must be the name of a secret (a string such as "DATABASE_URL"). Nothing was stored.`,
      {
        hint: 'Write {"$secret": "NAME"} where the value should go.',
        details: { field: 'content' },
      },
    );
  const missing = yield* unknownRefs(c, input.environmentId, secretRefsOf(input.content));
  if (missing.length > 0) {
    throw new AppError(
      'SECRET_REFERENCE_UNKNOWN',
      `This configuration refers to ${missing.length === 1 ? 'a secret' : 'secrets'} that ${env.name} does not have: ${missing.map((n) => JSON.stringify(n)).join(', ')}. Nothing was stored.`,
      {
        hint: `Add ${missing.length === 1 ? 'it' : 'them'} in the environment's Secrets tab first, or correct the name (names are case-sensitive).`,
        details: { field: 'content', names: missing },
      },
    );
  }
  const text = canonicalJson(input.content);
  const sha256 = crypto.createHash('sha256').update(text).digest('hex');
  const latest = yield* row(
    c.k
      .selectFrom('config_snapshots')
      .select(['version', 'sha256'])
      .where('environment_id', '=', input.environmentId)
      .orderBy('version', 'desc')
      .limit(1),
  );
  const inserted = yield* row(
    c.k
      .insertInto('config_snapshots')
      .values({
        environment_id: input.environmentId,
        version: (latest?.version ?? 0) + 1,
        content: text,
        sha256,
        created_at: now,
      })
      .returning('id'),
  );
  if (!inserted) throw new AppError('INTERNAL', 'The configuration snapshot was not inserted.');
  return yield* getSnapshot(c, inserted.id);
}
