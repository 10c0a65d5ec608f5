// Session and web-contents hardening: the app:// scheme that serves the renderer,
// CSP header, permissions denied, navigation, new windows and webviews denied;
// http(s) links go to the OS browser after a URL check.
import { app, protocol, session, shell } from 'electron';
import type { Session, WebContents } from 'electron';
import { serveAppRequest } from './app-protocol.ts';
import { APP_SCHEME, contentSecurityPolicy, isAppUrl, isSafeExternalUrl } from './trusted-url.ts';

export interface AppPages {
  /** The built renderer folder (dist/renderer, inside app.asar when packaged), served as app://stateward/. */
  rendererDir: string;
  /** Origin of the Vite dev server in development, else null. */
  devServerUrl: string | null;
}

export function isAppPage(pages: AppPages, url: string): boolean {
  return isAppUrl(url, pages.devServerUrl);
}

/**
 * Must run before app ready (Electron allows it once). app:// becomes a standard
 * scheme (relative URLs, its own origin, storage) and a secure context with fetch;
 * it does not bypass the CSP and registers no service workers.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: {
        standard: true,
        secure: true,
        supportFetchAPI: true,
        // Vite's <script type="module" crossorigin> makes a CORS-mode request.
        corsEnabled: true,
        codeCache: true,
      },
    },
  ]);
}

function openExternally(url: string): void {
  if (!isSafeExternalUrl(url)) return;
  // Hand over the re-serialized URL, not the string the page gave us.
  void shell.openExternal(new URL(url).href).catch(() => undefined);
}

export function hardenSession(ses: Session, pages: AppPages): void {
  const csp = contentSecurityPolicy(pages.devServerUrl !== null);
  // The dev server's documents get the policy here; app:// responses carry it
  // themselves (app-protocol.ts), and the built index.html has it as a <meta> too.
  ses.webRequest.onHeadersReceived((details, callback) => {
    if (details.resourceType !== 'mainFrame' && details.resourceType !== 'subFrame') {
      callback({});
      return;
    }
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] },
    });
  });
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.protocol.handle(APP_SCHEME, (request) => serveAppRequest(request, pages.rendererDir));
}

function hardenWebContents(contents: WebContents, pages: AppPages): void {
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.on('will-navigate', (event, url) => {
    if (isAppPage(pages, url)) return;
    event.preventDefault();
    openExternally(url);
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppPage(pages, url)) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    openExternally(url);
    return { action: 'deny' };
  });
}

/** Install once, after app ready and before any window exists. */
export function installSecurity(pages: AppPages): void {
  hardenSession(session.defaultSession, pages);
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, pages));
}
