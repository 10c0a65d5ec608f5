import { describe, expect, it } from 'vitest';
import {
  APP_INDEX_URL,
  contentSecurityPolicy,
  isAppUrl,
  isSafeExternalUrl,
  isTrustedSender,
} from '../../electron/main/trusted-url.ts';

const INDEX = 'app://stateward/index.html';
const FILE_INDEX = 'file:///opt/Stateward/resources/app.asar/dist/renderer/index.html';
const DEV = 'http://localhost:5173/';

describe('isAppUrl: the bundled page on app://stateward', () => {
  it('is the URL the window loads', () => {
    expect(APP_INDEX_URL).toBe(INDEX);
    expect(isAppUrl(INDEX, null)).toBe(true);
  });

  it('accepts the index with a query or a hash, and the bare origin', () => {
    expect(isAppUrl(`${INDEX}?x`, null)).toBe(true);
    expect(isAppUrl(`${INDEX}#/projects/3`, null)).toBe(true);
    expect(isAppUrl('app://stateward/', null)).toBe(true);
    expect(isAppUrl('app://stateward', null)).toBe(true);
    // Chromium lower-cases a standard scheme's host; the parser here does not.
    expect(isAppUrl('app://STATEWARD/index.html', null)).toBe(true);
  });

  it('rejects file: URLs, including the bundled index.html itself', () => {
    expect(isAppUrl(FILE_INDEX, null)).toBe(false);
    expect(isAppUrl(FILE_INDEX, DEV)).toBe(false);
    expect(isAppUrl('file:///etc/passwd', null)).toBe(false);
    expect(isAppUrl('file://stateward/index.html', null)).toBe(false);
  });

  it('rejects another host, a port, userinfo or a look-alike scheme', () => {
    expect(isAppUrl('app://evil/index.html', null)).toBe(false);
    expect(isAppUrl('app://stateward.evil.com/index.html', null)).toBe(false);
    expect(isAppUrl('app://stateward./index.html', null)).toBe(false);
    expect(isAppUrl('app://stateward:80/index.html', null)).toBe(false);
    expect(isAppUrl('app://x@stateward/index.html', null)).toBe(false);
    expect(isAppUrl('app://stateward@evil/index.html', null)).toBe(false);
    expect(isAppUrl('app:///index.html', null)).toBe(false);
    expect(isAppUrl('app:index.html', null)).toBe(false);
    expect(isAppUrl('apps://stateward/index.html', null)).toBe(false);
    expect(isAppUrl('http://stateward/index.html', null)).toBe(false);
    expect(isAppUrl('https://stateward/index.html', null)).toBe(false);
  });

  it('rejects other documents of the app origin', () => {
    expect(isAppUrl('app://stateward/other.html', null)).toBe(false);
    expect(isAppUrl('app://stateward/index.html/x', null)).toBe(false);
    expect(isAppUrl('app://stateward/index.htm', null)).toBe(false);
    expect(isAppUrl('app://stateward/assets/index.js', null)).toBe(false);
    expect(isAppUrl('app://stateward/index.html%00.evil', null)).toBe(false);
    expect(isAppUrl('app://stateward/%2e%2e/index.html/x', null)).toBe(false);
  });

  it('rejects remote pages that merely contain the app URL', () => {
    expect(isAppUrl(`https://evil.com/${INDEX}`, null)).toBe(false);
    expect(isAppUrl(`https://evil.com/?u=${encodeURIComponent(INDEX)}`, null)).toBe(false);
    expect(isAppUrl(`https://evil.com/#${INDEX}`, null)).toBe(false);
    expect(isAppUrl(`https://evil.com/${INDEX}`, DEV)).toBe(false);
  });

  it('rejects scripts, data, blobs and garbage', () => {
    expect(isAppUrl('javascript:alert(1)//index.html', DEV)).toBe(false);
    expect(isAppUrl('data:text/html,<script>1</script>', DEV)).toBe(false);
    expect(isAppUrl('blob:app://stateward/0b1c', DEV)).toBe(false);
    expect(isAppUrl('about:blank', DEV)).toBe(false);
    expect(isAppUrl('', DEV)).toBe(false);
    expect(isAppUrl('not a url', DEV)).toBe(false);
    expect(isAppUrl('/index.html', DEV)).toBe(false);
  });

  it('does not accept any http page when there is no dev server', () => {
    expect(isAppUrl('http://localhost:5173/', null)).toBe(false);
  });
});

