// Questions about a database's shape that work on any schema version (older
// copies may lack tables). Plain better-sqlite3 handles, so worker threads use them too.
import type Database from 'better-sqlite3';

export function tableExists(db: Database.Database, name: string): boolean {
  return (
    db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(name) !==
    undefined
  );
}

/** Rows in a table, or null when the table does not exist. */
export function countRows(db: Database.Database, table: string): number | null {
  if (!tableExists(db, table)) return null;
  return (
    db.prepare(`SELECT count(*) AS n FROM "${table.replace(/"/g, '""')}"`).get() as { n: number }
  ).n;
}
