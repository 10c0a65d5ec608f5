// Advisory locks of team mode: what must be exclusive across every instance
// connected to one PostgreSQL schema (migrations, promote, key rotation, the
// scheduled backup run) takes a PostgreSQL advisory lock. Each key is one
// bigint derived from its purpose and the schema, so two teams sharing a
// database in different schemas never wait for each other. The local lock file
// still guards the data directory; these guard the shared database.
import crypto from 'node:crypto';
import type pg from 'pg';

// 'presence' is held shared by every connection of an instance for its whole life:
// the dashboard finds the instances of this schema (not of other schemas of the
// same database) as the sessions holding it.
export const LOCK_PURPOSES = [
  'migrate',
  'promote',
  'keyRotation',
  'scheduledBackup',
  'presence',
] as const;
export type LockPurpose = (typeof LOCK_PURPOSES)[number];

/** The advisory lock key of `purpose` on `schema` (a signed 64-bit integer, as text for pg). */
export function advisoryKey(purpose: LockPurpose, schema: string): string {
  return crypto
    .createHash('sha256')
    .update(`stateward.${purpose}:${schema}`)
    .digest()
    .readBigInt64BE(0)
    .toString();
}

type Queryable = Pick<pg.ClientBase, 'query'>;

async function flag(client: Queryable, text: string, key: string): Promise<boolean> {
  const r = await client.query<{ ok: boolean }>(`SELECT ${text}($1::bigint) AS ok`, [key]);
  return r.rows[0]?.ok === true || (r.rows[0]?.ok as unknown) === 1;
}

/**
 * Run `fn` holding the session lock `key`, waiting for it as long as it takes
 * (re-entrant within one session: each take is matched by one release). The
 * client must stay checked out for the whole call.
 */
export async function withLock<T>(
  client: Queryable,
  key: string,
  fn: () => Promise<T>,
): Promise<T> {
  await client.query('SELECT pg_advisory_lock($1::bigint)', [key]);
  try {
    return await fn();
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
  }
}

/**
 * Run `fn` holding the session lock `key` if it is free now; `{ locked: false }`
 * without running it when another session holds it.
 */
export async function withTryLock<T>(
  client: Queryable,
  key: string,
  fn: () => Promise<T>,
): Promise<{ locked: true; value: T } | { locked: false }> {
  if (!(await flag(client, 'pg_try_advisory_lock', key))) return { locked: false };
  try {
    return { locked: true, value: await fn() };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
  }
}

/** Take the transaction-level lock `key` exclusively if it is free now (call inside a transaction). */
export function tryXactLock(client: Queryable, key: string): Promise<boolean> {
  return flag(client, 'pg_try_advisory_xact_lock', key);
}

/**
 * Take the shared transaction-level lock `key` if no session holds it
 * exclusively (call inside a transaction; released at its end). Writers take
 * the promote key shared: a promote holds it exclusively while it replaces the data.
 */
export function tryXactLockShared(client: Queryable, key: string): Promise<boolean> {
  return flag(client, 'pg_try_advisory_xact_lock_shared', key);
}
