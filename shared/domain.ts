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

/**
 * A page of the deployments list, newest first, paged by keyset cursors (opaque;
 * each holds the sort key of the row it continues from), so a page deep in a
 * million rows costs what the first one does.
 */
export interface CursorPage<T> {
  items: T[];
  /** How many rows match the filter (kept counts, not a count of the rows). */
  total: number;
  /** Pass as `cursor` for the rows after the last item (older); null when there are none. */
  next: string | null;
  /** Pass as `cursor` for the rows before the first item (newer); null when there are none. */
  prev: string | null;
}

/** At most this many rows are stepped over by one `deployments.list` call (`skip`). */
export const DEPLOYMENT_SKIP_MAX = 20_000;

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
  /** What the start-up found about the data dir's permissions (loose ones tightened, files of another user); absent when all was in order. */
  permissionNotes?: string[];
}

/** One Stateward instance connected to the team database (its pg_stat_activity sessions, grouped by application_name). */
export interface TeamInstance {
  /** `stateward/<version>/<transport>@<host>/<pid>` as the instance set it. */
  applicationName: string;
  version: string | null;
  transport: string | null;
  host: string | null;
  pid: number | null;
  /** Its open connections. */
  connections: number;
  /** The client address the server sees (null over a Unix socket, or when the role may not see it). */
  clientAddress: string | null;
  /** When its oldest connection started (epoch ms). */
  backendStart: number | null;
  /** 'active' when any connection runs a query, else the state of one of them. */
  state: string | null;
  /** This instance (the one answering). */
  self: boolean;
}

/** One applied migration of the team schema, as the server recorded it. */
export interface TeamMigration {
  version: number;
  name: string;
  appliedAt: number;
  appVersion: string;
  host: string;
}

/** The team database as the dashboard shows it (app.team; null when the data dir uses SQLite). */
export interface TeamStatus {
  serverVersion: string;
  host: string;
  port: number;
  database: string;
  schema: string;
  user: string;
  sslmode: string;
  /** pg_database_size of the whole database. */
  databaseBytes: number;
  /** pg_total_relation_size summed over the schema's tables (indexes and TOAST included). */
  schemaBytes: number;
  instances: TeamInstance[];
  migrations: TeamMigration[];
  schemaVersion: number;
  appSchemaVersion: number;
  /** Newest backup of the team (any instance) from the shared audit log; else this data dir's newest. */
  lastBackup: {
    at: number;
    kind: string | null;
    fileName: string | null;
    /** Who took it (`transport:user@host/pid`); null when not known. */
    by: string | null;
  } | null;
  /** Newest restore drill of the team, from the shared audit log; else this data dir's newest. */
  lastDrill: {
    at: number;
    passed: boolean;
    summary: string | null;
    by: string | null;
  } | null;
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
      details?: Record<string, unknown>;
    };

export const BACKUP_KINDS = [
  'manual',
  'scheduled',
  'pre-upgrade',
  'pre-restore',
  /** Taken by the move to PostgreSQL before it commits: the SQLite state it moved. */
  'pre-move',
] as const;
export type BackupKind = (typeof BACKUP_KINDS)[number];

export const BACKUP_FORMAT_VERSION = 1;

/** Facts about a backup: in the sidecar `<name>.manifest.json`, and (all but size/hash/pages) inside the file. */
export interface BackupManifest {
  format: number;
  id: string;
  kind: BackupKind;
  createdAt: number;
  appVersion: string;
  schemaVersion: number;
  method: 'sqlite-backup-api';
  compact: boolean;
  fileName: string;
  bytes: number;
  sha256: string;
  pageSize: number;
  pageCount: number;
  rowCounts: Record<string, number>;
  newestDeploymentAt: number | null;
  /** Id of the data key that encrypted the secrets in it (never the key); null when no secrets exist. */
  dataKeyId: string | null;
  quickCheck: 'ok';
  /** Change counter of the live database when the snapshot was taken (for only-if-changed). */
  changeSeq: number;
  durationMs: number;
  /** What compact achieved (compact backups since it was recorded; absent for full ones). */
  compaction?: BackupCompaction;
  /** Where the rows came from when not this data dir's SQLite file (a team backup of PostgreSQL). */
  source?: BackupSource;
  /** Set on a rescue backup: taken from a byte copy of a data dir that was read-only or full (says which). */
  rescue?: string;
}

/** The server a team backup was read from (never a password). */
export interface BackupSource {
  backend: 'postgres';
  /** server_version as the server reports it, e.g. "15.4". */
  serverVersion: string;
  database: string;
  schema: string;
  host: string;
}

