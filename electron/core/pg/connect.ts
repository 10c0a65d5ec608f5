// Team mode's way in: a postgres:// URL parsed and checked, a connection that
// says who it is (application_name), sslmode honoured, and every way a
// connection can fail turned into a stable code with a message a person can
// act on. Passwords come from the URL given on the command line or in the
// environment, PGPASSWORD or the password file, never from a file of ours,
// and never appear in a message or a log line.
import fs from 'node:fs';
import os from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { AppError } from '../../../shared/errors.ts';
import type { Logger } from '../log.ts';
import { APP_VERSION } from '../version.ts';
import { pgpassLookup } from './pgpass.ts';

/** The oldest PostgreSQL Stateward supports (server_version_num). */
export const MIN_SERVER_VERSION_NUM = 130000;
export const MIN_SERVER_VERSION_TEXT = 'PostgreSQL 13';

export const DEFAULT_SCHEMA = 'stateward';
export const SSL_MODES = [
  'disable',
  'allow',
  'prefer',
  'require',
  'verify-ca',
  'verify-full',
] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface PgTarget {
  /** Host name, address, or a Unix socket directory (starts with '/'). */
  host: string;
  port: number;
  database: string;
  user: string;
  sslmode: SslMode;
  /** A CA file for verify-ca / verify-full (libpq's sslrootcert). */
  sslrootcert: string | null;
  schema: string;
  connectTimeoutMs: number;
  /** Only from a URL given on the command line or in the environment. */
  password: string | null;
}

/** Where a URL came from: a file of ours (database.json) must never hold a password. */
export type UrlSource = 'flag' | 'env' | 'file';

const KNOWN_PARAMS = new Set([
  'sslmode',
  'sslrootcert',
  'schema',
  'connect_timeout',
  'host',
  'port',
]);
/**
 * A schema name Stateward accepts: plain lower case, never needing quotes, and
 * not reserved: PostgreSQL refuses to create `pg_*` schemas, and `stateward_drill_*`
 * is the drills' scratch space (a drill drops its leftovers there).
 */
export const SCHEMA_NAME = /^(?!pg_|stateward_drill_)[a-z_][a-z0-9_]{0,62}$/;
/** A host: a name or address, or a Unix socket directory; never a URL (which could hold a password). */
export const HOST_NAME = /^(\/[^\0]*|[\w.:%-]+)$/;
/** Schema name prefixes a team schema may not have (see SCHEMA_NAME). */
const RESERVED_SCHEMA_PREFIX = /^(pg_|stateward_drill_)/;

function badUrl(message: string, hint: string): AppError {
  return new AppError('BAD_INPUT', message, { hint, details: { field: 'databaseUrl' } });
}

/** A %-escaped part of the URL (`what`: which), decoded; a broken escape is BAD_INPUT. */
function decodedPart(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // Never echoed: it may be (or sit next to) a password.
    throw badUrl(
      `The ${what} in the database URL has a broken %-escape.`,
      'Write a % in it as %25.',
    );
  }
}

