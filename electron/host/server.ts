// The HTTP host: the same commands and events as the Electron IPC transport,
// served to the same renderer in a normal browser. Bound to 127.0.0.1 only; a
// random token on every API request; Host and Origin checked; no CORS at all.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  HTTP_AUTOMATION_HEADER,
  HTTP_EVENTS_PATH,
  HTTP_INVOKE_PATH,
  HTTP_OP_ID_HEADER,
  HTTP_READY_PATH,
  HTTP_TOKEN_HEADER,
  HTTP_UPLOAD_NAME_HEADER,
  HTTP_UPLOAD_RESTORE_PATH,
} from '../../shared/events.ts';
import type { ReadyBody } from '../../shared/events.ts';
import type { AppErrorShape } from '../../shared/errors.ts';
import type { CommandRegistry } from '../handlers/registry.ts';
import { unstorableText } from '../handlers/registry.ts';
import type { Runtime } from '../core/runtime.ts';
import { removeFileQuietly } from '../core/fsutil.ts';
import { faultHang } from '../core/fault.ts';
import { advisoryKey } from '../core/pg/locks.ts';
import { APP_VERSION } from '../core/version.ts';
import { APP_SCHEMA_VERSION } from '../core/restore/records.ts';
import { readStaticFile, resolveStaticFile } from '../core/static-files.ts';
import { DEFAULT_MAX_UPLOAD_BYTES, receiveUpload, uploadFileName } from './upload.ts';

const MAX_BODY = 1024 * 1024;
/** How long GET /ready waits for the team database's answer before saying 503 PG_UNREACHABLE. */
const READY_DB_TIMEOUT_MS = 3_000;

/** Whether `file` is still the file that was opened (not deleted, not replaced by another). */
function sameFile(file: string, opened: { dev: number; ino: number } | undefined): boolean {
  if (!opened) return true;
  try {
    const now = fs.statSync(file);
    return now.dev === opened.dev && now.ino === opened.ino;
  } catch {
    return false;
  }
}
/** Event streams held open at once (every tab of the page holds one), and how far one may fall behind. */
export const MAX_STREAMS = 32;
const MAX_STREAM_BACKLOG = 4 * 1024 * 1024;
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/** One-time, short-lived download links: a plain link cannot carry the token header. */
export class DownloadTickets {
  private readonly tickets = new Map<string, { file: string; fileName: string; expires: number }>();

  issue(file: string, fileName: string, ttlMs = 60_000): string {
    const ticket = crypto.randomBytes(24).toString('base64url');
    this.tickets.set(ticket, { file, fileName, expires: Date.now() + ttlMs });
    return ticket;
  }

  redeem(ticket: string): { file: string; fileName: string } | null {
    const t = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    for (const [k, v] of this.tickets) if (v.expires < Date.now()) this.tickets.delete(k);
    return t && t.expires >= Date.now() ? t : null;
  }
}

export const HTTP_DOWNLOAD_PATH = '/api/download/';

export interface HostOptions {
  rt: Runtime;
  registry: CommandRegistry;
  downloads?: DownloadTickets;
  /** The built renderer (dist/renderer). */
  staticDir: string;
  port: number;
  token?: string;
  /** The largest file a restore upload may be (default 8 GiB). */
  maxUploadBytes?: number;
}

export interface Host {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

function tokensEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function refuse(res: http.ServerResponse, status: number, error: AppErrorShape): void {
  sendJson(res, status, { ok: false, error });
}

/** After a refusal, the rest of a body is read and dropped (so the client gets the answer, not a reset), up to this much. */
const DRAIN_LIMIT = 64 * MAX_BODY;

const TOO_LARGE: AppErrorShape = {
  code: 'BAD_INPUT',
  message: 'The request body is larger than 1 MiB.',
  hint: 'Send less at once.',
  details: { limitBytes: MAX_BODY },
};

/** Read and drop what is left of a body we will not use; a client that keeps sending is cut off. */
function discardBody(req: http.IncomingMessage, alreadyRead = 0): void {
  let size = alreadyRead;
  req.removeAllListeners('data');
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > DRAIN_LIMIT) req.destroy();
  });
  req.resume();
}

