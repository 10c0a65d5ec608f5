// Taking one backup: snapshot (worker) → quick_check (worker) ∥ SHA-256 (here,
// streamed) → fsync → rename into place → sidecar manifest → fsync the folder.
// A crash at any point leaves only a `.tmp-*` file (removed at next start) or a
// complete, checked backup — never a half backup that looks whole.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { BackupKind, BackupManifest } from '../../../shared/domain.ts';
import { BACKUP_FORMAT_VERSION } from '../../../shared/domain.ts';
import { AppError, isAppError } from '../../../shared/errors.ts';
import { APP_VERSION } from '../version.ts';
import { ensureOwnerDir, FILE_MODE, listDir, writeFileAtomicAsync } from '../fsutil.ts';
import { readHeader } from '../store/db.ts';
import { backupFileName, manifestNameFor, TEMP_PREFIX } from './manifest.ts';
import type { WorkerReply, WorkerRequest } from './worker.ts';

export type BackupPhase = 'snapshot' | 'verify' | 'finalize';

export interface BackupProgress {
  phase: BackupPhase;
  done: number;
  total: number;
  etaMs: number | null;
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
  if (code === 'ENOSPC' || code === 'SQLITE_FULL' || /database or disk is full|ENOSPC/i.test(msg)) {
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

function removeTemp(tmp: string): void {
  for (const f of [tmp, `${tmp}-journal`, `${tmp}-wal`, `${tmp}-shm`])
    fs.rmSync(f, { force: true });
}

export async function createBackup(req: BackupRequest): Promise<BackupResult> {
  const now = req.now ?? Date.now;
  const started = Date.now();
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
  const id = newBackupId();
  const createdAt = now();
  const tmp = path.join(req.outDir, tempName(`${id}.sqlite`));
  const header = readHeader(req.source);
  const expected = Math.max(header.pageCount * header.pageSize, header.size, 1);
  const report = (phase: BackupPhase, done: number, total: number, phaseStart: number) => {
    const elapsed = Date.now() - phaseStart;
    const etaMs =
      done > 0 && done < total
        ? Math.round((elapsed / done) * (total - done))
        : done >= total
          ? 0
          : null;
    req.onProgress?.({ phase, done: Math.min(done, total), total, etaMs });
  };

  // Reserve the temp name owner-only before SQLite creates it with its default mode.
  try {
    fs.closeSync(fs.openSync(tmp, 'wx', FILE_MODE));
  } catch (e) {
    throw classifyFailure(e, req.outDir);
  }
  const worker = new BackupWorker();
  let counter: BackupWorker | null = null;
  const onAbort = () => {
    void worker.stop();
    void counter?.stop();
  };
  req.signal?.addEventListener('abort', onAbort, { once: true });
  try {
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
    let snap: Extract<WorkerReply, { type: 'snapshot-done' }>;
    try {
      snap = replyOrThrow(
        await worker.request({
          type: 'snapshot',
          source: req.source,
          dest: tmp,
          compact: req.compact,
          facts: {
            format: BACKUP_FORMAT_VERSION,
            id,
            kind: req.kind,
            createdAt,
            appVersion: APP_VERSION,
            method: 'sqlite-backup-api',
            dataKeyId: req.dataKeyId ?? null,
          },
        }),
        'snapshot-done',
      );
    } finally {
      clearInterval(poll);
    }
    if (req.signal?.aborted) throw new AppError('CANCELLED', 'The backup was cancelled.');

    // 2. quick_check in the worker while this thread hashes the same bytes.
    const size = fs.statSync(tmp).size;
    const verifyStart = Date.now();
    // The fsync (libuv's thread pool) overlaps the two reads; none of it blocks this thread.
    // Row counts for the manifest come from a second worker at the same time.
    counter = new BackupWorker();
    const [check, sha256, , counts] = await Promise.all([
      worker
        .request({ type: 'quickCheck', file: tmp })
        .then((r) => replyOrThrow(r, 'quickCheck-done')),
      sha256File(tmp, (n) => report('verify', n, size, verifyStart), req.signal),
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
    };
    if (req.signal?.aborted) throw new AppError('CANCELLED', 'The backup was cancelled.');
    await fs.promises.rename(tmp, finalPath);
    const manifestPath = path.join(req.outDir, manifestNameFor(fileName));
    await writeFileAtomicAsync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    report('finalize', 1, 1, Date.now());
    return { path: finalPath, manifestPath, manifest };
  } catch (e) {
    removeTemp(tmp);
    if (req.signal?.aborted)
      throw new AppError('CANCELLED', 'The backup was cancelled; nothing was kept.');
    throw classifyFailure(e, req.outDir);
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
    await Promise.all([worker.stop(), counter?.stop()]);
  }
}

/** A temporary name that says which process writes it: `.tmp-<pid>-<rest>`. */
export function tempName(rest: string): string {
  return `${TEMP_PREFIX}${process.pid}-${rest}`;
}

function writerAlive(name: string): boolean {
  const m = /^\.tmp-(\d+)-/.exec(name);
  if (!m) return false;
  const pid = Number(m[1]);
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove temporaries a crash left in a backups folder. A temporary whose writer
 * is still running (a CLI backup next to the app) is left alone. Returns the names removed.
 */
export function cleanupTemporaries(dir: string): string[] {
  const names = listDir(dir);
  const removed: string[] = [];
  for (const name of names) {
    const temp = name.startsWith(TEMP_PREFIX) || (name.startsWith('.') && name.endsWith('.tmp'));
    if (temp && !writerAlive(name.replace(/-journal$/, ''))) {
      fs.rmSync(path.join(dir, name), { force: true });
      removed.push(name);
    }
  }
  return removed;
}
