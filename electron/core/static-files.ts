// The built renderer's files, served by the app:// protocol (electron/main/app-protocol.ts)
// and by the HTTP host (electron/host/server.ts): which file a URL path names (never
// one outside the folder) and its MIME type. Plain Node, so both transports share it.
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
  const rel = path.relative(root, file);
  if (rel === '' || path.isAbsolute(rel) || rel.split(path.sep)[0] === '..')
    return { ok: false, status: 403, reason: 'outside the renderer folder' };
  return { ok: true, file, contentType: mimeTypeFor(file) };
}
