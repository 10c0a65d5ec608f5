// Pauses of automation. Before an upgrade or a promote, automation (deploy
// scripts, CI) is paused: its writes are refused with PAUSED and a retry hint,
// while the person who paused keeps working in the app. What counts as
// automation: every command of the `stateward` CLI (its runtime's transport is
// 'cli') and HTTP requests marked with the automation header; never the app's
// own UI (Electron IPC, the browser page). Which commands a pause holds off:
// every write but the pause itself and the operator's safety work
// (shared/contract.ts NOT_PAUSED_COMMANDS).
//
// The pause lives in the database (resources/automation.ts), so it holds for
// every process and instance and survives restarts. Writes read it through a
// short cache (PAUSE_CACHE_MS); taking a pause waits that long before it
// answers, so once `stateward pause` has returned no instance accepts a new
// automation write. A promote replacing the live database is an automatic
// pause (its own write barrier, PROMOTE_IN_PROGRESS), shown in the status.
import os from 'node:os';
import { pausedBy } from '../../shared/automation.ts';
import type { AutomationPause, AutomationStatus } from '../../shared/domain.ts';
import { AppError } from '../../shared/errors.ts';
import { processAlive } from './fsutil.ts';
import { lockIsLive, readLock } from './lock.ts';
import type { DataDirLayout } from './paths.ts';
import { inspectDatabase } from './store/store.ts';
import { readJournal } from './restore/promote.ts';
import { PROMOTE_RETRY_AFTER_MS } from './restore/guard.ts';
import type { Runtime } from './runtime.ts';
import { osUser } from './runtime.ts';
import type { StoredPause } from './store/resources/automation.ts';
import { liftPause, readPause, takePause } from './store/resources/automation.ts';
import { appendAudit } from './store/resources/audit.ts';

/** How long a process trusts the pause state it read last (writes stay fast). */
export const PAUSE_CACHE_MS = 250;
/** What a refused writer is told to wait before trying again. */
const PAUSE_RETRY_AFTER_MS = 5_000;

/** Who sent a command: automation (a script, CI) is held off by a pause; a person in the app is not. */
export interface Origin {
  automation: boolean;
}

const cache = new WeakMap<Runtime, { at: number; pause: StoredPause | null }>();

/** The pause in force (from the database, at most PAUSE_CACHE_MS old), or null. */
async function currentPause(rt: Runtime): Promise<StoredPause | null> {
  const data = rt.data;
  if (!data) return null;
  const seen = cache.get(rt);
  const now = Date.now();
  if (seen && now - seen.at < PAUSE_CACHE_MS && now >= seen.at) return seen.pause;
  const pause = await data.read(readPause);
  // Trusted from when the read started (a slow read may have seen the state of then).
  cache.set(rt, { at: now, pause });
  return pause;
}

/** Whether a process-held pause's holder still runs (null: another host, or held until resumed). */
export function pauseHolderAlive(p: StoredPause): boolean | null {
  return p.until === 'process' && p.host === os.hostname() ? processAlive(p.pid) : null;
}

function shownPause(p: StoredPause): AutomationPause {
  return { ...p, holderAlive: pauseHolderAlive(p) };
}

/** A promote replacing the live database now: in this process, or by the process holding the lock. */
function promoteNow(rt: Runtime): AutomationStatus['promote'] {
  const journal = readJournal(rt.layout);
  if (rt.restores.promoting) {
    return {
      restoreId: journal?.restoreId ?? null,
      since: journal?.startedAt ?? null,
      pid: process.pid,
      host: os.hostname(),
    };
  }
  if (!journal) return null;
  const holder = readLock(rt.layout.lock);
  if (
    !holder ||
    !lockIsLive(holder) ||
    (holder.pid === process.pid && holder.host === os.hostname())
  )
    return null; // interrupted, not running: the next start finishes or rolls it back
  return {
    restoreId: journal.restoreId,
    since: journal.startedAt,
    pid: holder.pid,
    host: holder.host,
  };
}

/** Whether automation is paused now, by whom and why (fresh from the database). */
export async function automationStatus(rt: Runtime): Promise<AutomationStatus> {
  const data = rt.data;
  const started = Date.now();
  const pause = data ? await data.read(readPause) : null;
  cache.set(rt, { at: started, pause });
  const promote = promoteNow(rt);
  return {
    paused: pause !== null || promote !== null,
    pause: pause ? shownPause(pause) : null,
    promote,
    retryAfterMs: pause ? PAUSE_RETRY_AFTER_MS : promote ? PROMOTE_RETRY_AFTER_MS : 0,
  };
}

/** A moment as the CLI and messages print it: `2026-11-27 17:16:57 UTC`. */
export const exactTime = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');

