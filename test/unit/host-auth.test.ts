import { afterEach, describe, expect, it, vi } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { HTTP_EVENTS_PATH, HTTP_INVOKE_PATH, HTTP_TOKEN_HEADER } from '../../shared/events.ts';
import { CSP } from '../../electron/host/server.ts';
import { HELPERS_DIR, spawnUntilLine } from '../helpers/child.ts';
import type { RawResponse, TestHost } from '../helpers/http.ts';
import { INDEX_HTML, request, startTestHost } from '../helpers/http.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const SECRET = '{"name":"outside-the-static-dir","secret":"s3cr3t-value"}';

/** Every response a test saw, so afterEach can check none of them speaks CORS. */
let seen: RawResponse[] = [];
afterEach(() => {
  const cors = seen.filter((r) =>
    Object.keys(r.headers).some((h) => h.startsWith('access-control-')),
  );
  seen = [];
  expect(
    cors.map((r) => r.headers),
    'responses must never carry CORS headers',
  ).toEqual([]);
});

async function host(): Promise<TestHost> {
  const h = await startTestHost(world);
  fs.writeFileSync(path.join(h.root, 'package.json'), SECRET);
  const invoke = h.invoke;
  return {
    ...h,
    invoke: async (...args) => {
      const r = await invoke(...args);
      seen.push(r);
      return r;
    },
  };
}

async function req(port: number, opts: Parameters<typeof request>[1]): Promise<RawResponse> {
  const r = await request(port, opts);
  seen.push(r);
  return r;
}

function errorCode(r: RawResponse): string {
  return (JSON.parse(r.body) as { ok: false; error: { code: string } }).error.code;
}

describe('token', () => {
  it('no token → 401 UNAUTHORIZED', async () => {
    const h = await host();
    const r = await req(h.port, {
      method: 'POST',
      path: `${HTTP_INVOKE_PATH}projects.list`,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(r.status).toBe(401);
    expect(errorCode(r)).toBe('UNAUTHORIZED');
  });

  it('a wrong token of the same length, another length, or empty → 401', async () => {
    const h = await host();
    const flipped = h.token.slice(0, -1) + (h.token.endsWith('A') ? 'B' : 'A');
    for (const token of [
      flipped,
      `${h.token}x`,
      h.token.slice(1),
      '',
      h.token.toUpperCase() === h.token ? 'x' : h.token.toUpperCase(),
    ]) {
      const r = await h.invoke('projects.list', {}, { [HTTP_TOKEN_HEADER]: token });
      expect(r.status, `token ${JSON.stringify(token)}`).toBe(401);
      expect(errorCode(r)).toBe('UNAUTHORIZED');
    }
  });

  it('the right token and no Origin → 200 with the result', async () => {
    const h = await host();
    const r = await h.invoke('projects.list', {});
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ ok: true, value: { items: [], total: 0, offset: 0 } });
    expect(r.headers['cache-control']).toBe('no-store');
  });

  it('a refused write through HTTP changes nothing', async () => {
    const h = await host();
    const r = await req(h.port, {
      method: 'POST',
      path: `${HTTP_INVOKE_PATH}projects.create`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sneaky' }),
    });
    expect(r.status).toBe(401);
    expect(h.rt.store!.db.prepare(`SELECT count(*) AS n FROM projects`).get()).toEqual({ n: 0 });
  });
});

describe('Origin and Host', () => {
  it.each(['http://evil.example', 'http://127.0.0.1:1', 'null', 'https://127.0.0.1'])(
    'a foreign Origin (%s) with the right token → 403',
    async (origin) => {
      const h = await host();
      const o = origin === 'https://127.0.0.1' ? `https://127.0.0.1:${h.port}` : origin;
      const r = await h.invoke('projects.create', { name: 'from-evil' }, { origin: o });
      expect(r.status).toBe(403);
      expect(errorCode(r)).toBe('FORBIDDEN');
      expect(h.rt.store!.db.prepare(`SELECT count(*) AS n FROM projects`).get()).toEqual({ n: 0 });
    },
  );

  it('its own origins are accepted', async () => {
    const h = await host();
    for (const origin of [`http://127.0.0.1:${h.port}`, `http://localhost:${h.port}`]) {
      expect((await h.invoke('projects.list', {}, { origin })).status).toBe(200);
    }
  });

  it.each([
    'evil.example',
    'evil.example:PORT',
    '127.0.0.1:1',
    '127.0.0.1',
    'localhost.evil.example:PORT',
  ])('a foreign Host header (%s) → 421, for the API and the page', async (hostHeader) => {
    const h = await host();
    const value = hostHeader.replace('PORT', String(h.port));
    const api = await h.invoke('projects.list', {}, { host: value });
    expect(api.status).toBe(421);
    const page = await req(h.port, { path: '/', headers: { host: value } });
    expect(page.status).toBe(421);
    expect(page.body).not.toContain('Stateward test');
  });

  it('localhost:PORT is an accepted Host', async () => {
    const h = await host();
    expect((await h.invoke('projects.list', {}, { host: `localhost:${h.port}` })).status).toBe(200);
  });
});

