// Core runtime: one data directory opened for this process — resolved, locked,
// its store opened and migrated — or a refusal with the reason. The Electron
// main process, the HTTP host and the CLI all start here.
import os from 'node:os';
import type { DataDirSource, StartupState } from '../../shared/domain.ts';
import { AppError, isAppError } from '../../shared/errors.ts';
import { DATA_AREAS } from '../../shared/events.ts';
import { EventBus } from './events.ts';
import { ensureOwnerDir } from './fsutil.ts';
import { assertDataDirUsable } from './datadir-check.ts';
import type { PermissionRepair } from './permissions.ts';
import { describeRepair, repairPermissions } from './permissions.ts';
import { DataDirLock, lockIsLive, readLock } from './lock.ts';
import type { Logger } from './log.ts';
import { fileLogger } from './log.ts';
import type { DataDirLayout } from './paths.ts';
import { dataDirLayout } from './paths.ts';
import type { Store } from './store/store.ts';
import type { DataStore } from './store/data.ts';
import { sqliteData } from './store/data.ts';
import { inspectDatabase, openStore } from './store/store.ts';
import { auditBackupCreated, BackupService } from './backup/service.ts';
import type { BackupResult } from './backup/engine.ts';
import { createBackup } from './backup/engine.ts';
import { RestoreService } from './restore/service.ts';
import { SecretService } from './secrets/service.ts';
import type { Recovery } from './restore/promote.ts';
import {
  clearJournal,
  pendingPromote,
  promotePendingError,
  recoverPromote,
} from './restore/promote.ts';
import { rollBackHotJournal } from './store/db.ts';
import { dropPromoteGuardFile } from './restore/guard.ts';
import { adoptMachineSettings } from './machine-settings.ts';
import type pg from 'pg';
import type { PgTarget } from './pg/connect.ts';
import { connectionLost, describeTarget, isConnectionLost } from './pg/connect.ts';
import { resolveBinding, openTeamPool } from './pg/binding.ts';
import { withRememberedPassword } from './pg/password.ts';
import type { KeyWrapper } from './secrets/keyring.ts';
import { advisoryKey, tryXactLockShared, withLock } from './pg/locks.ts';
import { migratePostgres, planPgMigrations } from './pg/migrate.ts';
import { createPgBackup } from './pg/backup.ts';
import { pgData } from './store/data.ts';
import { cleanupTemporaries } from './backup/engine.ts';
import { promoteInProgress } from './restore/guard.ts';
import { MIGRATIONS } from './store/migrations/index.ts';
import { sweepInterruptedDeployRuns } from './deploy-runs.ts';

export type Transport = 'electron' | 'http' | 'cli';

export interface StartOptions {
  dir: string;
  source: DataDirSource;
  transport: Transport;
  /** Lock mode recorded in the lock file; null to run without the lock (read-only CLI work). */
  lockMode: string | null;
  /** Take a pre-upgrade backup before pending migrations run on a database with data (default true). */
  preUpgradeBackup?: boolean;
  /** 'none': don't open the live database at all (CLI work on files while another version owns the folder). */
  store?: 'open' | 'none';
  /** A postgres:// URL (--database-url): team mode on it, whatever database.json says. */
  databaseUrl?: string | undefined;
  /**
   * The OS keychain (the desktop app): the team database's password remembered
   * with it (keys/pg-password.json) is used when PGPASSWORD and ~/.pgpass supply none.
   */
  keychain?: KeyWrapper | null;
  now?: () => number;
}

/** The PostgreSQL database a team-mode runtime is connected to. */
export interface TeamConnection {
  target: PgTarget;
  schema: string;
  serverVersion: string;
  pool: pg.Pool;
  /** This instance's application_name (pg_stat_activity lists it). */
  applicationName: string;
  /** Migrations this start applied to the schema (empty when another instance had, or none were pending). */
  applied: string[];
}

/** Who this OS user is, for the audit log (never throws: a user without a passwd entry has a uid). */
export function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? `uid${process.getuid?.() ?? '?'}`;
  }
}

/**
 * Team-mode data: every write first takes the promote key shared (for its
 * transaction); while another instance promotes (holding it exclusively) the
 * write is refused with PROMOTE_IN_PROGRESS and nothing is changed.
 */
