// Exit codes (DESIGN.md): 0 success; 1 a check failed; 2 bad input; 3 refused; 4 internal error.
import type { ErrorCode } from '../../shared/errors.ts';

export const EXIT = { ok: 0, checkFailed: 1, badInput: 2, refused: 3, internal: 4 } as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'DB_CORRUPT':
    case 'PG_COPY_VERIFY_FAILED':
    case 'PG_COPY_FAILED':
    case 'BACKUP_CHECK_FAILED':
    case 'BACKUP_HASH_MISMATCH':
    case 'BACKUP_FACTS_MISMATCH':
    case 'BACKUP_MANIFEST_UNREADABLE':
    case 'DRILL_FAILED':
    case 'OFFSITE_COPY_FAILED':
    case 'SECRET_TAMPERED':
    case 'DRILL_BOOT_FAILED':
      return EXIT.checkFailed;
    case 'BAD_INPUT':
    case 'DATABASE_BINDING_INVALID':
    case 'NOT_IN_TEAM_MODE':
    case 'UNKNOWN_COMMAND':
    case 'NOT_FOUND':
    case 'CONFLICT':
    case 'INVALID_TRANSITION':
    case 'IMMUTABLE':
    case 'NOT_A_STATEWARD_DB':
    case 'DB_UNREADABLE':
    case 'DATA_DIR_UNUSABLE':
    case 'DEMO_NEEDS_EMPTY_DATA_DIR':
    case 'UNSUPPORTED_HERE':
    case 'BACKUP_DISK_FULL':
    case 'DISK_FULL':
    case 'UPLOAD_TOO_LARGE':
    case 'OFFSITE_DIR_REFUSED':
    case 'BACKUP_DESTINATION_UNWRITABLE':
    case 'BACKUP_UNREADABLE':
    case 'BACKUP_EMPTY':
    case 'NOT_SQLITE':
    case 'RESTORE_NOT_FOUND':
    case 'SECRETS_NOT_SET_UP':
    case 'SECRETS_ALREADY_SET_UP':
    case 'SECRETS_WRONG_PASSPHRASE':
    case 'SECRETS_PASSPHRASE_REQUIRED':
    case 'SECRETS_RECOVERY_KEY_INVALID':
    case 'SECRET_VALUE_REFUSED':
    case 'SECRET_REFERENCE_UNKNOWN':
    case 'PG_UNREACHABLE':
    case 'PG_AUTH_FAILED':
    case 'PG_DATABASE_MISSING':
    case 'PG_TLS_REQUIRED':
    case 'PG_TLS_FAILED':
    case 'PG_SCHEMA_FOREIGN':
    case 'PG_TARGET_NOT_EMPTY':
    case 'PG_READ_ONLY':
      return EXIT.badInput;
    case 'DATA_DIR_LOCKED':
    case 'SCHEMA_FROM_NEWER_VERSION':
    case 'MIGRATION_HISTORY_OUT_OF_SYNC':
    case 'MIGRATION_CHECKSUM_MISMATCH':
    case 'STORE_NOT_READY':
    case 'UNAUTHORIZED':
    case 'FORBIDDEN':
    case 'UNTRUSTED_SENDER':
    case 'BACKUP_IN_PROGRESS':
    case 'DATA_DIR_BUSY':
    case 'PROMOTE_IN_PROGRESS':
    case 'PROMOTE_INTERRUPTED':
    case 'DB_NEEDS_RECOVERY':
    case 'PRE_UPGRADE_BACKUP_FAILED':
    case 'RESTORE_NOT_VERIFIED':
    case 'RESTORE_NEEDS_REDRILL':
    case 'SECRETS_LOCKED':
    case 'SECRETS_KEY_UNAVAILABLE':
    case 'PG_SERVER_TOO_OLD':
    case 'PG_SCHEMA_VERSION_MISMATCH':
    case 'INSTANCE_BUSY':
    case 'PAUSED':
    case 'MOVE_IN_PROGRESS':
      return EXIT.refused;
    case 'CANCELLED':
    case 'PG_VALUE_OUT_OF_RANGE':
    case 'PG_CONNECTION_LOST':
    case 'MIGRATION_FAILED':
    case 'PROMOTE_FAILED':
    case 'INTERNAL':
      return EXIT.internal;
  }
}

/**
 * Text as it may reach a terminal: every C0 and C1 control character and DEL except
 * the newline (ESC, CR, backspace, tab …, as a name typed on the command line may hold
 * them) shown as a `\xNN` escape, so a user-supplied value cannot clear the screen,
 * move the cursor or overwrite a line. The newlines are Stateward's own line breaks.
 */
export function terminalSafe(text: string): string {
  return text.replace(
    // Also the bidi controls (an override shows the rest of the line reversed: a name that
    // reads as another), written as \uXXXX.
    // eslint-disable-next-line no-control-regex -- control characters are what is escaped
    /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => {
      const n = c.charCodeAt(0);
      return n > 0xff
        ? `\\u${n.toString(16).padStart(4, '0')}`
        : `\\x${n.toString(16).padStart(2, '0')}`;
    },
  );
}
