// Taking one backup: snapshot (worker) → quick_check (worker) ∥ SHA-256 (here,
// streamed) → fsync → sidecar manifest (temp, fsync, rename) → backup renamed
// into place last → fsync the folder. The list shows a backup only by its
// .sqlite, so it never shows one without its manifest. A crash leaves only
// `.stateward-tmp-*` files or a manifest whose backup never arrived (both
// removed by the next start or the next backup into that folder) or a
// complete, checked backup — never a half backup that looks whole.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { BackupCompaction, BackupKind, BackupManifest } from '../../../shared/domain.ts';
import { BACKUP_FORMAT_VERSION } from '../../../shared/domain.ts';
import { AppError, isAppError } from '../../../shared/errors.ts';
import { APP_VERSION } from '../version.ts';
import {
  ensureOwnerDir,
  FILE_MODE,
  fsyncDirAsync,
  listDir,
  processAlive,
  removeFileQuietly,
  tempNameFor,
  tempWriterPid,
  writeFileDurable,
} from '../fsutil.ts';
import { diskIsFull, readHeader } from '../store/db.ts';
import {
  backupFileName,
  BACKUP_EXT,
  MANIFEST_SUFFIX,
  manifestNameFor,
  parseBackupFileName,
} from './manifest.ts';
import { readManifest } from './list.ts';
import type { WorkerReply, WorkerRequest } from './worker.ts';

export type BackupPhase = 'snapshot' | 'verify' | 'finalize';

export interface BackupProgress {
  phase: BackupPhase;
  done: number;
  total: number;
  etaMs: number | null;
  /** verify: quick_check has finished (it runs beside the hash and reports no bytes). */
  checked?: boolean;
}

export interface BackupRequest {
  /** The live database file. */
  source: string;
  outDir: string;
  kind: BackupKind;
  compact: boolean;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: BackupProgress) => void) | undefined;
  dataKeyId?: string | null;
  now?: () => number;
  /** outDir is the data dir's own backups folder: keep it owner-only even if someone loosened it. */
  ownFolder?: boolean;
  /** A rescue backup's note for its manifest (see createRescueBackup). */
  rescue?: string;
}

export interface BackupResult {
  path: string;
  manifestPath: string;
  manifest: BackupManifest;
}

/** A short, lowercase, sortable-enough id for file names. */
export function newBackupId(): string {
  return crypto.randomBytes(8).toString('hex');
}

function workerUrl(): URL {
  // Source runs (Node type stripping, Vitest) load the .ts; the Electron bundle ships backup-worker.js beside main.js.
  return import.meta.url.endsWith('.ts')
    ? new URL('./worker.ts', import.meta.url)
    : new URL('./backup-worker.js', import.meta.url);
}

/** A worker for one backup; every request resolves or rejects, and abort terminates it. */
export class BackupWorker {
  private readonly worker = new Worker(workerUrl());
  private pending: { resolve: (r: WorkerReply) => void; reject: (e: unknown) => void } | null =
    null;

  constructor() {
    this.worker.on('message', (r: WorkerReply) => {
      const p = this.pending;
      this.pending = null;
      p?.resolve(r);
    });
    this.worker.on('error', (e) => {
      const p = this.pending;
      this.pending = null;
      p?.reject(e);
    });
    this.worker.on('exit', (code) => {
      const p = this.pending;
      this.pending = null;
      p?.reject(new AppError('CANCELLED', `The backup worker stopped (exit ${code}).`));
    });
  }

  request(req: WorkerRequest): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(req);
    });
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