/** A compact backup compared with the live database it was taken from. */
export interface BackupCompaction {
  /** The live database's size at the snapshot: page_count × page_size. */
  liveBytes: number;
  /** The compact file's size. */
  bytes: number;
  /** Metrics and resource status rows stripped. */
  strippedRows: number;
  /** The compact file is smaller than the live database. */
  smaller: boolean;
  /** Why it is not smaller, with the sizes; null when it is. */
  reason: string | null;
}

export interface BackupEntry {
  id: string;
  kind: BackupKind;
  createdAt: number;
  bytes: number;
  schemaVersion: number;
  compact: boolean;
  sha256: string | null;
  fileName: string;
  /** Where the file is. */
  location: 'backups' | 'offsite';
  /** False for a lone .sqlite without a sidecar manifest. */
  hasManifest: boolean;
  offsite: { copied: boolean; verifiedAt: number | null };
  /** verification.at when verification.state is 'verified', else null (never an older pass). */
  verifiedAt: number | null;
  /** What the newest evidence says about this backup (see BackupVerification). */
  verification: BackupVerification;
  manifest: BackupManifest | null;
}

/**
 * A backup's verified state, from all the evidence, newest first: the file as it is
 * now (a manifest that cannot be read, or a size or hash that changed since the last
 * drill, is 'damaged'), else its newest restore drill (passed: 'verified'; refused at
 * preflight because the file is damaged: 'damaged'; any other failed step: 'failed'),
 * else 'not-verified'. Computed in one place (electron/core/backup/verification.ts).
 */
export type BackupVerificationState = 'verified' | 'failed' | 'damaged' | 'not-verified';

export interface BackupVerification {
  state: BackupVerificationState;
  /** When the deciding evidence was found (the drill's end); null when none, or the file's state now. */
  at: number | null;
  /** The drill report the state rests on, if any. */
  drillId: string | null;
  /** Stable code of the failure or damage (e.g. BACKUP_HASH_MISMATCH, DB_CORRUPT); null otherwise. */
  code: string | null;
  /** Why, in one plain sentence. */
  reason: string;
  /** The drill passed on a backup with no projects and no deployments: the file restores, no data is proven. */
  empty: boolean;
  /** When a drill of this backup last passed, even if newer evidence overrides it; null if never. */
  lastPassedAt: number | null;
}

export interface RetentionPolicy {
  keepLast: number;
  daily: number;
  weekly: number;
  monthly: number;
}

export interface BackupSettings {
  scheduleEnabled: boolean;
  intervalMinutes: number;
  onlyIfChanged: boolean;
  compactScheduled: boolean;
  retention: RetentionPolicy;
  offsiteDir: string | null;
}

/** What saving an off-site folder proved about it (a probe file written, fsynced, read back, removed). */
export interface OffsiteCheck {
  dir: string;
  /** The folder did not exist and was created (its parent did). */
  created: boolean;
  /** On the same file system (drive) as the data directory: one disk failure would lose both. */
  sameDrive: boolean;
  freeBytes: number | null;
  checkedAt: number;
}

export const DEFAULT_BACKUP_SETTINGS: BackupSettings = {
  scheduleEnabled: true,
  intervalMinutes: 24 * 60,
  onlyIfChanged: true,
  compactScheduled: false,
  retention: { keepLast: 7, daily: 7, weekly: 4, monthly: 6 },
  offsiteDir: null,
};

export interface BackupOverview {
  settings: BackupSettings;
  lastBackup: BackupEntry | null;
  lastScheduledRunAt: number | null;
  nextScheduledAt: number | null;
  running: { opId: string; kind: BackupKind; startedAt: number } | null;
  lastFailure: { at: number; code: string; message: string } | null;
  warnings: { code: string; message: string }[];
  count: number;
  totalBytes: number;
  /**
   * Live user data (projects, environments, snapshots, deployments and their logs, secrets)
   * changed since the newest backup was taken, by the change counter: `changes` is how many
   * rows changed (null when it cannot be counted: the live counter is behind the backup's,
   * e.g. after a restored copy was made live). Null when nothing changed or there is no
   * backup with a manifest to compare with.
   */
  changedSinceLastBackup: { changes: number | null; since: number } | null;
}

/** Where a restore starts from: a backup in the backups folder, or any file. */
export type RestoreSource = { backupId: string } | { path: string };

