// Words for a pause of automation, the same in the CLI, its refusals and the app.
import type { AutomationPause } from './domain.ts';

/** Who paused: the actor, with the OS user and pid unless the actor names them already (team mode). */
export function pausedBy(p: Pick<AutomationPause, 'actor' | 'user' | 'pid'>): string {
  return p.actor.endsWith(`/${p.pid}`) ? p.actor : `${p.actor} (user ${p.user}, pid ${p.pid})`;
}
