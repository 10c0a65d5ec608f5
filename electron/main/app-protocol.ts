// What app://stateward/<path> serves: a file of the built renderer folder, and
// nothing outside it. Plain Node (no electron import), so the URL-to-file mapping
// and the responses are unit-tested without Electron; security.ts
// hands serveAppRequest to protocol.handle.
import { readStaticFile, resolveStaticFile } from '../core/static-files.ts';
import { contentSecurityPolicy, isAppOrigin } from './trusted-url.ts';

export type AppFileTarget =
  | { ok: true; file: string; contentType: string }
  | { ok: false; status: 400 | 403 | 404 | 405; reason: string };

const refuse = (status: 400 | 403 | 404 | 405, reason: string): AppFileTarget => ({
  ok: false,
  status,
  reason,
});

/**
 * The file of `rootDir` that `url` names, or why it is refused: GET and HEAD on the
 * app origin only, then the path rules the HTTP host shares (core/static-files.ts).
 * Whether the file exists is the caller's question (serveAppRequest answers 404).
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

  return resolveStaticFile(u.pathname, rootDir);
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
  const body = await readStaticFile(target.file, rootDir);
  if (body === null) return new Response(null, { status: 404, headers: COMMON_HEADERS });
  return new Response(request.method === 'HEAD' ? null : body, {
    status: 200,
    headers: {
      ...COMMON_HEADERS,
      'content-type': target.contentType,
      'content-security-policy': contentSecurityPolicy(false),
    },
  });
}
