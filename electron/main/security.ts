// Session and web-contents hardening: CSP header, permissions denied, navigation,
// new windows and webviews denied; http(s) links go to the OS browser after a URL check.
import { app, session, shell } from 'electron';
import type { Session, WebContents } from 'electron';
import { contentSecurityPolicy, isAppUrl, isSafeExternalUrl } from './trusted-url.ts';

export interface AppPages {
  /** file: URL of the bundled dist/renderer/index.html. */
  indexFileUrl: string;
  /** Origin of the Vite dev server in development, else null. */
  devServerUrl: string | null;
}

export function isAppPage(pages: AppPages, url: string): boolean {
  return isAppUrl(url, pages.indexFileUrl, pages.devServerUrl);
}

function openExternally(url: string): void {
  if (!isSafeExternalUrl(url)) return;
  // Hand over the re-serialized URL, not the string the page gave us.
  void shell.openExternal(new URL(url).href).catch(() => undefined);
}

export function hardenSession(ses: Session, pages: AppPages): void {
  const csp = contentSecurityPolicy(pages.devServerUrl !== null);
  // Applies to http(s) documents (the dev server). file: pages get no response
  // headers, so the bundled index.html must carry the same policy in a <meta> tag.
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

/** Install once, before any window exists. */
export function installSecurity(pages: AppPages): void {
  hardenSession(session.defaultSession, pages);
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, pages));
}
