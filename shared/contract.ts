// The one contract for every command: name, zod input schema, result type.
// Handlers, the IPC and HTTP transports and the renderer's client are all typed
// from this object; channel names exist nowhere else.
import { z } from 'zod';
import type {
  AppStatus,
  AutomationStatus,
  BackupEntry,
  BackupOverview,
  BackupSettings,
  Comparison,
  DrillOverview,
  DrillReport,
  DrillSummary,
  OffsiteCheck,
  PreflightReport,
  RestoreCopy,
  RestoreDiff,
  SecretEntry,
  SecretResolution,
  SecretsStatus,
  AuditEntry,
  ConfigSnapshot,
  CursorPage,
  Deployment,
  DeploymentDetail,
  Environment,
  Page,
  Project,
  StartupState,
  TeamStatus,
} from './domain.ts';
import { DEPLOYMENT_STATUSES, ENVIRONMENT_KINDS, LOG_LEVELS } from './domain.ts';
import { RESTORE_DIFF_CHANGES, RESTORE_DIFF_KINDS } from './domain.ts';
import { DEPLOYMENT_SKIP_MAX } from './domain.ts';
import type { PgConnectReport, PgMoveReport } from './domain.ts';
import type { DeployRun, ResourceStatus, Run } from './domain.ts';
import { RESOURCE_HEALTH, RUN_STATUSES } from './domain.ts';

/** Phantom marker carrying a result type; never inspected at run time. */
const returns = <T>(): T => undefined as T;

const id = z.number().int().positive();
const name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(120, 'must be at most 120 characters')
  .refine(
    (s) => ![...s].some((c) => c.charCodeAt(0) < 0x20),
    'must not contain control characters',
  );
const description = z.string().max(2000, 'must be at most 2000 characters');
const paging = {
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(500).default(100),
};
/** Browse a restored copy read-only instead of live (the click-through preview). */
const restoreId = z.string().regex(/^[0-9a-f]{16}$/, 'must be a restore id');
const preview = { restoreId: restoreId.optional() };
const restoreSource = z.union([
  z.object({ backupId: z.string().regex(/^[a-z0-9]{8,32}$/) }).strict(),
  z.object({ path: z.string().min(1).max(4096) }).strict(),
]);
const opId = z.string().uuid().optional();
/** A team database's URL, without its password (that comes apart, never stored). */
const pgUrl = z
  .string()
  .max(2000)
  .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL');
const pgPassword = z.string().max(1024).optional();
/** Where a drill runs: a local copy (default) or a scratch schema of the team database. */
const drillTarget = z.enum(['local', 'server']).default('local');
const secretName = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'must be a name like DATABASE_URL (letters, digits, _ . -)');
const passphrase = z.string().min(8, 'must be at least 8 characters').max(1024);

const httpUrl = z
  .string()
  .max(2000)
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL');

/** A kind of run recorded by automation: a dotted name; Stateward's own kinds are not taken. */
const runKind = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/, 'must be a lowercase name like ci.tests')
  .max(64, 'must be at most 64 characters');
const runDetail = z
  .record(z.string().max(200), z.unknown())
  .refine((d) => JSON.stringify(d).length <= 64 * 1024, 'must be at most 64 KiB as JSON');

