// The pause of automation writes: one row of the settings table (key
// 'automation.pause', a JSON value), so every process on this database — other
// CLI runs on the same SQLite file, every team-mode instance on PostgreSQL —
// sees the same pause, and it survives restarts.
import { z } from 'zod';
import type { Query, Sql } from '../sql.ts';
import { exec, raw, row } from '../sql.ts';
import { setSetting } from './settings.ts';
import { sql } from 'kysely';

export const PAUSE_KEY = 'automation.pause';

const storedPause = z.object({
  reason: z.string(),
  actor: z.string(),
  user: z.string(),
  host: z.string(),
  pid: z.number().int(),
  since: z.number(),
  until: z.enum(['resume', 'process']),
});
export type StoredPause = z.infer<typeof storedPause>;

/** The stored pause as its raw text (what the watcher compares), or null when not paused. */
export function* pauseText(c: Sql): Query<string | null> {
  const r = yield* row(c.k.selectFrom('settings').select('value').where('key', '=', PAUSE_KEY));
  return r?.value ?? null;
}

/**
 * The pause a stored text describes. A record that cannot be read (edited by hand,
 * written by a newer version) still pauses — refusing a write is the safe side —
 * and is lifted by resume like any other.
 */
export function parsePause(text: string | null): StoredPause | null {
  if (text === null) return null;
  try {
    const parsed = storedPause.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through: unreadable
  }
  return {
    reason: 'the stored pause record could not be read',
    actor: 'unknown',
    user: 'unknown',
    host: 'unknown',
    pid: 0,
    since: 0,
    until: 'resume',
  };
}

export function* readPause(c: Sql): Query<StoredPause | null> {
  return parsePause(yield* pauseText(c));
}

/** Store `pause` unless one is stored already; returns the pause in force afterwards. */
export function* takePause(c: Sql, pause: StoredPause, now: number): Query<StoredPause> {
  const existing = yield* readPause(c);
  if (existing) return existing;
  yield* setSetting(c, PAUSE_KEY, pause, now);
  return pause;
}

/**
 * Remove the pause; with `onlyIf`, only when it is still that holder's (a
 * `pause -- <command>` lifting its own pause never lifts someone else's). Returns
 * the pause removed, or null.
 */
export function* liftPause(
  c: Sql,
  onlyIf?: { pid: number; host: string; since: number },
): Query<StoredPause | null> {
  const existing = yield* readPause(c);
  if (!existing) return null;
  if (
    onlyIf &&
    (existing.pid !== onlyIf.pid ||
      existing.host !== onlyIf.host ||
      existing.since !== onlyIf.since)
  )
    return null;
  yield* exec(c.k.deleteFrom('settings').where('key', '=', PAUSE_KEY));
  return existing;
}

/**
 * Put back the pause `text` (as pauseText read it; null: none) in a database that
 * replaced the live one: a promote keeps the pause that was in force, never the
 * one (or none) the restored copy brought.
 */
export function* keepPause(c: Sql, text: string | null, now: number): Query<void> {
  yield* exec(c.k.deleteFrom('settings').where('key', '=', PAUSE_KEY));
  if (text !== null)
    yield* exec(
      c.k.insertInto('settings').values({ key: PAUSE_KEY, value: text, updated_at: now }),
    );
}

/**
 * What the change watcher compares between polls: on SQLite `data_version`
 * (moves when ANOTHER connection commits anything), on PostgreSQL the newest
 * audit entry (every command's write adds one); the change counter (user data);
 * and the pause.
 */
export function* changeMark(c: Sql): Query<{ version: number; seq: number; pause: string | null }> {
  const version = yield* row(
    raw<{ v: number | null }>(
      c,
      c.dialect === 'sqlite'
        ? sql`SELECT data_version AS v FROM pragma_data_version`
        : sql`SELECT max(id) AS v FROM audit_log`,
    ),
  );
  const counter = yield* row(c.k.selectFrom('change_counter').select('seq').where('id', '=', 1));
  return { version: version?.v ?? 0, seq: counter?.seq ?? 0, pause: yield* pauseText(c) };
}
