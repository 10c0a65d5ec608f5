// Typed event map: main → renderer. Progress of long work flows through it.
import type { AutomationStatus, BackupEntry, BackupKind } from './domain.ts';

/** What a `data.changed` event names: every list and panel that reads the store. */
export const DATA_AREAS = [
  'projects',
  'environments',
  'deployments',
  'snapshots',
  'audit',
  'backups',
  'secrets',
  'runs',
  'resources',
] as const;

export interface Events {
  /** Something in the store changed; lists showing `area` should refresh. */
  'data.changed': { area: (typeof DATA_AREAS)[number] };
  /** Progress of a long operation: demo seeding, backup, restore and drill. */
  progress: {
    opId: string;
    op: string;
    done: number;
    total: number;
    unit: 'rows' | 'bytes' | 'pages' | 'steps';
    etaMs: number | null;
    phase: string;
    /** The whole operation's percentage (0–100, never lower than before), where it has one. */
    percent?: number;
    /** Units per second of the current phase, where it has one (a copy's rows/s). */
    rate?: number;
  };
  /** A backup finished (any kind, from this process). */
  'backup.finished': { entry: BackupEntry };
  /** A backup failed; the UI shows it and Electron raises a desktop notification. */
  'backup.failed': { kind: BackupKind; code: string; message: string; at: number };
  /** Automation was paused or resumed (here or by another process), or a promote started or ended. */
  'automation.changed': AutomationStatus;
}

export type EventName = keyof Events;
export const EVENT_NAMES: readonly EventName[] = [
  'data.changed',
  'progress',
  'backup.finished',
  'backup.failed',
  'automation.changed',
];

/** The transport protocol: channel and path names, declared once. */
export const IPC_INVOKE_CHANNEL = 'stateward:invoke';
export const IPC_EVENT_CHANNEL = 'stateward:event';
export const HTTP_INVOKE_PATH = '/api/invoke/';
export const HTTP_EVENTS_PATH = '/api/events';
export const HTTP_TOKEN_HEADER = 'x-stateward-token';
/** `1` on a command request marks it as automation (a script or CI): held off while automation is paused. */
export const HTTP_AUTOMATION_HEADER = 'x-stateward-automation';
/**
 * Readiness, without a token: 200 `{ ready: true, schema, version }` only when the data
 * is open, migrated and not refused; 503 `{ ready: false, code }` (the refusal's code) otherwise.
 */
export const HTTP_READY_PATH = '/ready';
export type ReadyBody =
  { ready: true; schema: number; version: string } | { ready: false; code: string };
/**
 * Restore from a file the browser uploads: POST the file's bytes as
 * application/octet-stream, with the token, its name (URI-encoded) in
 * HTTP_UPLOAD_NAME_HEADER and optionally an operation id for the progress events in
 * HTTP_OP_ID_HEADER. The answer is the Result of restores.preflight (plus the
 * upload's size and SHA-256). GET on the same path gives the size limit.
 */
export const HTTP_UPLOAD_RESTORE_PATH = '/api/upload/restore';
export const HTTP_UPLOAD_NAME_HEADER = 'x-stateward-file-name';
export const HTTP_OP_ID_HEADER = 'x-stateward-op-id';
