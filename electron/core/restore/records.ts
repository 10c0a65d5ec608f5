// Restored copies on disk: the record in restores/<id>/restore.json, which
// process is working on a copy, and removing copies (a discard, a verify's
// temporary copy, what a crash left). A copy is born with its record: its folder
// is made under a temporary name, the record written in it, then renamed into
// place, so every restores/<id> says what it is. A copy whose copying or drill
// was cut off (the process died) is "interrupted": never "ready".
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { RestoreCopy, RestoreStatus } from '../../../shared/domain.ts';
import {
  fsyncDir,
  listDir,
  processAlive,
  removeDeadWriterTemps,
  removeFileQuietly,
  tempNameFor,
  tempWriterPid,
  writeFileAtomic,
} from '../fsutil.ts';
import { MIGRATIONS } from '../store/migrations/index.ts';

/** The schema this version's drill migrates a copy to; the screens read a copy only at this schema. */
export const APP_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export const RECORD = 'restore.json';
export const RESTORE_ID_RE = /^[0-9a-f]{16}$/;

/** The process working on a copy: its pid, and a token that tells it from a later process reusing the pid. */
const ownerSchema = z.object({ pid: z.number().int(), token: z.string() });
type Owner = z.infer<typeof ownerSchema>;

export const restoreRecordSchema = z.object({
  id: z.string(),
  createdAt: z.number(),
  /**
   * copying → staged → drilling → ready | failed; copying and drilling are done by
   * `owner`, and a staged copy waits for its owner's drill.
   */
  status: z.enum(['copying', 'staged', 'drilling', 'ready', 'failed', 'promoted', 'discarded']),
  source: z.record(z.string(), z.unknown()),
  drillId: z.string().nullable(),
  passed: z.boolean(),
  schemaVersion: z.number(),
  owner: ownerSchema.nullable().optional(),
  /** A verify's copy: removed when the verify ends, or by the next locking start after a crash. */
  temporary: z.boolean().optional(),
});
export type RestoreRecord = z.infer<typeof restoreRecordSchema>;

/** This process, as the owner of the copies it works on. */
export const THIS_PROCESS: Owner = {
  pid: process.pid,
  token: crypto.randomBytes(8).toString('hex'),
};

export function ownerAlive(owner: Owner | null | undefined): boolean {
  if (!owner) return false;
  if (owner.pid === process.pid) return owner.token === THIS_PROCESS.token;
  return processAlive(owner.pid);
}

const WORKING: readonly RestoreRecord['status'][] = ['copying', 'staged', 'drilling'];

/** Still being copied or drilled by a live process (or, staged, waiting for its drill there). */
export function inProgress(r: RestoreRecord): boolean {
  return WORKING.includes(r.status) && ownerAlive(r.owner);
}

/**
 * What a copy is, as the UI sees it: one whose process died before its drill finished is
 * interrupted; one another version drilled (its schema is not this version's) needs a re-drill.
 */
export function copyStatus(r: RestoreRecord): RestoreStatus {
  if (WORKING.includes(r.status)) return ownerAlive(r.owner) ? 'in-progress' : 'interrupted';
  if (r.status === 'ready' && r.schemaVersion !== APP_SCHEMA_VERSION) return 'needs-redrill';
  return r.status as RestoreStatus;
}

export const toCopy = (r: RestoreRecord): RestoreCopy => ({
  id: r.id,
  createdAt: r.createdAt,
  status: copyStatus(r),
  source: r.source as unknown as RestoreCopy['source'],
  drillId: r.drillId,
  // An interrupted drill proves nothing, whatever an earlier one said.
  passed: r.passed && !WORKING.includes(r.status),
  schemaVersion: r.schemaVersion,
});

/** Make restores/<id> with its record in it, atomically (folder made under a temporary name, then renamed). */
export function createCopyDir(restores: string, record: RestoreRecord): string {
  const dir = path.join(restores, record.id);
  const tmp = path.join(restores, tempNameFor(record.id));
  fs.mkdirSync(tmp, { mode: 0o700 });
  try {
    writeFileAtomic(path.join(tmp, RECORD), JSON.stringify(record, null, 2));
    fs.renameSync(tmp, dir);
  } catch (e) {
    removeCopyDir(tmp);
    throw e;
  }
  fsyncDir(restores);
  return dir;
}

/** Names Stateward writes in a copy's folder: the copy and SQLite's files beside it, the records, their temporaries. */
const OWN_NAME =
  /^(stateward\.db(-wal|-shm|-journal)?|restore\.json|preflight\.json|\.(restore|preflight)\.json\.\d+\.tmp|\.stateward-tmp-.+)$/;

/** The private data dir a drill's boot step moved the copy into (boot.ts), left by a crash. */
const BOOT_DIR = /^stateward-boot-\d+-[A-Za-z0-9]{6}$/;

