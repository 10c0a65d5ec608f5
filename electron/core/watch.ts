// Live screens across processes. The event bus only hears about changes made
// in this process; deploy scripts and CI write through other processes (the
// CLI on the same SQLite file, other team-mode instances on PostgreSQL). The
// watcher polls a cheap change mark (resources/automation.ts changeMark) every
// WATCH_INTERVAL_MS and, when it moved, emits the events the renderer already
// listens to: `data.changed` for the areas that may have changed, and
// `automation.changed` when the pause (or a promote) changed. Started by the
// HTTP host and the Electron main process, stopped before the runtime closes.
import fs from 'node:fs';
import type { Events } from '../../shared/events.ts';
import { automationStatus, pauseHolderAlive } from './automation.ts';
import { journalPath } from './restore/promote.ts';
import type { Runtime } from './runtime.ts';
import type { DataStore } from './store/data.ts';
import { changeMark, parsePause } from './store/resources/automation.ts';

const WATCH_INTERVAL_MS = 300;

type Area = Events['data.changed']['area'];
/** User data (the change counter moved): every list that shows it. */
const RECORD_AREAS: readonly Area[] = [
  'projects',
  'environments',
  'deployments',
  'snapshots',
  'audit',
];
/** Something else was written (audit, secrets, runs, settings): the lists of those. */
const OTHER_AREAS: readonly Area[] = ['audit', 'secrets'];

export interface Watcher {
  /** Settles once the first poll has taken its baseline (changes from then on are announced). */
  readonly ready: Promise<void>;
  stop(): void;
}

type Mark = { version: number; seq: number; pause: string | null };

export function startWatcher(rt: Runtime, intervalMs = WATCH_INTERVAL_MS): Watcher {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let data: DataStore | null = null;
  let last: Mark | null = null;
  let lastPauseState: string | null = null;
  let lastError: string | null = null;

  /** What the pause status depends on beyond the stored row: a holder's life, a promote. */
  const pauseState = (mark: Mark | null): string => {
    const pause = parsePause(mark?.pause ?? null);
    const holderAlive = pause ? pauseHolderAlive(pause) : null;
    const promoting = rt.restores.promoting || fs.existsSync(journalPath(rt.layout));
    return JSON.stringify([mark?.pause ?? null, holderAlive, promoting]);
  };

  async function tick(): Promise<void> {
    const now = rt.data;
    if (now !== data) {
      // Opened, closed or replaced (a promote): a new baseline; data_version is per connection.
      data = now;
      last = null;
    }
    const mark = data ? await data.read(changeMark) : null;
    // SQLite's data_version ignores this connection's own commits (already announced);
    // on PostgreSQL they cannot be told apart, and are announced again (a harmless refresh).
    if (
      mark &&
      last &&
      (mark.version !== last.version || (data?.backend === 'postgres' && mark.seq !== last.seq))
    )
      for (const area of mark.seq !== last.seq ? RECORD_AREAS : OTHER_AREAS) emitChanged(area);
    if (mark) last = mark;
    const state = pauseState(mark);
    if (lastPauseState !== null && state !== lastPauseState)
      rt.events.emit('automation.changed', await automationStatus(rt));
    lastPauseState = state;
  }

  const emitChanged = (area: Area) => rt.events.emit('data.changed', { area });

  let baselined: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (baselined = resolve));

  function poll(): void {
    tick()
      .then(() => {
        lastError = null;
      })
      .catch((e: unknown) => {
        // A busy or briefly closed database: try again next time; say so once.
        const message = (e as Error).message;
        if (!stopped && message !== lastError)
          rt.logger.log('warn', 'change watcher: poll failed', e);
        lastError = message;
      })
      .finally(() => {
        baselined();
        if (stopped) return;
        timer = setTimeout(poll, intervalMs);
        timer.unref();
      });
  }

  poll();
  return {
    ready,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
