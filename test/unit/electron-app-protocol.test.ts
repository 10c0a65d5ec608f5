import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { resolveAppFile, serveAppRequest } from '../../electron/main/app-protocol.ts';
import { mimeTypeFor } from '../../electron/core/static-files.ts';
import { APP_INDEX_URL } from '../../electron/main/trusted-url.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

// <tmp>/renderer is what app://stateward/ serves; <tmp>/secret.txt and
// <tmp>/renderer-evil/x.txt sit right beside it and must never be reachable.
let base = '';
let root = '';
beforeEach(() => {
  base = world.dir();
  root = path.join(base, 'renderer');
  fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Stateward</title>');
  fs.writeFileSync(path.join(root, 'assets', 'index-3f2a.js'), 'console.log(1)');
  fs.writeFileSync(path.join(root, 'assets', 'index-3f2a.css'), 'body{}');
  fs.writeFileSync(path.join(root, 'assets', 'logo.SVG'), '<svg/>');
  fs.writeFileSync(path.join(base, 'secret.txt'), 'TOP SECRET');
  fs.mkdirSync(path.join(base, 'renderer-evil'));
  fs.writeFileSync(path.join(base, 'renderer-evil', 'x.txt'), 'TOP SECRET');
});

const get = (url: string, method = 'GET') => serveAppRequest({ url, method }, root);

describe('serveAppRequest: the built renderer', () => {
  it('serves index.html for the index URL and the bare origin, with the CSP header', async () => {
    for (const url of [APP_INDEX_URL, 'app://stateward/', 'app://stateward']) {
      const res = await get(url);
      expect(res.status, url).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toContain('<title>Stateward</title>');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('serves assets with their MIME type, ignoring query and hash', async () => {
    const js = await get('app://stateward/assets/index-3f2a.js?v=1#x');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toBe('console.log(1)');
    const css = await get('app://stateward/assets/index-3f2a.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const svg = await get('app://stateward/assets/logo.SVG');
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
  });

  it('answers HEAD without a body', async () => {
    const res = await get(APP_INDEX_URL, 'HEAD');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('answers 404 for a missing file or a folder', async () => {
    expect((await get('app://stateward/nope.js')).status).toBe(404);
    expect((await get('app://stateward/assets')).status).toBe(404);
    expect((await get('app://stateward/assets/')).status).toBe(404);
  });

  it('refuses other methods', async () => {
    expect((await get(APP_INDEX_URL, 'POST')).status).toBe(405);
    expect((await get(APP_INDEX_URL, 'PUT')).status).toBe(405);
  });
});

describe('serveAppRequest: nothing outside the renderer folder', () => {
  const traversals = [
    'app://stateward/../../etc/passwd',
    'app://stateward/../secret.txt',
    'app://stateward/%2e%2e/secret.txt',
    'app://stateward/%2E%2E/%2e%2e/etc/passwd',
    'app://stateward/assets/..%2f..%2fsecret.txt',
    'app://stateward/..%2fsecret.txt',
    'app://stateward/%2e%2e%2fsecret.txt',
    'app://stateward/..%5csecret.txt',
    'app://stateward/assets\\..\\..\\secret.txt',
    'app://stateward/%5c..%5csecret.txt',
    'app://stateward//etc/passwd',
    'app://stateward/%2fetc%2fpasswd',
    'app://stateward/C:/Windows/win.ini',
    'app://stateward/C%3a%5cWindows%5cwin.ini',
    'app://stateward/index.html%00.js',
    'app://stateward/%00',
    'app://stateward/index.html%0a',
    'app://stateward/%ff%fe',
    'app://stateward/..%2frenderer-evil/x.txt',
    'app://stateward/../renderer-evil/x.txt',
  ];

  it.each(traversals)('%s is refused without reading outside the folder', async (url) => {
    const res = await get(url);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await res.text()).toBe('');
  });

  it('refuses a path that resolves outside even when spelled absolutely', async () => {
    // The whole absolute path of the secret, percent-encoded into one segment and as segments.
    const abs = path.join(base, 'secret.txt');
    expect((await get(`app://stateward/${encodeURIComponent(abs)}`)).status).toBe(404);
    expect((await get(`app://stateward${abs}`)).status).toBe(404);
  });

  it('a symlink to a file or folder outside the folder is not followed (404)', async () => {
    fs.symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'leak.txt'));
    fs.symlinkSync(path.join(base, 'renderer-evil'), path.join(root, 'assets', 'evil'));
    for (const url of ['app://stateward/leak.txt', 'app://stateward/assets/evil/x.txt']) {
      const res = await get(url);
      expect(res.status, url).toBe(404);
      expect(await res.text()).toBe('');
    }
    // A symlink that stays inside is fine, and so are plain files.
    fs.symlinkSync('index-3f2a.js', path.join(root, 'assets', 'alias.js'));
    expect(await (await get('app://stateward/assets/alias.js')).text()).toBe('console.log(1)');
    expect((await get('app://stateward/assets/index-3f2a.css')).status).toBe(200);
  });

  it('a FIFO, socket or other non-regular file answers 404 without blocking', async () => {
    execFileSync('mkfifo', [path.join(root, 'pipe.js')]);
    let timer: NodeJS.Timeout | undefined;
    const res = await Promise.race([
      get('app://stateward/pipe.js'),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('blocked on the FIFO')), 5_000);
      }),
    ]).finally(() => clearTimeout(timer));
    expect(res.status).toBe(404);
  });

  it('says why, with the status the handler answers', () => {
    expect(resolveAppFile('app://stateward/..%2fsecret.txt', root)).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(resolveAppFile('app://stateward/a%5cb', root)).toMatchObject({
      ok: false,
      status: 400,
    });
    expect(resolveAppFile('app://stateward/a%00b', root)).toMatchObject({
      ok: false,
      status: 400,
    });
    expect(resolveAppFile('app://stateward/%E0%A4%A', root)).toMatchObject({
      ok: false,
      status: 400,
    });
    expect(resolveAppFile('app://stateward/assets/x.js', root)).toEqual({
      ok: true,
      file: path.join(root, 'assets', 'x.js'),
      contentType: 'text/javascript; charset=utf-8',
    });
  });
});

