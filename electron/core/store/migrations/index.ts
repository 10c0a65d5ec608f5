// The migration list, bundled into the build as data (no folder is read at run
// time). Forward-only: published entries are never edited, renamed or dropped.
// Each file exports its SQLite SQL (default) and its PostgreSQL SQL (`postgres`).
import m0001, { postgres as pg0001 } from './0001_projects.ts';
import m0002, { postgres as pg0002 } from './0002_environments.ts';
import m0003, { postgres as pg0003 } from './0003_deployments.ts';
import m0004, { postgres as pg0004 } from './0004_runs_resources.ts';
import m0005, { postgres as pg0005 } from './0005_audit_metrics.ts';
import m0006, { postgres as pg0006 } from './0006_change_counter.ts';
import m0007, { postgres as pg0007 } from './0007_restores_drills.ts';
import m0008, { postgres as pg0008 } from './0008_secrets.ts';
import m0009, { postgres as pg0009 } from './0009_deployment_paging.ts';

export interface MigrationSource {
  version: number;
  name: string;
  /** The SQLite text (its checksum is what SQLite databases record). */
  sql: string;
}

/** A published migration: its SQLite and PostgreSQL texts side by side, checksummed per dialect. */
export interface Migration extends MigrationSource {
  postgres: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: '0001_projects', sql: m0001, postgres: pg0001 },
  { version: 2, name: '0002_environments', sql: m0002, postgres: pg0002 },
  { version: 3, name: '0003_deployments', sql: m0003, postgres: pg0003 },
  { version: 4, name: '0004_runs_resources', sql: m0004, postgres: pg0004 },
  { version: 5, name: '0005_audit_metrics', sql: m0005, postgres: pg0005 },
  { version: 6, name: '0006_change_counter', sql: m0006, postgres: pg0006 },
  { version: 7, name: '0007_restores_drills', sql: m0007, postgres: pg0007 },
  { version: 8, name: '0008_secrets', sql: m0008, postgres: pg0008 },
  { version: 9, name: '0009_deployment_paging', sql: m0009, postgres: pg0009 },
];
