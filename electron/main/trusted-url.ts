// Which URLs the shell trusts, decided with parsed URLs (never substrings).
// Pure functions with no electron import, so they are unit-tested under Node.

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

const hasUserinfo = (u: URL): boolean => u.username !== '' || u.password !== '';

/** A file: URL path compared by the file it names: percent-escapes decoded, drive letter upper-cased. */
function filePath(u: URL): string {
  let p: string;
  try {
    p = decodeURIComponent(u.pathname);
  } catch {
    p = u.pathname;
  }
  return p.replace(/^\/([a-z]):\//, (_m, d: string) => `/${d.toUpperCase()}:/`);
}

/**
 * Is `url` the app's own page? That is the bundled index.html (same file: URL path;
 * a query or hash on it is the same document) or, in development, any page of the
 * dev server's exact origin (scheme, host and port).
 */
export function isAppUrl(
  url: string,
  appIndexFileUrl: string,
  devServerUrl: string | null,
): boolean {
  const u = parse(url);
  if (!u) return false;

  const index = parse(appIndexFileUrl);
  if (index && index.protocol === 'file:' && u.protocol === 'file:') {
    // The WHATWG parser has already resolved dot segments and `file://localhost/`.
    return u.host === index.host && filePath(u) === filePath(index);
  }

  if (devServerUrl !== null) {
    const dev = parse(devServerUrl);
    if (!dev || (dev.protocol !== 'http:' && dev.protocol !== 'https:')) return false;
    return !hasUserinfo(u) && u.protocol === dev.protocol && u.origin === dev.origin;
  }
  return false;
}

/** May this URL be handed to the OS browser? Only plain http(s) links without credentials. */
export function isSafeExternalUrl(url: string): boolean {
  const u = parse(url);
  if (!u) return false;
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
  return u.hostname !== '' && !hasUserinfo(u);
}

/**
 * The Content-Security-Policy of the app's pages. In development the Vite dev
 * server needs an inline module script (React refresh preamble); nothing else is relaxed.
 */
export function contentSecurityPolicy(dev: boolean): string {
  const scriptSrc = dev ? "'self' 'unsafe-inline'" : "'self'";
  return [
    "default-src 'self'",
    `script-src ${scriptSrc}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
