// The optional second destination (external drive, synced folder): each new
// backup is copied there under a temporary name, fsynced, re-hashed, and only
// then renamed into place with its manifest.
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../shared/errors.ts';
import { ensureOwnerDir, FILE_MODE, fsyncDir, removeFileQuietly, tempNameFor } from '../fsutil.ts';
import { sha256OfFile } from './engine.ts';
import { manifestNameFor } from './manifest.ts';

export async function copyOffsite(
  backupPath: string,
  sha256: string,
  offsiteDir: string,
): Promise<string> {
  const name = path.basename(backupPath);
  const manifestName = manifestNameFor(name);
  const tmp = path.join(offsiteDir, tempNameFor(name));
  const manifestTmp = path.join(offsiteDir, tempNameFor(manifestName));
  try {
    ensureOwnerDir(offsiteDir, { tightenExisting: false });
    await copyDurable(backupPath, tmp);
    const copyHash = await sha256OfFile(tmp);
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

/** True when both paths live on the same file system (device). */
export function sameFileSystem(a: string, b: string): boolean {
  try {
    return fs.statSync(a).dev === fs.statSync(b).dev;
  } catch {
    return false;
  }
}
