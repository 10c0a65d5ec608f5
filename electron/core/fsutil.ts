// Owner-only file system helpers: every folder the app creates is 0700, every file 0600.
import crypto from 'node:crypto';
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

/**
 * Make sure files SQLite created (db, -wal, -shm) are owner-only too. A file already
 * owner-only is left alone (a chmod would change its ctime: the drill's boot step reads
 * an unchanged ctime as "the app did not touch the file").
 */
export function tightenFiles(files: readonly string[]): void {
  if (process.platform === 'win32') return;
  for (const f of files) {
    try {
      if ((fs.statSync(f).mode & 0o777) !== FILE_MODE) fs.chmodSync(f, FILE_MODE);
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

/** Write a new file (owner-only, exclusive create) and fsync it, off the event loop; removed again if that fails. */
export async function writeFileDurable(file: string, data: string | Uint8Array): Promise<void> {
  const fh = await fs.promises.open(file, 'wx', FILE_MODE);
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    removeFileQuietly(file);
    throw e;
  }
}

/**
 * Temporary names only Stateward writes: `.stateward-tmp-<pid>-<8 hex>-<name>`.
 * The pid says which process writes it, so clean-up never takes a live writer's file.
 */
export const TEMP_PREFIX = '.stateward-tmp-';
const TEMP_NAME_RE = /^\.stateward-tmp-(\d{1,10})-[0-9a-f]{8}-./;

export function tempNameFor(name: string): string {
  return `${TEMP_PREFIX}${process.pid}-${crypto.randomBytes(4).toString('hex')}-${name}`;
}

/** The writer's pid of a temporary name made by tempNameFor, or null for any other name. */
export function tempWriterPid(name: string): number | null {
  const m = TEMP_NAME_RE.exec(name);
  return m ? Number(m[1]) : null;
}

/** Is process `pid` (on this machine) still running? This process counts as running. */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove `file` only if it is a regular file (never a folder, never through a
 * symlink); never throws. True when it was removed.
 */
export function removeFileQuietly(file: string): boolean {
  try {
    if (!fs.lstatSync(file).isFile()) return false;
    fs.unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Remove, of `names` in `dir`, the temporaries whose writer (the pid `writerOf`
 * reads from the name; null for a name that is no temporary) is no longer
 * running: regular files only (never a folder, never through a symlink).
 * Never throws. Returns the names removed.
 */
export function removeDeadWriterTemps(
  dir: string,
  names: readonly string[],
  writerOf: (name: string) => number | null,
): string[] {
  return names.filter((name) => {
    const pid = writerOf(name);
    return pid !== null && !processAlive(pid) && removeFileQuietly(path.join(dir, name));
  });
}

/** What a path that is not a regular file is, in words (null for a regular file). */
export function notRegularKind(st: fs.Stats): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Read a small regular file without ever blocking: a named pipe or a device
 * (which would block for ever or never end) is refused with code ENOTREG, a
 * folder with EISDIR, a file over `maxBytes` with EFBIG; ENOENT as usual.
 */
export function readSmallRegularFile(file: string, maxBytes: number): Buffer {
  const refuse = (st: fs.Stats) => {
    const kind = notRegularKind(st);
    if (kind)
      throw Object.assign(new Error(`${file} is ${kind}`), {
        code: st.isDirectory() ? 'EISDIR' : 'ENOTREG',
        kind,
      });
    if (st.size > maxBytes)
      throw Object.assign(new Error(`${file} is larger than ${maxBytes} bytes`), {
        code: 'EFBIG',
        kind: `larger than ${Math.floor(maxBytes / 1024)} KiB`,
      });
  };
  refuse(fs.statSync(file));
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const st = fs.fstatSync(fd);
    refuse(st);
    const buf = Buffer.alloc(st.size);
    return buf.subarray(0, fs.readSync(fd, buf, 0, st.size, 0));
  } finally {
    fs.closeSync(fd);
  }
}
