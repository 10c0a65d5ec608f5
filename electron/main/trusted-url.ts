// Which URLs the shell trusts, decided with parsed URLs (never substrings).
// Pure functions with no electron import, so they are unit-tested under Node.

/**
 * The app's own origin. The built renderer is served from this privileged custom
 * scheme (app-protocol.ts), never from file:, whose pages would share an origin
 * with every file on disk (Electron's security checklist, "avoid file://").
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'stateward';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

const hasUserinfo = (u: URL): boolean => u.username !== '' || u.password !== '';

/**
 * Is `u` on app://stateward with nothing else in its authority? Chromium lower-cases
 * the host of a standard scheme; Node's parser does not, so compare lower-cased.
 */
export function isAppOrigin(u: URL): boolean {
  return (
    u.protocol === `${APP_SCHEME}:` &&
    u.hostname.toLowerCase() === APP_HOST &&
    u.port === '' &&
    !hasUserinfo(u)
  );
}

/**
 * Is `url` the app's own page? That is app://stateward/index.html (or `/`; a query
 * or hash on it is the same document) or, in development, any page of the dev
 * server's exact origin (scheme, host and port). file: URLs never are.
 */
export function isAppUrl(url: string, devServerUrl: string | null): boolean {
  const u = parse(url);
  if (!u) return false;

  // Node's parser leaves the path of `app://stateward` empty; Chromium makes it `/`.
  if (isAppOrigin(u)) return ['', '/', '/index.html'].includes(u.pathname);

  if (devServerUrl !== null) {
    const dev = parse(devServerUrl);
    if (!dev || (dev.protocol !== 'http:' && dev.protocol !== 'https:')) return false;
    return !hasUserinfo(u) && u.protocol === dev.protocol && u.origin === dev.origin;
  }
  return false;
}

/** The parts of Electron's WebFrameMain an IPC sender check reads. */
export interface SenderFrame {
  url: string;
  parent: unknown;
}

/**
 * May this frame invoke commands? Only the app's own page as a top-level frame:
 * an iframe, even one on the app origin, and a frame that is gone are refused.
 */
export function isTrustedSender(
  frame: SenderFrame | null | undefined,
  devServerUrl: string | null,
): boolean {
  if (!frame || frame.parent !== null) return false;
  return isAppUrl(frame.url, devServerUrl);
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
