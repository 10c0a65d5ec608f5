// Which database a data directory is bound to: `<data>/database.json` (0600)
// says SQLite (the default, also when the file is missing) or PostgreSQL with
// host, port, database, user, sslmode and schema. Never a password: that comes
// from the URL given on the command line or in the environment, PGPASSWORD or
// the password file (connect.ts). `--database-url` beats STATEWARD_DATABASE_URL
// beats the file. openTeamPool opens the small pool a team-mode runtime uses.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { advisoryKey } from './locks.ts';
import { z } from 'zod';
import { AppError } from '../../../shared/errors.ts';
import { readSmallRegularFile, writeFileAtomic } from '../fsutil.ts';
import type { Logger } from '../log.ts';
import { PG_TYPES } from '../store/sql.ts';
import type { PgTarget, PgTransport } from './connect.ts';
import {
  connectionConfig,
  connectionErrorLogger,
  connectPostgres,
  HOST_NAME,
  parseDatabaseUrl,
  SCHEMA_NAME,
  SSL_MODES,
} from './connect.ts';

export const BINDING_FILE = 'database.json';
/** The environment variable that overrides database.json (servers, CI, tests). */
export const DATABASE_URL_ENV = 'STATEWARD_DATABASE_URL';
/** The connect timeout of a bound target (the file holds none). */
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** database.json is a few hundred bytes; anything near this is not ours. */
const MAX_BINDING_BYTES = 64 * 1024;

const postgresBinding = z
  .object({
    backend: z.literal('postgres'),
    // A host name or address, or a Unix socket directory: never a URL (it could hold a password).
    host: z
      .string()
      .min(1)
      .max(1024)
      .regex(HOST_NAME, 'must be a host name, an address or a socket directory'),
    port: z.number().int().min(1).max(65535),
    database: z.string().min(1).max(63),
    user: z.string().min(1).max(63),
    sslmode: z.enum(SSL_MODES),
    schema: z
      .string()
      .regex(
        SCHEMA_NAME,
        'must be a plain lower-case PostgreSQL name, not starting with pg_ or stateward_drill_',
      ),
    /** A CA file for sslmode verify-ca / verify-full (libpq's sslrootcert). */
    sslrootcert: z.string().min(1).max(4096).optional(),
  })
  .strict();

const bindingSchema = z.discriminatedUnion('backend', [
  z.object({ backend: z.literal('sqlite') }).strict(),
  postgresBinding,
]);

export type Binding = z.infer<typeof bindingSchema>;
export type PostgresBinding = z.infer<typeof postgresBinding>;

export type BindingSource = 'flag' | 'env' | 'file' | 'default';

export function bindingPath(dataDir: string): string {
  return path.join(dataDir, BINDING_FILE);
}

function invalid(file: string, why: string, hint?: string): AppError {
  return new AppError('DATABASE_BINDING_INVALID', `${file} ${why}`, {
    hint:
      hint ??
      'Fix or remove the file (without it the data directory uses its local SQLite database), or bind it again with `stateward postgres connect URL`.',
    details: { file },
  });
}

const PASSWORD_HINT =
  'Remove the password: set PGPASSWORD or put it in ~/.pgpass (mode 0600); Stateward never stores a database password in its files.';

/** A key that smells of a password, anywhere in the object (never echoed). */
function hasPasswordKey(v: unknown): boolean {
  return (
    v !== null &&
    typeof v === 'object' &&
    Object.keys(v).some((k) => /pass(word)?|secret/i.test(k) || k.toLowerCase() === 'url')
  );
}

