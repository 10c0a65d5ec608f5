// The team's data key (team mode). Every member of a team keeps its own keyring
// in its own data dir; the database says which data key is the team's active one
// — its id, never the key — so that exactly one key encrypts new values, a second
// member never creates a second key, and a member whose keyring lacks the key
// (it joined late, or another member rotated) is told to enter the team's
// recovery key. Written in the same transaction as the set-up or the rotation
// that makes a key active.
import { z } from 'zod';
import type { TeamKeyNeed } from '../../../shared/domain.ts';
import type { Query, Sql } from '../store/sql.ts';
import { exec, row } from '../store/sql.ts';

export const TEAM_KEY_SETTING = 'secrets.team';

const teamKeySchema = z.object({
  activeKeyId: z.string().regex(/^[0-9a-f]{16}$/),
  since: z.number(),
  by: z.string(),
});
export type TeamKey = z.infer<typeof teamKeySchema>;

function parse(value: string | undefined): TeamKey | null {
  if (value === undefined) return null;
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return null;
  }
  const r = teamKeySchema.safeParse(json);
  return r.success ? r.data : null;
}

/**
 * The team's active key, or null when none is recorded (secrets never set up in
 * this database, or data moved from SQLite before the team had a key). With
 * `lock` (PostgreSQL) the row is locked for the rest of the transaction: 'share'
 * for a value being encrypted, 'update' for a rotation — so a value sealed with
 * the old key can never commit after the rotation that re-encrypted the others.
 */
export function* teamKey(c: Sql, lock?: 'share' | 'update'): Query<TeamKey | null> {
  let q = c.k.selectFrom('settings').select('value').where('key', '=', TEAM_KEY_SETTING);
  if (c.dialect === 'postgres' && lock === 'share') q = q.forShare();
  if (c.dialect === 'postgres' && lock === 'update') q = q.forUpdate();
  return parse((yield* row(q))?.value);
}

/**
 * Record `record` as the team's key only if none is recorded yet: false when
 * another member got there first (concurrent set-ups: the second waits for the
 * first's commit, then inserts nothing).
 */
export function* claimTeamKey(c: Sql, record: TeamKey, now: number): Query<boolean> {
  const changed = yield* exec(
    c.k
      .insertInto('settings')
      .values({ key: TEAM_KEY_SETTING, value: JSON.stringify(record), updated_at: now })
      .onConflict((oc) => oc.column('key').doNothing()),
  );
  return changed === 1;
}

/** Make `record` the team's key (a rotation). */
export function* replaceTeamKey(c: Sql, record: TeamKey, now: number): Query<void> {
  yield* exec(
    c.k
      .insertInto('settings')
      .values({ key: TEAM_KEY_SETTING, value: JSON.stringify(record), updated_at: now })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet((eb) => ({
          value: eb.ref('excluded.value'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      ),
  );
}

/** What status says to a member whose keyring lacks the team's key. */
export const teamKeyNeed = (t: TeamKey): TeamKeyNeed => ({
  keyId: t.activeKeyId,
  rotatedBy: t.by,
  since: t.since,
});
