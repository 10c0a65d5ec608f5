// Opening the data dir from the CLI: shared (no lock) for read-mostly work when the
// schema is current, and the refusals a lockless command must respect.
import type { AppErrorShape } from '../../shared/errors.ts';
import { AppError, isAppError } from '../../shared/errors.ts';
import type { Runtime, StartOptions } from '../core/runtime.ts';
import { startRuntime } from '../core/runtime.ts';
import { upgradeUnderWay } from '../core/automation.ts';
import type { ResolvedDataDir } from '../core/paths.ts';
import { dataDirLayout } from '../core/paths.ts';
import { readLock, lockIsLive } from '../core/lock.ts';
import { inspectDatabase } from '../core/store/store.ts';
import { pendingPromote, promotePendingError } from '../core/restore/promote.ts';
import { resolveBinding } from '../core/pg/binding.ts';
import type { CommandInput, CommandName, CommandResult } from '../../shared/contract.ts';
import { COMMAND_NAMES } from '../../shared/contract.ts';
import { coreHandlers, createRegistry } from '../handlers/index.ts';
import type { HandlerMap } from '../handlers/registry.ts';
import type { OptionValues } from './args.ts';

/** The refusal of a runtime whose start was refused, as an error to throw. */
export function refusal(rt: Runtime): AppError {
  const s = rt.startup as Extract<Runtime['startup'], { state: 'refused' }>;
  return new AppError(s.code as AppErrorShape['code'], s.message, {
    hint: s.hint,
    ...(s.details ? { details: s.details } : {}),
  });
}

/** Lockless commands cannot work while a promote is unfinished: say so, and what the next start does. */
export function refuseWhilePromotePending(dir: string): void {
  const layout = dataDirLayout(dir);
  const pending = pendingPromote(layout);
  if (!pending) return;
  const held = readLock(layout.lock);
  throw promotePendingError(pending, held && lockIsLive(held) ? held : null);
}

/**
 * Start the runtime for a CLI command on a data dir: with `lockMode`, under the
 * data-dir lock and with a pre-upgrade backup if migrations are pending; without
 * (null), neither. The start may be refused: callers check `rt.startup`.
 */
export function startCli(
  where: ResolvedDataDir,
  lockMode: string | null,
  more: Pick<StartOptions, 'databaseUrl' | 'store'> = {},
): Promise<Runtime> {
  return startRuntime({
    dir: where.dir,
    source: where.source,
    transport: 'cli',
    lockMode,
    preUpgradeBackup: lockMode !== null,
    ...more,
  });
}

/** Open the data dir for read-mostly work without the lock, when its schema is current. */
export async function openShared(where: ResolvedDataDir): Promise<Runtime | null> {
  refuseWhilePromotePending(where.dir);
  const inspection = inspectDatabase(dataDirLayout(where.dir).db);
  if (inspection.error) throw inspection.error;
  if (!inspection.exists || !inspection.plan || inspection.plan.pending.length > 0) return null;
  const rt = await startCli(where, null);
  if (rt.startup.state === 'refused') {
    rt.close();
    throw refusal(rt);
  }
  return rt;
}

/** The --database-url given on the command line (else STATEWARD_DATABASE_URL or database.json decide). */
export function databaseUrlOf(values: OptionValues): string | undefined {
  const url = values['database-url'];
  return typeof url === 'string' ? url : undefined;
}

/** The data dir is bound to PostgreSQL (--database-url, STATEWARD_DATABASE_URL or database.json). */
export function inTeamMode(where: ResolvedDataDir, databaseUrl: string | undefined): boolean {
  return resolveBinding(where.dir, { databaseUrl }).target !== null;
}

/**
 * Open the team database of a data dir bound to PostgreSQL, without the data-dir
 * lock unless `lockMode` is given (the lock orders work on this machine's files:
 * a promote's pre-restore backup, restores/). A refused start is thrown.
 */