export const commands = {
  'app.startup': {
    input: z.object({}).strict(),
    result: returns<StartupState & { appVersion: string; appSchemaVersion: number }>(),
  },
  'app.status': { input: z.object({}).strict(), result: returns<AppStatus>() },
  /** The team database (server, sizes, connected instances, migrations, last backup and drill); null with SQLite. */
  'app.team': { input: z.object({}).strict(), result: returns<TeamStatus | null>() },

  'projects.list': {
    input: z.object({ ...paging, ...preview, query: z.string().max(120).optional() }).strict(),
    result: returns<Page<Project>>(),
  },
  'projects.get': { input: z.object({ id, ...preview }).strict(), result: returns<Project>() },
  'projects.create': {
    input: z.object({ name, description: description.default('') }).strict(),
    result: returns<Project>(),
  },
  'projects.update': {
    input: z.object({ id, name: name.optional(), description: description.optional() }).strict(),
    result: returns<Project>(),
  },

  'environments.list': {
    input: z.object({ projectId: id, ...preview }).strict(),
    result: returns<Environment[]>(),
  },
  'environments.get': {
    input: z.object({ id, ...preview }).strict(),
    result: returns<Environment>(),
  },
  'environments.create': {
    input: z
      .object({
        projectId: id,
        name,
        kind: z.enum(ENVIRONMENT_KINDS).default('other'),
        description: description.default(''),
      })
      .strict(),
    result: returns<Environment>(),
  },
  'environments.update': {
    input: z
      .object({
        id,
        name: name.optional(),
        kind: z.enum(ENVIRONMENT_KINDS).optional(),
        description: description.optional(),
      })
      .strict(),
    result: returns<Environment>(),
  },

  'snapshots.list': {
    input: z.object({ environmentId: id, ...preview }).strict(),
    result: returns<ConfigSnapshot[]>(),
  },
  'snapshots.create': {
    input: z
      .object({
        environmentId: id,
        content: z
          // A top-level "__proto__" is skipped by the record (it would set the prototype):
          // refused, so a snapshot is never stored without a key that was sent.
          .custom<unknown>(
            (v) => !(typeof v === 'object' && v !== null && Object.hasOwn(v, '__proto__')),
            'the key "__proto__" is not accepted',
          )
          .pipe(z.record(z.string().max(200), z.unknown()))
          .refine(
            (c) => JSON.stringify(c).length <= 256 * 1024,
            'configuration must be at most 256 KiB',
          ),
      })
      .strict(),
    result: returns<ConfigSnapshot>(),
  },

  /**
   * Newest first, keyset-paged: the first page, then `cursor` = a page's `next`
   * (older) or `prev` (newer). `from: 'oldest'` is the last page; `at` starts at
   * the newest deployment started at or before that time; `skip` steps over up
   * to DEPLOYMENT_SKIP_MAX rows first (a jump to a position, in bounded steps).
   */
  'deployments.list': {
    input: z
      .object({
        limit: paging.limit,
        ...preview,
        projectId: id.optional(),
        environmentId: id.optional(),
        status: z.enum(DEPLOYMENT_STATUSES).optional(),
        cursor: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be a cursor from a previous page')
          .optional(),
        from: z.enum(['newest', 'oldest']).default('newest'),
        at: z.number().int().min(0).optional(),
        skip: z.number().int().min(0).max(DEPLOYMENT_SKIP_MAX).default(0),
      })
      .strict(),
    result: returns<CursorPage<Deployment>>(),
  },
  'deployments.get': {
    input: z.object({ id, ...preview }).strict(),
    result: returns<DeploymentDetail>(),
  },
  'deployments.create': {
    input: z
      .object({
        environmentId: id,
        version: name,
        status: z.enum(DEPLOYMENT_STATUSES).default('queued'),
        accessUrl: httpUrl.nullable().default(null),
        diagnosticSummary: z.string().max(20000).nullable().default(null),
        snapshotId: id.nullable().default(null),
      })
      .strict(),
    result: returns<DeploymentDetail>(),
  },
  'deployments.setStatus': {
    input: z
      .object({
        id,
        status: z.enum(DEPLOYMENT_STATUSES),
        diagnosticSummary: z.string().max(20000).nullable().optional(),
      })
      .strict(),
    result: returns<DeploymentDetail>(),
  },
  'deployments.appendLog': {
    input: z
      .object({
        id,
        level: z.enum(LOG_LEVELS).default('info'),
        message: z.string().min(1).max(20000),
      })
      .strict(),
    result: returns<DeploymentDetail>(),
  },

  /** Lines of a deployment's log in one transaction (a script's output, batched). */
  'deployments.appendLogs': {
    input: z
      .object({
        id,
        lines: z
          .array(
            z
              .object({
                level: z.enum(LOG_LEVELS).default('info'),
                message: z.string().min(1).max(20000),
              })
              .strict(),
          )
          .min(1)
          .max(500),
      })
      .strict(),
    result: returns<{ appended: number }>(),
  },
  /**
   * A deployment run by a wrapper (`stateward deploy run`): recorded as running, with a
   * run (kind 'deploy.run') naming the wrapper's process, so a wrapper that dies is
   * noticed (deployments.sweepInterrupted) instead of leaving it running forever.
   */
  'deployments.runStart': {
    input: z
      .object({
        environmentId: id,
        version: name,
        accessUrl: httpUrl.nullable().default(null),
        snapshotId: id.nullable().default(null),
        pid: z.number().int().positive(),
        /** When that process started (Linux: /proc ticks), so a reused pid is not taken for it. */
        pidStart: z
          .string()
          .regex(/^\d{1,20}$/)
          .nullable()
          .default(null),
        host: z.string().min(1).max(255),
        command: z.array(z.string().max(4096)).max(200).default([]),
      })
      .strict(),
    result: returns<DeployRun>(),
  },
  'deployments.runFinish': {
    input: z
      .object({
        runId: id,
        status: z.enum(['succeeded', 'failed', 'cancelled']),
        diagnosticSummary: z.string().max(20000).nullable().default(null),
      })
      .strict(),
    result: returns<DeployRun>(),
  },
  /** Deployments whose wrapper died on this host: marked failed, saying so. Their ids. */
  'deployments.sweepInterrupted': {
    input: z.object({}).strict(),
    result: returns<{ interrupted: number[] }>(),
  },

  /** Run history, newest first (Stateward's own work and what automation records). */
  'runs.list': {
    input: z
      .object({
        kind: runKind.optional(),
        status: z.enum(RUN_STATUSES).optional(),
        limit: paging.limit,
      })
      .strict(),
    result: returns<Run[]>(),
  },
  'runs.get': { input: z.object({ id }).strict(), result: returns<Run>() },
  'runs.start': {
    input: z.object({ kind: runKind, detail: runDetail.default({}) }).strict(),
    result: returns<Run>(),
  },
  'runs.finish': {
    input: z
      .object({
        id,
        status: z.enum(['succeeded', 'failed', 'cancelled']),
        detail: runDetail.optional(),
      })
      .strict(),
    result: returns<Run>(),
  },

  /** The last known status of each resource of an environment. */
  'resources.list': {
    input: z.object({ environmentId: id }).strict(),
    result: returns<ResourceStatus[]>(),
  },
  'resources.set': {
    input: z
      .object({
        environmentId: id,
        resource: name,
        status: z.enum(RESOURCE_HEALTH),
        detail: z.string().max(20000).default(''),
      })
      .strict(),
    result: returns<ResourceStatus>(),
  },

  'audit.list': {
    input: z.object({ ...paging, ...preview, action: z.string().max(120).optional() }).strict(),
    result: returns<Page<AuditEntry>>(),
  },

  'backups.overview': { input: z.object({}).strict(), result: returns<BackupOverview>() },
  'backups.list': { input: z.object({}).strict(), result: returns<BackupEntry[]>() },
  'backups.create': {
    input: z
      .object({
        compact: z.boolean().default(false),
        /** Chosen by the caller so it can follow progress events and cancel. */
        opId: z.string().uuid().optional(),
      })
      .strict(),
    result: returns<BackupEntry>(),
  },
  'backups.cancel': {
    input: z.object({ opId: z.string().uuid() }).strict(),
    result: returns<{ cancelled: boolean }>(),
  },
  'backups.updateSettings': {
    input: z
      .object({
        scheduleEnabled: z.boolean().optional(),
        intervalMinutes: z
          .number()
          .int()
          .min(5)
          .max(60 * 24 * 31)
          .optional(),
        onlyIfChanged: z.boolean().optional(),
        compactScheduled: z.boolean().optional(),
        retention: z
          .object({
            keepLast: z.number().int().min(1).max(1000).optional(),
            daily: z.number().int().min(0).max(366).optional(),
            weekly: z.number().int().min(0).max(520).optional(),
            monthly: z.number().int().min(0).max(240).optional(),
          })
          .strict()
          .optional(),
        /** In the desktop app, only a folder picked with dialog.openFolder. */
        offsiteDir: z.string().min(1).max(4096).nullable().optional(),
      })
      .strict(),
    /** offsiteCheck: what saving a new off-site folder proved (null when it was not changed). */
    result: returns<BackupSettings & { offsiteCheck: OffsiteCheck | null }>(),
  },
  /** Electron: copy a backup (and its manifest) to a path the user chose with dialog.saveFile. */
  'backups.export': {
    input: z
      .object({ id: z.string().regex(/^[a-z0-9]{8,32}$/), path: z.string().min(1).max(4096) })
      .strict(),
    result: returns<{ path: string }>(),
  },
  /** Browser host: a one-time URL that downloads a backup file. */
  'backups.downloadLink': {
    input: z.object({ id: z.string().regex(/^[a-z0-9]{8,32}$/) }).strict(),
    result: returns<{ url: string; fileName: string }>(),
  },

  /** Check a backup and stage its copy in restores/<id>/ (ok: false with the reason when refused). */
  'restores.preflight': {
    input: z.object({ source: restoreSource, opId }).strict(),
    result: returns<{ restoreId: string | null; report: PreflightReport }>(),
  },
  'restores.drill': {
    input: z.object({ restoreId, opId, target: drillTarget }).strict(),
    result: returns<DrillReport>(),
  },
  /** Stage, drill and discard: a restore drill into a temporary copy. */
  'restores.verify': {
    input: z.object({ source: restoreSource, opId, target: drillTarget }).strict(),
    result: returns<DrillReport>(),
  },
  'restores.list': { input: z.object({}).strict(), result: returns<RestoreCopy[]>() },
  'restores.compare': { input: z.object({ restoreId }).strict(), result: returns<Comparison>() },
  /** What a promote changes, by name: a summary (first page) and pages of items, keyset-paged. */
  'restores.diff': {
    input: z
      .object({
        restoreId,
        kind: z.enum(RESTORE_DIFF_KINDS).optional(),
        change: z.enum(RESTORE_DIFF_CHANGES).optional(),
        cursor: z
          .string()
          .regex(/^[a-z]{1,20}:[A-Za-z0-9_-]{1,400}$/, 'must be a cursor from the previous page')
          .optional(),
        limit: z.number().int().min(1).max(200).default(50),
      })
      .strict(),
    result: returns<RestoreDiff>(),
  },
  'restores.promote': {
    input: z
      .object({ restoreId, confirm: z.literal(true, { error: 'promote needs confirm: true' }) })
      .strict(),
    result: returns<{ preRestoreBackup: boolean }>(),
  },
  'restores.discard': {
    input: z.object({ restoreId }).strict(),
    result: returns<{ discarded: true }>(),
  },
  'drills.list': { input: z.object({}).strict(), result: returns<DrillSummary[]>() },
  'drills.get': {
    input: z.object({ id: z.string().regex(/^[0-9a-f]{16}$/) }).strict(),
    result: returns<DrillReport>(),
  },
  'drills.overview': { input: z.object({}).strict(), result: returns<DrillOverview>() },
  'drills.export': {
    input: z
      .object({ id: z.string().regex(/^[0-9a-f]{16}$/), format: z.enum(['markdown', 'html']) })
      .strict(),
    result: returns<{ fileName: string; mime: string; content: string }>(),
  },

  'restores.secrets': {
    input: z.object({ restoreId }).strict(),
    result: returns<SecretResolution>(),
  },

  'secrets.status': { input: z.object({}).strict(), result: returns<SecretsStatus>() },
  'secrets.setup': {
    input: z.object({ passphrase: passphrase.optional() }).strict(),
    result: returns<{ recoveryKey: string; keyId: string }>(),
  },
  'secrets.unlock': {
    input: z.object({ passphrase: z.string().max(1024).optional() }).strict(),
    result: returns<SecretsStatus>(),
  },
  'secrets.unlockWithRecoveryKey': {
    input: z
      .object({ recoveryKey: z.string().min(10).max(200), passphrase: passphrase.optional() })
      .strict(),
    result: returns<{ keyId: string; saved: boolean }>(),
  },
  'secrets.list': {
    input: z.object({ environmentId: id, ...preview }).strict(),
    result: returns<SecretEntry[]>(),
  },
  'secrets.set': {
    input: z
      .object({
        environmentId: id,
        name: secretName,
        value: z.string().min(1, 'must not be empty').max(65536, 'must be at most 64 KiB'),
      })
      .strict(),
    result: returns<SecretEntry>(),
  },
  'secrets.unset': {
    input: z.object({ environmentId: id, name: secretName }).strict(),
    result: returns<{ removed: true }>(),
  },
  /** The one way a value reaches the renderer: explicit and audited. */
  'secrets.reveal': {
    input: z.object({ id: z.string().regex(/^sec_[0-9a-f]{20}$/) }).strict(),
    result: returns<{ value: string }>(),
  },
  /** Forget the unlocked keys now (they are never written anywhere in plain form). */
  'secrets.lock': { input: z.object({}).strict(), result: returns<{ locked: true }>() },
  'secrets.rotate': {
    input: z.object({ passphrase: z.string().max(1024).optional() }).strict(),
    result: returns<{ recoveryKey: string; keyId: string; reencrypted: number }>(),
  },
  /** Recovery keys never confirmed as stored (of unlocked keys): shown until acknowledged. */
  'secrets.pendingRecoveryKeys': {
    input: z.object({}).strict(),
    result: returns<{ keyId: string; recoveryKey: string; active: boolean }[]>(),
  },
  'secrets.acknowledgeRecoveryKey': {
    input: z.object({ keyId: z.string().regex(/^[0-9a-f]{16}$/) }).strict(),
    result: returns<SecretsStatus>(),
  },

  'dialog.openFile': {
    input: z.object({ title: z.string().max(200).default('Open') }).strict(),
    result: returns<{ path: string | null }>(),
  },
  /** Electron: pick a folder (the off-site folder); the chosen path is granted to this process. */
  'dialog.openFolder': {
    input: z.object({ title: z.string().max(200).default('Choose a folder') }).strict(),
    result: returns<{ path: string | null }>(),
  },
  'dialog.saveFile': {
    input: z
      .object({
        title: z.string().max(200).default('Save'),
        defaultName: z
          .string()
          .max(255)
          .regex(/^[^/\\]*$/, 'must be a file name, not a path'),
      })
      .strict(),
    result: returns<{ path: string | null }>(),
  },

  /**
   * Pause automation writes (CLI record commands, HTTP requests marked as automation)
   * until resumed; stored in the database, so every instance sees it and it survives a restart.
   * `holdWhileRunning`: lifted when the calling process ends (`stateward pause -- <command>`).
   */
  'automation.pause': {
    input: z
      .object({
        reason: z
          .string()
          .trim()
          .max(500, 'must be at most 500 characters')
          .refine(
            (s) => ![...s].some((c) => c.charCodeAt(0) < 0x20),
            'must not contain control characters',
          )
          .default(''),
        holdWhileRunning: z.boolean().default(false),
      })
      .strict(),
    result: returns<AutomationStatus>(),
  },
  /** Lift the pause (also one whose holder crashed). */
  'automation.resume': { input: z.object({}).strict(), result: returns<AutomationStatus>() },
  'automation.status': { input: z.object({}).strict(), result: returns<AutomationStatus>() },

  'demo.seed': {
    input: z
      .object({
        projects: z.number().int().min(1).max(1000).default(6),
        deployments: z.number().int().min(0).max(1_000_000).default(400),
      })
      .strict(),
    result: returns<{ projects: number; environments: number; deployments: number }>(),
  },

  /**
   * Move this (SQLite) data dir to an empty PostgreSQL database: a dry run (one
   * transaction, rolled back) unless `execute`; with `execute` a pre-move backup,
   * COMMIT, and the data dir bound to it. Progress: `progress` events, op
   * 'postgres.copy'. The URL carries no password: it comes in `password`, is used
   * by this command (and, once moved, by this process's connection) only and is
   * never stored. `connected`: this process switched to the team database;
   * `restartNeeded`: it could not, keeps no live database, and a restart opens it.
   */
  'postgres.copy': {
    input: z
      .object({
        url: pgUrl,
        password: pgPassword,
        execute: z.boolean().default(false),
        opId,
      })
      .strict(),
    result: returns<PgMoveReport & { restartNeeded: boolean; connected: boolean }>(),
  },

  /**
   * Connect this local data dir to a team database (issue 11.1): the same checks
   * as `stateward postgres connect` (server, version, schema: an empty one is
   * initialized, Stateward's history checked, someone else's refused with
   * PG_SCHEMA_FOREIGN), then database.json is written (never the password) and
   * this process switches to the team database. The URL carries no password: it
   * comes in `password`, kept in this process's memory only, or wrapped by the
   * OS keychain when `rememberPassword` (the desktop app; refused without one).
   */
  'postgres.connect': {
    input: z
      .object({
        url: pgUrl,
        password: pgPassword,
        schema: z
          .string()
          .regex(
            /^(?!pg_|stateward_drill_)[a-z_][a-z0-9_]{0,62}$/,
            'must be a plain lower-case PostgreSQL name, not starting with pg_ or stateward_drill_',
          )
          .optional(),
        rememberPassword: z.boolean().default(false),
      })
      .strict(),
    result: returns<PgConnectReport>(),
  },
} as const;