function classifyFailure(e: unknown, outDir: string): AppError {
  if (isAppError(e)) return e;
  const code = String((e as { code?: string; errno?: string }).code ?? '');
  const msg = (e as Error).message ?? String(e);
  // SQLite reports some writes that hit a full disk as a plain I/O error: look at the disk.
  const ioError = code.startsWith('SQLITE_IOERR') || code === 'EIO';
  if (
    code === 'ENOSPC' ||
    code === 'EDQUOT' ||
    code === 'SQLITE_FULL' ||
    /database or disk is full|ENOSPC/i.test(msg) ||
    (ioError && diskIsFull(outDir))
  ) {
    return new AppError(
      'BACKUP_DISK_FULL',
      `The backup did not fit: the disk holding ${outDir} is full.`,
      {
        hint: 'Free some space there or choose another destination; nothing was changed.',
        cause: e,
      },
    );
  }
  if (
    ['EACCES', 'EPERM', 'EROFS', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_PERM'].includes(
      code,
    ) ||
    code.startsWith('SQLITE_IOERR')
  ) {
    return new AppError(
      'BACKUP_DESTINATION_UNWRITABLE',
      `Cannot write the backup to ${outDir}: ${msg}`,
      {
        hint: 'Choose a folder you can write to (and that is mounted); nothing was changed.',
        cause: e,
      },
    );
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new AppError(
      'DB_CORRUPT',
      `The live database could not be read for the backup: ${msg}`,
      {
        hint: 'Run a restore drill on your newest backup and restore from it.',
        cause: e,
      },
    );
  }
  return new AppError('INTERNAL', `The backup failed: ${msg}`, { cause: e });
}

export function replyOrThrow<T extends WorkerReply['type']>(
  reply: WorkerReply,
  type: T,
): Extract<WorkerReply, { type: T }> {
  if (reply.type === 'error') {
    throw Object.assign(new Error(reply.message), { code: reply.code });
  }
  if (reply.type !== type)
    throw new Error(`Backup worker answered ${reply.type}, expected ${type}.`);
  return reply as Extract<WorkerReply, { type: T }>;
}

export async function sha256File(
  file: string,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  const hash = crypto.createHash('sha256');
  const stream = fs.createReadStream(file, { highWaterMark: 1024 * 1024 });
  let n = 0;
  for await (const chunk of stream) {
    if (signal?.aborted) {
      stream.destroy();
      throw new AppError('CANCELLED', 'The backup was cancelled.');
    }
    hash.update(chunk as Buffer);
    n += (chunk as Buffer).length;
    onBytes(n);
  }
  return hash.digest('hex');
}

export async function sha256OfFile(file: string): Promise<string> {
  return sha256File(file, () => {});
}

async function fsyncFile(file: string): Promise<void> {
  const fh = await fs.promises.open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The live database's size as its header states it (page_count × page_size, at least the file's). */
export function liveSizeOf(source: string): number {
  const header = readHeader(source);
  return Math.max(header.pageCount * header.pageSize, header.size, 1);
}

const bytesText = (n: number) => `${n.toLocaleString('en-US')} bytes`;

/**
 * Whether compact made the backup smaller than the live database it came from,
 * and if not, why (with both sizes): nothing to strip, or too little to free a page.
 */
export function compactionOf(
  liveBytes: number,
  bytes: number,
  strippedRows: number,
): BackupCompaction {
  const smaller = bytes < liveBytes;
  const sizes = `the compact file is ${bytesText(bytes)}, the live database ${bytesText(liveBytes)}`;
  const reason = smaller
    ? null
    : strippedRows === 0
      ? `Not smaller than the live database because there was nothing to strip: metrics and status rows are already empty, and vacuuming freed no space (${sizes}).`
      : `Not smaller than the live database: the ${strippedRows.toLocaleString('en-US')} metrics and status rows stripped freed less than the backup's own manifest table takes (${sizes}).`;
  return { liveBytes, bytes, strippedRows, smaller, reason };
}

function removeTemp(tmp: string): void {
  for (const f of [tmp, `${tmp}-journal`, `${tmp}-wal`, `${tmp}-shm`]) removeFileQuietly(f);
}

/** What taking the snapshot into the temp file found (the rest of the manifest comes from the file). */
export interface SnapshotOutcome {
  newestDeploymentAt: number | null;
  changeSeq: number;
  schemaVersion: number;
  /** The source's size, for a compact backup's comparison. */
  liveBytes: number;
  strippedRows: number;
}

export type BackupReport = (
  phase: BackupPhase,
  done: number,
  total: number,
  phaseStart: number,
  checked?: boolean,
) => void;

/** What a snapshot step gets: the reserved owner-only temp file and the facts to embed in it. */
export interface SnapshotContext {
  tmp: string;
  worker: BackupWorker;
  /** The manifest facts known before the snapshot (embed them in the copy). */
  facts: Record<string, unknown>;
  report: BackupReport;
}