describe('request shape', () => {
  it('a non-JSON content type → 415', async () => {
    const h = await host();
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const r = await h.invoke('projects.create', { name: 'x' }, { 'content-type': type });
      expect(r.status, type).toBe(415);
    }
    expect(h.rt.store!.db.prepare(`SELECT count(*) AS n FROM projects`).get()).toEqual({ n: 0 });
  });

  it('OPTIONS preflight gets no CORS headers and no 2xx', async () => {
    const h = await host();
    const r = await req(h.port, {
      method: 'OPTIONS',
      path: `${HTTP_INVOKE_PATH}projects.create`,
      headers: {
        origin: 'http://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': `content-type, ${HTTP_TOKEN_HEADER}`,
      },
    });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(Object.keys(r.headers).filter((k) => k.startsWith('access-control-'))).toEqual([]);
  });

  it('a body that is not JSON → 400 BAD_INPUT', async () => {
    const h = await host();
    const r = await req(h.port, {
      method: 'POST',
      path: `${HTTP_INVOKE_PATH}projects.create`,
      headers: { 'content-type': 'application/json', [HTTP_TOKEN_HEADER]: h.token },
      body: '{"name":',
    });
    expect(r.status).toBe(400);
    expect(errorCode(r)).toBe('BAD_INPUT');
  });

  it('an undecodable command name is a client error, not a 500', async () => {
    const h = await host();
    const r = await h.invoke('projects.%zz', {});
    expect(r.status).toBeLessThan(500);
  });
});

describe('static files', () => {
  it('index.html is served with the CSP and no-sniff headers', async () => {
    const h = await host();
    for (const p of ['/', '/index.html']) {
      const r = await req(h.port, { path: p });
      expect(r.status).toBe(200);
      expect(r.body).toBe(INDEX_HTML);
      expect(r.headers['content-security-policy']).toBe(CSP);
      expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['content-type']).toMatch(/^text\/html/);
    }
  });

  it.each([
    '/../package.json',
    '/%2e%2e/package.json',
    '/..%2fpackage.json',
    '/%2e%2e%2fpackage.json',
    '/static/..%2f..%2fpackage.json',
    '/..%5cpackage.json',
  ])('path traversal %s → 404', async (p) => {
    const h = await host();
    const r = await req(h.port, { path: p });
    expect(r.status).toBe(404);
    expect(r.body).not.toContain('s3cr3t-value');
  });

  it('a symlink in the static folder to a file outside it → 404; a normal file is served', async () => {
    const h = await host();
    const staticDir = path.join(h.root, 'static');
    fs.symlinkSync(path.join(h.root, 'package.json'), path.join(staticDir, 'leak.json'));
    fs.mkdirSync(path.join(staticDir, 'assets'));
    fs.symlinkSync(h.root, path.join(staticDir, 'assets', 'up'));
    fs.writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
    for (const p of ['/leak.json', '/assets/up/package.json']) {
      const r = await req(h.port, { path: p });
      expect(r.status, p).toBe(404);
      expect(r.body).not.toContain('s3cr3t-value');
    }
    const ok = await req(h.port, { path: '/assets/app.js' });
    expect([ok.status, ok.body]).toEqual([200, 'console.log(1)']);
  });

  it('a FIFO in the static folder → 404 at once, and the host keeps serving', async () => {
    // In a child process: a host that blocks opening the FIFO must not block the test runner.
    const staticDir = world.dir();
    fs.writeFileSync(path.join(staticDir, 'index.html'), INDEX_HTML);
    execFileSync('mkfifo', [path.join(staticDir, 'pipe.js')]);
    const { line } = await spawnUntilLine(world, [
      path.join(HELPERS_DIR, 'host-child.ts'),
      world.dir(),
      staticDir,
    ]);
    const { port } = JSON.parse(line) as { port: number };
    // request() gives up after 5 s without a response.
    const fifo = await request(port, { path: '/pipe.js' }).catch((e: Error) => e);
    expect(fifo instanceof Error ? `no answer: ${fifo.message}` : fifo.status).toBe(404);
    const after = await request(port, { path: '/' }).catch((e: Error) => e);
    expect(after instanceof Error ? `host stuck: ${after.message}` : after.status).toBe(200);
  });

  it('a malformed percent-encoding gets a 4xx and the host keeps serving', async () => {
    // In a child process: if the host crashes on this, it must not take the test runner with it.
    const root = world.dir();
    const staticDir = path.join(root, 'static');
    fs.mkdirSync(staticDir);
    fs.writeFileSync(path.join(staticDir, 'index.html'), INDEX_HTML);
    const { child, line } = await spawnUntilLine(world, [
      path.join(HELPERS_DIR, 'host-child.ts'),
      world.dir(),
      staticDir,
    ]);
    const { port } = JSON.parse(line) as { port: number };
    const bad = await request(port, { path: '/%E0%A4%A' }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 50));
    expect(child.proc.exitCode, 'the host process exited (crashed) on a malformed URL').toBeNull();
    expect(bad instanceof Error ? `request failed: ${bad.message}` : bad.status).toBeOneOf([
      400, 404,
    ]);
    const after = await request(port, { path: '/' }).catch((e: Error) => e);
    expect(after instanceof Error ? `host gone: ${after.message}` : after.status).toBe(200);
  });
});