function teamData(team: TeamConnection): DataStore {
  const promoteKey = advisoryKey('promote', team.schema);
  const data = pgData(team.pool, {
    beforeWrite: async (client) => {
      if (!(await tryXactLockShared(client, promoteKey))) throw promoteInProgress();
    },
  });
  // A server restart or a terminated backend is PG_CONNECTION_LOST, not "something went wrong";
  // the pool drops the dead connection, so the next command connects afresh.
  const lost = (e: unknown): never => {
    throw isConnectionLost(e) ? connectionLost(team.target, e) : e;
  };
  return {
    backend: data.backend,
    read: (work) => data.read(work).catch(lost),
    write: (work) => data.write(work).catch(lost),
  };
}

export class Runtime {
  readonly layout: DataDirLayout;
  readonly source: DataDirSource;
  readonly transport: Transport;
  readonly events = new EventBus();
  readonly logger: Logger;
  private actorName: string;
  readonly lock: DataDirLock | null;
  readonly backups: BackupService;
  readonly restores: RestoreService;
  readonly secrets: SecretService;
  /** What this start-up recovered from a crash (an interrupted promote, an unfinished write), in words. */
  readonly recovered: string[] = [];
  /** Paths the user picked in a native dialog; only these may be written to on the renderer's behalf. */
  readonly grantedPaths = new Set<string>();
  /** The owner-only repair done at this start (null when it did not own the data dir). */
  permissionRepair: PermissionRepair | null = null;
  /** Why this process does not hold the data-dir lock it asked for (held elsewhere, a full disk, an unusable folder). */
  lockError: AppError | null = null;
  readonly now: () => number;
  private currentStore: Store | null;
  private currentData: DataStore | null;
  private currentStartup: StartupState;
  private currentTeam: TeamConnection | null;
  private teamClosed: Promise<void> = Promise.resolve();

  constructor(
    opts: StartOptions,
    layout: DataDirLayout,
    logger: Logger,
    lock: DataDirLock | null,
    store: Store | null,
    startup: StartupState,
    team: TeamConnection | null = null,
  ) {
    this.layout = layout;
    this.source = opts.source;
    this.transport = opts.transport;
    this.logger = logger;
    this.actorName = actorOf(opts.transport, team !== null);
    this.lock = lock;
    this.now = opts.now ?? Date.now;
    this.currentStore = store;
    this.currentTeam = team;
    this.currentData = store
      ? sqliteData(store.db)
      : team && startup.state === 'ready'
        ? teamData(team)
        : null;
    this.currentStartup = startup;
    this.backups = new BackupService(this);
    this.restores = new RestoreService(this);
    this.secrets = new SecretService(this);
    this.backups.drillReports = () => this.restores.drillReports();
  }

  /** Who audit entries name for actions of this process. */
  get actor(): string {
    return this.actorName;
  }

  /** The local SQLite database; null while the data dir is refused, during a promote's swap, and in team mode. */
  get store(): Store | null {
    return this.currentStore;
  }

  /** The live data on either backend, as commands read and write it; null while not open. */
  get data(): DataStore | null {
    return this.currentData;
  }

  get startup(): StartupState {
    return this.currentStartup;
  }

  /**
   * The PostgreSQL database of team mode (also while its schema is refused, so the
   * dashboard can say by whom); null with SQLite and after close().
   */
  get team(): TeamConnection | null {
    return this.currentTeam;
  }

  /** Resolves once close() has ended every connection (team mode's pool ends asynchronously). */
  closed(): Promise<void> {
    return this.teamClosed;
  }

  /** A promote replaced the live database: from now on this one is live (and start-up is ready). */
  setStore(store: Store | null): void {
    this.currentStore = store;
    this.currentData = store ? sqliteData(store.db) : null;
    if (store) this.currentStartup = { state: 'ready' };
  }

  /** The data-dir lock this process holds, or why it does not (DATA_DIR_LOCKED, …). */
  heldLock(): DataDirLock {
    if (this.lock) return this.lock;
    throw (
      this.lockError ??
      new AppError('DATA_DIR_LOCKED', 'This process does not hold the data directory.', {
        hint: 'Close the other Stateward window or command, restart this one, then try again.',
      })
    );
  }