export type Commands = typeof commands;
export type CommandName = keyof Commands;
export type CommandInput<N extends CommandName> = z.input<Commands[N]['input']>;
export type CommandParsedInput<N extends CommandName> = z.output<Commands[N]['input']>;
export type CommandResult<N extends CommandName> = Commands[N]['result'];

export const COMMAND_NAMES = Object.keys(commands) as CommandName[];

export function isCommandName(s: unknown): s is CommandName {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(commands, s);
}

/** The browsing commands (lists and details of the stored data): read-only, and they also read a restored copy. */
const BROWSE_COMMANDS: readonly CommandName[] = [
  'projects.list',
  'projects.get',
  'environments.list',
  'environments.get',
  'snapshots.list',
  'deployments.list',
  'deployments.get',
  'audit.list',
];

/** Reads of run history and resource status (live data only). */
const RECORD_READS: readonly CommandName[] = ['runs.list', 'runs.get', 'resources.list'];

/**
 * Commands that never write to the live database or the data dir. They keep
 * working while a promote runs; every other command (any new one too) is then
 * refused with PROMOTE_IN_PROGRESS.
 */
export const READ_ONLY_COMMANDS: readonly CommandName[] = [
  'app.startup',
  'app.status',
  'automation.status',
  'app.team',
  ...BROWSE_COMMANDS,
  ...RECORD_READS,
  'backups.overview',
  'backups.list',
  'backups.cancel',
  'backups.downloadLink',
  'restores.list',
  'restores.compare',
  'restores.diff',
  'restores.secrets',
  'drills.list',
  'drills.get',
  'drills.overview',
  'drills.export',
  'secrets.status',
  'secrets.list',
  'secrets.lock',
  'secrets.pendingRecoveryKeys',
  'dialog.openFile',
  'dialog.openFolder',
  'dialog.saveFile',
];

