// The built renderer's files, served by the app:// protocol (electron/main/app-protocol.ts)
// and by the HTTP host (electron/host/server.ts): which file a URL path names (never
// one outside the folder), its MIME type, and its bytes (a regular file whose real path
// is inside the folder, or nothing). Plain Node, so both transports share it.
import fs from 'node:fs';
import path from 'node:path';

/** What an empty path serves. */
const INDEX_FILE = 'index.html';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** The Content-Type for a file name, by its extension (case-insensitive); unknown is octet-stream. */
export function mimeTypeFor(fileName: string): string {
  return CONTENT_TYPES[path.extname(fileName).toLowerCase()] ?? 'application/octet-stream';
}

export type StaticFileRefusal =
  | 'malformed percent-encoding'
  | 'forbidden character in path'
  | 'dot segment in path'
  | 'outside the renderer folder';

export type StaticFileTarget =
  | { ok: true; file: string; contentType: string }
  | { ok: false; status: 400 | 403; reason: StaticFileRefusal };

/**
 * The file of `rootDir` that a URL's (still percent-encoded) `pathname` names, or why
 * it is refused. Dot segments that survive URL parsing (`..%2f`), backslashes, colons
 * (drive letters, NTFS streams), NUL and other control characters are refused before
 * the path is built, and the resolved path must still lie inside `rootDir`. Whether the
 * file exists is the caller's question.
 */
export function resolveStaticFile(pathname: string, rootDir: string): StaticFileTarget {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { ok: false, status: 400, reason: 'malformed percent-encoding' };
  }
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\u0000-\u001f\u007f\\:]/.test(decoded))
    return { ok: false, status: 400, reason: 'forbidden character in path' };

  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..'))
    return { ok: false, status: 403, reason: 'dot segment in path' };
  if (segments.length === 0) segments.push(INDEX_FILE);

  const root = path.resolve(rootDir);
  const file = path.resolve(root, ...segments);
  if (!isInside(root, file))
    return { ok: false, status: 403, reason: 'outside the renderer folder' };
  return { ok: true, file, contentType: mimeTypeFor(file) };
}

/** Whether `file` lies strictly inside the folder `root` (both absolute). */
function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && !path.isAbsolute(rel) && rel.split(path.sep)[0] !== '..';
}

// No following a symlink swapped in after realpath, and no blocking on a FIFO's open.
const OPEN_FLAGS =
  fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

/**
 * The bytes of `file` (a resolveStaticFile target), or null when it is not to be
 * served: missing, a symlink (or a folder on the way) whose real path leaves the real
 * `rootDir`, or anything but a regular file (folder, FIFO, socket, device). Opened
 * without following a final symlink and without blocking, then checked on the open
 * descriptor, so what is read is what was checked.
 */
export async function readStaticFile(file: string, rootDir: string): Promise<Buffer | null> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    const [realRoot, realFile] = await Promise.all([
      fs.promises.realpath(rootDir),
      fs.promises.realpath(file),
    ]);
    if (!isInside(realRoot, realFile)) return null;
    if (!(await fs.promises.lstat(realFile)).isFile()) return null;
    handle = await fs.promises.open(realFile, OPEN_FLAGS);
    if (!(await handle.stat()).isFile()) return null;
    return await handle.readFile();
  } catch {
    return null;
  } finally {
    await handle?.close();
  }
}