/** The body as text: null when it grew past MAX_BODY (the rest is then dropped unread). */
function readBody(req: http.IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        chunks.length = 0;
        discardBody(req, size);
        resolve(null);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The JSON input of an invoke, or the refusal to send. */
async function readInput(
  req: http.IncomingMessage,
): Promise<{ input: unknown } | { status: number; error: AppErrorShape }> {
  const announced = Number(req.headers['content-length'] ?? 0);
  if (announced > MAX_BODY) {
    discardBody(req);
    return { status: 413, error: TOO_LARGE };
  }
  const body = await readBody(req);
  if (body === null) return { status: 413, error: TOO_LARGE };
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    return {
      status: 400,
      error: { code: 'BAD_INPUT', message: 'The request body is not valid UTF-8.' },
    };
  }
  let input: unknown;
  try {
    input = text.trim() === '' ? {} : (JSON.parse(text) as unknown);
  } catch {
    return { status: 400, error: { code: 'BAD_INPUT', message: 'The body is not valid JSON.' } };
  }
  const unstorable = unstorableText(input);
  if (unstorable) return { status: 400, error: unstorable };
  return { input };
}

export async function startHost(opts: HostOptions): Promise<Host> {
  const token = opts.token ?? crypto.randomBytes(24).toString('base64url');
  const staticRoot = path.resolve(opts.staticDir);
  let port = 0;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
  const streams = new Set<http.ServerResponse>();

  const unsubscribe = opts.rt.events.onAny((event, payload) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const res of streams) {
      // A client that stops reading is cut off, not buffered for without end (it reconnects).
      if (res.writableLength > MAX_STREAM_BACKLOG) {
        streams.delete(res);
        res.destroy();
      } else res.write(frame);
    }
  });

  function checkApi(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) {
      refuse(res, 403, { code: 'FORBIDDEN', message: 'Requests from other origins are refused.' });
      return false;
    }
    const given = req.headers[HTTP_TOKEN_HEADER];
    if (typeof given !== 'string' || !tokensEqual(given, token)) {
      refuse(res, 401, {
        code: 'UNAUTHORIZED',
        message: 'Missing or wrong token.',
        hint: 'Open the URL that `npm run serve` printed.',
      });
      return false;
    }
    return true;
  }

  async function handleInvoke(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    name: string,
  ): Promise<void> {
    if (req.method !== 'POST') {
      refuse(res, 405, { code: 'BAD_INPUT', message: 'Use POST to invoke a command.' });
      return;
    }
    if (!checkApi(req, res)) return;
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      refuse(res, 415, { code: 'BAD_INPUT', message: 'The body must be application/json.' });
      return;
    }
    const read = await readInput(req);
    if ('error' in read) {
      refuse(res, read.status, read.error);
      return;
    }
    const input = read.input;
    let commandName: string;
    try {
      commandName = decodeURIComponent(name);
    } catch {
      refuse(res, 400, { code: 'UNKNOWN_COMMAND', message: 'The command name is not valid.' });
      return;
    }
    // A script or CI says so (held off while automation is paused); the page never does.
    const result = await opts.registry.dispatch(commandName, input, {
      automation: req.headers[HTTP_AUTOMATION_HEADER] === '1',
    });
    sendJson(res, 200, result);
  }

  const maxUpload = opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;

  /**
   * A restore from an uploaded file: GET gives the size limit; POST streams the file to a
   * temporary in restores/, then runs the same preflight and copy as a restore from a
   * chosen file (restores.preflight's barrier and Result), and removes the temporary.
   */
  async function handleUpload(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST' && req.method !== 'GET') {
      refuse(res, 405, { code: 'BAD_INPUT', message: 'Use POST to upload a file.' });
      return;
    }
    if (!checkApi(req, res)) return;
    if (req.method === 'GET') {
      sendJson(res, 200, { ok: true, value: { maxBytes: maxUpload } });
      return;
    }
    const early = (status: number, error: AppErrorShape) => {
      discardBody(req);
      refuse(res, status, error);
    };
    if (!(req.headers['content-type'] ?? '').startsWith('application/octet-stream')) {
      early(415, { code: 'BAD_INPUT', message: 'The body must be application/octet-stream.' });
      return;
    }
    const fileName = uploadFileName(req.headers[HTTP_UPLOAD_NAME_HEADER]);
    if (fileName === null) {
      early(400, {
        code: 'BAD_INPUT',
        message: `The ${HTTP_UPLOAD_NAME_HEADER} header must hold the file's name (URI-encoded).`,
      });
      return;
    }
    const opHeader = req.headers[HTTP_OP_ID_HEADER];
    const opId =
      typeof opHeader === 'string' && /^[\w-]{1,100}$/.test(opHeader)
        ? opHeader
        : crypto.randomUUID();
    const barred = opts.registry.barrier('restores.preflight');
    if (barred) {
      early(409, barred);
      return;
    }
    const got = await receiveUpload(req, opts.rt.layout.restores, maxUpload);
    if (!got.ok) {
      if (got.read === null) {
        if (!res.headersSent) refuse(res, got.status, got.error);
        return;
      }
      discardBody(req, got.read);
      refuse(res, got.status, got.error);
      return;
    }
    try {
      const result = await opts.registry.run('restores.preflight', async () => {
        const r = await opts.rt.restores.stage({ path: got.file }, opId, {
          upload: { fileName, sha256: got.sha256 },
        });
        return {
          restoreId: r.restoreId,
          report: r.report,
          upload: { bytes: got.bytes, sha256: got.sha256 },
        };
      });
      sendJson(res, result.ok || result.error.code !== 'DISK_FULL' ? 200 : 507, result);
    } finally {
      removeFileQuietly(got.file);
    }
  }

  function handleEvents(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method !== 'GET') {
      refuse(res, 405, { code: 'BAD_INPUT', message: 'Use GET for the event stream.' });
      return;
    }
    if (!checkApi(req, res)) return;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    // Bounded: the oldest stream is closed for a new one (a live page reconnects by itself).
    for (const oldest of streams) {
      if (streams.size < MAX_STREAMS) break;
      streams.delete(oldest);
      oldest.end();
    }
    streams.add(res);
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(ping);
      streams.delete(res);
    });
  }

  /**
   * The team schema's newest migration as the database answers now (null: no answer), in
   * progress: concurrent /ready requests share it (one connection at most).
   */
  let teamProbe: Promise<{ newest: number; promoting: boolean } | null> | null = null;

  /**
   * Why the open data cannot serve now (null when it can): the SQLite file deleted or
   * replaced under the running host (writes would go to a file nobody will open again),
   * a team database that does not answer within READY_DB_TIMEOUT_MS, a team schema
   * another instance of a newer Stateward has migrated past this one's, or a promote
   * (this instance's, or another's holding the team's promote lock) replacing the data.
   */
  async function dataGone(): Promise<string | null> {
    if (opts.rt.restores.promoting) return 'PROMOTE_IN_PROGRESS';
    const store = opts.rt.store;
    if (store) return sameFile(store.file, store.identity) ? null : 'DB_UNREADABLE';
    const team = opts.rt.team;
    if (!team) return null;
    // The promote lock held exclusively (pg_locks shows a bigint key as its two halves).
    teamProbe ??= team.pool
      .query<{ v: number | null; promoting: number }>(
        `SELECT (SELECT max(version) FROM schema_migrations) AS v,
                EXISTS (SELECT 1 FROM pg_locks l
                         WHERE l.locktype = 'advisory' AND l.mode = 'ExclusiveLock' AND l.granted
                           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                           AND l.classid = (($1::bigint >> 32) & 4294967295)::oid
                           AND l.objid = ($1::bigint & 4294967295)::oid
                           AND l.objsubid = 1)::int AS promoting`,
        [advisoryKey('promote', team.schema)],
      )
      .then(
        (r) => ({
          newest: Number(r.rows[0]?.v ?? 0),
          promoting: Number(r.rows[0]?.promoting) === 1,
        }),
        () => null,
      );
    const probe = teamProbe;
    void probe.finally(() => {
      if (teamProbe === probe) teamProbe = null;
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), READY_DB_TIMEOUT_MS);
    });
    try {
      const now = await Promise.race([probe, late]);
      if (now === null) return 'PG_UNREACHABLE';
      if (now.newest > APP_SCHEMA_VERSION) return 'SCHEMA_FROM_NEWER_VERSION';
      return now.promoting ? 'PROMOTE_IN_PROGRESS' : null;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * For load balancers, scripts and the restore drill: no token, and nothing but
   * readiness and the refusal's code (no paths, no messages). Host was checked
   * like every request; a page of another origin is refused like the API.
   */
  async function handleReady(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const answer = (status: number, body: ReadyBody) => sendJson(res, status, body);
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) {
      answer(403, { ready: false, code: 'FORBIDDEN' });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      answer(405, { ready: false, code: 'BAD_INPUT' });
      return;
    }
    faultHang('host-ready');
    const startup = opts.rt.startup;
    if (startup.state === 'refused') {
      answer(503, { ready: false, code: startup.code });
      return;
    }
    if (startup.state !== 'ready' || opts.rt.data === null) {
      answer(503, { ready: false, code: 'STORE_NOT_READY' });
      return;
    }
    const gone = await dataGone();
    if (gone) answer(503, { ready: false, code: gone });
    else answer(200, { ready: true, schema: APP_SCHEMA_VERSION, version: APP_VERSION });
  }

  function handleDownload(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    ticket: string,
  ): void {
    const origin = req.headers.origin;
    if (req.method !== 'GET' || (origin !== undefined && !allowedOrigins().has(origin))) {
      refuse(res, 403, { code: 'FORBIDDEN', message: 'Downloads come only from the app itself.' });
      return;
    }
    const t = opts.downloads?.redeem(ticket) ?? null;
    if (!t) {
      refuse(res, 404, {
        code: 'NOT_FOUND',
        message: 'This download link has expired or was already used.',
      });
      return;
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(t.file);
    } catch {
      refuse(res, 404, { code: 'NOT_FOUND', message: 'The backup file is gone.' });
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/vnd.sqlite3',
      'content-length': stat.size,
      'content-disposition': `attachment; filename="${t.fileName.replace(/[^\w.-]/g, '_')}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    fs.createReadStream(t.file).pipe(res);
  }

  async function handleStatic(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    pathname: string,
  ): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    // The app:// protocol's path rules and MIME types; a refused path is just not found here.
    const target = resolveStaticFile(pathname, staticRoot);
    if (!target.ok) {
      if (target.reason === 'malformed percent-encoding')
        res.writeHead(400, { 'content-type': 'text/plain' }).end('Bad request');
      else res.writeHead(404).end();
      return;
    }
    // A regular file whose real path is inside the folder (no symlink out, no FIFO).
    const body = await readStaticFile(target.file, staticRoot);
    if (body === null) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    res.writeHead(200, {
      'content-type': target.contentType,
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cache-control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  const server = http.createServer((req, res) => {
    // DNS rebinding: a page on another name pointed at 127.0.0.1 must not reach us.
    if (!allowedHosts().has(req.headers.host ?? '')) {
      refuse(res, 421, { code: 'FORBIDDEN', message: 'Unexpected Host header.' });
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('Bad request');
      return;
    }
    if (url.pathname.startsWith(HTTP_INVOKE_PATH)) {
      handleInvoke(req, res, url.pathname.slice(HTTP_INVOKE_PATH.length)).catch((e: unknown) => {
        opts.rt.logger.log('error', 'HTTP invoke failed', e);
        if (!res.headersSent)
          refuse(res, 500, { code: 'INTERNAL', message: 'Something went wrong.' });
      });
      return;
    }
    if (url.pathname === HTTP_UPLOAD_RESTORE_PATH) {
      handleUpload(req, res).catch((e: unknown) => {
        opts.rt.logger.log('error', 'HTTP upload failed', e);
        if (!res.headersSent)
          refuse(res, 500, {
            code: 'INTERNAL',
            message: 'Something went wrong; nothing was kept.',
          });
      });
      return;
    }
    if (url.pathname.startsWith(HTTP_DOWNLOAD_PATH)) {
      handleDownload(req, res, url.pathname.slice(HTTP_DOWNLOAD_PATH.length));
      return;
    }
    if (url.pathname === HTTP_READY_PATH) {
      handleReady(req, res).catch((e: unknown) => {
        opts.rt.logger.log('error', 'HTTP /ready failed', e);
        if (!res.headersSent) sendJson(res, 503, { ready: false, code: 'INTERNAL' });
      });
      return;
    }
    if (url.pathname === HTTP_EVENTS_PATH) {
      handleEvents(req, res);
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      refuse(res, 404, { code: 'UNKNOWN_COMMAND', message: 'No such endpoint.' });
      return;
    }
    handleStatic(req, res, url.pathname).catch((e: unknown) => {
      opts.rt.logger.log('error', 'HTTP static file failed', e);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/#token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        for (const res of streams) res.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
