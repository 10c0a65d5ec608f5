import { describe, expect, it } from 'vitest';
import {
  contentSecurityPolicy,
  isAppUrl,
  isSafeExternalUrl,
} from '../../electron/main/trusted-url.ts';

const INDEX = 'file:///opt/Stateward/resources/app.asar/dist/renderer/index.html';
const DEV = 'http://localhost:5173/';

describe('isAppUrl: the bundled page', () => {
  it('accepts the index file itself', () => {
    expect(isAppUrl(INDEX, INDEX, null)).toBe(true);
  });

  it('accepts the same document with a query or a hash (hash routing)', () => {
    expect(isAppUrl(`${INDEX}?x`, INDEX, null)).toBe(true);
    expect(isAppUrl(`${INDEX}#/projects/3`, INDEX, null)).toBe(true);
  });

  it('accepts equivalent spellings of the same file', () => {
    expect(
      isAppUrl(
        'file://localhost/opt/Stateward/resources/app.asar/dist/renderer/index.html',
        INDEX,
        null,
      ),
    ).toBe(true);
    expect(
      isAppUrl(
        'file:///opt/Stateward/resources/app.asar/dist/renderer/../renderer/index.html',
        INDEX,
        null,
      ),
    ).toBe(true);
    expect(
      isAppUrl('file:///opt/Statew%61rd/resources/app.asar/dist/renderer/index.html', INDEX, null),
    ).toBe(true);
  });

  it('handles paths with spaces and Windows drive letters', () => {
    const win = 'file:///C:/Program%20Files/Stateward/resources/app.asar/dist/renderer/index.html';
    expect(isAppUrl(win, win, null)).toBe(true);
    expect(isAppUrl(win.replace('/C:/', '/c:/'), win, null)).toBe(true);
    expect(isAppUrl(win.replace('Program%20Files', 'Program Files'), win, null)).toBe(true);
    expect(
      isAppUrl(
        'file:///D:/Program%20Files/Stateward/resources/app.asar/dist/renderer/index.html',
        win,
        null,
      ),
    ).toBe(false);
  });

  it('rejects other files, however close', () => {
    expect(
      isAppUrl('file:///opt/Stateward/resources/app.asar/dist/renderer/other.html', INDEX, null),
    ).toBe(false);
    expect(
      isAppUrl('file:///opt/Stateward/resources/app.asar/dist/renderer/index.html/x', INDEX, null),
    ).toBe(false);
    expect(
      isAppUrl('file:///opt/Stateward/resources/app.asar/dist/renderer/index.htm', INDEX, null),
    ).toBe(false);
    expect(isAppUrl('file:///tmp/evil/dist/renderer/index.html', INDEX, null)).toBe(false);
    expect(isAppUrl('file:///home/u/Downloads/index.html', INDEX, null)).toBe(false);
    expect(
      isAppUrl(
        'file:///opt/Stateward/resources/app.asar/dist/renderer/index.html%00.evil',
        INDEX,
        null,
      ),
    ).toBe(false);
  });

  it('rejects a file URL on another host (UNC share)', () => {
    expect(
      isAppUrl(
        'file://evil.com/opt/Stateward/resources/app.asar/dist/renderer/index.html',
        INDEX,
        null,
      ),
    ).toBe(false);
  });

  it('rejects remote pages that merely contain the app URL', () => {
    expect(isAppUrl(`https://evil.com/${INDEX}`, INDEX, null)).toBe(false);
    expect(isAppUrl(`https://evil.com/?u=${encodeURIComponent(INDEX)}`, INDEX, null)).toBe(false);
    expect(isAppUrl(`https://evil.com/#${INDEX}`, INDEX, null)).toBe(false);
    expect(isAppUrl(`https://evil.com/${INDEX}`, INDEX, DEV)).toBe(false);
  });

  it('rejects scripts, data, blobs and garbage', () => {
    expect(isAppUrl('javascript:alert(1)//index.html', INDEX, DEV)).toBe(false);
    expect(isAppUrl('data:text/html,<script>1</script>', INDEX, DEV)).toBe(false);
    expect(isAppUrl('blob:file:///opt/x', INDEX, DEV)).toBe(false);
    expect(isAppUrl('about:blank', INDEX, DEV)).toBe(false);
    expect(isAppUrl('', INDEX, DEV)).toBe(false);
    expect(isAppUrl('not a url', INDEX, DEV)).toBe(false);
    expect(isAppUrl('/dist/renderer/index.html', INDEX, DEV)).toBe(false);
  });

  it('does not accept any http page when there is no dev server', () => {
    expect(isAppUrl('http://localhost:5173/', INDEX, null)).toBe(false);
  });
});

describe('isAppUrl: the dev server', () => {
  it('accepts any page of the exact dev-server origin', () => {
    expect(isAppUrl('http://localhost:5173/', INDEX, DEV)).toBe(true);
    expect(isAppUrl('http://localhost:5173/projects?x=1#y', INDEX, DEV)).toBe(true);
    expect(isAppUrl('http://LOCALHOST:5173/', INDEX, DEV)).toBe(true);
  });

  it('still accepts the bundled page in development', () => {
    expect(isAppUrl(INDEX, INDEX, DEV)).toBe(true);
  });

  it('rejects another port, scheme or host', () => {
    expect(isAppUrl('http://localhost:5174/', INDEX, DEV)).toBe(false);
    expect(isAppUrl('http://localhost/', INDEX, DEV)).toBe(false);
    expect(isAppUrl('https://localhost:5173/', INDEX, DEV)).toBe(false);
    expect(isAppUrl('ws://localhost:5173/', INDEX, DEV)).toBe(false);
    expect(isAppUrl('http://127.0.0.1:5173/', INDEX, DEV)).toBe(false);
    expect(isAppUrl('http://localhost.evil.com:5173/', INDEX, DEV)).toBe(false);
  });

  it('rejects userinfo tricks', () => {
    expect(isAppUrl('http://localhost:5173@evil.com/', INDEX, DEV)).toBe(false);
    expect(isAppUrl('http://localhost:5173:x@evil.com:5173/', INDEX, DEV)).toBe(false);
    expect(isAppUrl('http://user:pass@localhost:5173/', INDEX, DEV)).toBe(false);
  });

  it('treats a default port as the same origin', () => {
    expect(isAppUrl('http://localhost/', INDEX, 'http://localhost:80/')).toBe(true);
  });

  it('ignores a dev server URL that is not http(s)', () => {
    expect(isAppUrl('file:///x', 'file:///y', 'file:///x')).toBe(false);
    expect(isAppUrl('javascript:1', INDEX, 'javascript:1')).toBe(false);
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