export async function openTeam(
  where: ResolvedDataDir,
  databaseUrl: string | undefined,
  lockMode: string | null = null,
): Promise<Runtime> {
  const rt = await startCli(where, lockMode, { databaseUrl });
  if (rt.startup.state === 'refused') {
    const err = refusal(rt);
    rt.close();
    throw err;
  }
  return rt;
}

/** Everything a transport would add (native dialogs, download links): not on the command line. */
function cliTransportHandlers(): HandlerMap {
  const core = new Set(coreHandlers.flatMap((m) => Object.keys(m)));
  const unsupported = (): never => {
    throw new AppError('UNSUPPORTED_HERE', 'This command exists only in the app.');
  };
  return Object.fromEntries(
    COMMAND_NAMES.filter((n) => !core.has(n)).map((n) => [n, unsupported]),
  ) as HandlerMap;
}

/** A runtime for record commands and the command registry they go through. */
export interface Recorder {
  rt: Runtime;
  /** Dispatch `name` through the registry (validation, pause, audit as over IPC and HTTP). */
  call<N extends CommandName>(name: N, input: CommandInput<N>): Promise<CommandResult<N>>;
  close(): void;
}

/** The failure of a dispatched command, as an error to throw. */
function failureError(error: AppErrorShape): AppError {
  return new AppError(error.code, error.message, {
    ...(error.hint ? { hint: error.hint } : {}),
    ...(error.details ? { details: error.details } : {}),
  });
}

/**
 * Open the data for record commands without the data-dir lock (they work while the
 * app or host runs: SQLite's own locking orders the writes), or in team mode the
 * PostgreSQL database, from any machine. Secrets are unlocked with STATEWARD_KEY_FILE
 * when set (text is checked for secret values before it is stored).
 */
export async function openRecorder(
  where: ResolvedDataDir,
  databaseUrl?: string | undefined,
): Promise<Recorder> {
  let rt: Runtime | null;
  if (inTeamMode(where, databaseUrl)) {
    rt = await openTeam(where, databaseUrl);
  } else {
    rt = await openShared(where);
    // Migrations to apply while another process holds the data dir: an upgrade under way.
    const upgrading = rt ? null : upgradeUnderWay(dataDirLayout(where.dir));
    if (upgrading) throw upgrading;
    if (!rt)
      throw new AppError(
        'STORE_NOT_READY',
        `There is no current Stateward database in ${where.dir}.`,
        { hint: 'Start the app once (or run `stateward migrate`) first.' },
      );
  }
  const live = rt;
  try {
    const st = await live.secrets.status();
    if (st.initialized && !st.unlocked && st.keyFileConfigured)
      await live.secrets.unlock().catch(() => undefined);
  } catch {
    // Locked secrets refuse only text that must be checked; that refusal says how to unlock.
  }
  const registry = createRegistry(live, cliTransportHandlers());
  return {
    rt: live,
    async call(name, input) {
      const r = await registry.dispatch(name, input);
      if (!r.ok) throw failureError(r.error);
      return r.value as CommandResult<typeof name>;
    },
    close: () => live.close(),
  };
}

/** Refusals that pass: a pause of automation, a promote replacing the data, a busy database. */
const PASSING = new Set(['PAUSED', 'PROMOTE_IN_PROGRESS', 'DATA_DIR_BUSY']);

/**
 * Run `work`, and while it is refused by a pause (or a promote, or a busy database)
 * wait as the refusal says (details.retryAfterMs) and try again, until `deadline`
 * (epoch ms); then the refusal is thrown. `waiting` is told once, when it first waits.
 */
export async function retryWhilePaused<T>(
  work: () => Promise<T>,
  deadline: number,
  waiting: (e: AppError) => void = () => undefined,
): Promise<T> {
  let told = false;
  for (;;) {
    try {
      return await work();
    } catch (e) {
      const left = deadline - Date.now();
      if (!isAppError(e) || !PASSING.has(e.code) || left <= 0) throw e;
      if (!told) waiting(e);
      told = true;
      const after = Number(e.details?.retryAfterMs);
      await new Promise((r) =>
        setTimeout(r, Math.min(left, Number.isFinite(after) && after > 0 ? after : 1000)),
      );
    }
  }
}