describe('isAppUrl: the dev server', () => {
  it('accepts any page of the exact dev-server origin', () => {
    expect(isAppUrl('http://localhost:5173/', DEV)).toBe(true);
    expect(isAppUrl('http://localhost:5173/projects?x=1#y', DEV)).toBe(true);
    expect(isAppUrl('http://LOCALHOST:5173/', DEV)).toBe(true);
  });

  it('still accepts the bundled page in development', () => {
    expect(isAppUrl(INDEX, DEV)).toBe(true);
  });

  it('rejects another port, scheme or host', () => {
    expect(isAppUrl('http://localhost:5174/', DEV)).toBe(false);
    expect(isAppUrl('http://localhost/', DEV)).toBe(false);
    expect(isAppUrl('https://localhost:5173/', DEV)).toBe(false);
    expect(isAppUrl('ws://localhost:5173/', DEV)).toBe(false);
    expect(isAppUrl('http://127.0.0.1:5173/', DEV)).toBe(false);
    expect(isAppUrl('http://localhost.evil.com:5173/', DEV)).toBe(false);
  });

  it('rejects userinfo tricks', () => {
    expect(isAppUrl('http://localhost:5173@evil.com/', DEV)).toBe(false);
    expect(isAppUrl('http://localhost:5173:x@evil.com:5173/', DEV)).toBe(false);
    expect(isAppUrl('http://user:pass@localhost:5173/', DEV)).toBe(false);
  });

  it('treats a default port as the same origin', () => {
    expect(isAppUrl('http://localhost/', 'http://localhost:80/')).toBe(true);
  });

  it('ignores a dev server URL that is not http(s)', () => {
    expect(isAppUrl('file:///x', 'file:///x')).toBe(false);
    expect(isAppUrl('javascript:1', 'javascript:1')).toBe(false);
  });
});

describe('isTrustedSender: who may invoke commands over IPC', () => {
  const top = (url: string) => ({ url, parent: null });

  it('accepts the app page as a top-level frame', () => {
    expect(isTrustedSender(top(INDEX), null)).toBe(true);
    expect(isTrustedSender(top(`${INDEX}#/backups`), null)).toBe(true);
    expect(isTrustedSender(top('http://localhost:5173/'), DEV)).toBe(true);
  });

  it('refuses the old file: page, http pages and other app:// hosts', () => {
    expect(isTrustedSender(top(FILE_INDEX), null)).toBe(false);
    expect(isTrustedSender(top('file:///etc/passwd'), DEV)).toBe(false);
    expect(isTrustedSender(top('http://localhost:5173/'), null)).toBe(false);
    expect(isTrustedSender(top('https://evil.com/'), DEV)).toBe(false);
    expect(isTrustedSender(top('app://evil/index.html'), null)).toBe(false);
  });

  it('refuses a subframe, even one showing the app page, and a missing frame', () => {
    expect(isTrustedSender({ url: INDEX, parent: top(INDEX) }, null)).toBe(false);
    expect(isTrustedSender(null, null)).toBe(false);
    expect(isTrustedSender(undefined, DEV)).toBe(false);
  });
});

describe('isSafeExternalUrl', () => {
  it('accepts plain http(s) links', () => {
    expect(isSafeExternalUrl('https://example.com/docs?a=1#b')).toBe(true);
    expect(isSafeExternalUrl('http://10.0.0.5:8080/app')).toBe(true);
    expect(isSafeExternalUrl('HTTPS://EXAMPLE.COM')).toBe(true);
  });

  it('rejects every other scheme', () => {
    for (const url of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      ' javascript:alert(1)',
      'file:///etc/passwd',
      'data:text/html,x',
      'smb://server/share',
      'ms-msdt:/id',
      'vbscript:msgbox',
      'mailto:a@b.c',
      'ftp://example.com/',
    ]) {
      expect(isSafeExternalUrl(url), url).toBe(false);
    }
  });

  it('rejects credentials, missing hosts and unparsable input', () => {
    expect(isSafeExternalUrl('https://example.com@evil.com/')).toBe(false);
    expect(isSafeExternalUrl('https://user:pw@example.com/')).toBe(false);
    expect(isSafeExternalUrl('https://')).toBe(false);
    expect(isSafeExternalUrl('example.com')).toBe(false);
    expect(isSafeExternalUrl('')).toBe(false);
  });
});

describe('contentSecurityPolicy', () => {
  it('is strict in production', () => {
    const csp = contentSecurityPolicy(false);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("form-action 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
  });

  it('allows only the inline dev preamble in development', () => {
    expect(contentSecurityPolicy(true)).toMatch(/script-src 'self' 'unsafe-inline';/);
    expect(contentSecurityPolicy(true)).not.toContain('unsafe-eval');
  });
});