/** Parse `postgres://user@host:port/database?sslmode=…&schema=…` (libpq's URI form). */
export function parseDatabaseUrl(raw: string, source: UrlSource = 'flag'): PgTarget {
  let u: URL;
  try {
    // libpq allows a user without a host (`postgres://ann@/db?host=/run/postgresql`); WHATWG URLs do not.
    u = new URL(raw.replace(/^(postgres(?:ql)?:\/\/[^/?#@]*@)(?=[/?#]|$)/, '$1localhost'));
  } catch {
    // The text may hold a password: never echo it.
    throw badUrl(
      'The database URL is not a valid URL.',
      'Use postgres://USER@HOST:PORT/DATABASE (password from PGPASSWORD or ~/.pgpass).',
    );
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw badUrl(
      `The database URL must start with postgres:// or postgresql://, not ${u.protocol}//.`,
      'Use postgres://USER@HOST:PORT/DATABASE.',
    );
  }
  const password = u.password === '' ? null : decodedPart(u.password, 'password');
  if (password !== null && source === 'file') {
    throw badUrl(
      'A database URL stored in a file must not hold a password.',
      'Remove the password from the file; set PGPASSWORD or add it to ~/.pgpass (mode 0600) instead.',
    );
  }
  const unknown = [...u.searchParams.keys()].filter((k) => !KNOWN_PARAMS.has(k));
  if (unknown.length > 0) {
    throw badUrl(
      `The database URL has parameters Stateward does not know: ${unknown.join(', ')}.`,
      `Known parameters: ${[...KNOWN_PARAMS].join(', ')}.`,
    );
  }
  const sslmode = (u.searchParams.get('sslmode') ?? 'prefer') as SslMode;
  if (!SSL_MODES.includes(sslmode)) {
    throw badUrl(
      `sslmode=${sslmode} is not one of ${SSL_MODES.join(', ')}.`,
      'Use sslmode=verify-full for a server on another machine.',
    );
  }
  const schema = u.searchParams.get('schema') ?? DEFAULT_SCHEMA;
  const reserved = RESERVED_SCHEMA_PREFIX.exec(schema);
  if (reserved) {
    throw badUrl(
      `schema=${schema} starts with ${reserved[1]}, which is reserved (${reserved[1] === 'pg_' ? "PostgreSQL's system schemas" : "Stateward drills' scratch schemas, dropped after a drill"}).`,
      'Choose another schema name, e.g. schema=stateward.',
    );
  }
  if (!SCHEMA_NAME.test(schema)) {
    throw badUrl(
      `schema=${schema} is not a plain lower-case PostgreSQL name.`,
      'Use letters a-z, digits and _, starting with a letter or _ (at most 63).',
    );
  }
  const portText = u.searchParams.get('port') ?? (u.port === '' ? '5432' : u.port);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw badUrl(`Port ${portText} is not a TCP port.`, 'Use a port between 1 and 65535.');
  }
  const timeoutText = u.searchParams.get('connect_timeout') ?? '10';
  const timeoutS = Number(timeoutText);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
    throw badUrl(
      `connect_timeout=${timeoutText} is not a number of seconds.`,
      'Use connect_timeout=10.',
    );
  }
  const user = u.username === '' ? os.userInfo().username : decodedPart(u.username, 'user name');
  const dbPath = decodedPart(u.pathname.replace(/^\//, ''), 'database name');
  const host =
    u.searchParams.get('host') ??
    (u.hostname === '' ? 'localhost' : decodedPart(u.hostname, 'host').replace(/^\[|\]$/g, ''));
  if (!HOST_NAME.test(host)) {
    throw badUrl(
      'The host of the database URL is not a host name, an address or a socket directory.',
      'Use postgres://USER@HOST:PORT/DATABASE, or ?host=/socket/directory.',
    );
  }
  return {
    host,
    port,
    database: dbPath === '' ? user : dbPath,
    user,
    sslmode,
    sslrootcert: u.searchParams.get('sslrootcert'),
    schema,
    connectTimeoutMs: Math.round(timeoutS * 1000),
    password,
  };
}

/** The target as a URL without any password: the only form messages and logs use. */
export function describeTarget(t: PgTarget): string {
  const host = t.host.startsWith('/') ? `?host=${t.host}` : '';
  const authority = t.host.startsWith('/')
    ? ''
    : t.host.includes(':')
      ? `[${t.host}]:${t.port}`
      : `${t.host}:${t.port}`;
  const params = [`sslmode=${t.sslmode}`, `schema=${t.schema}`];
  return `postgres://${encodeURIComponent(t.user)}@${authority}/${encodeURIComponent(t.database)}${host === '' ? '?' : `${host}&`}${params.join('&')}`;
}

export type PgTransport = 'electron' | 'http' | 'cli';

/** `stateward/<version>/<transport>@<hostname>/<pid>`, cut to the server's 63 bytes. */
export function applicationName(
  transport: PgTransport,
  who: { version?: string; hostname?: string; pid?: number } = {},
): string {
  const name = `stateward/${who.version ?? APP_VERSION}/${transport}@${who.hostname ?? os.hostname()}/${who.pid ?? process.pid}`;
  // Non-ASCII is replaced by the server anyway; keep it predictable.
  return name.replace(/[^\x20-\x7e]/g, '?').slice(0, 63);
}

/** pg's `ssl` option for one sslmode (allow and prefer try both: see connectPostgres). */
function sslOptions(t: PgTarget, tls: boolean): false | ConnectionOptions {
  if (!tls) return false;
  if (t.sslmode === 'verify-ca' || t.sslmode === 'verify-full') {
    let ca: string | undefined;
    if (t.sslrootcert !== null) {
      try {
        ca = fs.readFileSync(t.sslrootcert, 'utf8');
      } catch (e) {
        throw new AppError(
          'BAD_INPUT',
          `The CA file ${t.sslrootcert} (sslrootcert) cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
          {
            hint: 'Point sslrootcert at the PEM file of the CA that signed the server certificate.',
          },
        );
      }
    }
    return {
      rejectUnauthorized: true,
      ...(ca === undefined ? {} : { ca }),
      // verify-ca checks the chain but not the name; verify-full checks both (the TLS default).
      ...(t.sslmode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
    };
  }
  // require (and the TLS attempt of allow/prefer): encrypted, not verified, as libpq does without a root cert.
  return { rejectUnauthorized: false };
}

/** Refuse servers older than PostgreSQL 13, naming the minimum. */
export function checkServerVersion(versionNum: number, versionText: string): void {
  if (!Number.isInteger(versionNum) || versionNum < MIN_SERVER_VERSION_NUM) {
    throw new AppError(
      'PG_SERVER_TOO_OLD',
      `The server runs PostgreSQL ${versionText}; Stateward needs at least ${MIN_SERVER_VERSION_TEXT}.`,
      {
        hint: `Upgrade the server to ${MIN_SERVER_VERSION_TEXT} or newer (any supported release), or use another server.`,
        details: {
          serverVersion: versionText,
          serverVersionNum: versionNum,
          minimum: MIN_SERVER_VERSION_NUM,
        },
      },
    );
  }
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EADDRNOTAVAIL',
  'ENOENT', // a Unix socket that is not there
  '57P03', // the database system is starting up / shutting down
  '53300', // too many connections
]);
const TLS_CERT_CODES =
  /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID|CERT_SIGNATURE_FAILURE|ERR_SSL_.*)$/;

/**
 * Errors of a query whose connection is gone: terminated backend, server shut down or
 * restarting, network; or a command's new connection (the pool's) that could not be made
 * because the server went away after the start (refused, unreachable, timed out).
 */
const CONNECTION_LOST_CODES = new Set([
  '57P01',
  '57P02',
  '57P03',
  'ECONNRESET',
  'EPIPE',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

/** Whether `e` says the connection died under the query (not that the query was wrong). */
export function isConnectionLost(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return (
    CONNECTION_LOST_CODES.has(err.code ?? '') ||
    /Connection terminated|connection.*(closed|lost)|not queryable|timeout exceeded when trying to connect/i.test(
      err.message ?? '',
    )
  );
}

/** A command's query lost its connection: PG_CONNECTION_LOST, naming the server (never a password). */
export function connectionLost(t: PgTarget, e: unknown): AppError {
  const err = e as { code?: string; message?: string };
  const raw = scrubPassword(err.message ?? String(e), t.password);
  return new AppError(
    'PG_CONNECTION_LOST',
    `The connection to the team database ${describeTarget(t)} was lost: ${raw}`,
    {
      hint: 'A change in flight was rolled back, unless the connection died while it committed: check the change, then try again. If the server is down or restarting, wait for it.',
      details: { target: describeTarget(t), cause: err.code ? `${err.code}: ${raw}` : raw },
      cause: e,
    },
  );
}

/** Remove the password (raw and URL-encoded) from text that came from elsewhere. */
function scrubPassword(text: string, password: string | null): string {
  if (password === null || password === '') return text;
  return text.split(password).join('***').split(encodeURIComponent(password)).join('***');
}

/** Turn a failed connect into a stable code. Unknown failures keep their text (scrubbed) under INTERNAL. */
export function classifyConnectError(e: unknown, t: PgTarget): AppError {
  if (e instanceof AppError) return e;
  const err = e as { code?: string; message?: string };
  const code = err.code ?? '';
  const raw = scrubPassword(err.message ?? String(e), t.password);
  const where = describeTarget(t);
  const details = { target: where, cause: code === '' ? raw : `${code}: ${raw}` };
  if (code === '28000' && /no encryption|SSL off/i.test(raw)) {
    return new AppError(
      'PG_TLS_REQUIRED',
      `The server at ${t.host}:${t.port} accepts ${t.user} only over TLS, and this connection has none (sslmode=${t.sslmode}).`,
      { hint: 'Use sslmode=verify-full (or require) in the database URL.', details },
    );
  }
  if (code === '28P01' || code === '28000' || /client password must be a string/i.test(raw)) {
    const noPassword = /client password must be a string/i.test(raw);
    return new AppError(
      'PG_AUTH_FAILED',
      noPassword
        ? `The server at ${t.host}:${t.port} wants a password for ${t.user}, and none was given.`
        : `The server at ${t.host}:${t.port} refused user ${t.user} for database ${t.database}: ${raw}`,
      {
        hint: 'Check the user name, and set the password in PGPASSWORD or ~/.pgpass (mode 0600); the server must allow this user from this machine (pg_hba.conf).',
        details,
      },
    );
  }
  if (code === '3D000') {
    return new AppError(
      'PG_DATABASE_MISSING',
      `The database ${t.database} does not exist on the server at ${t.host}:${t.port}.`,
      {
        hint: `Create it first (CREATE DATABASE ${t.database}) or correct the name in the URL; Stateward creates its schema, not the database.`,
        details,
      },
    );
  }
  if (/does not support SSL/i.test(raw) || TLS_CERT_CODES.test(code)) {
    return new AppError(
      'PG_TLS_FAILED',
      /does not support SSL/i.test(raw)
        ? `The server at ${t.host}:${t.port} does not accept TLS, but sslmode=${t.sslmode} requires it.`
        : `The server certificate at ${t.host}:${t.port} did not verify (sslmode=${t.sslmode}): ${raw}`,
      {
        hint: 'Turn TLS on at the server, or give the CA of its certificate with sslrootcert=FILE; use sslmode=prefer only on a trusted network.',
        details,
      },
    );
  }
  if (
    UNREACHABLE_CODES.has(code) ||
    /timeout|terminated unexpectedly|Connection terminated/i.test(raw)
  ) {
    return new AppError(
      'PG_UNREACHABLE',
      `The PostgreSQL server at ${t.host.startsWith('/') ? t.host : `${t.host}:${t.port}`} cannot be reached: ${raw}`,
      {
        hint: 'Check that the server is running, the host and port are right, and a firewall lets this machine through.',
        details,
      },
    );
  }
  return new AppError('INTERNAL', `Connecting to ${where} failed: ${raw}`, { details });
}

export interface PgConnection {
  client: pg.Client;
  target: PgTarget;
  serverVersion: string;
  serverVersionNum: number;
  applicationName: string;
  /** Whether the connection ended up encrypted. */
  tls: boolean;
}

export interface ConnectOptions {
  transport: PgTransport;
  log?: Logger;
  /** Override the environment (tests). */
  env?: NodeJS.ProcessEnv;
}

function passwordFor(t: PgTarget, env: NodeJS.ProcessEnv, log?: Logger): () => string | undefined {
  return () =>
    t.password ??
    env.PGPASSWORD ??
    pgpassLookup(t, {
      ...(env.PGPASSFILE ? { file: env.PGPASSFILE } : {}),
      warn: (m) => log?.log('warn', m),
    });
}

/**
 * How Stateward opens a connection to `t` (a client, or each connection of a
 * pool): the password from the URL, PGPASSWORD or the password file; TLS as
 * decided (`tls`); `application_name`; the connect timeout.
 */
export function connectionConfig(
  t: PgTarget,
  tls: boolean,
  appName: string,
  opts: ConnectOptions,
): pg.ClientConfig {
  return {
    host: t.host,
    port: t.port,
    database: t.database,
    user: t.user,
    // pg treats undefined as "no password" (its types say string only).
    password: passwordFor(t, opts.env ?? process.env, opts.log) as () => string,
    ssl: sslOptions(t, tls),
    application_name: appName,
    connectionTimeoutMillis: t.connectTimeoutMs,
    keepAlive: true,
  };
}

/** A connection lost later surfaces on the next query; its 'error' event is only logged (never unhandled). */
export function connectionErrorLogger(t: PgTarget, log?: Logger): (e: Error) => void {
  return (e) =>
    log?.log('warn', `PostgreSQL connection error: ${scrubPassword(e.message, t.password)}`);
}

async function attempt(
  t: PgTarget,
  tls: boolean,
  appName: string,
  opts: ConnectOptions,
): Promise<pg.Client> {
  const client = new pg.Client(connectionConfig(t, tls, appName, opts));
  client.on('error', connectionErrorLogger(t, opts.log));
  try {
    await client.connect();
    return client;
  } catch (e) {
    await client.end().catch(() => undefined);
    throw classifyConnectError(e, t);
  }
}

/**
 * Connect to `t` and check the server version. sslmode: disable = plain;
 * allow = plain, then TLS when the server requires it; prefer = TLS, then plain
 * when the server offers none; require / verify-ca / verify-full = TLS only.
 */
export async function connectPostgres(t: PgTarget, opts: ConnectOptions): Promise<PgConnection> {
  const appName = applicationName(opts.transport);
  opts.log?.log('info', `PostgreSQL: connecting to ${describeTarget(t)} as ${appName}`);
  let client: pg.Client;
  let tls = t.sslmode !== 'disable' && t.sslmode !== 'allow';
  try {
    try {
      client = await attempt(t, tls, appName, opts);
    } catch (e) {
      const code = (e as AppError).code;
      if (
        t.sslmode === 'prefer' &&
        code === 'PG_TLS_FAILED' &&
        /does not accept TLS/.test((e as Error).message)
      ) {
        tls = false;
        client = await attempt(t, tls, appName, opts);
      } else if (t.sslmode === 'allow' && code === 'PG_TLS_REQUIRED') {
        tls = true;
        client = await attempt(t, tls, appName, opts);
      } else {
        throw e;
      }
    }
  } catch (e) {
    const err = e as AppError;
    opts.log?.log('warn', `PostgreSQL: ${err.code}: ${err.message}`);
    throw e;
  }
  try {
    const r = await client.query<{ num: string; text: string }>(
      `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text`,
    );
    const { num, text } = r.rows[0]!;
    checkServerVersion(Number(num), text);
    return {
      client,
      target: t,
      serverVersion: text,
      serverVersionNum: Number(num),
      applicationName: appName,
      tls,
    };
  } catch (e) {
    await client.end().catch(() => undefined);
    const err = classifyConnectError(e, t);
    opts.log?.log('warn', `PostgreSQL: ${err.code}: ${err.message}`);
    throw err;
  }
}

/** The comment that marks a schema_migrations table as Stateward's (PostgreSQL's application_id). */
export const STATEWARD_MARKER = 'stateward schema history';

export type SchemaState = 'absent' | 'empty' | 'stateward';

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * What the target schema holds: nothing yet ('absent' / 'empty'), Stateward's
 * tables ('stateward': a schema_migrations table carrying our marker), or
 * someone else's tables: PG_SCHEMA_FOREIGN, and nothing is touched.
 */
export async function inspectSchema(
  client: pg.ClientBase,
  schema: string,
  database = '',
): Promise<SchemaState> {
  const ns = await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema]);
  if (ns.rowCount === 0) return 'absent';
  const rel = await client.query<{ relname: string; marker: string | null }>(
    `SELECT c.relname, obj_description(c.oid, 'pg_class') AS marker
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      ORDER BY c.relname`,
    [schema],
  );
  if (rel.rows.length === 0) return 'empty';
  const history = rel.rows.find((r) => r.relname === 'schema_migrations');
  if (history?.marker === STATEWARD_MARKER) return 'stateward';
  const tables = rel.rows.map((r) => r.relname);
  const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', …' : '');
  throw new AppError(
    'PG_SCHEMA_FOREIGN',
    `Schema ${schema}${database === '' ? '' : ` in database ${database}`} holds tables that are not Stateward's (${shown})${history ? "; its schema_migrations table is not Stateward's" : ''}. Nothing was changed.`,
    {
      hint: 'Choose another schema with ?schema=NAME in the database URL (Stateward creates it), or another database.',
      details: { schema, tables: tables.slice(0, 20), foreignHistory: history !== undefined },
    },
  );
}