describe('serveAppRequest: only the app origin', () => {
  it.each([
    'app://evil/index.html',
    'app://stateward.evil.com/index.html',
    'app://stateward:8080/index.html',
    'app://user@stateward/index.html',
    'app:///index.html',
    'file:///etc/passwd',
    'file:///opt/Stateward/resources/app.asar/dist/renderer/index.html',
    'http://stateward/index.html',
    'http://localhost:5173/index.html',
    'not a url',
  ])('%s is not served', async (url) => {
    const res = await get(url);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await res.text()).toBe('');
  });
});

describe('mimeTypeFor', () => {
  it('knows the types a Vite build emits, case-insensitively', () => {
    expect(mimeTypeFor('index.html')).toBe('text/html; charset=utf-8');
    expect(mimeTypeFor('a.JS')).toBe('text/javascript; charset=utf-8');
    expect(mimeTypeFor('a.mjs')).toBe('text/javascript; charset=utf-8');
    expect(mimeTypeFor('a.css')).toBe('text/css; charset=utf-8');
    expect(mimeTypeFor('font.woff2')).toBe('font/woff2');
    expect(mimeTypeFor('a.png')).toBe('image/png');
    expect(mimeTypeFor('a.json')).toBe('application/json; charset=utf-8');
  });

  it('serves anything else as opaque bytes (with nosniff, never run as script)', () => {
    expect(mimeTypeFor('a.exe')).toBe('application/octet-stream');
    expect(mimeTypeFor('Makefile')).toBe('application/octet-stream');
    expect(mimeTypeFor('a.html.bak')).toBe('application/octet-stream');
  });
});
