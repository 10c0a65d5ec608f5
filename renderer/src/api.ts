// The renderer's one door to the app. At start-up it picks the transport —
// the preload's `window.stateward` inside Electron, else the HTTP host that
// served this page — and everything else imports `invoke`/`on` from here, typed
// from the shared contract. Transport failures come back as Results too, so
// callers handle one shape.
import type { StatewardBridge } from '../../shared/bridge.ts';
import type { CommandInput, CommandName, CommandResult } from '../../shared/contract.ts';
import type { AppErrorShape, ErrorCode, Result } from '../../shared/errors.ts';
import type { EventName, Events } from '../../shared/events.ts';
import { formatBytes } from './format.ts';
import { SseParser } from './sse.ts';
import { retryNow, useConnection, waitForRetry } from './stores/connection.ts';
import { LIST_AREAS } from './stores/data.ts';
import type { PreflightReport } from '../../shared/domain.ts';
import {
  EVENT_NAMES,
  HTTP_EVENTS_PATH,
  HTTP_INVOKE_PATH,
  HTTP_OP_ID_HEADER,
  HTTP_TOKEN_HEADER,
  HTTP_UPLOAD_NAME_HEADER,
  HTTP_UPLOAD_RESTORE_PATH,
} from '../../shared/events.ts';

declare global {
  interface Window {
    stateward?: StatewardBridge;
  }
}

/** Why a call never reached a handler; carried in `error.details.transport`. */
export type TransportProblem = 'unreachable' | 'unauthorized' | 'no-token' | 'bad-response';

export function transportProblemOf(error: AppErrorShape): TransportProblem | null {
  const t = error.details?.['transport'];
  return typeof t === 'string' ? (t as TransportProblem) : null;
}

function transportError(
  problem: TransportProblem,
  code: ErrorCode,
  message: string,
  hint: string,
  extra: Record<string, unknown> = {},
): Result<never> {
  return {
    ok: false,
    error: { code, message, hint, details: { transport: problem, ...extra } },
  };
}

function isResult(x: unknown): x is Result<unknown> {
  if (typeof x !== 'object' || x === null || !('ok' in x)) return false;
  const r = x as { ok: unknown; value?: unknown; error?: unknown };
  if (r.ok === true) return 'value' in r;
  if (r.ok !== false || typeof r.error !== 'object' || r.error === null) return false;
  const e = r.error as { code?: unknown; message?: unknown };
  return typeof e.code === 'string' && typeof e.message === 'string';
}

type Listener = (payload: never) => void;

const TOKEN_KEY = 'stateward.token';

