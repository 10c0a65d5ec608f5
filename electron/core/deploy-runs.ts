// Deployments run by a wrapper (`stateward deploy run`) whose wrapper died (killed,
// a crash, a reboot) are marked failed as interrupted, saying which process died, at
// the next start of the app or host and at the next `stateward deploy` command,
// instead of staying "running" forever. Only this host's wrappers can be checked.
import fs from 'node:fs';
import os from 'node:os';
import { processAlive } from './fsutil.ts';
import type { Runtime } from './runtime.ts';
import { appendAudit } from './store/resources/audit.ts';
import { markDeployRunInterrupted, runningDeployRuns } from './store/resources/deployRuns.ts';

/**
 * When process `pid` started (Linux: clock ticks since boot, field 22 of /proc/<pid>/stat),
 * or null where that cannot be told. A pid reused by a later process starts later.
 */
export function processStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the wrapper a run names still runs: its pid is alive and (where known) started when it did. */
function wrapperAlive(detail: Record<string, unknown>): boolean {
  const pid = detail.pid;
  if (typeof pid !== 'number' || !processAlive(pid)) return false;
  const now = processStart(pid);
  return typeof detail.pidStart !== 'string' || now === null || now === detail.pidStart;
}

/** Mark wrapped deployments whose wrapper process on this host is gone; their ids. */
export async function sweepInterruptedDeployRuns(rt: Runtime): Promise<number[]> {
  const data = rt.data;
  if (!data) return [];
  const host = os.hostname();
  const dead = (await data.read(runningDeployRuns)).filter(
    (r) => r.detail.host === host && !wrapperAlive(r.detail),
  );
  if (dead.length === 0) return [];
  const now = rt.now();
  const ids = await data.write(function* (c) {
    const marked: number[] = [];
    for (const run of dead) {
      const id = yield* markDeployRunInterrupted(c, run, now);
      if (id === null) continue;
      marked.push(id);
      yield* appendAudit(
        c,
        {
          actor: rt.actor,
          action: 'deployment.interrupted',
          target: `deployment:${id}`,
          detail: { runId: run.id, pid: run.detail.pid, host },
        },
        now,
      );
    }
    return marked;
  });
  if (ids.length > 0) {
    rt.events.emit('data.changed', { area: 'deployments' });
    rt.events.emit('data.changed', { area: 'audit' });
  }
  return ids;
}
