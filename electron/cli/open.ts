// Opening the data dir from the CLI: shared (no lock) for read-mostly work when the
// schema is current, and the refusals a lockless command must respect.
import type { AppErrorShape } from '../../shared/errors.ts';
import { AppError } from '../../shared/errors.ts';
import type { Runtime } from '../core/runtime.ts';
import { startRuntime } from '../core/runtime.ts';
import type { ResolvedDataDir } from '../core/paths.ts';
import { dataDirLayout } from '../core/paths.ts';
import { readLock, lockIsLive } from '../core/lock.ts';
import { inspectDatabase } from '../core/store/store.ts';
import { pendingPromote, promotePendingError } from '../core/restore/promote.ts';

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

/** Open the data dir for read-mostly work without the lock, when its schema is current. */
export async function openShared(where: ResolvedDataDir): Promise<Runtime | null> {
  refuseWhilePromotePending(where.dir);
  const inspection = inspectDatabase(dataDirLayout(where.dir).db);
  if (inspection.error) throw inspection.error;
  if (!inspection.exists || !inspection.plan || inspection.plan.pending.length > 0) return null;
  const rt = await startRuntime({
    dir: where.dir,
    source: where.source,
    transport: 'cli',
    lockMode: null,
    preUpgradeBackup: false,
  });
  if (rt.startup.state === 'refused') {
    rt.close();
    throw refusal(rt);
  }
  return rt;
}
