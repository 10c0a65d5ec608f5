// Receiving a backup file the browser uploads for a restore: streamed straight
// to disk under a Stateward name in restores/ (created owner-only and
// exclusively, never through a symlink), hashed on the way, size-limited by
// Content-Length up front and by counting while it streams. Whatever goes
// wrong (too large, a full disk, the client going away), the partial file is
// removed before the answer. The file is never opened by SQLite: the restore
// preflight reads it as bytes and copies it into restores/<id>/.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { AppErrorShape } from '../../shared/errors.ts';
import { ensureOwnerDir, FILE_MODE, removeFileQuietly } from '../core/fsutil.ts';
import { uploadTempName } from '../core/restore/records.ts';
import { resourceFailure } from '../core/store/db.ts';

export const DEFAULT_MAX_UPLOAD_BYTES = 8 * 1024 ** 3;

export type Received =
  | { ok: true; file: string; bytes: number; sha256: string }
  | {
      ok: false;
      status: number;
      error: AppErrorShape;
      /** Bytes of the body read so far; the rest is still to be drained (null: the client is gone). */
      read: number | null;
    };

const fmtBytes = (n: number) =>
  n >= 1024 ** 3 && n % 1024 ** 3 === 0
    ? `${n / 1024 ** 3} GiB`
    : n >= 1024 ** 2 && n % 1024 ** 2 === 0
      ? `${n / 1024 ** 2} MiB`
      : n >= 1024 && n % 1024 === 0
        ? `${n / 1024} KiB`
        : `${n.toLocaleString('en-US')} bytes`;

export function tooLarge(limit: number, size: number | null): AppErrorShape {
  return {
    code: 'UPLOAD_TOO_LARGE',
    message: `The file is larger than this host accepts (${fmtBytes(limit)}${size === null ? '' : `; it is ${size.toLocaleString('en-US')} bytes`}); nothing was kept.`,
    hint: 'Restore it in the desktop app or with the stateward restore command, or start the host with a larger --max-upload-bytes.',
    details: { limitBytes: limit },
  };
}

function diskFull(dir: string, needed: number | null): AppErrorShape {
  return {
    code: 'DISK_FULL',
    message: `The disk holding ${dir} has no room for this file${needed === null ? '' : ` (${needed.toLocaleString('en-US')} bytes)`}; nothing was kept.`,
    hint: 'Free some space on that disk and upload it again.',
  };
}

class OverLimit extends Error {}

/** Free bytes for an unprivileged writer on the file system holding `dir` (null when unknown). */
function freeBytes(dir: string): number | null {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/** Create the upload's temporary: a new regular file, owner-only; an existing name (a planted symlink too) is never opened. */
function createTemp(dir: string): { file: string; fd: number } {
  const flags =
    fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
  for (let attempt = 0; ; attempt++) {
    const file = path.join(dir, uploadTempName());
    try {
      const fd = fs.openSync(file, flags, FILE_MODE);
      fs.fchmodSync(fd, FILE_MODE);
      return { file, fd };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 4) throw e;
    }
  }
}

/**
 * Stream the request body into restores/.stateward-upload-<pid>-<random>.part.
 * Never leaves a partial file behind; throws only for an unexpected I/O error
 * (after removing the partial file).
 */
export async function receiveUpload(
  req: http.IncomingMessage,
  dir: string,
  limit: number,
): Promise<Received> {
  const header = req.headers['content-length'];
  const announced = header === undefined ? null : Number(header);
  if (announced !== null && announced > limit)
    return { ok: false, status: 413, error: tooLarge(limit, announced), read: 0 };
  ensureOwnerDir(dir);
  const free = freeBytes(dir);
  if (announced !== null && free !== null && announced > free)
    return { ok: false, status: 507, error: diskFull(dir, announced), read: 0 };

  const { file, fd } = createTemp(dir);
  const hash = crypto.createHash('sha256');
  let read = 0;
  try {
    await pipeline(
      async function* () {
        // Not destroyed when the limit stops the loop: the rest is drained so the client gets the answer.
        for await (const chunk of req.iterator({
          destroyOnReturn: false,
        }) as AsyncIterable<Buffer>) {
          read += chunk.length;
          if (read > limit) throw new OverLimit();
          hash.update(chunk);
          yield chunk;
        }
      },
      fs.createWriteStream(file, { fd, flush: true }),
    );
  } catch (e) {
    removeFileQuietly(file);
    if (e instanceof OverLimit)
      return { ok: false, status: 413, error: tooLarge(limit, null), read };
    if (req.destroyed || req.readableAborted)
      return {
        ok: false,
        status: 400,
        error: { code: 'BAD_INPUT', message: 'The upload was cut off; nothing was kept.' },
        read: null,
      };
    const full = resourceFailure(e, dir);
    if (full?.code === 'DISK_FULL') return { ok: false, status: 507, error: full.toShape(), read };
    throw e;
  }
  if (announced !== null && read !== announced) {
    removeFileQuietly(file);
    return {
      ok: false,
      status: 400,
      error: {
        code: 'BAD_INPUT',
        message: `The upload ended after ${read.toLocaleString('en-US')} of ${announced.toLocaleString('en-US')} bytes; nothing was kept.`,
      },
      read: null,
    };
  }
  return { ok: true, file, bytes: read, sha256: hash.digest('hex') };
}

/** The name an upload was sent with (URI-encoded in a header): a plain file name, or null. */
export function uploadFileName(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string' || header === '') return null;
  let name: string;
  try {
    name = decodeURIComponent(header);
  } catch {
    return null;
  }
  name = path.basename(name.replace(/\\/g, '/'));
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (name === '' || name === '.' || name === '..' || /[\u0000-\u001f\u007f]/.test(name))
    return null;
  return name.length > 255 ? null : name;
}