export interface PreflightFacts {
  fileName: string;
  bytes: number;
  sha256: string | null;
  /** Where the expected facts came from. */
  manifest: 'sidecar' | 'embedded' | 'none';
  backupId: string | null;
  kind: BackupKind | null;
  createdAt: number | null;
  appVersion: string | null;
  schemaVersion: number;
  appSchemaVersion: number;
  pendingMigrations: string[];
  rowCounts: Record<string, number> | null;
  /**
   * The file's modification time (ms) when preflight read it (absent in older reports): a
   * listing that sees another time on the same file knows it changed since this evidence.
   */
  modifiedAt?: number;
  /**
   * Whether the file read was the one in this data dir's backups folder (absent in older
   * reports): a drill of another copy of the same backup (off-site, uploaded) is evidence
   * about that copy only, not about the file in backups/.
   */
  fromBackups?: boolean;
}

export interface PreflightReport {
  ok: boolean;
  /** The refusal's stable code when not ok. */
  code: string | null;
  /** Plain-language result: "will migrate 0004 → 0007", or why it is refused. */
  reason: string;
  hint: string | null;
  warnings: string[];
  facts: PreflightFacts;
}

export type DrillStepStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface DrillStep {
  key: 'preflight' | 'copy' | 'integrity' | 'migrations' | 'boot' | 'probes' | 'secrets' | 'host';
  title: string;
  status: DrillStepStatus;
  ms: number;
  /** Plain-language result a person can read. */
  detail: string;
  facts?: Record<string, unknown>;
  /** The 'host' step: each request made to the booted app (and its start and stop), in order. */
  probes?: DrillProbe[];
  /** The 'host' step when it failed: the booted app's last stderr and log lines (token removed). */
  log?: string[];
}

/** One row of the drill's boot step: a request to the app booted on the copy, or its start/stop. */
export interface DrillProbe {
  name: string;
  /** What was sent, e.g. `GET /ready` or `POST projects.list`; null for the process's start and stop. */
  request: string | null;
  /** The HTTP status of the answer; null when none came (or no request was made). */
  httpStatus: number | null;
  ms: number;
  status: DrillStepStatus;
  detail: string;
}

/** Where a drill runs: on a local copy (default), or in a scratch schema of the team database. */
export type DrillTarget = 'local' | 'server';

export interface DrillReport {
  id: string;
  restoreId: string | null;
  startedAt: number;
  finishedAt: number;
  passed: boolean;
  summary: string;
  appVersion: string;
  machine: string;
  source: PreflightFacts;
  steps: DrillStep[];
  warnings: string[];
  /**
   * The copy held no projects and no deployments: the drill proves the file restores,
   * not that any data does (absent in reports made before this was recorded).
   */
  empty?: boolean;
}

export interface DrillSummary {
  id: string;
  restoreId: string | null;
  backupId: string | null;
  fileName: string;
  startedAt: number;
  finishedAt: number;
  passed: boolean;
  summary: string;
  /** Passed on an empty backup (see DrillReport.empty): never the dashboard's last successful drill. */
  empty: boolean;
}

/**
 * ready/failed: drilled. in-progress: being copied or drilled (or waiting for its drill) by a
 * running process. interrupted: that process died before the drill finished; it can only be discarded.
 * needs-redrill: it passed a drill of another version (its schemaVersion is not this app's): it can
 * be drilled again (which migrates it) or discarded, not browsed, compared or promoted.
 */
export type RestoreStatus =
  'in-progress' | 'interrupted' | 'ready' | 'needs-redrill' | 'failed' | 'promoted' | 'discarded';

export interface RestoreCopy {
  id: string;
  createdAt: number;
  status: RestoreStatus;
  source: PreflightFacts;
  drillId: string | null;
  passed: boolean;
  schemaVersion: number;
}

export interface Comparison {
  restoreId: string;
  schemaVersion: { live: number | null; copy: number };
  tables: { table: string; live: number | null; copy: number }[];
  newestDeployment: {
    live: {
      id: number;
      version: string;
      status: string;
      startedAt: number;
      project: string;
    } | null;
    copy: {
      id: number;
      version: string;
      status: string;
      startedAt: number;
      project: string;
    } | null;
  };
}

/** What a diff between live and a restored copy names, in list order. */
export const RESTORE_DIFF_KINDS = [
  'project',
  'environment',
  'deployment',
  'secret',
  'snapshot',
] as const;
export type RestoreDiffKind = (typeof RESTORE_DIFF_KINDS)[number];
/**
 * Seen from live: removed = live has it and the copy does not (a promote loses it);
 * added = only the copy has it (a promote brings it back); changed = both, different.
 */
