// The team database's password in the desktop app (issue 11.1): when the user
// asks for it and the OS keychain is real, the password is kept wrapped by the
// keychain in `<data>/keys/pg-password.json` (0600), with the server, database
// and user it belongs to (so it is never sent to another server). Never in
// plain text, never in database.json, a backup or a log. The team start reads
// it only when neither PGPASSWORD nor the password file supplies one.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../../shared/errors.ts';
import { ensureOwnerDir, readSmallRegularFile, writeFileAtomic } from '../fsutil.ts';
import type { KeyWrapper } from '../secrets/keyring.ts';
import type { PgTarget } from './connect.ts';
import { pgpassLookup } from './pgpass.ts';

export const PG_PASSWORD_FILE = 'pg-password.json';
/** Wrapped with the password: what another keychain's unwrap yields is told from it. */
const MARK = 'stateward-pg-password:';

const recordSchema = z
  .object({
    version: z.literal(1),
    host: z.string(),
    port: z.number(),
    database: z.string(),
    user: z.string(),
    /** The password wrapped by the OS keychain (base64). */
    blob: z.string().regex(/^[A-Za-z0-9+/=]*$/),
  })
  .strict();

export function pgPasswordPath(keysDir: string): string {
  return path.join(keysDir, PG_PASSWORD_FILE);
}

/** The keychain when it is real (available and not Linux's obfuscating basic_text fallback), else null. */
async function usableKeychain(k: KeyWrapper | null): Promise<KeyWrapper | null> {
  if (!k) return null;
  const st = await k.status().catch(() => null);
  return st?.available && !st.weak ? k : null;
}

/** The password wrapped, ready to be stored once the binding is written (nothing is written here). */
export async function wrapPgPassword(
  keychain: KeyWrapper | null,
  target: PgTarget,
  password: string,
): Promise<string> {
  const k = await usableKeychain(keychain);
  if (!k) {
    throw new AppError('BAD_INPUT', 'There is no OS keychain to remember the password in.', {
      hint: 'Leave "Remember the password" unticked and set PGPASSWORD or ~/.pgpass (mode 0600) for later starts.',
      details: { field: 'rememberPassword' },
    });
  }
  const blob = (await k.wrap(Buffer.from(MARK + password, 'utf8'))).toString('base64');
  return JSON.stringify({
    version: 1,
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    blob,
  } satisfies z.infer<typeof recordSchema>);
}

/** Store what wrapPgPassword made (keys/ 0700, the file 0600, atomically). */
export function storeWrappedPgPassword(keysDir: string, wrapped: string): void {
  ensureOwnerDir(keysDir);
  writeFileAtomic(pgPasswordPath(keysDir), wrapped);
}

/** Forget a remembered password (a connection without "remember"): true when there was one. */
export function forgetPgPassword(keysDir: string): boolean {
  try {
    fs.unlinkSync(pgPasswordPath(keysDir));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/**
 * The remembered password for `target`: null when none is stored, it belongs to
 * another server, database or user, or this keychain cannot unwrap it.
 */
export async function readPgPassword(
  keysDir: string,
  keychain: KeyWrapper | null,
  target: PgTarget,
): Promise<string | null> {
  const k = await usableKeychain(keychain);
  if (!k) return null;
  let record: z.infer<typeof recordSchema>;
  try {
    const text = readSmallRegularFile(pgPasswordPath(keysDir), 64 * 1024).toString('utf8');
    const r = recordSchema.safeParse(JSON.parse(text));
    if (!r.success) return null;
    record = r.data;
  } catch {
    return null;
  }
  if (
    record.host !== target.host ||
    record.port !== target.port ||
    record.database !== target.database ||
    record.user !== target.user
  )
    return null;
  try {
    const text = (await k.unwrap(Buffer.from(record.blob, 'base64'))).key.toString('utf8');
    return text.startsWith(MARK) ? text.slice(MARK.length) : null;
  } catch {
    return null; // another machine's keychain
  }
}

/**
 * `target` with the remembered password when libpq's ways (the URL, PGPASSWORD,
 * the password file) supply none; else `target` as it is.
 */
export async function withRememberedPassword(
  keysDir: string,
  keychain: KeyWrapper | null,
  target: PgTarget,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PgTarget> {
  if (!keychain || target.password !== null || env.PGPASSWORD) return target;
  if (pgpassLookup(target, env.PGPASSFILE ? { file: env.PGPASSFILE } : {}) !== undefined)
    return target;
  const password = await readPgPassword(keysDir, keychain, target);
  return password === null ? target : { ...target, password };
}