/** One line saying who paused, why and since when (CLI text, the PAUSED message). */
export function describePause(p: AutomationPause): string {
  const who = pausedBy(p);
  const why = p.reason ? `: ${p.reason}` : '';
  const holder =
    p.holderAlive === false
      ? ` The process that held it (pid ${p.pid} on ${p.host}) is no longer running.`
      : p.until === 'process'
        ? ` It is lifted when that process ends.`
        : '';
  return `Automation is paused by ${who} since ${exactTime(p.since)}${why}.${holder}`;
}

/** The refusal of an automation write while paused (retryable). */
function pausedError(pause: StoredPause): AppError {
  const shown = shownPause(pause);
  return new AppError('PAUSED', `${describePause(shown)} This change was not made.`, {
    hint: `Try again later (in ${PAUSE_RETRY_AFTER_MS / 1000} s or more); the pause is lifted with \`stateward resume\` or Resume in the app.`,
    details: { retryable: true, retryAfterMs: PAUSE_RETRY_AFTER_MS, pause: shown },
  });
}

/**
 * Why a record command finds a database it cannot open yet (migrations to apply)
 * while another live process holds the data dir: an upgrade under way — or that
 * process runs an older Stateward. Automation waits for it as for a pause
 * (PAUSED, retryable); null when that is not the case.
 */
export function upgradeUnderWay(layout: DataDirLayout): AppError | null {
  const plan = inspectDatabase(layout.db).plan;
  if (!plan || plan.pending.length === 0) return null;
  const holder = readLock(layout.lock);
  if (!holder || !lockIsLive(holder)) return null;
  return new AppError(
    'PAUSED',
    `The database is being upgraded (schema ${plan.current} → ${plan.target}) by process ${holder.pid} on ${holder.host} (${holder.mode}), or that process runs an older Stateward. This change was not made.`,
    {
      hint: 'Try again in a moment: automation waits until the upgrade is done. If it never is, update the app that holds the data dir.',
      details: {
        retryable: true,
        retryAfterMs: PROMOTE_RETRY_AFTER_MS,
        upgrade: { from: plan.current, to: plan.target, pid: holder.pid, host: holder.host },
      },
    },
  );
}

/** Refuse an automation write while paused (the command registry calls this). */
export async function refuseWhilePaused(rt: Runtime): Promise<void> {
  const pause = await currentPause(rt);
  if (pause) throw pausedError(pause);
}

function dataOrRefuse(rt: Runtime) {
  if (!rt.data) throw new AppError('STORE_NOT_READY', 'The data directory is not open.');
  return rt.data;
}

/**
 * Pause automation. Already paused: that pause stays as it is (who, why, since).
 * Answers only once every instance's cached pause state has expired.
 */
export async function pauseAutomation(
  rt: Runtime,
  opts: { reason: string; holdWhileRunning: boolean },
): Promise<AutomationStatus> {
  const now = rt.now();
  const mine: StoredPause = {
    reason: opts.reason,
    actor: rt.actor,
    user: osUser(),
    host: os.hostname(),
    pid: process.pid,
    since: now,
    until: opts.holdWhileRunning ? 'process' : 'resume',
  };
  const taken = await dataOrRefuse(rt).write(function* (c) {
    const inForce = yield* takePause(c, mine, now);
    if (inForce === mine)
      yield* appendAudit(
        c,
        {
          actor: rt.actor,
          action: 'automation.paused',
          detail: { reason: mine.reason, user: mine.user, pid: mine.pid, until: mine.until },
        },
        now,
      );
    return inForce === mine;
  });
  if (taken) {
    cache.delete(rt);
    await new Promise((resolve) => setTimeout(resolve, PAUSE_CACHE_MS + 50));
  }
  return announce(rt);
}

/** Lift the pause (any, or with `onlyIf` only that holder's); nothing to lift is not an error. */
export async function resumeAutomation(
  rt: Runtime,
  onlyIf?: { pid: number; host: string; since: number },
): Promise<AutomationStatus> {
  const now = rt.now();
  await dataOrRefuse(rt).write(function* (c) {
    const lifted = yield* liftPause(c, onlyIf);
    if (lifted)
      yield* appendAudit(
        c,
        {
          actor: rt.actor,
          action: 'automation.resumed',
          detail: { pausedBy: lifted.actor, pausedSince: lifted.since, reason: lifted.reason },
        },
        now,
      );
  });
  cache.delete(rt);
  return announce(rt);
}

async function announce(rt: Runtime): Promise<AutomationStatus> {
  const status = await automationStatus(rt);
  rt.events.emit('automation.changed', status);
  rt.events.emit('data.changed', { area: 'audit' });
  return status;
}