/** Reads the token from `#token=…` once, keeps it for reloads, and clears the address bar. */
function takeToken(): string | null {
  const hash = location.hash.startsWith('#') ? location.hash.slice(1) : '';
  const fromHash = new URLSearchParams(hash).get('token');
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(history.state, '', location.pathname + location.search);
    return fromHash;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/** The longest wait between two attempts to reach a host that went away. */
const MAX_RETRY_MS = 5_000;

function noToken(): Result<never> {
  return transportError(
    'no-token',
    'UNAUTHORIZED',
    'This page was opened without its access token.',
    'Open the full address that `npm run serve` printed (it ends with #token=…).',
  );
}

/** The HTTP transport's token (null inside Electron, or when the page came without one). */
let httpToken: string | null = null;

function createHttpBridge(): StatewardBridge {
  const token = takeToken();
  httpToken = token;
  const listeners = new Map<EventName, Set<Listener>>();
  let streaming = false;

  const dispatch = <E extends EventName>(event: E, payload: Events[E]) => {
    for (const fn of listeners.get(event) ?? []) {
      try {
        (fn as (p: Events[E]) => void)(payload);
      } catch (e) {
        console.error(`stateward: a listener for "${event}" threw`, e);
      }
    }
  };

  async function streamEvents(): Promise<void> {
    let delay = 500;
    let connectedBefore = false;
    for (;;) {
      try {
        const res = await fetch(HTTP_EVENTS_PATH, {
          headers: { [HTTP_TOKEN_HEADER]: token ?? '', accept: 'text/event-stream' },
          cache: 'no-store',
        });
        if (res.status === 401 || res.status === 403) {
          // A host is back on this address, but it was started with a new token.
          useConnection.getState().set('unauthorized');
          throw new Error(`event stream answered HTTP ${res.status}`);
        }
        if (!res.ok || !res.body) throw new Error(`event stream answered HTTP ${res.status}`);
        // Events may have been missed while disconnected: let every list refresh.
        if (connectedBefore) {
          for (const area of LIST_AREAS) dispatch('data.changed', { area });
        }
        connectedBefore = true;
        useConnection.getState().set('connected');
        delay = 500;
        const parser = new SseParser((name, data) => {
          if (!(EVENT_NAMES as readonly string[]).includes(name)) return;
          try {
            dispatch(name as EventName, JSON.parse(data) as Events[EventName]);
          } catch (e) {
            console.warn(`stateward: ignoring malformed "${name}" event`, e);
          }
        });
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.push(value);
        }
        console.warn('stateward: event stream ended; reconnecting');
      } catch (e) {
        console.warn('stateward: event stream dropped; reconnecting', e);
      }
      const wait = delay + Math.random() * 250;
      const conn = useConnection.getState();
      conn.set(conn.state === 'unauthorized' ? 'unauthorized' : 'disconnected', Date.now() + wait);
      await waitForRetry(wait);
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    }
  }

  return {
    platform: 'browser',
    async invoke<N extends CommandName>(
      name: N,
      input: CommandInput<N>,
    ): Promise<Result<CommandResult<N>>> {
      if (!token) return noToken();
      let res: Response;
      try {
        res = await fetch(HTTP_INVOKE_PATH + encodeURIComponent(name), {
          method: 'POST',
          headers: { 'content-type': 'application/json', [HTTP_TOKEN_HEADER]: token },
          body: JSON.stringify(input ?? {}),
          cache: 'no-store',
        });
      } catch (e) {
        // The event stream notices too; this only makes it try again at once.
        retryNow();
        return transportError(
          'unreachable',
          'INTERNAL',
          'Cannot reach the Stateward host.',
          'Check that `npm run serve` is still running, then reload this page.',
          { cause: String(e) },
        );
      }
      // Not every failure has a JSON body (a proxy, a crashed host): treat those as null.
      const body: unknown = await res.json().catch(() => null);
      if (isResult(body)) return body as Result<CommandResult<N>>;
      if (res.status === 401 || res.status === 403) {
        return transportError(
          'unauthorized',
          'UNAUTHORIZED',
          `The Stateward host refused this page (HTTP ${res.status}).`,
          'The access token is stale: open the address that `npm run serve` printed most recently.',
          { status: res.status },
        );
      }
      return transportError(
        'bad-response',
        'INTERNAL',
        `The Stateward host gave an unexpected answer (HTTP ${res.status}).`,
        'Reload the page; if it persists, restart the host and check its output.',
        { status: res.status },
      );
    },
    on<E extends EventName>(event: E, fn: (payload: Events[E]) => void): () => void {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(fn as Listener);
      if (!streaming && token) {
        streaming = true;
        void streamEvents();
      }
      return () => {
        set.delete(fn as Listener);
      };
    },
  };
}

/** Wraps the preload bridge so a thrown IPC error still arrives as a Result. */
function createIpcBridge(bridge: StatewardBridge): StatewardBridge {
  return {
    platform: bridge.platform,
    async invoke<N extends CommandName>(
      name: N,
      input: CommandInput<N>,
    ): Promise<Result<CommandResult<N>>> {
      try {
        return await bridge.invoke(name, input);
      } catch (e) {
        return transportError(
          'bad-response',
          'INTERNAL',
          'The app did not answer this request.',
          'Restart Stateward; if it persists, check its log file.',
          { cause: String(e) },
        );
      }
    },
    on: (event, fn) => bridge.on(event, fn),
  };
}