export const RESTORE_DIFF_CHANGES = ['removed', 'added', 'changed'] as const;
export type RestoreDiffChange = (typeof RESTORE_DIFF_CHANGES)[number];

export interface RestoreDiffCount {
  kind: RestoreDiffKind;
  added: number;
  removed: number;
  changed: number;
  /** The oldest of the removed ones (deployments: started; others: created), or null. */
  removedSince: number | null;
}

/** One field that differs; a secret's value is named but never shown (both null). */
export interface RestoreDiffField {
  field: string;
  live: string | number | null;
  copy: string | number | null;
}

export interface RestoreDiffItem {
  kind: RestoreDiffKind;
  change: RestoreDiffChange;
  /** The primary key (a secret's reference id). */
  id: number | string;
  /** Project or environment name, deployment version, secret name, snapshot "v3". */
  name: string;
  /** Where it belongs: the project, or "project/environment"; null for a project. */
  context: string | null;
  /** Deployments: started; others: created. */
  at: number | null;
  /** Deployments: status (the copy's, for a changed one). */
  status: string | null;
  fields: RestoreDiffField[];
}

export interface RestoreDiff {
  restoreId: string;
  /** Counts per kind (a kind one side has no table for is left out); on the first page only (no cursor). */
  summary: RestoreDiffCount[] | null;
  items: RestoreDiffItem[];
  /** Pass back as cursor for the next page; null on the last. */
  nextCursor: string | null;
}

export interface DrillOverview {
  last: DrillSummary | null;
  lastPassed: DrillSummary | null;
  warnings: { code: string; message: string }[];
}

/**
 * Whether this machine can decrypt with one data key (by key id), the same in
 * core, drill reports and UI:
 * - 'unlocked': the key is in memory here;
 * - 'locked': this machine's keyring holds it, wrapped, not unlocked yet — the
 *   passphrase (or key file, keychain) unlocks it; the recovery key is a fallback;
 * - 'missing': this machine's keyring has no such key — only its recovery key helps;
 * - 'wrong': what was tried does not open it: an unwrap attempt failed (a wrong
 *   passphrase), or, for values, the key is here but does not decrypt them
 *   (changed outside Stateward).
 */
export type KeyState = 'unlocked' | 'locked' | 'missing' | 'wrong';

export type KeyProvider = 'passphrase' | 'keyfile' | 'os-keychain';

/** One data key referenced by secrets, and whether this machine can use it. */
export interface KeyAvailability {
  keyId: string;
  state: KeyState;
  /** How this machine's keyring can unlock it (passphrase first); empty when missing. */
  unlockWith: KeyProvider[];
  /** How many of the secrets looked at are encrypted with it. */
  references: number;
}

export interface SecretsStatus {
  /** A data key exists (keys/keyring.json). */
  initialized: boolean;
  unlocked: boolean;
  /** The active key's state (null before setup): 'unlocked', 'locked' or 'wrong' (a passphrase tried failed). */
  keyState: KeyState | null;
  activeKeyId: string | null;
  /** How the active key can be unlocked on this machine. */
  providers: KeyProvider[];
  keychain: { available: boolean; weak: boolean; backend: string } | null;
  keyFileConfigured: boolean;
  /** Keys whose recovery key was never confirmed as stored: shown again until acknowledged. */
  recoveryPending: string[];
  secretCount: number;
  /**
   * Team mode: the team's active data key (recorded in the database) is not in this
   * machine's keyring — this member joined after set-up, or another member rotated.
   * Entering the team's recovery key once (unlockWithRecoveryKey) resolves it.
   * Null or absent otherwise (and always with SQLite).
   */
  needsTeamKey?: TeamKeyNeed | null;
}

/** The team's data key a member lacks: its id, who made it active (set-up or rotation) and when. */
export interface TeamKeyNeed {
  keyId: string;
  rotatedBy: string;
  since: number;
}

/** A secret as the UI sees it: its name and reference, never its value. */
export interface SecretEntry {
  id: string;
  environmentId: number;
  name: string;
  keyId: string;
  /** The value can be decrypted with a key this machine has unlocked. */
  resolves: boolean;
  /** Of its key, for this value: 'wrong' also when the key is here but the value does not verify. */
  keyState: KeyState;
  updatedAt: number;
}