/** The snapshot of the team database a diff in team mode compares the copy with (copy-diff.ts), left by a crash. */
const LIVE_SNAPSHOT_DIR = /^stateward-live-\d+-[A-Za-z0-9]{6}$/;

/** A boot step's folder (a real directory, never a symlink), removed with what the app wrote in it. */
function removeBootDir(file: string): boolean {
  try {
    if (!fs.lstatSync(file).isDirectory()) return false;
    fs.rmSync(file, { recursive: true, force: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * Remove a copy's folder: only the names Stateward writes there, only regular
 * files (a symlink is never followed or removed) and a drill's boot folder, then
 * the folder if that emptied it. Returns what was kept (nothing when the folder is gone).
 */
export function removeCopyDir(dir: string): string[] {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  if (!st.isDirectory()) return [path.basename(dir)];
  const kept = listDir(dir).filter(
    (n) =>
      !(OWN_NAME.test(n)
        ? removeFileQuietly(path.join(dir, n))
        : (BOOT_DIR.test(n) || LIVE_SNAPSHOT_DIR.test(n)) && removeBootDir(path.join(dir, n))),
  );
  if (kept.length === 0) fs.rmdirSync(dir);
  return kept;
}

/** Take restores/<id> out of sight first (one rename), then remove it: a crash in between leaves a temporary. */
export function discardCopyDir(restores: string, id: string): string[] {
  const gone = path.join(restores, tempNameFor(id));
  fs.renameSync(path.join(restores, id), gone);
  fsyncDir(restores);
  return removeCopyDir(gone);
}

export function readRecordFile(dir: string): RestoreRecord | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, RECORD), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = restoreRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * A file the HTTP host is receiving for a restore: restores/.stateward-upload-<pid>-<8 hex>.part,
 * created owner-only and exclusively (never through a symlink). The pid says whose it is, so the
 * clean-up at a locking start removes only those of processes that are gone.
 */
const UPLOAD_RE = /^\.stateward-upload-(\d{1,10})-[0-9a-f]{8}\.part$/;

export function uploadTempName(): string {
  return `.stateward-upload-${process.pid}-${crypto.randomBytes(4).toString('hex')}.part`;
}

/** The receiving process of an upload's temporary name, or null for any other name. */
export function uploadWriterPid(name: string): number | null {
  const m = UPLOAD_RE.exec(name);
  return m ? Number(m[1]) : null;
}

/** A drill report's temporary (writeFileAtomic's name, or tempNameFor's) and the pid that wrote it. */
function drillTempWriter(name: string): number | null {
  const m = /^\.[0-9a-f]{16}\.json\.(\d{1,10})\.tmp$/.exec(name);
  return m ? Number(m[1]) : tempWriterPid(name);
}

function namesIn(dir: string, warn: (message: string, e?: unknown) => void): string[] {
  try {
    return listDir(dir);
  } catch (e) {
    warn(`could not read ${dir} to clean up after crashed restores`, e);
    return [];
  }
}

/**
 * What crashed restores and verifies left (for the process that holds the lock,
 * at start): in restores/, folders being made or removed by a process that is
 * gone, verify copies whose verify died and uploads whose receiver died; in drills/, a report's temporary
 * whose writer is gone. Copies a user restored stay (shown as interrupted, with
 * discard). Never throws: a problem is reported and skipped.
 */
export function cleanupRestoreLeftovers(
  restores: string,
  drills: string,
  warn: (message: string, e?: unknown) => void,
): string[] {
  const removed = removeDeadWriterTemps(drills, namesIn(drills, warn), drillTempWriter).map(
    (name) => `drills/${name}`,
  );
  for (const name of namesIn(restores, warn)) {
    const dir = path.join(restores, name);
    const uploader = uploadWriterPid(name);
    if (uploader !== null) {
      // An upload cut off by a crash: only a regular file goes (never a symlink's target).
      if (!processAlive(uploader) && removeFileQuietly(dir)) removed.push(`restores/${name}`);
      continue;
    }
    try {
      const pid = tempWriterPid(name);
      let leftover = false;
      if (pid !== null) leftover = !processAlive(pid);
      else if (RESTORE_ID_RE.test(name) && fs.lstatSync(dir).isDirectory()) {
        const record = readRecordFile(dir);
        // No record at all: a copy an older version was making when it died.
        leftover = record
          ? record.temporary === true && !ownerAlive(record.owner)
          : !fs.existsSync(path.join(dir, RECORD));
      }
      if (!leftover) continue;
      const kept = removeCopyDir(dir);
      if (kept.length)
        warn(
          `kept ${name} in ${restores}: it holds files Stateward did not write (${kept.join(', ')})`,
        );
      else removed.push(`restores/${name}`);
    } catch (e) {
      warn(`could not remove ${name} from ${restores}`, e);
    }
  }
  return removed;
}