const bridge: StatewardBridge = window.stateward
  ? createIpcBridge(window.stateward)
  : createHttpBridge();

export const platform: 'electron' | 'browser' = window.stateward ? 'electron' : 'browser';

export function invoke<N extends CommandName>(
  name: N,
  input: CommandInput<N>,
): Promise<Result<CommandResult<N>>> {
  return bridge.invoke(name, input);
}

export function on<E extends EventName>(event: E, fn: (payload: Events[E]) => void): () => void {
  return bridge.on(event, fn);
}

/** What an upload for a restore gives: the preflight's answer, and what the host received. */
export interface UploadedRestore {
  restoreId: string | null;
  report: PreflightReport;
  upload: { bytes: number; sha256: string };
}

/**
 * Restore from a file on this computer (the browser host only): the file is sent
 * to the host as it is read, with progress (`onSent`); the host checks and copies
 * it like any other backup file and answers as restores.preflight does. A file over
 * the host's limit is refused here, before anything is sent.
 */
export async function uploadRestore(
  file: File,
  opId: string,
  onSent: (sent: number, total: number) => void,
): Promise<Result<UploadedRestore>> {
  if (platform !== 'browser')
    return {
      ok: false,
      error: {
        code: 'UNSUPPORTED_HERE',
        message: 'Uploads are for the browser; in the app, choose the file instead.',
      },
    };
  const token = httpToken;
  if (!token) return noToken();
  let limit: number | null = null;
  try {
    const res = await fetch(HTTP_UPLOAD_RESTORE_PATH, {
      headers: { [HTTP_TOKEN_HEADER]: token },
      cache: 'no-store',
    });
    const body: unknown = await res.json().catch(() => null);
    if (isResult(body) && body.ok) limit = (body.value as { maxBytes: number }).maxBytes;
  } catch {
    // the upload below says what is wrong with the connection
  }
  if (limit !== null && file.size > limit) {
    return {
      ok: false,
      error: {
        code: 'UPLOAD_TOO_LARGE',
        message: `${file.name} is ${formatBytes(file.size)}; this host accepts files up to ${formatBytes(limit)}. Nothing was sent.`,
        hint: 'Restore it in the desktop app or with the stateward restore command, or start the host with a larger --max-upload-bytes.',
        details: { limitBytes: limit },
      },
    };
  }
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', HTTP_UPLOAD_RESTORE_PATH);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.setRequestHeader(HTTP_TOKEN_HEADER, token);
    xhr.setRequestHeader(HTTP_UPLOAD_NAME_HEADER, encodeURIComponent(file.name));
    xhr.setRequestHeader(HTTP_OP_ID_HEADER, opId);
    xhr.upload.onprogress = (e) => onSent(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText) as unknown;
      } catch {
        // not JSON: answered below by its status
      }
      if (isResult(body)) resolve(body as Result<UploadedRestore>);
      else if (xhr.status === 401 || xhr.status === 403)
        resolve(
          transportError(
            'unauthorized',
            'UNAUTHORIZED',
            `The Stateward host refused this upload (HTTP ${xhr.status}).`,
            'The access token is stale: open the address that `npm run serve` printed most recently.',
            { status: xhr.status },
          ),
        );
      else
        resolve(
          transportError(
            'bad-response',
            'INTERNAL',
            `The Stateward host gave an unexpected answer to the upload (HTTP ${xhr.status}).`,
            'Try again; if it persists, restart the host and check its output.',
            { status: xhr.status },
          ),
        );
    };
    xhr.onerror = () => {
      retryNow();
      resolve(
        transportError(
          'unreachable',
          'INTERNAL',
          'The upload did not reach the Stateward host (the connection broke off).',
          'Check that `npm run serve` is still running, then upload the file again.',
        ),
      );
    };
    xhr.send(file);
  });
}
