// Writers racing a promote: every answer to a deployments.create is recorded
// (acknowledged id + its unique version, or the refusal code), and afterwards
// each acknowledged write is looked up in the pre-restore backup and in live.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { Result } from '../../shared/errors.ts';
import { GUARD_PREFIX } from '../../electron/core/restore/guard.ts';
import { inspectBackupFile } from './backup-util.ts';

/** Codes a write racing a promote may be refused with (never INTERNAL, never a silent loss). */
export const PROMOTE_REFUSALS = ['PROMOTE_IN_PROGRESS', 'DATA_DIR_BUSY'];

export interface WriteLog {
  /** [deployment id, version] of every write that answered ok: true. */
  acked: [number, string][];
  /** Refusals by code. */
  refused: Record<string, number>;
}

export const emptyLog = (): WriteLog => ({ acked: [], refused: {} });

/** The deployments.create input of write number `seq` of a writer (its version is unique). */
export const writeInput = (environmentId: number, tag: string, seq: number) => ({
  environmentId,
  version: `${tag}-${seq}`,
  status: 'succeeded',
});

export function record(log: WriteLog, version: string, r: Result<unknown>): void {
  if (r.ok) log.acked.push([(r.value as { id: number }).id, version]);
  else log.refused[r.error.code] = (log.refused[r.error.code] ?? 0) + 1;
}

/** The pre-restore backup in a backups folder (the embedded manifest says its kind). */
export function preRestoreBackupIn(backupsDir: string): string {
  const found = fs
    .readdirSync(backupsDir)
    .filter((n) => n.endsWith('.sqlite'))
    .map((n) => path.join(backupsDir, n))
    .filter((f) => inspectBackupFile(f, { integrity: false }).embedded?.kind === 'pre-restore');
  if (found.length !== 1) throw new Error(`expected one pre-restore backup, found ${found.length}`);
  return found[0]!;
}

function deploymentKeys(file: string): Set<string> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT id, version FROM deployments').raw().all() as [
      number,
      string,
    ][];
    return new Set(rows.map(([id, v]) => `${id}:${v}`));
  } finally {
    db.close();
  }
}

/** Guard triggers of a promote still in a database file. */
export function guardTriggersIn(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(`SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE ?`)
      .pluck()
      .all(`${GUARD_PREFIX}%`) as string[];
  } finally {
    db.close();
  }
}

export interface Found {
  acked: number;
  inBackup: number;
  inLive: number;
  /** Acknowledged, but in neither: lost. */
  lost: string[];
  refused: Record<string, number>;
}

/** Look up every acknowledged write in the pre-restore backup and in live. */
export function findAcked(log: WriteLog, backup: string, live: string): Found {
  const b = deploymentKeys(backup);
  const l = deploymentKeys(live);
  const found: Found = {
    acked: log.acked.length,
    inBackup: 0,
    inLive: 0,
    lost: [],
    refused: log.refused,
  };
  for (const [id, v] of log.acked) {
    const key = `${id}:${v}`;
    if (b.has(key)) found.inBackup++;
    else if (l.has(key)) found.inLive++;
    else found.lost.push(key);
  }
  return found;
}

/** One line for the lead's note: acknowledged vs found. */
export function figures(variant: string, f: Found): string {
  return `[promote-writes] ${variant}: ${f.acked} writes acknowledged, ${f.acked - f.lost.length} found after the promote (${f.inBackup} in the pre-restore backup, ${f.inLive} in live), ${f.lost.length} lost; refused: ${JSON.stringify(f.refused)}`;
}