  /**
   * Switch this running runtime from its local SQLite database to the team
   * database `target` (after a move, or once the data dir is bound to it), as a
   * start in team mode would open it: the pool (openTeamPool), the schema
   * brought up to date under its migrate lock (pre-upgrade backup first), the
   * same start-up bookkeeping. Then the local store is closed, the scheduler,
   * when it ran, runs again in team mode, and every screen is told to refresh
   * (secrets keep the keys this machine unlocked: a moved data dir's key is the
   * team's; another team's key is joined with its recovery key). A password in
   * `target` stays in this process's memory (the pool's configuration) only.
   * On a refusal nothing is switched and the pool is closed again.
   */
  async connectTeam(target: PgTarget, opts: { scheduler?: boolean } = {}): Promise<TeamConnection> {
    if (this.currentTeam) {
      throw new AppError('CONFLICT', 'This Stateward is already connected to a team database.', {
        hint: 'Restart Stateward to open another one.',
      });
    }
    this.heldLock();
    const scheduler = opts.scheduler ?? this.backups.scheduling;
    const opened: { team?: TeamConnection } = {};
    let preUpgrade: BackupResult | null;
    try {
      preUpgrade = await openTeam(
        target,
        'app',
        { transport: this.transport, lockMode: 'app' },
        this.layout,
        this.logger,
        this.now,
        (t) => (opened.team = t),
      );
    } catch (e) {
      await opened.team?.pool.end().catch(() => undefined);
      throw e;
    }
    const connected = opened.team!;
    this.backups.stopScheduler();
    const local = this.currentStore;
    this.currentStore = null;
    this.currentTeam = connected;
    this.currentData = teamData(connected);
    this.currentStartup = { state: 'ready' };
    this.actorName = actorOf(this.transport, true);
    local?.close();
    await afterTeamStart(this, preUpgrade);
    if (scheduler) this.backups.startScheduler();
    this.logger.log('info', `connected to the team database ${describeTarget(target)}`);
    // Every list and panel: after a switch to the team database each screen reads again.
    for (const area of DATA_AREAS) this.events.emit('data.changed', { area });
    return connected;
  }

  close(): void {
    this.backups.stopScheduler();
    this.secrets.lock();
    this.currentStore?.close();
    this.currentStore = null;
    if (this.currentTeam) {
      const { pool } = this.currentTeam;
      this.currentTeam = null;
      this.currentData = null;
      this.teamClosed = pool.end().catch((e: unknown) => {
        this.logger.log('warn', 'closing the PostgreSQL pool failed', e);
      });
    }
    this.lock?.release();
  }
}

/** Who audit entries name: in team mode many instances share one log, so the OS user and the process too. */
function actorOf(transport: Transport, team: boolean): string {
  return team
    ? `${transport}:${osUser()}@${os.hostname()}/${process.pid}`
    : `${transport}@${os.hostname()}`;
}

const JOURNAL_ROLLED_BACK = 'rolled back a write a crash left unfinished (stateward.db-journal)';

const NOT_OURS_TO_HOLD: readonly string[] = ['DATA_DIR_LOCKED', 'DATA_DIR_UNUSABLE'];

/** The pre-upgrade backup failed: nothing is migrated, and start-up is refused with the reason. */
function preUpgradeFailed(
  plan: { current: number; target: number },
  e: unknown,
  logger: Logger,
): AppError {
  const reason = isAppError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
  logger.log('error', 'pre-upgrade backup failed; not migrating', e);
  return new AppError(
    'PRE_UPGRADE_BACKUP_FAILED',
    `Stateward needs to upgrade this database (schema ${plan.current} → ${plan.target}), but the backup it takes first failed: ${reason}`,
    {
      hint: 'Nothing was changed. Free disk space or fix the backups folder permissions, then start again.',
      cause: e,
    },
  );
}

/**
 * Bring the team schema up to date under its migrate lock: one instance plans,
 * backs up (`pre-upgrade`, when the schema holds data) and migrates while the
 * others wait and then find nothing pending. A schema upgraded by a newer
 * version, an out-of-sync or edited history, or someone else's tables are
 * refused (planPgMigrations) and nothing is changed.
 */