/** The binding of `dataDir`: SQLite when database.json is missing; DATABASE_BINDING_INVALID when it cannot be used. */
export function readBinding(dataDir: string): Binding {
  const file = bindingPath(dataDir);
  let text: string;
  try {
    text = readSmallRegularFile(file, MAX_BINDING_BYTES).toString('utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { kind?: string };
    if (err.code === 'ENOENT') return { backend: 'sqlite' };
    throw invalid(file, `cannot be read: ${err.kind ?? err.code ?? err.message}.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(file, 'is not JSON.');
  }
  if (hasPasswordKey(parsed))
    throw invalid(file, 'holds a password (or a URL that may hold one).', PASSWORD_HINT);
  const r = bindingSchema.safeParse(parsed);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` (${issue.path.map(String).join('.')})` : '';
    throw invalid(file, `is not a valid database binding${where}: ${issue?.message ?? 'invalid'}.`);
  }
  return r.data;
}

/** Bind `dataDir` to `b` (atomically, 0600). A password is refused and nothing is written. */
export function writeBinding(dataDir: string, b: Binding): void {
  const file = bindingPath(dataDir);
  if (hasPasswordKey(b))
    throw invalid(file, 'would hold a password: it was not written.', PASSWORD_HINT);
  const r = bindingSchema.safeParse(b);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw invalid(
      file,
      `was not written: the binding is not valid (${issue?.path.map(String).join('.') ?? ''}: ${issue?.message ?? 'invalid'}).`,
    );
  }
  writeFileAtomic(file, `${JSON.stringify(r.data, null, 2)}\n`);
}

/** What database.json records of a target (never its password or timeout). */
export function bindingFromTarget(t: PgTarget): Binding {
  return {
    backend: 'postgres',
    host: t.host,
    port: t.port,
    database: t.database,
    user: t.user,
    sslmode: t.sslmode,
    schema: t.schema,
    ...(t.sslrootcert === null ? {} : { sslrootcert: t.sslrootcert }),
  };
}

/** The target a PostgreSQL binding names (its password comes from PGPASSWORD or ~/.pgpass). */
export function targetFromBinding(b: PostgresBinding): PgTarget {
  return {
    host: b.host,
    port: b.port,
    database: b.database,
    user: b.user,
    sslmode: b.sslmode,
    sslrootcert: b.sslrootcert ?? null,
    schema: b.schema,
    connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
    password: null,
  };
}

/**
 * The database this process uses for `dataDir`: `--database-url` (flag), else
 * STATEWARD_DATABASE_URL (env), else database.json (file), else SQLite
 * (default). A URL that does not parse is BAD_INPUT; an unusable file is
 * DATABASE_BINDING_INVALID (never read when a URL is given).
 */
export function resolveBinding(
  dataDir: string,
  opts: { databaseUrl?: string | undefined; env?: NodeJS.ProcessEnv },
): { binding: Binding; target: PgTarget | null; source: BindingSource } {
  const env = opts.env ?? process.env;
  const fromUrl = (url: string, source: 'flag' | 'env') => {
    const target = parseDatabaseUrl(url, source);
    return { binding: bindingFromTarget(target), target, source };
  };
  if (opts.databaseUrl !== undefined && opts.databaseUrl !== '')
    return fromUrl(opts.databaseUrl, 'flag');
  const envUrl = env[DATABASE_URL_ENV];
  if (envUrl !== undefined && envUrl !== '') return fromUrl(envUrl, 'env');
  const exists = fs.existsSync(bindingPath(dataDir));
  const binding = readBinding(dataDir);
  if (binding.backend === 'sqlite')
    return { binding, target: null, source: exists ? 'file' : 'default' };
  return { binding, target: targetFromBinding(binding), source: 'file' };
}

export interface TeamPool {
  pool: pg.Pool;
  serverVersion: string;
  applicationName: string;
}

/** Connections a team-mode runtime keeps at most. */
export const TEAM_POOL_MAX = 4;

/**
 * The pool a team-mode runtime works through: first one connection made and
 * checked exactly as connectPostgres does (refusals: PG_UNREACHABLE,
 * PG_AUTH_FAILED, PG_TLS_*, PG_SERVER_TOO_OLD, …; allow/prefer settle on TLS
 * or not), then a pool of at most TEAM_POOL_MAX connections made the same way,
 * each with the schema as its search_path and Stateward's value types.
 */
export async function openTeamPool(
  target: PgTarget,
  opts: { transport: PgTransport; log?: Logger; env?: NodeJS.ProcessEnv },
): Promise<TeamPool> {
  const first = await connectPostgres(target, opts);
  await first.client.end().catch(() => undefined);
  const logError = connectionErrorLogger(target, opts.log);
  const pool = new pg.Pool({
    ...connectionConfig(target, first.tls, first.applicationName, opts),
    // Set at connection start-up, before any query can run on it.
    options: `-c search_path=${target.schema}`,
    types: PG_TYPES,
    max: TEAM_POOL_MAX,
    idleTimeoutMillis: 30_000,
    // One connection stays while the instance runs, so pg_stat_activity (app.team) lists it
    // even when idle; idle connections never keep a finished CLI process alive.
    min: 1,
    allowExitOnIdle: true,
    // Run before the pool hands the new connection out, so the first query never queues
    // behind it (pg warns on stderr about a query issued while another runs).
    onConnect: async (client) => {
      client.on('error', logError);
      // Marks the session as one of this schema's instances (app.team lists the holders).
      await client
        .query('SELECT pg_advisory_lock_shared($1::bigint)', [
          advisoryKey('presence', target.schema),
        ])
        .catch(logError);
    },
  });
  // An idle connection that dies is dropped by the pool ('error' on the pool); one that dies
  // while checked out fails its query, and its own 'error' event must not be left unhandled
  // (that would end the process).
  pool.on('error', logError);
  return { pool, serverVersion: first.serverVersion, applicationName: first.applicationName };
}