/** Commands that work while the store refuses the data dir (the refusal screen uses them). */
export const AVAILABLE_WHEN_REFUSED: readonly CommandName[] = [
  'app.startup',
  'automation.status',
  // In team mode it says who upgraded the schema this instance refuses.
  'app.team',
  'backups.list',
  'restores.preflight',
  'restores.drill',
  'restores.verify',
  'restores.list',
  'restores.compare',
  'restores.promote',
  'restores.discard',
  'restores.secrets',
  'secrets.status',
  'secrets.unlock',
  'secrets.unlockWithRecoveryKey',
  'drills.list',
  'drills.get',
  'drills.overview',
  'drills.export',
  'dialog.openFile',
  // Browsing a restored copy reads the copy, not the refused live database.
  ...BROWSE_COMMANDS,
];

/**
 * Writes a pause of automation does not hold off: taking and lifting the pause, and
 * the operator's own safety work around an upgrade or a promote (backups, restores,
 * keys). Every other write (records: projects, environments, snapshots, deployments,
 * secrets, and any command added later) from automation is refused with PAUSED.
 */
export const NOT_PAUSED_COMMANDS: readonly CommandName[] = [
  'automation.pause',
  'automation.resume',
  'backups.create',
  'backups.updateSettings',
  'backups.export',
  'restores.preflight',
  'restores.drill',
  'restores.verify',
  'restores.promote',
  'restores.discard',
  'secrets.setup',
  'secrets.unlock',
  'secrets.unlockWithRecoveryKey',
  'secrets.rotate',
  'secrets.acknowledgeRecoveryKey',
];

/** Whether a pause of automation holds off command `name` (when automation sends it). */
export function pausedByAutomationPause(name: CommandName): boolean {
  return !READ_ONLY_COMMANDS.includes(name) && !NOT_PAUSED_COMMANDS.includes(name);
}
