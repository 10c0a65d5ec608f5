// The optional second destination (external drive, synced folder): each new
// backup is copied there under a temporary name, fsynced, re-hashed, and only
// then renamed into place with its manifest.
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../shared/errors.ts';
import { ensureOwnerDir, FILE_MODE, fsyncDir } from '../fsutil.ts';
import { sha256OfFile, tempName } from './engine.ts';
import { manifestNameFor } from './manifest.ts';

export async function copyOffsite(
  backupPath: string,
  sha256: string,
  offsiteDir: string,
): Promise<string> {
  const name = path.basename(backupPath);
  const tmp = path.join(offsiteDir, tempName(name));
  try {
    ensureOwnerDir(offsiteDir, { tightenExisting: false });
    await fs.promises.copyFile(backupPath, tmp);
    await fs.promises.chmod(tmp, FILE_MODE);
    const fh = await fs.promises.open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
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
    const dest = path.join(offsiteDir, name);
    await fs.promises.rename(tmp, dest);
    const manifestName = manifestNameFor(name);
    await fs.promises.copyFile(
      path.join(path.dirname(backupPath), manifestName),
      path.join(offsiteDir, manifestName),
    );
    await fs.promises.chmod(path.join(offsiteDir, manifestName), FILE_MODE);
    fsyncDir(offsiteDir);
    return dest;
  } catch (e) {
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined); // the folder itself may be the problem
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

/** True when both paths live on the same file system (device). */
export function sameFileSystem(a: string, b: string): boolean {
  try {
    return fs.statSync(a).dev === fs.statSync(b).dev;
  } catch {
    return false;
  }
}
