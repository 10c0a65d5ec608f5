// Configuration snapshots: versioned per environment, immutable once written
// (the schema's triggers refuse UPDATE and DELETE).
import crypto from 'node:crypto';
import type { ConfigSnapshot } from '../../../../shared/domain.ts';
import { AppError } from '../../../../shared/errors.ts';
import type { ReadableDB, WritableDB } from '../db.ts';
import { assertOneChange } from '../db.ts';
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

export function createSnapshot(
  db: WritableDB,
  input: { environmentId: number; content: Record<string, unknown> },
  now: number,
): ConfigSnapshot {
  getEnvironment(db, input.environmentId);
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
