// Key-value settings stored as JSON, validated by the caller's schema on read.
import type { ReadableDB, WritableDB } from '../db.ts';

export function getSetting(db: ReadableDB, key: string): unknown {
  const row = db.prepare(`SELECT value FROM settings WHERE key = ?`).get(key) as
    { value: string } | undefined;
  return row ? (JSON.parse(row.value) as unknown) : undefined;
}

export function setSetting(db: WritableDB, key: string, value: unknown, now: number): void {
  db.prepare(
    `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  ).run(key, JSON.stringify(value), now);
}
