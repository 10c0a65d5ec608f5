// Configuration snapshots: versioned per environment, immutable once written
// (the schema's triggers refuse UPDATE and DELETE).
import crypto from 'node:crypto';
import type { ConfigSnapshot } from '../../../../shared/domain.ts';
import { AppError } from '../../../../shared/errors.ts';
import type { ReadableDB, WritableDB } from '../db.ts';
import { assertOneChange } from '../db.ts';
import { getEnvironment } from './environments.ts';
import { tableExists } from '../introspect.ts';

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

export function getSnapshot(db: ReadableDB, id: number): ConfigSnapshot {
  const row = db.prepare(`SELECT * FROM config_snapshots WHERE id = ?`).get(id) as
    SnapshotRow | undefined;
  if (!row) throw new AppError('NOT_FOUND', `Configuration snapshot ${id} does not exist.`);
  return rowToSnapshot(row);
}

export function listSnapshots(db: ReadableDB, environmentId: number): ConfigSnapshot[] {
  getEnvironment(db, environmentId);
  const rows = db
    .prepare(`SELECT * FROM config_snapshots WHERE environment_id = ? ORDER BY version DESC`)
    .all(environmentId) as SnapshotRow[];
  return rows.map(rowToSnapshot);
}

/** The secret names a configuration refers to as {"$secret": "NAME"}, in order, once each. */
export function secretRefsOf(content: unknown): string[] {
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
function unknownRefs(db: ReadableDB, environmentId: number, refs: readonly string[]): string[] {
  // A copy from before secrets existed has no secrets table: every reference dangles.
  if (refs.length === 0) return [];
  if (!tableExists(db, 'secrets')) return [...refs];
  const has = db.prepare(`SELECT 1 FROM secrets WHERE environment_id = ? AND name = ?`);
  return refs.filter((name) => has.get(environmentId, name) === undefined);
}

/**
 * References that resolve to nothing: for each environment's newest snapshot (its
 * current configuration), the {"$secret": NAME} whose secret the environment lacks.
 * Older versions may refer to secrets removed since; that is history, not a fault.
 */
export function danglingSecretRefs(
  db: ReadableDB,
): { project: string; environment: string; version: number; name: string }[] {
  const rows = db
    .prepare(
      `SELECT s.environment_id, s.version, s.content, e.name AS environment, p.name AS project
       FROM config_snapshots s JOIN environments e ON e.id = s.environment_id JOIN projects p ON p.id = e.project_id
       WHERE s.version = (SELECT max(version) FROM config_snapshots WHERE environment_id = s.environment_id)
         AND (s.content LIKE '%secret%' OR instr(s.content, '\\u') > 0)
       ORDER BY p.name, e.name`,
    )
    .all() as {
    environment_id: number;
    version: number;
    content: string;
    environment: string;
    project: string;
  }[];
  return rows.flatMap((r) =>
    unknownRefs(db, r.environment_id, secretRefsOf(JSON.parse(r.content))).map((name) => ({
      project: r.project,
      environment: r.environment,
      version: r.version,
      name,
    })),
  );
}

export function createSnapshot(
  db: WritableDB,
  input: { environmentId: number; content: Record<string, unknown> },
  now: number,
): ConfigSnapshot {
  const env = getEnvironment(db, input.environmentId);
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
  const missing = unknownRefs(db, input.environmentId, secretRefsOf(input.content));
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
  const latest = db
    .prepare(
      `SELECT version, sha256 FROM config_snapshots WHERE environment_id = ? ORDER BY version DESC LIMIT 1`,
    )
    .get(input.environmentId) as { version: number; sha256: string } | undefined;
  const info = db
    .prepare(
      `INSERT INTO config_snapshots (environment_id, version, content, sha256, created_at) VALUES (?, ?, ?, ?, ?)`,
    )
    .run(input.environmentId, (latest?.version ?? 0) + 1, text, sha256, now);
  assertOneChange(info, 'configuration snapshot');
  return getSnapshot(db, Number(info.lastInsertRowid));
}