async function migrateTeam(
  team: TeamConnection,
  opts: TeamOpenOptions,
  backupsDir: string,
  logger: Logger,
  now: () => number,
): Promise<{ preUpgrade: BackupResult | null; applied: string[] }> {
  const { schema, target } = team;
  const client = await team.pool.connect();
  try {
    return await withLock(client, advisoryKey('migrate', schema), async () => {
      const plan = await planPgMigrations(client, schema, MIGRATIONS, target.database);
      if (plan.pending.length === 0) return { preUpgrade: null, applied: [] };
      // As with SQLite, only an instance that owns its data dir migrates (never a read-only CLI command).
      if (opts.lockMode === null)
        throw new AppError(
          'STORE_NOT_READY',
          plan.fresh
            ? `Schema ${schema} of database ${target.database} holds no Stateward data yet.`
            : `Schema ${schema} of database ${target.database} is at schema ${plan.current}; this version needs ${plan.target}.`,
          {
            hint: plan.fresh
              ? 'Initialize it with `stateward postgres connect URL`, or start the app or host on it.'
              : 'Start the app or host (or run `stateward migrate`) to upgrade it; a pre-upgrade backup is taken first.',
            details: { schema, current: plan.current, target: plan.target },
          },
        );
      let preUpgrade: BackupResult | null = null;
      if (opts.preUpgradeBackup !== false && !plan.fresh) {
        try {
          preUpgrade = await createPgBackup({
            target,
            schema,
            outDir: backupsDir,
            ownFolder: true,
            kind: 'pre-upgrade',
            compact: false,
            now,
            transport: opts.transport,
            log: logger,
          });
          logger.log(
            'info',
            `pre-upgrade backup ${preUpgrade.manifest.fileName} of schema ${schema} before ${plan.pending.map((m) => m.name).join(', ')}`,
          );
        } catch (e) {
          throw preUpgradeFailed(plan, e, logger);
        }
      }
      // Re-entrant: the lock is this session's already; migratePostgres takes and releases it once more.
      const r = await migratePostgres(client, { schema, log: logger, now });
      return { preUpgrade, applied: r.applied };
    });
  } finally {
    client.release();
  }
}

type TeamOpenOptions = Pick<StartOptions, 'transport' | 'lockMode' | 'preUpgradeBackup'>;

/**
 * Team mode's start: the pool (handed to `opened` at once, so a refused schema
 * can still be described), then the schema brought up to date (migrateTeam).
 * Returns the pre-upgrade backup taken, if any.
 */
async function openTeam(
  target: PgTarget,
  source: string,
  opts: TeamOpenOptions,
  layout: DataDirLayout,
  logger: Logger,
  now: () => number,
  opened: (team: TeamConnection) => void,
): Promise<BackupResult | null> {
  // Team mode: the data lives in PostgreSQL; the data dir keeps keys, backups, restores and logs.
  const pool = await openTeamPool(target, { transport: opts.transport, log: logger });
  const team: TeamConnection = { target, schema: target.schema, ...pool, applied: [] };
  opened(team);
  logger.log(
    'info',
    `team mode (${source}): ${describeTarget(target)}, PostgreSQL ${pool.serverVersion}`,
  );
  const migrated = await migrateTeam(team, opts, layout.backups, logger, now);
  team.applied = migrated.applied;
  if (migrated.applied.length > 0)
    logger.log('info', `applied migrations: ${migrated.applied.join(', ')}`);
  return migrated.preUpgrade;
}

/**
 * What a team-mode start does once the runtime exists: the team's audit log
 * says who took the pre-upgrade backup, and (owning the data dir) what crashed
 * backups left in this data dir's backups folder is removed.
 */
async function afterTeamStart(rt: Runtime, preUpgrade: BackupResult | null): Promise<void> {
  const data = rt.data;
  if (!rt.team || !data) return;
  if (preUpgrade) {
    // The team's audit log says who took the pre-upgrade backup (the file is in this data dir).
    const m = preUpgrade.manifest;
    try {
      await data.write((c) => auditBackupCreated(c, rt.actor, m, m.createdAt));
    } catch (e) {
      rt.logger.log('warn', 'could not record the pre-upgrade backup in the audit log', e);
    }
  }
  if (rt.lock) {
    // This data dir's own backups folder (the runs in the shared database belong to every instance).
    const removed = cleanupTemporaries(rt.layout.backups, { ownFolder: true });
    if (removed.length)
      rt.logger.log(
        'warn',
        `removed ${removed.length} unfinished backup file(s) left by a crash: ${removed.join(', ')}`,
      );
  }
}

