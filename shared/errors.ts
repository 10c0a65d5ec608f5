// Stable error codes shared by the CLI, IPC, the HTTP host and the UI.
// A code never changes meaning once published; add new ones instead.

export const ERROR_CODES = [
  'BAD_INPUT',
  'UNKNOWN_COMMAND',
  'NOT_FOUND',
  'CONFLICT',
  'INVALID_TRANSITION',
  'IMMUTABLE',
  'DATA_DIR_LOCKED',
  'DATA_DIR_UNUSABLE',
  'DB_UNREADABLE',
  'NOT_A_STATEWARD_DB',
  'DB_CORRUPT',
  'SCHEMA_FROM_NEWER_VERSION',
  'MIGRATION_HISTORY_OUT_OF_SYNC',
  'MIGRATION_CHECKSUM_MISMATCH',
  'MIGRATION_FAILED',
  'STORE_NOT_READY',
  'DEMO_NEEDS_EMPTY_DATA_DIR',
  'UNSUPPORTED_HERE',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'UNTRUSTED_SENDER',
  'CANCELLED',
  'BACKUP_IN_PROGRESS',
  'BACKUP_DISK_FULL',
  'BACKUP_DESTINATION_UNWRITABLE',
  'BACKUP_CHECK_FAILED',
  'BACKUP_HASH_MISMATCH',
  'PRE_UPGRADE_BACKUP_FAILED',
  'BACKUP_UNREADABLE',
  'BACKUP_EMPTY',
  'NOT_SQLITE',
  'BACKUP_FACTS_MISMATCH',
  /** A backup's sidecar manifest is there but cannot be read, is not JSON or is not a Stateward manifest. */
  'BACKUP_MANIFEST_UNREADABLE',
  'RESTORE_NOT_FOUND',
  'RESTORE_NOT_VERIFIED',
  /** A restored copy's schema is not this version's (drilled by an older one): drill it again before using it (details.copySchema, details.appSchema). */
  'RESTORE_NEEDS_REDRILL',
  'PROMOTE_FAILED',
  'DRILL_FAILED',
  'SECRETS_NOT_SET_UP',
  'SECRETS_ALREADY_SET_UP',
  'SECRETS_LOCKED',
  'SECRETS_WRONG_PASSPHRASE',
  'SECRETS_PASSPHRASE_REQUIRED',
  'SECRETS_RECOVERY_KEY_INVALID',
  'SECRETS_KEY_UNAVAILABLE',
  'SECRET_TAMPERED',
  'SECRET_VALUE_REFUSED',
  /** A configuration snapshot refers ({"$secret": NAME}) to a secret its environment does not have (details.names). */
  'SECRET_REFERENCE_UNKNOWN',
  'OFFSITE_COPY_FAILED',
  /** The disk holding the data directory (or the file being written) is full; nothing was changed. */
  'DISK_FULL',
  /** Another process held a write transaction longer than the busy timeout; retry. */
  'DATA_DIR_BUSY',
  /** An uploaded file is larger than the host accepts (details.limitBytes); nothing was kept. */
  'UPLOAD_TOO_LARGE',
  /** The chosen off-site folder is refused (system folder, home, the data dir) or failed its write proof. */
  'OFFSITE_DIR_REFUSED',
  /** A restored copy is being made live: writes are refused until it is done; retry (details.retryAfterMs). */
  'PROMOTE_IN_PROGRESS',
  /** A crash interrupted a promote; the next start with the data-dir lock finishes or rolls it back (details.nextStart). */
  'PROMOTE_INTERRUPTED',
  /** A crash left a write of the database unfinished (a hot -journal); the next start with the data-dir lock rolls it back. */
  'DB_NEEDS_RECOVERY',
  /** PostgreSQL: the server cannot be reached (refused, unknown host, timed out, not accepting connections). */
  'PG_UNREACHABLE',
  /** PostgreSQL: the server rejected the user or password (28P01/28000). */
  'PG_AUTH_FAILED',
  /** PostgreSQL: the database named in the URL does not exist on the server (3D000). */
  'PG_DATABASE_MISSING',
  /** PostgreSQL: the server accepts this connection only over TLS (sslmode=disable asked for none). */
  'PG_TLS_REQUIRED',
  /** PostgreSQL: TLS could not be set up as sslmode asks (the server offers none, or its certificate did not verify). */
  'PG_TLS_FAILED',
  /** PostgreSQL: the server is older than the oldest supported version (details.minimum). */
  'PG_SERVER_TOO_OLD',
  /** PostgreSQL: the target schema holds tables that are not Stateward's; nothing was changed. */
  'PG_SCHEMA_FOREIGN',
  /** PostgreSQL copy: the target schema already holds Stateward rows; nothing was changed. */
  'PG_TARGET_NOT_EMPTY',
  /** PostgreSQL copy: the target schema is at another migration than the source (details.source, details.target); nothing was changed. */
  'PG_SCHEMA_VERSION_MISMATCH',
  /** PostgreSQL: the server or database is read-only, or the role may not create the schema or its tables; nothing was changed. */
  'PG_READ_ONLY',
  /** PostgreSQL copy: a table's row count or content hash differs between source and target (details.table); rolled back. */
  'PG_COPY_VERIFY_FAILED',
  /** PostgreSQL copy: a source row could not be written to the target (details.table); rolled back. */
  'PG_COPY_FAILED',
  /** A value read from PostgreSQL (an id, a count) is beyond 2^53 and cannot be held exactly. */
  'PG_VALUE_OUT_OF_RANGE',
  /** The PostgreSQL connection was lost during the command; nothing half-done stays (the transaction rolled back). */
  'PG_CONNECTION_LOST',
  /** This data dir's database.json cannot be read, parsed, or names something unusable. */
  'DATABASE_BINDING_INVALID',
  /** Exclusive work (migration, promote, key rotation, scheduled backup) is being done by another instance. */
  'INSTANCE_BUSY',
  /** Only possible on the other backend (a SQLite file operation in team mode, or the reverse). */
  'NOT_IN_TEAM_MODE',
  /** Automation writes are paused (`stateward pause`, an upgrade or a promote); retryable (details.retryAfterMs). */
  'PAUSED',
  /** The copy's boot step: the real host did not start on it, did not answer /ready, or a probe failed. */
  'DRILL_BOOT_FAILED',
  /** The data dir is being moved to PostgreSQL: writes are refused until the move is done; retryable (details.retryAfterMs). */
  'MOVE_IN_PROGRESS',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface AppErrorShape {
  code: ErrorCode;
  message: string;
  /** What the user can do about it, in plain language. */
  hint?: string;
  details?: Record<string, unknown>;
}

/** Expected failures: thrown inside core, turned into `{ ok: false }` at the boundary. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.hint = opts.hint;
    this.details = opts.details;
  }

  toShape(): AppErrorShape {
    const shape: AppErrorShape = { code: this.code, message: this.message };
    if (this.hint !== undefined) shape.hint = this.hint;
    if (this.details !== undefined) shape.details = this.details;
    return shape;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppErrorShape };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (error: AppErrorShape): Result<never> => ({ ok: false, error });
