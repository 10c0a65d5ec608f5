// Domain types as they cross the process boundary. Times are epoch milliseconds.

export const DEPLOYMENT_STATUSES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'rolled_back',
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** Which status may follow which. Terminal states only move to rolled_back (from succeeded). */
export const DEPLOYMENT_TRANSITIONS: Record<DeploymentStatus, readonly DeploymentStatus[]> = {
  queued: ['running', 'cancelled'],
  running: ['succeeded', 'failed', 'cancelled'],
  succeeded: ['rolled_back'],
  failed: [],
  cancelled: [],
  rolled_back: [],
};

export const ENVIRONMENT_KINDS = ['development', 'staging', 'production', 'other'] as const;
export type EnvironmentKind = (typeof ENVIRONMENT_KINDS)[number];

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Project {
  id: number;
  name: string;
  description: string;
  createdAt: number;
  updatedAt: number;
  environmentCount: number;
  deploymentCount: number;
  lastDeploymentAt: number | null;
}

export interface Environment {
  id: number;
  projectId: number;
  name: string;
  kind: EnvironmentKind;
  description: string;
  createdAt: number;
  updatedAt: number;
  deploymentCount: number;
  lastDeploymentAt: number | null;
  lastStatus: DeploymentStatus | null;
}

export interface ConfigSnapshot {
  id: number;
  environmentId: number;
  version: number;
  content: Record<string, unknown>;
  sha256: string;
  createdAt: number;
}

export interface Deployment {
  id: number;
  environmentId: number;
  projectId: number;
  projectName: string;
  environmentName: string;
  version: string;
  status: DeploymentStatus;
  startedAt: number;
  finishedAt: number | null;
  accessUrl: string | null;
  diagnosticSummary: string | null;
  snapshotId: number | null;
}

export interface DeploymentLog {
  id: number;
  deploymentId: number;
  ts: number;
  level: LogLevel;
  message: string;
}

export interface DeploymentDetail extends Deployment {
  logs: DeploymentLog[];
  snapshot: ConfigSnapshot | null;
}

export interface AuditEntry {
  id: number;
  ts: number;
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
}

export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
}

export type DataDirSource = 'flag' | 'env' | 'portable' | 'default';

export interface AppStatus {
  appVersion: string;
  schemaVersion: number;
  appSchemaVersion: number;
  dataDir: string;
  dataDirSource: DataDirSource;
  dbBytes: number;
  walBytes: number;
  counts: { projects: number; environments: number; deployments: number; auditEntries: number };
  empty: boolean;
  lock: { pid: number; host: string; mode: string; since: number } | null;
  transport: 'electron' | 'http' | 'cli';
}

/** What the app is at start-up: ready, or refusing the data dir with a reason. */
export type StartupState =
  | { state: 'ready' }
  | {
      state: 'refused';
      code: string;
      message: string;
      hint: string;
      dataDir: string;
      logFile: string | null;
    };
