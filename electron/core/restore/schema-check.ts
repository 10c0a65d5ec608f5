// A restored copy's schema is exactly what Stateward's own migrations create:
// a crafted backup cannot bring a trigger, view, index or table of its own (a
// trigger that deletes the audit log on every write would otherwise run in live
// after a promote), nor drop one (the triggers that keep snapshots immutable).
import Database from 'better-sqlite3';
import type { ReadableDB, WritableDB } from '../store/db.ts';
import { EMBEDDED_MANIFEST_TABLE } from '../backup/worker.ts';
import { applyMigrations, planMigrations } from '../store/migrate.ts';
import { MIGRATIONS } from '../store/migrations/index.ts';
import { GUARD_PREFIX } from './guard.ts';

export interface SchemaDifference {
  /** Objects the copy has and the migrations do not create ("trigger evil"). */
  extra: string[];
  /** Objects the migrations create and the copy lacks, or has with other SQL. */
  missing: string[];
}

type Row = { type: string; name: string; sql: string | null };

function objects(db: ReadableDB): Map<string, string> {
  const rows = db
    .prepare(
      `SELECT type, name, sql FROM main.sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`,
    )
    .all() as Row[];
  const out = new Map<string, string>();
  for (const r of rows) {
    // Written by Stateward outside the migrations: the backup's own facts, a promote's write guard.
    if (r.type === 'table' && r.name === EMBEDDED_MANIFEST_TABLE) continue;
    if (r.type === 'trigger' && r.name.startsWith(GUARD_PREFIX)) continue;
    out.set(`${r.type} ${r.name}`, (r.sql ?? '').replace(/\s+/g, ' ').trim());
  }
  return out;
}

/** How the schema of `db` differs from a new database migrated to the same version (reads only). */
export function schemaDifference(db: ReadableDB): SchemaDifference {
  const version = planMigrations(db).current;
  const ref = new Database(':memory:') as unknown as WritableDB;
  let expected: Map<string, string>;
  try {
    const migrations = MIGRATIONS.filter((m) => m.version <= version);
    applyMigrations(ref, planMigrations(ref, migrations));
    expected = objects(ref);
  } finally {
    ref.close();
  }
  const actual = objects(db);
  return {
    extra: [...actual.keys()].filter((k) => !expected.has(k)).sort(),
    missing: [...expected.keys()].filter((k) => actual.get(k) !== expected.get(k)).sort(),
  };
}