describe('events', () => {
  it('the SSE stream needs the token', async () => {
    const h = await host();
    const r = await req(h.port, { path: HTTP_EVENTS_PATH });
    expect(r.status).toBe(401);
  });

  it('the SSE stream with the token receives data.changed after projects.create', async () => {
    const h = await host();
    let head: http.IncomingMessage | null = null;
    const frames = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no data.changed event within 5 s')), 5_000);
      const sse = http.get(
        {
          host: '127.0.0.1',
          port: h.port,
          path: HTTP_EVENTS_PATH,
          headers: { [HTTP_TOKEN_HEADER]: h.token },
          agent: false,
        },
        (res) => {
          head = res;
          let text = '';
          let created = false;
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
            if (text.includes(': connected') && !created) {
              created = true;
              h.invoke('projects.create', { name: 'evented' }).catch(reject);
            }
            if (/event: data\.changed\ndata: \{"area":"projects"\}\n\n/.test(text)) {
              clearTimeout(timer);
              sse.destroy();
              resolve(text);
            }
          });
        },
      );
      sse.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code !== 'ECONNRESET') reject(e);
      });
    });
    const res = head as http.IncomingMessage | null;
    expect(res?.statusCode).toBe(200);
    expect(res?.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(Object.keys(res?.headers ?? {}).filter((k) => k.startsWith('access-control-'))).toEqual(
      [],
    );
    expect(frames).toContain('event: data.changed');
  });
});

describe('listening', () => {
  it('binds 127.0.0.1 only', async () => {
    const servers: http.Server[] = [];
    const real = http.createServer.bind(http);
    const spy = vi.spyOn(http, 'createServer').mockImplementation(((
      ...args: Parameters<typeof http.createServer>
    ) => {
      const s = real(...args);
      servers.push(s);
      return s;
    }) as typeof http.createServer);
    let h: TestHost;
    try {
      h = await host();
    } finally {
      spy.mockRestore();
    }
    expect(servers).toHaveLength(1);
    const addr = servers[0]!.address() as AddressInfo;
    expect(addr).toEqual({ address: '127.0.0.1', family: 'IPv4', port: h.port });
    expect(h.host.url.startsWith(`http://127.0.0.1:${h.port}/`)).toBe(true);
    // Not reachable over IPv6 loopback (or any other interface).
    const v6 = await new Promise<string>((resolve) => {
      const s = net.connect({ host: '::1', port: h.port }, () => {
        s.destroy();
        resolve('connected');
      });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(v6).not.toBe('connected');
  });
});
