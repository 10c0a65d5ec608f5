// Raw HTTP requests (paths sent exactly as given, any Host header) and a host on a temp world.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { HTTP_INVOKE_PATH, HTTP_TOKEN_HEADER } from '../../shared/events.ts';
import type { Runtime } from '../../electron/core/runtime.ts';
import type { Host } from '../../electron/host/server.ts';
import { DownloadTickets, startHost } from '../../electron/host/server.ts';
import { startTestRuntime, testRegistry } from './runtime.ts';
import type { World } from './world.ts';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function request(
  port: number,
  opts: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    host?: string;
    /** Send the body in pieces of this many bytes, chunked (no Content-Length). */
    chunkBytes?: number;
  },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: opts.host ?? '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        headers: opts.headers ?? {},
        agent: false,
        timeout: 5_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`no response to ${opts.method ?? 'GET'} ${opts.path ?? '/'}`)),
    );
    req.on('error', reject);
    const body = opts.body;
    if (opts.chunkBytes === undefined || body === undefined) {
      req.end(body);
      return;
    }
    const bytes = Buffer.from(body);
    for (let at = 0; at < bytes.length; at += opts.chunkBytes)
      req.write(bytes.subarray(at, at + opts.chunkBytes));
    req.end();
  });
}

export interface TestHost {
  rt: Runtime;
  host: Host;
  port: number;
  token: string;
  /** The temp folder holding the static dir (and files beside it that must not be served). */
  root: string;
  /** POST a command with the token. */
  invoke(name: string, input: unknown, headers?: Record<string, string>): Promise<RawResponse>;
}

export const INDEX_HTML = '<!doctype html><title>Stateward test</title><div id="root"></div>';

/** A runtime on a temp data dir and the HTTP host serving a temp static dir; closed after the test. */
export async function startTestHost(
  world: World,
  opts: { dataDir?: string; maxUploadBytes?: number } = {},
): Promise<TestHost> {
  const root = world.dir();
  const staticDir = path.join(root, 'static');
  fs.mkdirSync(staticDir);
  fs.writeFileSync(path.join(staticDir, 'index.html'), INDEX_HTML);
  const rt = await startTestRuntime(world, opts.dataDir);
  const downloads = new DownloadTickets();
  const host = await startHost({
    rt,
    registry: testRegistry(rt, downloads),
    staticDir,
    port: 0,
    downloads,
    ...(opts.maxUploadBytes === undefined ? {} : { maxUploadBytes: opts.maxUploadBytes }),
  });
  world.defer(() => host.close());
  const invoke = (name: string, input: unknown, headers: Record<string, string> = {}) =>
    request(host.port, {
      method: 'POST',
      path: `${HTTP_INVOKE_PATH}${name}`,
      headers: { 'content-type': 'application/json', [HTTP_TOKEN_HEADER]: host.token, ...headers },
      body: JSON.stringify(input),
    });
  return { rt, host, port: host.port, token: host.token, root, invoke };
}
