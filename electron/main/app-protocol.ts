// What app://stateward/<path> serves: a file of the built renderer folder, and
// nothing outside it. Plain Node (no electron import), so the URL-to-file mapping,
// the MIME table and the responses are unit-tested without Electron; security.ts
// hands serveAppRequest to protocol.handle.
import fs from 'node:fs/promises';
import path from 'node:path';
import { contentSecurityPolicy, isAppOrigin } from './trusted-url.ts';

/** What app://stateward/ (an empty path) serves. */
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

export type AppFileTarget =
  | { ok: true; file: string; contentType: string }
  | { ok: false; status: 400 | 403 | 404 | 405; reason: string };

const refuse = (status: 400 | 403 | 404 | 405, reason: string): AppFileTarget => ({
  ok: false,
  status,
  reason,
});

/**
 * The file of `rootDir` that `url` names, or why it is refused. Dot segments that
 * survive URL parsing (`..%2f`), backslashes, colons (drive letters, NTFS streams),
 * NUL and other control characters are refused before the path is built, and the
 * resolved path must still lie inside `rootDir`. Whether the file exists is the
 * caller's question (serveAppRequest answers 404).
 */
export function resolveAppFile(url: string, rootDir: string, method = 'GET'): AppFileTarget {
  if (method !== 'GET' && method !== 'HEAD') return refuse(405, 'only GET and HEAD');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return refuse(400, 'not a URL');
  }
  if (!isAppOrigin(u)) return refuse(404, 'not the app origin');

  let decoded: string;
  try {
    decoded = decodeURIComponent(u.pathname);
  } catch {
    return refuse(400, 'malformed percent-encoding');
  }
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\u0000-\u001f\u007f\\:]/.test(decoded)) return refuse(400, 'forbidden character in path');

  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) return refuse(403, 'dot segment in path');
  if (segments.length === 0) segments.push(INDEX_FILE);

  const root = path.resolve(rootDir);
  const file = path.resolve(root, ...segments);
  const rel = path.relative(root, file);
  if (rel === '' || path.isAbsolute(rel) || rel.split(path.sep)[0] === '..') {
    return refuse(403, 'outside the renderer folder');
  }
  return { ok: true, file, contentType: mimeTypeFor(file) };
}

const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * The protocol.handle handler for app://: the file's bytes with its MIME type and the
 * production CSP (a response header here, unlike file: pages), or an empty-bodied
 * refusal: 400/403/405 as resolveAppFile says, 404 for anything that is not a file.
 */
export async function serveAppRequest(
  request: { url: string; method: string },
  rootDir: string,
): Promise<Response> {
  const target = resolveAppFile(request.url, rootDir, request.method);
  if (!target.ok) {
    return new Response(null, { status: target.status, headers: COMMON_HEADERS });
  }
  let body: Buffer;
  try {
    const stat = await fs.stat(target.file);
    if (!stat.isFile()) throw new Error('not a file');
    body = await fs.readFile(target.file);
  } catch {
    return new Response(null, { status: 404, headers: COMMON_HEADERS });
  }
  return new Response(request.method === 'HEAD' ? null : body, {
    status: 200,
    headers: {
      ...COMMON_HEADERS,
      'content-type': target.contentType,
      'content-security-policy': contentSecurityPolicy(false),
    },
  });
}
