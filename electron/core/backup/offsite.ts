// The optional second destination (external drive, synced folder): each new
// backup is copied there under a temporary name, fsynced, re-hashed, and only
// then renamed into place with its manifest.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { OffsiteCheck } from '../../../shared/domain.ts';
import { AppError } from '../../../shared/errors.ts';
import { FILE_MODE, fsyncDir, removeFileQuietly, tempNameFor } from '../fsutil.ts';
import { cleanupTemporaries, sha256File } from './engine.ts';
import { manifestNameFor } from './manifest.ts';

export async function copyOffsite(
  backupPath: string,
  sha256: string,
  offsiteDir: string,
  /** Progress: the copy written (`copied`), then the bytes of it read back and hashed. */
  onProgress?: (copied: boolean, hashed: number) => void,
): Promise<string> {
  const name = path.basename(backupPath);
  const manifestName = manifestNameFor(name);
  const tmp = path.join(offsiteDir, tempNameFor(name));
  const manifestTmp = path.join(offsiteDir, tempNameFor(manifestName));
  try {
    // Never created here: a drive that is not mounted must not become a folder on this one.
    if (!fs.statSync(offsiteDir).isDirectory()) throw new Error('it is not a folder');
    cleanupTemporaries(offsiteDir); // what a killed copy left there
    await copyDurable(backupPath, tmp);
    onProgress?.(true, 0);
    const copyHash = await sha256File(tmp, (n) => onProgress?.(true, n));
    if (copyHash !== sha256) {
      throw new AppError(
        'OFFSITE_COPY_FAILED',
        `The off-site copy of ${name} does not match the backup (hash differs).`,
        {
          hint: 'The destination may be failing; check the drive and try again.',
        },
      );
    }
    // As in the backups folder: the manifest first, the backup last.
    await copyDurable(path.join(path.dirname(backupPath), manifestName), manifestTmp);
    await fs.promises.rename(manifestTmp, path.join(offsiteDir, manifestName));
    const dest = path.join(offsiteDir, name);
    await fs.promises.rename(tmp, dest);
    fsyncDir(offsiteDir);
    return dest;
  } catch (e) {
    // The folder itself may be the problem: removing never throws.
    removeFileQuietly(tmp);
    removeFileQuietly(manifestTmp);
    if (e instanceof AppError && e.code === 'OFFSITE_COPY_FAILED') throw e;
    throw new AppError(
      'OFFSITE_COPY_FAILED',
      `Could not copy ${name} to ${offsiteDir}: ${(e as Error).message}`,
      {
        hint: 'Check that the off-site folder is mounted and writable. The backup itself is safe in the backups folder.',
        cause: e,
      },
    );
  }
}

/** Copy to a new owner-only file and fsync it. */
async function copyDurable(from: string, to: string): Promise<void> {
  await fs.promises.copyFile(from, to, fs.constants.COPYFILE_EXCL);
  await fs.promises.chmod(to, FILE_MODE);
  const fh = await fs.promises.open(to, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

// Folders that are never an off-site folder: these exactly, and anything inside the second list.
export const SYSTEM_EXACT = [
  '/',
  '/home',
  '/Users',
  '/root',
  '/tmp',
  '/var',
  '/mnt',
  '/media',
  '/opt',
  '/srv',
  '/run',
  '/dev',
  '/Volumes',
];
// /dev itself only (above): a tmpfs such as /dev/shm is a real, if volatile, file system.
export const SYSTEM_TREES = [
  '/etc',
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/boot',
  '/proc',
  '/sys',
  '/var/lib',
  '/var/log',
  '/System',
  '/Library',
  '/Applications',
  '/private/etc',
  '/snap',
];

/** `p` with symlinks resolved as far as it exists (the rest appended as written). */
export function realpathAsFarAsExists(p: string): string {
  const rest: string[] = [];
  let at = path.resolve(p);
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(at), ...rest.reverse());
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return path.resolve(p);
      rest.push(path.basename(at));
      at = parent;
    }
  }
}

export const within = (child: string, parent: string) =>
  child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);

