// Opening migrated stores and looking at database files from the outside.
import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ReadableDB } from '../../electron/core/store/db.ts';
import type { Store } from '../../electron/core/store/store.ts';
import { openStoreFile } from '../../electron/core/store/store.ts';
import type { World } from './world.ts';

/** A fully migrated store in a fresh temp dir, closed after the test. */
export function openTestStore(world: World): Store {
  const store = openStoreFile(path.join(world.dir(), 'stateward.db'));
  world.defer(() => store.close());
  return store;
}

export function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * Change a closed database with a raw connection, then fold the WAL back into
 * the main file so its bytes say everything (for before/after hashes).
 */
export function editDatabase(file: string, edit: (db: Database.Database) => void): void {
  const db = new Database(file);
  try {
    edit(db);
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

export function tableNames(db: ReadableDB | Database.Database): string[] {
  return (
    db
      .prepare(
        `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
      )
      .all() as { name: string }[]
  ).map((r) => r.name);
}

/** Row count of every table plus the connection's total changes: equal before/after ⇒ nothing written. */
export function fingerprint(db: ReadableDB | Database.Database): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tableNames(db)) {
    out[t] = (db.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n;
  }
  out['total_changes()'] = (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
  return out;
}
