// The migration list, bundled into the build as data (no folder is read at run
// time). Forward-only: published entries are never edited, renamed or dropped.
import m0001 from './0001_projects.ts';
import m0002 from './0002_environments.ts';
import m0003 from './0003_deployments.ts';
import m0004 from './0004_runs_resources.ts';
import m0005 from './0005_audit_metrics.ts';
import m0006 from './0006_change_counter.ts';
import m0007 from './0007_restores_drills.ts';
import m0008 from './0008_secrets.ts';
import m0009 from './0009_deployment_paging.ts';

export interface MigrationSource {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly MigrationSource[] = [
  { version: 1, name: '0001_projects', sql: m0001 },
  { version: 2, name: '0002_environments', sql: m0002 },
  { version: 3, name: '0003_deployments', sql: m0003 },
  { version: 4, name: '0004_runs_resources', sql: m0004 },
  { version: 5, name: '0005_audit_metrics', sql: m0005 },
  { version: 6, name: '0006_change_counter', sql: m0006 },
  { version: 7, name: '0007_restores_drills', sql: m0007 },
  { version: 8, name: '0008_secrets', sql: m0008 },
  { version: 9, name: '0009_deployment_paging', sql: m0009 },
];
