// Core runtime: one data directory opened for this process — resolved, locked,
// its store opened and migrated — or a refusal with the reason. The Electron
// main process, the HTTP host and the CLI all start here.
import os from 'node:os';
import type { DataDirSource, StartupState } from '../../shared/domain.ts';
import { AppError, isAppError } from '../../shared/errors.ts';
import { EventBus } from './events.ts';
import { ensureOwnerDir } from './fsutil.ts';
import { DataDirLock } from './lock.ts';
import type { Logger } from './log.ts';
import { fileLogger } from './log.ts';
import type { DataDirLayout } from './paths.ts';
import { dataDirLayout } from './paths.ts';
import type { Store } from './store/store.ts';
import { inspectDatabase, openStore } from './store/store.ts';
import { BackupService } from './backup/service.ts';
import type { BackupResult } from './backup/engine.ts';
import { createBackup } from './backup/engine.ts';

export type Transport = 'electron' | 'http' | 'cli';

export interface Runtime {
  readonly layout: DataDirLayout;
  readonly source: DataDirSource;
  readonly transport: Transport;
  readonly events: EventBus;
  readonly logger: Logger;
  /** Who audit entries name for actions of this process. */
  readonly actor: string;
  readonly startup: StartupState;
  /** Null while the data dir is refused. */
  readonly store: Store | null;
  readonly lock: DataDirLock | null;
  readonly backups: BackupService;
  /** Paths the user picked in a native dialog; only these may be written to on the renderer's behalf. */
  readonly grantedPaths: Set<string>;
  now(): number;
  close(): void;
}

export interface StartOptions {
  dir: string;
  source: DataDirSource;
  transport: Transport;
  /** Lock mode recorded in the lock file; null to run without the lock (read-only CLI work). */
  lockMode: string | null;
  /** Take a pre-upgrade backup before pending migrations run on a database with data (default true). */
  preUpgradeBackup?: boolean;
  now?: () => number;
}

/**
 * Start on a data directory. Never throws for an expected refusal: it is
 * returned as the startup state. Before pending migrations run on a database
 * that holds data, a pre-upgrade backup is taken; if it fails, nothing is
 * migrated and the start-up is refused with the reason.
 */
export async function startRuntime(opts: StartOptions): Promise<Runtime> {
  const layout = dataDirLayout(opts.dir);
  const logger = fileLogger(layout.logs);
  const events = new EventBus();
  const now = opts.now ?? Date.now;
  let lock: DataDirLock | null = null;
  let store: Store | null = null;
  let startup: StartupState = { state: 'ready' };
  let preUpgrade: BackupResult | null = null;
  try {
    ensureOwnerDir(layout.dir);
    if (opts.lockMode !== null) lock = DataDirLock.acquire(layout.lock, opts.lockMode);
    const inspection = inspectDatabase(layout.db);
    if (inspection.error) throw inspection.error;
    const plan = inspection.plan;
    if (opts.preUpgradeBackup !== false && plan && !plan.fresh && plan.pending.length > 0) {
      try {
        preUpgrade = await createBackup({
          source: layout.db,
          outDir: layout.backups,
          kind: 'pre-upgrade',
          compact: false,
          now,
        });
        logger.log(
          'info',
          `pre-upgrade backup ${preUpgrade.manifest.fileName} before ${plan.pending.map((m) => m.name).join(', ')}`,
        );
      } catch (e) {
        const reason = isAppError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
        logger.log('error', 'pre-upgrade backup failed; not migrating', e);
        throw new AppError(
          'PRE_UPGRADE_BACKUP_FAILED',
          `Stateward needs to upgrade this database (schema ${plan.current} → ${plan.target}), but the backup it takes first failed: ${reason}`,
          {
            hint: 'Nothing was changed. Free disk space or fix the backups folder permissions, then start again.',
            cause: e,
          },
        );
      }
    }
    store = openStore(layout);
    if (store.applied.length > 0)
      logger.log('info', `applied migrations: ${store.applied.join(', ')}`);
  } catch (e) {
    store?.close();
    store = null;
    lock?.release();
    lock = null;
    const err = isAppError(e)
      ? e
      : new AppError('INTERNAL', `Could not start: ${(e as Error).message}`, { cause: e });
    if (!isAppError(e)) logger.log('error', 'start-up failed unexpectedly', e);
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
  const actor = `${opts.transport}@${os.hostname()}`;
  const rt: Runtime = {
    layout,
    source: opts.source,
    transport: opts.transport,
    events,
    logger,
    actor,
    startup,
    store,
    lock,
    backups: undefined as unknown as BackupService,
    grantedPaths: new Set(),
    now,
    close() {
      rt.backups.stopScheduler();
      store?.close();
      lock?.release();
    },
  };
  (rt as { backups: BackupService }).backups = new BackupService(rt);
  if (store) {
    if (preUpgrade) rt.backups.recordEarlier(preUpgrade);
    // Only the process that owns the data dir cleans up after crashed backups.
    if (lock) {
      const removed = rt.backups.cleanupTemporaries();
      if (removed.length)
        logger.log(
          'warn',
          `removed ${removed.length} unfinished backup file(s) left by a crash: ${removed.join(', ')}`,
        );
    }
  }
  return rt;
}
