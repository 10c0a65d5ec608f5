// The tables as the query builder sees them (both dialects; ids, counts and
// epoch-ms timestamps are numbers, JSON is text, booleans are 0/1: see sql.ts).
import type { Generated } from 'kysely';

export interface AuditLogTable {
  id: Generated<number>;
  ts: number;
  actor: string;
  action: string;
  target: Generated<string>;
  detail: Generated<string>;
}

export interface ChangeCounterTable {
  id: Generated<number>;
  seq: number;
}

export interface ConfigSnapshotsTable {
  id: Generated<number>;
  environment_id: number;
  version: number;
  content: string;
  sha256: string;
  created_at: number;
}

export interface DeploymentCountsTable {
  environment_id: number;
  status: string;
  n: number;
}

export interface DeploymentLogsTable {
  id: Generated<number>;
  deployment_id: number;
  ts: number;
  level: string;
  message: string;
}

export interface DeploymentsTable {
  id: Generated<number>;
  environment_id: number;
  snapshot_id: number | null;
  version: string;
  status: string;
  started_at: number;
  finished_at: number | null;
  access_url: string | null;
  diagnostic_summary: string | null;
}

export interface DrillsTable {
  id: string;
  restore_id: string | null;
  backup_id: string | null;
  file_name: string;
  sha256: string | null;
  started_at: number;
  finished_at: number;
  passed: number;
  summary: string;
}

export interface EnvironmentsTable {
  id: Generated<number>;
  project_id: number;
  name: string;
  kind: Generated<string>;
  description: Generated<string>;
  created_at: number;
  updated_at: number;
}

export interface MetricsTable {
  id: Generated<number>;
  ts: number;
  name: string;
  value: number;
  labels: Generated<string>;
}

export interface ProjectsTable {
  id: Generated<number>;
  name: string;
  description: Generated<string>;
  created_at: number;
  updated_at: number;
}

export interface ResourceStatusTable {
  id: Generated<number>;
  environment_id: number;
  resource: string;
  status: string;
  checked_at: number;
  detail: Generated<string>;
}

export interface RestoresTable {
  id: string;
  created_at: number;
  status: string;
  backup_id: string | null;
  file_name: string;
  sha256: string | null;
  drill_id: string | null;
  passed: Generated<number>;
  detail: Generated<string>;
}

export interface RunsTable {
  id: Generated<number>;
  kind: string;
  status: string;
  started_at: number;
  finished_at: number | null;
  detail: Generated<string>;
}

export interface SchemaMigrationsTable {
  version: Generated<number>;
  name: string;
  checksum: string;
  applied_at: number;
  app_version: string;
}

export interface SecretsTable {
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

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: number;
}

export interface DB {
  audit_log: AuditLogTable;
  change_counter: ChangeCounterTable;
  config_snapshots: ConfigSnapshotsTable;
  deployment_counts: DeploymentCountsTable;
  deployment_logs: DeploymentLogsTable;
  deployments: DeploymentsTable;
  drills: DrillsTable;
  environments: EnvironmentsTable;
  metrics: MetricsTable;
  projects: ProjectsTable;
  resource_status: ResourceStatusTable;
  restores: RestoresTable;
  runs: RunsTable;
  schema_migrations: SchemaMigrationsTable;
  secrets: SecretsTable;
  settings: SettingsTable;
}