export async function createBackup(req: BackupRequest): Promise<BackupResult> {
  return runBackup(req, async ({ tmp, worker, facts, report }) => {
    const expected = liveSizeOf(req.source);
    // 1. Snapshot, with progress from the copy's growth.
    const snapStart = Date.now();
    report('snapshot', 0, expected, snapStart);
    const poll = setInterval(() => {
      try {
        report('snapshot', fs.statSync(tmp).size, expected, snapStart);
      } catch {
        // the temp file may be between create and first write; the next tick reports
      }
    }, 200);
    try {
      return replyOrThrow(
        await worker.request({
          type: 'snapshot',
          source: req.source,
          dest: tmp,
          compact: req.compact,
          facts,
        }),
        'snapshot-done',
      );
    } finally {
      clearInterval(poll);
    }
  });
}

/** The last part of a rescue backup's temp folder name (removed by cleanupTemporaries once its process is gone). */
const RESCUE_FOLDER = 'rescue-copy';

/** Remove a rescue backup's temp folder a killed process left (never through a symlink). */
function removeRescueFolder(p: string): boolean {
  try {
    if (!fs.lstatSync(p).isDirectory()) return false;
    fs.rmSync(p, { recursive: true, force: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * A rescue backup of a database that cannot be opened where it is (its data
 * dir is on a read-only mount or a full disk, so SQLite cannot make its -shm):
 * the database file and its -wal / -journal (committed data) are copied byte
 * for byte into a private temp folder inside `outDir`, and the normal backup
 * runs from that copy. Nothing is written beside `source`; the temp folder is
 * removed whatever happens. The caller makes sure no process can be writing.
 */
export async function createRescueBackup(
  req: BackupRequest & { rescue: string },
): Promise<BackupResult> {
  try {
    ensureOwnerDir(req.outDir, { tightenExisting: req.ownFolder === true });
  } catch (e) {
    throw classifyFailure(e, req.outDir);
  }
  const folder = path.join(req.outDir, tempNameFor(RESCUE_FOLDER));
  try {
    fs.mkdirSync(folder, { mode: 0o700 });
    const copy = path.join(folder, path.basename(req.source));
    for (const suffix of ['', '-wal', '-journal']) {
      if (suffix !== '' && !fs.existsSync(`${req.source}${suffix}`)) continue;
      fs.copyFileSync(`${req.source}${suffix}`, `${copy}${suffix}`);
      fs.chmodSync(`${copy}${suffix}`, FILE_MODE);
    }
    return await createBackup({ ...req, source: copy });
  } catch (e) {
    throw classifyFailure(e, req.outDir);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * One backup around a snapshot step (SQLite's backup API, or a PostgreSQL
 * logical snapshot): the owner-only temp name, then the step fills it, then
 * quick_check ∥ SHA-256 ∥ fsync ∥ row counts, the manifest (with `extra`
 * fields) first and the backup renamed last; a failure or abort removes the
 * temporaries and is classified (BACKUP_DISK_FULL, …).
 */
export async function runBackup(
  req: Omit<BackupRequest, 'source'>,
  takeSnapshot: (ctx: SnapshotContext) => Promise<SnapshotOutcome>,
  extra: Pick<BackupManifest, 'source'> = {},
): Promise<BackupResult> {
  const now = req.now ?? Date.now;
  const started = Date.now();
  const noted: Pick<BackupManifest, 'source' | 'rescue'> =
    req.rescue === undefined ? extra : { ...extra, rescue: req.rescue };
  try {
    ensureOwnerDir(req.outDir, { tightenExisting: req.ownFolder === true });
  } catch (e) {
    throw new AppError(
      'BACKUP_DESTINATION_UNWRITABLE',
      `Cannot create the backup folder ${req.outDir} (${(e as { code?: string }).code ?? 'error'}).`,
      {
        hint: 'Choose a folder you can write to; nothing was changed.',
        cause: e,
      },
    );
  }
  if (req.signal?.aborted) throw new AppError('CANCELLED', 'The backup was cancelled.');
  // What a killed backup left in this folder goes first (never a live writer's files).
  cleanupTemporaries(req.outDir, { ownFolder: req.ownFolder === true });
  const id = newBackupId();
  const createdAt = now();
  const tmp = path.join(req.outDir, tempNameFor(`${id}${BACKUP_EXT}`));
  const report: BackupReport = (
    phase: BackupPhase,
    done: number,
    total: number,
    phaseStart: number,
    checked?: boolean,
  ) => {
    const elapsed = Date.now() - phaseStart;
    const etaMs =
      done > 0 && done < total
        ? Math.round((elapsed / done) * (total - done))
        : done >= total
          ? 0
          : null;
    req.onProgress?.({
      phase,
      done: Math.min(done, total),
      total,
      etaMs,
      ...(checked === undefined ? {} : { checked }),
    });
  };

  // Reserve the temp name owner-only before SQLite creates it with its default mode.
  try {
    fs.closeSync(fs.openSync(tmp, 'wx', FILE_MODE));
  } catch (e) {
    throw classifyFailure(e, req.outDir);
  }
  const worker = new BackupWorker();
  let counter: BackupWorker | null = null;
  let manifestTmp: string | null = null;
  const onAbort = () => {
    void worker.stop();
    void counter?.stop();
  };
  req.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const snap = await takeSnapshot({
      tmp,
      worker,
      report,
      facts: {
        format: BACKUP_FORMAT_VERSION,
        id,
        kind: req.kind,
        createdAt,
        appVersion: APP_VERSION,
        method: 'sqlite-backup-api',
        dataKeyId: req.dataKeyId ?? null,
        ...noted,
      },
    });
    if (req.signal?.aborted) throw new AppError('CANCELLED', 'The backup was cancelled.');

    // 2. quick_check in the worker while this thread hashes the same bytes.
    const size = fs.statSync(tmp).size;
    const verifyStart = Date.now();
    // The fsync (libuv's thread pool) overlaps the two reads; none of it blocks this thread.
    // Row counts for the manifest come from a second worker at the same time.
    counter = new BackupWorker();
    let hashed = 0;
    let checked = false;
    const [check, sha256, , counts] = await Promise.all([
      worker
        .request({ type: 'quickCheck', file: tmp })
        .then((r) => replyOrThrow(r, 'quickCheck-done'))
        .then((r) => {
          checked = true;
          report('verify', hashed, size, verifyStart, checked);
          return r;
        }),
      sha256File(
        tmp,
        (n) => {
          hashed = n;
          report('verify', n, size, verifyStart, checked);
        },
        req.signal,
      ),
      fsyncFile(tmp),
      counter
        .request({ type: 'rowCounts', file: tmp })
        .then((r) => replyOrThrow(r, 'rowCounts-done')),
    ]);
    if (check.result !== 'ok') {
      throw new AppError(
        'BACKUP_CHECK_FAILED',
        `The new backup failed its integrity check: ${check.result.slice(0, 300)}`,
        {
          hint: 'The live database may be damaged: run a restore drill on your newest backup.',
        },
      );
    }

    // 3. Durable, then visible under its final name, then described.
    report('finalize', 0, 1, Date.now());
    const h = readHeader(tmp);
    const fileName = backupFileName(createdAt, req.kind, id);
    const finalPath = path.join(req.outDir, fileName);
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT_VERSION,
      id,
      kind: req.kind,
      createdAt,
      appVersion: APP_VERSION,
      schemaVersion: snap.schemaVersion,
      method: 'sqlite-backup-api',
      compact: req.compact,
      fileName,
      bytes: size,
      sha256,
      pageSize: h.pageSize,
      pageCount: h.pageCount,
      rowCounts: counts.rowCounts,
      newestDeploymentAt: snap.newestDeploymentAt,
      dataKeyId: req.dataKeyId ?? null,
      quickCheck: 'ok',
      changeSeq: snap.changeSeq,
      durationMs: Date.now() - started,
      ...(req.compact ? { compaction: compactionOf(snap.liveBytes, size, snap.strippedRows) } : {}),
      ...noted,
    };
    if (req.signal?.aborted) throw new AppError('CANCELLED', 'The backup was cancelled.');
    // The manifest first (durable under a temp name, then its real name), the backup
    // itself last: whoever sees the .sqlite also sees its manifest.
    const manifestPath = path.join(req.outDir, manifestNameFor(fileName));
    manifestTmp = path.join(req.outDir, tempNameFor(manifestNameFor(fileName)));
    await writeFileDurable(manifestTmp, `${JSON.stringify(manifest, null, 2)}\n`);
    await fs.promises.rename(manifestTmp, manifestPath);
    manifestTmp = manifestPath;
    await fs.promises.rename(tmp, finalPath);
    manifestTmp = null;
    await fsyncDirAsync(req.outDir);
    report('finalize', 1, 1, Date.now());
    return { path: finalPath, manifestPath, manifest };
  } catch (e) {
    // Classify before removing anything: a full disk is only seen as full while the temp fills it.
    const err = classifyFailure(e, req.outDir);
    removeTemp(tmp);
    if (manifestTmp) removeFileQuietly(manifestTmp);
    if (req.signal?.aborted)
      throw new AppError('CANCELLED', 'The backup was cancelled; nothing was kept.');
    throw err;
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
    await Promise.all([worker.stop(), counter?.stop()]);
  }
}

/** Remove a finished backup again (the backup first, its manifest last); never throws. */
export function removeBackupPair(r: Pick<BackupResult, 'path' | 'manifestPath'>): void {
  removeFileQuietly(r.path);
  removeFileQuietly(r.manifestPath);
}

// Names a Stateward of an earlier version wrote (crash leftovers in its own backups folder).
const LEGACY_TEMP_RE =
  /^\.(?:tmp-(\d{1,10})-[0-9a-f]{16}\.sqlite(?:-journal)?|\d{8}T\d{6}Z-[a-z-]+-[a-z0-9]{8,32}\.manifest\.json\.(\d{1,10})\.tmp)$/;

/**
 * A manifest is renamed in just before its backup. It is orphaned (its backup will
 * never arrive) when no running process still holds that backup under a temp
 * name and the backup is not there. Checked in that order, afresh: a rename
 * between the two checks makes the backup appear, never both vanish.
 */
function manifestOrphaned(dir: string, name: string, backup: string, id: string): boolean {
  try {
    // Only a manifest Stateward wrote for exactly that backup.
    if (readManifest(path.join(dir, name))?.fileName !== backup) return false;
  } catch {
    return false;
  }
  const pending = listDir(dir).some((n) => {
    const pid = tempWriterPid(n);
    return pid !== null && n.endsWith(`-${id}${BACKUP_EXT}`) && processAlive(pid);
  });
  return !pending && !fs.existsSync(path.join(dir, backup));
}

/**
 * Remove what a killed backup left in a folder: Stateward's own temporary names
 * only (`.stateward-tmp-<pid>-…`, a manifest of ours whose backup never arrived,
 * and in the data dir's own backups folder the names older versions used), regular
 * files only (and a rescue backup's own temp folder; never through a symlink), never a temporary of a
 * process that is still running. Never throws. Returns the names removed.
 */
export function cleanupTemporaries(dir: string, opts: { ownFolder?: boolean } = {}): string[] {
  let names: string[];
  try {
    names = listDir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const present = new Set(names);
  for (const name of names) {
    let pid = tempWriterPid(name);
    if (pid === null && opts.ownFolder) {
      const legacy = LEGACY_TEMP_RE.exec(name);
      if (legacy) pid = Number(legacy[1] ?? legacy[2]);
    }
    let doomed = pid !== null && !processAlive(pid);
    if (!doomed && name.endsWith(MANIFEST_SUFFIX)) {
      const backup = name.slice(0, -MANIFEST_SUFFIX.length) + BACKUP_EXT;
      const parsed = parseBackupFileName(backup);
      if (parsed && !present.has(backup)) doomed = manifestOrphaned(dir, name, backup, parsed.id);
    }
    const p = path.join(dir, name);
    if (doomed && name.endsWith(`-${RESCUE_FOLDER}`) && removeRescueFolder(p)) removed.push(name);
    else if (doomed && removeFileQuietly(p)) removed.push(name);
  }
  return removed;
}
