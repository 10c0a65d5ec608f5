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
import type { OpenStoreOptions, Store } from './store/store.ts';
import { openStore } from './store/store.ts';

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
  now(): number;
  close(): void;
}

export interface StartOptions {
  dir: string;
  source: DataDirSource;
  transport: Transport;
  /** Lock mode recorded in the lock file; null to run without the lock (read-only CLI work). */
  lockMode: string | null;
  storeOptions?: OpenStoreOptions;
  now?: () => number;
}

/** Start on a data directory. Never throws for an expected refusal: it is returned as the startup state. */
export function startRuntime(opts: StartOptions): Runtime {
  const layout = dataDirLayout(opts.dir);
  const logger = fileLogger(layout.logs);
  const events = new EventBus();
  const now = opts.now ?? Date.now;
  let lock: DataDirLock | null = null;
  let store: Store | null = null;
  let startup: StartupState = { state: 'ready' };
  try {
    ensureOwnerDir(layout.dir);
    if (opts.lockMode !== null) lock = DataDirLock.acquire(layout.lock, opts.lockMode);
    store = openStore(layout, opts.storeOptions);
    if (store.applied.length > 0) logger.log('info', `applied migrations: ${store.applied.join(', ')}`);
  } catch (e) {
    lock?.release();
    lock = null;
    const err = isAppError(e) ? e : new AppError('INTERNAL', `Could not start: ${(e as Error).message}`, { cause: e });
    if (!isAppError(e)) logger.log('error', 'start-up failed unexpectedly', e);
    startup = {
      state: 'refused',
      code: err.code,
      message: err.message,
      hint: err.hint ?? 'See the log file for details.',
      dataDir: layout.dir,
      logFile: logger.file,
    };
  }
  const actor = `${opts.transport}@${os.hostname()}`;
  return {
    layout,
    source: opts.source,
    transport: opts.transport,
    events,
    logger,
    actor,
    startup,
    store,
    lock,
    now,
    close() {
      store?.close();
      lock?.release();
    },
  };
}