export interface SecretResolution {
  total: number;
  resolved: number;
  unresolved: { id: string; project: string; environment: string; name: string; keyId: string }[];
  /** Of the unresolved: their key is here, yet they do not verify (moved, renamed or edited outside Stateward). */
  tampered: { id: string; project: string; environment: string; name: string; keyId: string }[];
  /** Every key the references use, with its state on this machine. */
  keys: KeyAvailability[];
  /**
   * What decides the next step, null without references: 'wrong' (something tampered,
   * or a passphrase tried failed) over 'locked' (unlock first) over 'missing' (recovery
   * key) over 'unlocked' (everything resolves).
   */
  keyState: KeyState | null;
}

/** A pause of automation writes taken with `stateward pause` (or automation.pause), as stored. */
export interface AutomationPause {
  /** Why, as given ('' when no reason was given). */
  reason: string;
  /** Who: transport@host of the process that paused (as audit entries name it). */
  actor: string;
  /** The OS user that process ran as. */
  user: string;
  host: string;
  pid: number;
  since: number;
  /**
   * 'resume': held until someone resumes (`stateward pause`). 'process': held
   * while process `pid` runs (`stateward pause -- <command>`), lifted when it ends.
   */
  until: 'resume' | 'process';
  /**
   * For a 'process' pause taken on this host: false when that process is gone
   * (crashed or killed; the pause stays until resumed). Null when it cannot be
   * told (another host) or does not matter ('resume').
   */
  holderAlive: boolean | null;
}

/** Whether automation writes are refused now, and by what. */
export interface AutomationStatus {
  /** Automation writes are refused (PAUSED) now: a pause, or a promote replacing the data. */
  paused: boolean;
  pause: AutomationPause | null;
  /** A promote replacing the live database right now (automatic pause), or null. */
  promote: {
    restoreId: string | null;
    since: number | null;
    pid: number | null;
    host: string | null;
  } | null;
  /** How long a refused writer should wait before trying again. */
  retryAfterMs: number;
}

/** Run history: a piece of work and how it ended (Stateward's own, or recorded by automation). */
export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface Run {
  id: number;
  kind: string;
  status: RunStatus;
  startedAt: number;
  finishedAt: number | null;
  detail: Record<string, unknown>;
}

/** The last known status of one resource of an environment (a database, a queue, a host…). */
export const RESOURCE_HEALTH = ['ok', 'degraded', 'down', 'unknown'] as const;
export type ResourceHealth = (typeof RESOURCE_HEALTH)[number];

export interface ResourceStatus {
  environmentId: number;
  resource: string;
  status: ResourceHealth;
  checkedAt: number;
  detail: string;
}

/** A deployment run by `stateward deploy run`: its record and the run that watches its wrapper. */
export interface DeployRun {
  deployment: DeploymentDetail;
  runId: number;
}

/** One table of a copy into PostgreSQL: what was read, written and verified. */
export interface PgCopyTable {
  name: string;
  rowsRead: number;
  rowsWritten: number;
  /** SHA-256 of the table's rows in key order, computed the same way on both sides. */
  sourceHash: string;
  targetHash: string;
  ms: number;
  rowsPerSec: number;
}

/** The move of a local data dir to PostgreSQL (postgres.copy): a dry run's report, or what was done. */
export interface PgMoveReport {
  /** The target as a URL without any password. */
  target: string;
  schema: string;
  schemaVersion: number;
  /** Committed (false: a dry run, rolled back). */
  executed: boolean;
  /** The target already held exactly this data (an earlier, interrupted move committed it). */
  adopted: boolean;
  createdSchema: boolean;
  ms: number;
  tables: PgCopyTable[];
  preMoveBackup: { id: string; fileName: string; sha256: string } | null;
  /** The data dir is bound to the target now (database.json). */
  bound: boolean;
}

/** The data dir bound to an existing (or empty) team database after checking it (postgres.connect, `postgres connect`). */
export interface PgConnectReport {
  /** The target as a URL without any password. */
  target: string;
  schema: string;
  serverVersion: string;
  /** The binding file written (database.json, never a password). */
  file: string;
  /** 'initialized': the schema was empty or absent; 'existing': Stateward's. */
  schemaState: 'initialized' | 'existing';
  schemaVersion: number;
  appSchemaVersion: number;
  /** Migrations applied now (initializing an empty schema). */
  applied: string[];
  /** Migrations the connection applies (after a pre-upgrade backup). */
  pending: string[];
  /** The data dir's own SQLite database, kept as it is and no longer used. */
  localDatabaseKept: boolean;
  /** This process works on the team database now (no restart needed). */
  connected: boolean;
  /** The password is kept wrapped by the OS keychain for later starts. */
  passwordRemembered: boolean;
}
