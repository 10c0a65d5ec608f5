// Owner-only file system helpers: every folder the app creates is 0700, every file 0600.
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../shared/errors.ts';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** mkdir -p with 0700 on every folder it creates; tightens an existing folder we own. */
export function ensureOwnerDir(dir: string, opts: { tightenExisting?: boolean } = {}): void {
  try {
    const existed = fs.existsSync(dir);
    mkdirp(path.resolve(dir));
    // Folders of the data dir are ours to tighten; a folder the user chose (--out, off-site) is not.
    if (process.platform !== 'win32' && (!existed || opts.tightenExisting !== false))
      fs.chmodSync(dir, DIR_MODE);
  } catch (e) {
    throw new AppError(
      'DATA_DIR_UNUSABLE',
      `Cannot create or use the folder ${dir}: ${(e as Error).message}`,
      {
        hint: 'Check that the folder is writable by you, or choose another data directory with --data-dir.',
        cause: e,
      },
    );
  }
}

/**
 * mkdir -p, one level at a time. (Node's recursive mkdir spins forever on some
 * virtual file systems such as /proc, where mkdir keeps answering ENOENT.)
 */
function mkdirp(dir: string): void {
  try {
    fs.mkdirSync(dir, { mode: DIR_MODE });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (!fs.statSync(dir).isDirectory()) throw e;
      return;
    }
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw e;
    mkdirp(parent);
    fs.mkdirSync(dir, { mode: DIR_MODE });
  }
}

/** Write a whole file atomically (temp name, fsync, rename, fsync dir), mode 0600. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w', FILE_MODE);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

export function fsyncDir(dir: string): void {
  if (process.platform === 'win32') return; // directories cannot be opened for fsync there
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Make sure files SQLite created (db, -wal, -shm) are owner-only too. */
export function tightenFiles(files: readonly string[]): void {
  if (process.platform === 'win32') return;
  for (const f of files) {
    try {
      fs.chmodSync(f, FILE_MODE);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
}

/** The names in a folder; none when it does not exist (or is not a folder). Other errors throw. */
export function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (e) {
    if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return [];
    throw e;
  }
}

/** fsync a folder without blocking the event loop (libuv's thread pool does it). */
export async function fsyncDirAsync(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await fs.promises.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** writeFileAtomic off the event loop: on a disk busy with a large write, an fsync can take long. */
export async function writeFileAtomicAsync(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fh = await fs.promises.open(tmp, 'w', FILE_MODE);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.promises.rename(tmp, file);
  await fsyncDirAsync(path.dirname(file));
}
