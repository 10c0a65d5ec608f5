// Encrypted secret rows. Values never pass through here in plain text: callers
// seal and open them with the data key (core/secrets/service.ts).
import type { ReadableDB, WritableDB } from '../db.ts';
import { assertOneChange } from '../db.ts';
import { countRows, tableExists } from '../introspect.ts';

export interface SecretRow {
  id: string;
  environment_id: number;
  name: string;
  key_id: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
  created_at: number;
  updated_at: number;
}

export function secretsOf(db: ReadableDB, environmentId: number): SecretRow[] {
  return db
    .prepare(`SELECT * FROM secrets WHERE environment_id = ? ORDER BY name COLLATE NOCASE`)
    .all(environmentId) as SecretRow[];
}

export function allSecrets(
  db: ReadableDB,
): (SecretRow & { environment_name: string; project_name: string })[] {
  // A restored copy from before secrets existed has no table: no secrets.
  if (!tableExists(db, 'secrets')) return [];
  return db
    .prepare(
      `SELECT s.*, e.name AS environment_name, p.name AS project_name FROM secrets s
       JOIN environments e ON e.id = s.environment_id JOIN projects p ON p.id = e.project_id ORDER BY p.name, e.name, s.name`,
    )
    .all() as (SecretRow & { environment_name: string; project_name: string })[];
}

export function secretById(db: ReadableDB, id: string): SecretRow | undefined {
  return db.prepare(`SELECT * FROM secrets WHERE id = ?`).get(id) as SecretRow | undefined;
}

export function secretByName(
  db: ReadableDB,
  environmentId: number,
  name: string,
): SecretRow | undefined {
  return db
    .prepare(`SELECT * FROM secrets WHERE environment_id = ? AND name = ?`)
    .get(environmentId, name) as SecretRow | undefined;
}

export function upsertSecret(db: WritableDB, row: SecretRow): void {
  const info = db
    .prepare(
      `INSERT INTO secrets (id, environment_id, name, key_id, iv, tag, ciphertext, created_at, updated_at)
       VALUES (@id, @environment_id, @name, @key_id, @iv, @tag, @ciphertext, @created_at, @updated_at)
       ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id, iv = excluded.iv, tag = excluded.tag,
         ciphertext = excluded.ciphertext, updated_at = excluded.updated_at`,
    )
    .run(row);
  assertOneChange(info, 'secret');
}

/** Delete a secret, its iv, tag and ciphertext overwritten with zeros first (in place, same sizes). */
export function deleteSecret(db: WritableDB, id: string): void {
  assertOneChange(
    db
      .prepare(
        `UPDATE secrets SET iv = zeroblob(length(iv)), tag = zeroblob(length(tag)),
           ciphertext = zeroblob(length(ciphertext)) WHERE id = ?`,
      )
      .run(id),
    'secret',
  );
  assertOneChange(db.prepare(`DELETE FROM secrets WHERE id = ?`).run(id), 'secret');
}

export function countSecrets(db: ReadableDB): number {
  return countRows(db, 'secrets') ?? 0;
}