function refuse(message: string, hint: string, cause?: unknown): AppError {
  return new AppError('OFFSITE_DIR_REFUSED', message, {
    hint,
    details: { field: 'offsiteDir' },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Why `dir` can never be the off-site folder (null when it may be). */
export function offsiteRefusal(dir: string, dataDir: string, home: string): AppError | null {
  const real = realpathAsFarAsExists(dir);
  const data = realpathAsFarAsExists(dataDir);
  const pick = 'Pick a folder of its own on another drive (an external disk or a synced folder).';
  if (within(real, data) || within(data, real))
    return refuse(
      `The off-site folder must be outside the data directory: ${dir} is the data directory, inside it or contains it.`,
      pick,
    );
  if (real === realpathAsFarAsExists(home))
    return refuse(`${dir} is your home folder itself, not a folder for backups.`, pick);
  const win = process.platform === 'win32';
  const norm = win ? real.toLowerCase() : real;
  const systemExact = win ? [path.parse(real).root.toLowerCase()] : SYSTEM_EXACT;
  const systemTrees = win
    ? ['windows', 'program files', 'program files (x86)', 'programdata'].map((d) =>
        path.join(path.parse(real).root, d).toLowerCase(),
      )
    : SYSTEM_TREES;
  if (systemExact.includes(norm) || systemTrees.some((t) => within(norm, t)))
    return refuse(`${dir} is a system folder.`, pick);
  return null;
}

/**
 * Prove a folder can hold the off-site copies before it is saved: no folder is
 * created but the last one (a missing drive must not turn into a folder on this
 * one), then a probe file is written, fsynced, read back and removed. Says
 * whether it is really on another drive than the data directory.
 */
export function proveOffsiteDir(
  dir: string,
  dataDir: string,
  home: string,
  now: number,
): OffsiteCheck {
  const resolved = path.resolve(dir);
  const refusal = offsiteRefusal(resolved, dataDir, home);
  if (refusal) throw refusal;
  let created = false;
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(resolved);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw refuse(
        `Cannot use ${resolved}: ${(e as Error).message}`,
        'Check the folder and its permissions.',
        e,
      );
  }
  if (st && !st.isDirectory()) throw refuse(`${resolved} is not a folder.`, 'Pick a folder.');
  if (!st) {
    const parent = path.dirname(resolved);
    if (!fs.existsSync(parent))
      throw refuse(
        `${parent} does not exist: Stateward creates only the last folder of the path.`,
        'Is the drive plugged in and mounted? Create the folder first, or pick an existing one.',
      );
    try {
      fs.mkdirSync(resolved, { mode: 0o700 });
      created = true;
    } catch (e) {
      throw refuse(
        `Cannot create ${resolved}: ${(e as Error).message}`,
        'Check that you may write to its parent folder.',
        e,
      );
    }
  }
  const probe = path.join(resolved, tempNameFor('probe'));
  const bytes = crypto.randomBytes(4096);
  try {
    const fd = fs.openSync(probe, 'wx', FILE_MODE);
    try {
      fs.writeSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (!fs.readFileSync(probe).equals(bytes))
      throw new Error('the test file read back differs from what was written');
    fs.unlinkSync(probe);
    fsyncDir(resolved);
  } catch (e) {
    removeFileQuietly(probe);
    if (created) fs.rmSync(resolved, { recursive: false, force: true });
    throw refuse(
      `Stateward could not write, sync, read back and remove a test file in ${resolved}: ${(e as Error).message}`,
      'Check that the drive is mounted, writable and not full.',
      e,
    );
  }
  let freeBytes: number | null = null;
  try {
    const s = fs.statfsSync(resolved);
    freeBytes = s.bavail * s.bsize;
  } catch {
    // not every file system reports it
  }
  return {
    dir: resolved,
    created,
    sameDrive: sameFileSystem(resolved, dataDir),
    freeBytes,
    checkedAt: now,
  };
}

/** True when both paths live on the same file system (device). */
export function sameFileSystem(a: string, b: string): boolean {
  try {
    return fs.statSync(a).dev === fs.statSync(b).dev;
  } catch {
    return false;
  }
}