/**
 * Start on a data directory. Never throws for an expected refusal: it is
 * returned as the startup state. Before pending migrations run on a database
 * that holds data, a pre-upgrade backup is taken; if it fails, nothing is
 * migrated and the start-up is refused with the reason. An interrupted promote
 * is finished or rolled back first.
 */
export async function startRuntime(opts: StartOptions): Promise<Runtime> {
  const layout = dataDirLayout(opts.dir);
  const logger = fileLogger(layout.logs);
  const now = opts.now ?? Date.now;
  let lock: DataDirLock | null = null;
  let permissionRepair: PermissionRepair | null = null;
  let store: Store | null = null;
  let startup: StartupState = { state: 'ready' };
  let preUpgrade: BackupResult | null = null;
  let recovery: Recovery | null = null;
  let lockError: AppError | null = null;
  let team: TeamConnection | null = null;
  const recovered: string[] = [];
  try {
    assertDataDirUsable(layout.dir);
    ensureOwnerDir(layout.dir);
    if (opts.lockMode !== null) {
      lock = DataDirLock.acquire(layout.lock, opts.lockMode);
      // What an older version, a copy or a umask left readable by others is made owner-only.
      permissionRepair = repairPermissions(layout);
      for (const line of describeRepair(permissionRepair)) logger.log('warn', line);
      recovery = recoverPromote(layout);
      // Before anything reads it read-only: a write a crash cut off (in rollback-journal
      // mode, e.g. a promoted copy switching to WAL) is rolled back, as SQLite would.
      if (rollBackHotJournal(layout.db)) {
        recovered.push(JOURNAL_ROLLED_BACK);
        logger.log('warn', JOURNAL_ROLLED_BACK);
      }
      // Writes refused during the promote are allowed again: after a rollback the old database
      // carries the guard; after a finish the copy may (restored from a backup taken mid-promote,
      // and the crash came before the promote dropped it).
      if (recovery) dropPromoteGuardFile(layout.db, logger);
      // A rollback is done once the guard is gone (a finish, after its bookkeeping below).
      if (recovery?.outcome === 'rolled-back') clearJournal(layout);
      if (recovery)
        logger.log(
          'warn',
          `an interrupted promote of ${recovery.journal.restoreId} was ${recovery.outcome}`,
        );
    }
    if (opts.store === 'none') {
      throw new AppError('STORE_NOT_READY', 'The live database is not opened by this command.', {
        hint: 'Nothing to do.',
      });
    }
    const bound = resolveBinding(layout.dir, { databaseUrl: opts.databaseUrl });
    if (bound.target) {
      preUpgrade = await openTeam(
        await withRememberedPassword(layout.keys, opts.keychain ?? null, bound.target),
        bound.source,
        opts,
        layout,
        logger,
        now,
        (t) => (team = t),
      );
    } else {
      if (!lock) {
        // Only the lock holder recovers: until then the database in place may be the wrong one, or none.
        const pending = pendingPromote(layout);
        if (pending) {
          const held = readLock(layout.lock);
          throw promotePendingError(pending, held && lockIsLive(held) ? held : null);
        }
      }
      const inspection = inspectDatabase(layout.db);
      if (inspection.error) throw inspection.error;
      const plan = inspection.plan;
      if (opts.preUpgradeBackup !== false && plan && !plan.fresh && plan.pending.length > 0) {
        try {
          preUpgrade = await createBackup({
            source: layout.db,
            outDir: layout.backups,
            ownFolder: true,
            kind: 'pre-upgrade',
            compact: false,
            now,
          });
          logger.log(
            'info',
            `pre-upgrade backup ${preUpgrade.manifest.fileName} before ${plan.pending.map((m) => m.name).join(', ')}`,
          );
        } catch (e) {
          throw preUpgradeFailed(plan, e, logger);
        }
      }
      store = openStore(layout);
      if (recovery?.outcome === 'finished') {
        // The promoted copy became live while the last process died: check it before trusting it.
        const check = (
          store.db.prepare('PRAGMA quick_check').all() as { quick_check: string }[]
        ).map((r) => r.quick_check);
        if (check.join() !== 'ok') {
          throw new AppError(
            'DB_CORRUPT',
            `The database made live by an interrupted promote fails its check: ${check[0]}`,
            {
              hint: `The previous database is kept in ${recovery.journal.aside}; restore the pre-restore backup.`,
            },
          );
        }
      }
      if (store.applied.length > 0)
        logger.log('info', `applied migrations: ${store.applied.join(', ')}`);
    }
  } catch (e) {
    store?.close();
    store = null;
    const err = isAppError(e)
      ? e
      : new AppError('INTERNAL', `Could not start: ${(e as Error).message}`, { cause: e });
    if (!isAppError(e)) logger.log('error', 'start-up failed unexpectedly', e);
    // Keep the lock when the database itself is refused: the refusal screen can then
    // restore an older backup and promote it without anyone else touching the folder.
    if (NOT_OURS_TO_HOLD.includes(err.code)) {
      lock?.release();
      lock = null;
    }
    if (opts.lockMode !== null && !lock) lockError = err;
    startup = {
      state: 'refused',
      code: err.code,
      message: err.message,
      hint: err.hint ?? 'See the log file for details.',
      dataDir: layout.dir,
      logFile: logger.file,
      ...(err.details ? { details: err.details } : {}),
    };
  }
  const rt = new Runtime(opts, layout, logger, lock, store, startup, team);
  rt.permissionRepair = permissionRepair;
  rt.lockError = lockError;
  if (recovery)
    recovered.unshift(
      `${recovery.outcome === 'finished' ? 'finished' : 'rolled back'} the interrupted promote of restored copy ${recovery.journal.restoreId}`,
    );
  rt.recovered.push(...recovered);
  // Only the process that owns the data dir removes what crashed restores left (never failing the start).
  if (lock) rt.restores.cleanupLeftovers();
  await afterTeamStart(rt, preUpgrade);
  if (store) {
    if (preUpgrade) rt.backups.recordEarlier(preUpgrade);
    if (recovery?.outcome === 'finished') {
      rt.restores.afterPromote(
        recovery.journal.restoreId,
        recovery.journal.aside,
        recovery.journal.preRestoreBackup !== null,
      );
      clearJournal(layout);
    }
    if (lock) {
      // This machine's settings live beside the database, never in it (machine-settings.ts):
      // an older version's are moved out once, and those a promoted copy brought are dropped.
      try {
        if (adoptMachineSettings(layout, store.db, (m) => logger.log('warn', m)))
          logger.log('info', `this machine's settings are kept in ${layout.settings}`);
      } catch (e) {
        logger.log('warn', "could not move this machine's settings out of the database", e);
      }
      // Only the process that owns the data dir cleans up after crashed backups.
      const removed = rt.backups.cleanupTemporaries();
      if (removed.length)
        logger.log(
          'warn',
          `removed ${removed.length} unfinished backup file(s) left by a crash: ${removed.join(', ')}`,
        );
      rt.restores.syncDrillIndex();
    }
  }
  // A key file (automation) unlocks secrets on its own, on either backend; a passphrase is
  // asked for by the UI or CLI.
  if (rt.data && process.env.STATEWARD_KEY_FILE) {
    try {
      await rt.secrets.unlock();
    } catch (e) {
      if (!isAppError(e)) throw e;
      if (e.code !== 'SECRETS_NOT_SET_UP')
        logger.log('warn', `secrets stay locked: ${e.code}: ${e.message}`);
    }
  }
  // Deployments whose `stateward deploy run` wrapper died are marked interrupted, never "running" forever.
  if (lock && rt.data) {
    try {
      const marked = await sweepInterruptedDeployRuns(rt);
      if (marked.length)
        logger.log(
          'warn',
          `deployment(s) ${marked.join(', ')} marked interrupted: their wrapper died`,
        );
    } catch (e) {
      logger.log('warn', 'could not check for deployments whose wrapper died', e);
    }
  }
  return rt;
}
