// The drill's boot step: the real host process (electron/host/serve.ts, the entry
// `npm run serve` runs) started on a temporary data dir holding the restored copy,
// asked GET /ready, signed in with that process's own token, and read through the
// command API over HTTP as a user's browser would; then stopped, and the file it ran
// on checked again (no migration run twice; quick_check, unless the file is provably
// unchanged since the drill's integrity check).
// Two ways to hold the copy: a byte copy in a temporary folder (the copy itself is
// only read; the server drill, which never changes the copy), or, for the local
// drill once its other steps are done, the copy itself moved by rename into a private
// folder beside it (same file system: no bytes copied) and moved back after the app
// stopped. A crash while it is moved leaves the restore's record "drilling" with a
// dead owner: the copy shows as interrupted, like any drill cut off.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DrillProbe, DrillStep, PreflightFacts } from '../../../shared/domain.ts';
import type { Result } from '../../../shared/errors.ts';
import { HTTP_INVOKE_PATH, HTTP_READY_PATH, HTTP_TOKEN_HEADER } from '../../../shared/events.ts';
import type { ReadyBody } from '../../../shared/events.ts';
import { FILE_MODE, processAlive } from '../fsutil.ts';
import { BackupWorker, replyOrThrow } from '../backup/engine.ts';
import { openWritable } from '../store/db.ts';
import { applyMigrations, planMigrations, readHistory } from '../store/migrate.ts';

/** How the host entry gets its arguments when it runs as an Electron utility process (JSON). */
export const UTILITY_ARGS_ENV = 'STATEWARD_SERVE_ARGS';
const BOOT_TIMEOUT_MS = 30_000;
const BOOT_STOP_GRACE_MS = 5_000;
const LOG_LINES = 20;
const TEMP_PREFIX = 'stateward-boot-';

/** A started host process, however it was started (a Node child process or an Electron utility process). */
export interface BootChild {
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  /** Resolves once the process has exited (or could not be started). */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

/** Starts the host entry with these arguments and this environment. */
export interface HostSpawner {
  readonly kind: string;
  spawn(args: readonly string[], env: Record<string, string>, cwd: string): BootChild;
}

/** What the Node spawner runs: the host entry, or (tests) another script in its place. */
type NodeArgs = readonly string[];

export interface BootOptions {
  /** From start until /ready answers, and for each request after it (default 30 s). */
  timeoutMs?: number;
  /** How long the host has to exit after SIGTERM before it is killed (default 5 s). */
  graceMs?: number;
  spawner?: HostSpawner;
  /** More environment for the host (tests: a STATEWARD_FAULT point). */
  env?: Record<string, string>;
  /** Where the temporary data dir is made (default the OS temp folder). */
  tmpRoot?: string;
  /**
   * Migrate the temporary copy before the app starts (a drill that did not migrate the
   * staged copy itself: the server drill); the app must then apply nothing.
   */
  migrate?: boolean;
  /**
   * Run the app on `copy` itself, moved (rename) into a private folder beside it and
   * moved back once the app has stopped, instead of on a byte copy. `checked`: the
   * file's stamp when a full integrity check of it began; if nothing changed the file
   * since, nor while the app ran, that check stands and quick_check is not run again.
   */
  inPlace?: { checked?: { stamp: FileStamp; step: string } };
}

/** What says a file was not written: a write changes its size or mtime, a rename or chmod its ctime. */
export interface FileStamp {
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
}

export function stampOf(file: string): FileStamp {
  const st = fs.statSync(file, { bigint: true });
  return {
    dev: String(st.dev),
    ino: String(st.ino),
    size: String(st.size),
    mtimeNs: String(st.mtimeNs),
    ctimeNs: String(st.ctimeNs),
  };
}

/** How far the kernel's file timestamps can lag the clock (they tick coarsely: a jiffy, ≤ 10 ms). */
const TIMESTAMP_TICK_MS = 20;

/**
 * The file's stamp, returned once the clock is a tick past its mtime and ctime: a write
 * after it then gets a later mtime, never the same one (a write within the same coarse
 * tick would otherwise leave size, mtime and ctime as they were).
 */
function settledStamp(file: string): FileStamp {
  const stamp = stampOf(file);
  const m = BigInt(stamp.mtimeNs);
  const c = BigInt(stamp.ctimeNs);
  const until = Number((m > c ? m : c) / 1_000_000n) + TIMESTAMP_TICK_MS;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (let left = until - Date.now(); left > 0; left = until - Date.now())
    Atomics.wait(cell, 0, 0, Math.min(left, TIMESTAMP_TICK_MS));
  return stamp;
}

const sameStamp = (a: FileStamp, b: FileStamp): boolean =>
  (Object.keys(a) as (keyof FileStamp)[]).every((k) => a[k] === b[k]);

/** No rollback journal and no WAL frames beside the file: all it holds is in the file. */
function journalQuiet(file: string): boolean {
  if (fs.existsSync(`${file}-journal`)) return false;
  try {
    return fs.statSync(`${file}-wal`).size === 0;
  } catch {
    return true;
  }
}

/**
 * Put a drill's copy in the journal mode the app runs it in (WAL), so that opening it
 * later writes nothing, and stamp it: taken right before the integrity check, the stamp
 * tells the boot step whether that check still describes the file. Null when the file
 * cannot be switched (a damaged file: the integrity check says why).
 */
export function stampForBoot(copy: string): FileStamp | null {
  try {
    const db = openWritable(copy);
    try {
      db.pragma('journal_mode = WAL');
    } finally {
      db.close();
    }
    return journalQuiet(copy) ? settledStamp(copy) : null;
  } catch {
    return null;
  }
}

export interface BootExpectations {
  /** The manifest's counts, when it has them. */
  projects?: number;
  deployments?: number;
}

export type BootStepResult = Omit<DrillStep, 'key' | 'title' | 'ms'>;

export const BOOT_STEP_TITLE = 'Boots the real app and signs in';

/** What the manifest (or the file's own facts) says the app should list. */
function bootExpectations(facts: PreflightFacts): BootExpectations {
  const counts = facts.rowCounts;
  return counts ? { projects: counts['projects'], deployments: counts['deployments'] } : {};
}

/**
 * A drill's boot step, started beside its other steps (null when `opts` is false): on a
 * temporary copy of `copy`, migrated there, with the counts the backup's facts give.
 */
export function startDrillBoot(
  copy: string,
  facts: PreflightFacts,
  opts: BootOptions | false | undefined,
): BootRun | null {
  return opts === false
    ? null
    : startBoot(copy, bootExpectations(facts), { ...opts, migrate: true });
}

/**
 * The end of a drill's boot step: its row when the drill's other steps passed (then
 * false if it failed), else the app is stopped and the step left out.
 */
export async function finishDrillBoot(
  booting: BootRun | null,
  ok: boolean,
  push: (step: DrillStep) => void,
): Promise<boolean> {
  if (!booting) return ok;
  if (!ok) booting.abort();
  const { ms, ...boot } = await booting.result;
  if (!ok) return false;
  push({ key: 'host', title: BOOT_STEP_TITLE, ms, ...boot });
  return boot.status !== 'fail';
}

/**
 * The local drill's boot step, once its other steps are done with the copy: the app runs
 * on the copy itself, moved into a private folder beside it and back (no byte copy).
 */
export async function runDrillBootInPlace(
  copy: string,
  facts: PreflightFacts,
  opts: BootOptions | false | undefined,
  checked: { stamp: FileStamp; step: string } | null,
  push: (step: DrillStep) => void,
): Promise<boolean> {
  if (opts === false) return true;
  const { ms, ...boot } = await startBoot(copy, bootExpectations(facts), {
    ...opts,
    migrate: false,
    inPlace: checked ? { checked } : {},
  }).result;
  push({ key: 'host', title: BOOT_STEP_TITLE, ms, ...boot });
  return boot.status !== 'fail';
}

/** The host entry: the source under Node, serve.js beside the bundle in the desktop app. */
function hostEntry(): string {
  return fileURLToPath(
    import.meta.url.endsWith('.ts')
      ? new URL('../../host/serve.ts', import.meta.url)
      : new URL('./serve.js', import.meta.url),
  );
}

function waitExit(proc: ReturnType<typeof spawn>): BootChild['exited'] {
  return new Promise((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }));
    proc.once('error', () => resolve({ code: null, signal: null }));
  });
}

/** The CLI, the HTTP host and the tests: a plain Node child process running the host's source. */
function spawnNodeHost(
  args: readonly string[],
  env: Record<string, string>,
  cwd: string,
  entry: NodeArgs = [hostEntry()],
): BootChild {
  const proc = spawn(process.execPath, [...entry, ...args], {
    cwd,
    // Started from Electron's own binary (no utility spawner given), it must run as Node.
    env: process.versions.electron ? { ...env, ELECTRON_RUN_AS_NODE: '1' } : env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return {
    pid: proc.pid,
    stdout: proc.stdout,
    stderr: proc.stderr,
    exited: waitExit(proc),
    kill: (signal) => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    },
  };
}

export const nodeHostSpawner = { kind: 'node', spawn: spawnNodeHost } satisfies HostSpawner;

/**
 * The host's environment: this process's, without anything that points it at other
 * data or unlocks secrets (STATEWARD_*: a data dir, a database URL, a key file;
 * PG*: a server and its password).
 */
function hostEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('STATEWARD_') || k.startsWith('PG')) continue;
    if (k === 'ELECTRON_RUN_AS_NODE') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** Temporary data dirs a drill that crashed left behind (its process is gone). */
function removeStaleBootDirs(root: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^stateward-boot-(\d+)-/.exec(name);
    if (!m || Number(m[1]) === process.pid || processAlive(Number(m[1]))) continue;
    try {
      const dir = path.join(root, name);
      if (fs.lstatSync(dir).isDirectory() && fs.statSync(dir).uid === process.getuid?.())
        fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // Someone else's, or already gone: not ours to report.
    }
  }
}

/**
 * Copy the restored copy (and its -wal, if a crash left one) into a new owner-only data
 * dir: off the main thread, and a reflink where the file system has them (instant).
 */
async function prepareDataDir(copy: string, root: string): Promise<string> {
  removeStaleBootDirs(root);
  const dir = makeBootDir(root);
  const db = path.join(dir, 'stateward.db');
  for (const [from, to] of [
    [copy, db],
    [`${copy}-wal`, `${db}-wal`],
  ] as const) {
    if (from !== copy && !fs.existsSync(from)) continue;
    await fs.promises.copyFile(from, to, fs.constants.COPYFILE_FICLONE);
    fs.chmodSync(to, FILE_MODE);
  }
  return dir;
}

function makeBootDir(root: string): string {
  const dir = fs.mkdtempSync(path.join(root, `${TEMP_PREFIX}${process.pid}-`));
  fs.chmodSync(dir, 0o700);
  return dir;
}

/** Rename a database file and its -wal (if there is one); a stale -shm stays behind (it is rebuilt). */
function moveDb(from: string, to: string): void {
  if (fs.existsSync(`${from}-wal`)) fs.renameSync(`${from}-wal`, `${to}-wal`);
  fs.renameSync(from, to);
}

/** The last lines of a stream, kept as they arrive; `ended` once it is closed (or after `ms`). */
function tail(stream: NodeJS.ReadableStream | null): {
  lines: () => string[];
  ended: (ms: number) => Promise<void>;
} {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (c: string) => {
    text = (text + c).slice(-16_384);
  });
  const closed = new Promise<void>((resolve) => {
    if (!stream) resolve();
    stream?.once('end', resolve);
    stream?.once('close', resolve);
  });
  return {
    lines: () => text.split('\n').filter((l) => l.trim() !== ''),
    ended: (ms) => Promise.race([closed, new Promise<void>((r) => setTimeout(r, ms))]),
  };
}

interface HttpAnswer {
  status: number | null;
  body: unknown;
  ms: number;
  /** Why there is no answer (status null). */
  error?: string;
}

function httpJson(
  port: number,
  method: 'GET' | 'POST',
  urlPath: string,
  timeoutMs: number,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<HttpAnswer> {
  const t = performance.now();
  const ms = () => Math.round(performance.now() - t);
  return new Promise((resolve) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent: false,
        headers: {
          ...headers,
          ...(text === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }),
        },
      },
      (res) => {
        let raw = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (raw += c));
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(raw) as unknown;
          } catch {
            parsed = null;
          }
          resolve({ status: res.statusCode ?? null, body: parsed, ms: ms() });
        });
        res.on('error', (e) => resolve({ status: null, body: null, ms: ms(), error: e.message }));
      },
    );
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${secs(timeoutMs)}`)),
      Math.max(1, timeoutMs),
    );
    req.on('error', (e) => resolve({ status: null, body: null, ms: ms(), error: e.message }));
    req.on('close', () => clearTimeout(timer));
    req.end(text);
  });
}

const secs = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
const plural = (n: number, word: string) =>
  `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** The host printed its URL (with its token) once it listens. */
const URL_RE = /http:\/\/127\.0\.0\.1:(\d+)\/#token=([A-Za-z0-9_-]+)/;

class BootFailure extends Error {
  readonly code: string;
  readonly extra: Record<string, unknown>;
  constructor(message: string, code: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.extra = extra;
  }
}

/** A boot step under way, beside the drill's other steps. */
export interface BootRun {
  /** The copy has been read into the temporary data dir (or that failed): it may change from now on. */
  readonly copied: Promise<void>;
  /** The step's result and how long it took; never rejects. */
  readonly result: Promise<BootStepResult & { ms: number }>;
  /** The drill failed elsewhere: stop the app (the result is then a skip) and clean up. */
  abort(): void;
}

interface BootControl {
  aborted: boolean;
  child: BootChild | null;
  copied: () => void;
}

/**
 * Start the boot step: the copy is read first (`copied`), then the app runs while the
 * caller does other work. Never throws for what the app does: a refusal, a crash, a
 * hang or a failed request is a failed result with its reason, the host's own code
 * where it gave one, and its last log lines.
 */
function startBoot(copy: string, expected: BootExpectations, opts: BootOptions = {}): BootRun {
  let copied!: () => void;
  const whenCopied = new Promise<void>((resolve) => (copied = resolve));
  const ctl: BootControl = { aborted: false, child: null, copied };
  const t = performance.now();
  const result = runBoot(copy, expected, opts, ctl).then((r) => ({
    ...r,
    ms: Math.round(performance.now() - t),
  }));
  return {
    copied: whenCopied,
    result,
    abort() {
      ctl.aborted = true;
      ctl.child?.kill('SIGTERM');
    },
  };
}

/** Boot the app on a copy of `copy` and read it over HTTP (startBoot, awaited). */
export async function bootCopy(
  copy: string,
  expected: BootExpectations,
  opts: BootOptions = {},
): Promise<BootStepResult> {
  const { ms: _ms, ...result } = await startBoot(copy, expected, opts).result;
  return result;
}

const ABORTED = 'aborted';

async function runBoot(
  copy: string,
  expected: BootExpectations,
  opts: BootOptions,
  ctl: BootControl,
): Promise<BootStepResult> {
  const timeoutMs = opts.timeoutMs ?? BOOT_TIMEOUT_MS;
  const graceMs = opts.graceMs ?? BOOT_STOP_GRACE_MS;
  const spawner = opts.spawner ?? nodeHostSpawner;
  const probes: DrillProbe[] = [];
  const row = (p: Omit<DrillProbe, 'status'> & { status?: DrillProbe['status'] }) => {
    const full: DrillProbe = { status: 'pass', ...p };
    probes.push(full);
    return full;
  };
  const facts: Record<string, unknown> = { spawner: spawner.kind };
  let dir: string | null = null;
  let child: BootChild | null = null;
  let stderr: ReturnType<typeof tail> | null = null;
  let token = '';
  let failure: BootFailure | null = null;
  const found: string[] = [];
  /** The copy is in the boot folder (in-place boot): it goes back before the folder is removed. */
  let moved = false;
  /** The step whose integrity check still describes the file, if nothing wrote it since. */
  let sinceCheck: string | null = null;
  let quickCheckStands = false;
  let historyBefore: unknown[] | null = null;

  try {
    let t = performance.now();
    try {
      if (opts.inPlace) {
        // Read before the stamp is compared: only the rename comes between it and the app.
        historyBefore = history(copy);
        // Nothing wrote the file since its integrity check began (and no journal holds more)?
        const c = opts.inPlace.checked;
        if (c && journalQuiet(copy) && sameStamp(c.stamp, stampOf(copy))) sinceCheck = c.step;
        dir = makeBootDir(path.dirname(copy));
        moveDb(copy, path.join(dir, 'stateward.db'));
        moved = true;
      } else dir = await prepareDataDir(copy, opts.tmpRoot ?? os.tmpdir());
    } finally {
      ctl.copied();
    }
    const db = path.join(dir, 'stateward.db');
    if (opts.migrate) migrateIfItCan(db);
    if (ctl.aborted) throw new BootFailure(ABORTED, ABORTED);
    const before = historyBefore ?? history(db);
    // Taken after the last open of ours: from here, only the app can change the file.
    const started = settledStamp(db);
    row({
      name: 'Temporary data dir',
      request: null,
      httpStatus: null,
      ms: Math.round(performance.now() - t),
      detail: moved
        ? 'The copy was moved (renamed: no byte copied) into a new private folder beside it for the app; it is moved back once the app has stopped.'
        : 'The copy was copied into a new private folder for the app; the copy itself is not run.',
    });

    // Start: the host prints its URL, with the token it made, once it listens.
    t = performance.now();
    const deadline = Date.now() + timeoutMs;
    child = spawner.spawn(
      ['--data-dir', dir, '--port', '0', '--no-renderer', '--no-scheduler', '--exit-with-parent'],
      hostEnv(opts.env),
      dir,
    );
    const proc = child;
    ctl.child = proc;
    facts.pid = proc.pid ?? null;
    const err = tail(proc.stderr);
    stderr = err;
    const listening = await new Promise<{ port: number; token: string } | 'timeout' | 'exited'>(
      (resolve) => {
        let out = '';
        let found = false;
        const timer = setTimeout(() => resolve('timeout'), Math.max(1, deadline - Date.now()));
        proc.stdout?.setEncoding('utf8');
        // Read to the end (a full pipe would stall the host), but keep only the tail the URL
        // line can be in: a host flooding its output never grows the drill's memory.
        proc.stdout?.on('data', (c: string) => {
          if (found) return;
          out = (out + c).slice(-4_096);
          const m = URL_RE.exec(out);
          if (m) {
            found = true;
            out = '';
            clearTimeout(timer);
            resolve({ port: Number(m[1]), token: m[2]! });
          }
        });
        void proc.exited.then(() => {
          clearTimeout(timer);
          resolve('exited');
        });
      },
    );
    if (listening === 'timeout' || listening === 'exited') {
      const exit = listening === 'exited' ? await proc.exited : null;
      // What it said last, once its error output is read to the end (a crash's reason).
      if (exit) await err.ended(1_000);
      const lines = err.lines().filter((l) => !/^\s+at |^Node\.js v/.test(l));
      // The error's own line (a stack and Node's version line say nothing about why).
      const pick = lines.filter((l) => /^(\w*Error\b|serve: )/.test(l)).at(-1) ?? lines.at(-1);
      const said = pick === undefined ? undefined : scrubber('', dir)(pick.replace(/^serve: /, ''));
      row({
        name: 'Start',
        request: null,
        httpStatus: null,
        ms: Math.round(performance.now() - t),
        status: 'fail',
        detail:
          exit === null
            ? `Not listening within ${secs(timeoutMs)}.`
            : `Exited (${exit.code ?? exit.signal}) before it listened.`,
      });
      throw exit === null
        ? new BootFailure(
            `The app did not start on the copy within ${secs(timeoutMs)}; it was stopped.`,
            'DRILL_BOOT_FAILED',
            { timedOut: true },
          )
        : new BootFailure(
            `The app exited (${exit.code !== null ? `code ${exit.code}` : exit.signal}) before it served the copy${said ? `: ${said}` : '.'}`,
            'DRILL_BOOT_FAILED',
            { exitCode: exit.code, signal: exit.signal },
          );
    }
    token = listening.token;
    const port = listening.port;
    row({
      name: 'Start',
      request: null,
      httpStatus: null,
      ms: Math.round(performance.now() - t),
      detail: `The app's own host process (${spawner.kind === 'node' ? 'a Node child process' : 'an Electron utility process'}) is listening on a loopback port.`,
    });

    // Ready: 200 only when the store is open, migrated and not refused.
    const ready = await httpJson(port, 'GET', HTTP_READY_PATH, Math.max(1, deadline - Date.now()));
    const rb = ready.body as ReadyBody | null;
    if (ready.status === 200 && rb?.ready === true) {
      row({
        name: 'Ready',
        request: `GET ${HTTP_READY_PATH}`,
        httpStatus: 200,
        ms: ready.ms,
        detail: `Ready: schema ${rb.schema}, Stateward ${rb.version}.`,
      });
      facts.schema = rb.schema;
    } else {
      const code = rb && rb.ready === false ? rb.code : null;
      row({
        name: 'Ready',
        request: `GET ${HTTP_READY_PATH}`,
        httpStatus: ready.status,
        ms: ready.ms,
        status: 'fail',
        detail:
          ready.status === null
            ? `No answer: ${ready.error ?? 'no response'}.`
            : code
              ? `Not ready: ${code}.`
              : `Answered HTTP ${ready.status}.`,
      });
      const timedOut = ready.status === null && Date.now() >= deadline;
      throw ready.status === null
        ? new BootFailure(
            timedOut
              ? `The app did not answer ${HTTP_READY_PATH} within ${secs(timeoutMs)} of starting; it was stopped.`
              : `The app did not answer ${HTTP_READY_PATH}: ${ready.error ?? 'no response'}; it was stopped.`,
            'DRILL_BOOT_FAILED',
            { timedOut },
          )
        : new BootFailure(
            code
              ? `The app refused to start on the copy (${code}): ${HTTP_READY_PATH} answered ${ready.status}.`
              : `${HTTP_READY_PATH} answered HTTP ${ready.status}, not ready.`,
            code ?? 'DRILL_BOOT_FAILED',
            { hostCode: code },
          );
    }

    // Signed in: every command below carries this process's token, as the page does.
    const invoke = async <T>(name: string, command: string, input: unknown): Promise<T> => {
      const a = await httpJson(
        port,
        'POST',
        `${HTTP_INVOKE_PATH}${command}`,
        timeoutMs,
        { [HTTP_TOKEN_HEADER]: token },
        input,
      );
      const result = a.body as Result<T> | null;
      const request = `POST ${command}`;
      if (a.status === 200 && result?.ok === true) {
        row({ name, request, httpStatus: 200, ms: a.ms, detail: '' });
        return result.value;
      }
      const code = result && result.ok === false ? result.error.code : null;
      row({
        name,
        request,
        httpStatus: a.status,
        ms: a.ms,
        status: 'fail',
        detail:
          a.status === null
            ? `No answer: ${a.error ?? 'no response'}.`
            : code
              ? `Refused: ${code}.`
              : `Answered HTTP ${a.status}.`,
      });
      throw new BootFailure(
        a.status === null
          ? `The app did not answer ${command} within ${secs(timeoutMs)}; it was stopped.`
          : `The app answered ${command} with ${code ?? `HTTP ${a.status}`}.`,
        code ?? 'DRILL_BOOT_FAILED',
        a.status === null ? { timedOut: true } : { hostCode: code },
      );
    };
    const say = (detail: string) => {
      probes[probes.length - 1]!.detail = detail;
    };
    const fail = (detail: string, message: string) => {
      const last = probes[probes.length - 1]!;
      last.status = 'fail';
      last.detail = detail;
      throw new BootFailure(message, 'BACKUP_FACTS_MISMATCH');
    };

    const startup = await invoke<{ state: string }>('Sign in', 'app.startup', {});
    say(`Signed in with the token this process made; start-up state: ${startup.state}.`);

    const projects = await invoke<{ total: number; items: { id: number }[] }>(
      'Projects',
      'projects.list',
      { offset: 0, limit: 50 },
    );
    if (expected.projects !== undefined && expected.projects !== projects.total)
      fail(
        `${plural(projects.total, 'project')}; the manifest lists ${expected.projects}.`,
        `The app lists ${plural(projects.total, 'project')}; the manifest lists ${expected.projects}.`,
      );
    say(
      `${plural(projects.total, 'project')}${expected.projects !== undefined ? ' (as the manifest says)' : ''}.`,
    );
    found.push(`${plural(projects.total, 'project')}`);

    const newest = await invoke<{ items: { id: number; environmentId: number }[] }>(
      'Deployment history',
      'deployments.list',
      { limit: 1 },
    );
    const first = newest.items[0];
    let environmentId: number | null = null;
    if (first) {
      say('The newest deployment is listed first.');
      const d = await invoke<{
        projectName: string;
        environmentName: string;
        version: string;
        status: string;
        diagnosticSummary: string | null;
      }>('Newest deployment', 'deployments.get', { id: first.id });
      const line = `${d.projectName}/${d.environmentName} ${d.version}: ${d.status.replace('_', ' ')}${d.diagnosticSummary ? ` ("${d.diagnosticSummary.slice(0, 80)}")` : ''}`;
      say(`${line}.`);
      found.push(`the newest deployment (${line})`);
      environmentId = first.environmentId;
    } else {
      if ((expected.deployments ?? 0) > 0)
        fail(
          'No deployment listed; the manifest lists some.',
          `The app lists no deployments; the manifest lists ${expected.deployments}.`,
        );
      say('No deployments recorded.');
      const firstProject = projects.items[0];
      if (firstProject) {
        const envs = await invoke<{ id: number }[]>('Environments', 'environments.list', {
          projectId: firstProject.id,
        });
        say(`${plural(envs.length, 'environment')} in the first project.`);
        environmentId = envs[0]?.id ?? null;
      }
    }

    if (environmentId !== null) {
      const snaps = await invoke<{ version: number; content: Record<string, unknown> }[]>(
        'Configuration snapshot',
        'snapshots.list',
        { environmentId },
      );
      const latest = snaps.reduce<(typeof snaps)[number] | null>(
        (a, s) => (a === null || s.version > a.version ? s : a),
        null,
      );
      say(
        latest
          ? `${plural(snaps.length, 'snapshot')}; the newest (v${latest.version}) has ${plural(Object.keys(latest.content).length, 'key')}.`
          : 'No configuration snapshot for this environment.',
      );
      found.push(plural(snaps.length, 'configuration snapshot'));
    }

    const audit = await invoke<{ items: unknown[]; total: number }>('Audit log', 'audit.list', {
      offset: 0,
      limit: 20,
    });
    say(
      `The newest ${plural(audit.items.length, 'entry')} of ${audit.total}.`.replace(
        'entrys',
        'entries',
      ),
    );
    found.push('the audit tail');

    if (environmentId !== null) {
      const secrets = await invoke<{ resolves: boolean }[]>('Secret references', 'secrets.list', {
        environmentId,
      });
      say(`${plural(secrets.length, 'secret')} listed by name (no value was read).`);
      found.push(plural(secrets.length, 'secret reference'));
    }
    facts.projects = projects.total;
    facts.newestDeploymentId = first?.id ?? null;

    // Stopped as Ctrl+C would, then the file it ran on checked again.
    await stopRow(child, graceMs, row);
    child = null;
    t = performance.now();
    // Unchanged by the app: same size, mtime, ctime and inode, and no journal or WAL frames left.
    quickCheckStands = sinceCheck !== null && journalQuiet(db) && sameStamp(started, stampOf(db));
    facts.quickCheck = quickCheckStands ? 'stands' : 'ran';
    const after = await recheck(db, !quickCheckStands);
    const same = JSON.stringify(after.history) === JSON.stringify(before);
    row({
      name: 'Recheck',
      request: null,
      httpStatus: null,
      ms: Math.round(performance.now() - t),
      status: after.quickCheck === 'ok' && same ? 'pass' : 'fail',
      detail:
        after.quickCheck !== 'ok'
          ? `quick_check after the app ran: ${after.quickCheck}.`
          : !same
            ? 'schema_migrations changed while the app ran: a migration ran again.'
            : quickCheckStands
              ? `File unchanged by the boot and since ${sinceCheck} (size, mtime, ctime, inode; no journal or WAL frames): that step's integrity_check, which includes quick_check, stands; schema_migrations is unchanged (no migration ran again).`
              : 'quick_check says ok; schema_migrations is unchanged (no migration ran again).',
    });
    if (after.quickCheck !== 'ok')
      throw new BootFailure(
        `After the app ran on it, the copy fails quick_check: ${after.quickCheck}.`,
        'DB_CORRUPT',
      );
    if (!same)
      throw new BootFailure(
        'The app ran migrations again on the migrated copy (schema_migrations changed).',
        'MIGRATION_FAILED',
      );
  } catch (e) {
    failure = ctl.aborted
      ? new BootFailure(ABORTED, ABORTED)
      : e instanceof BootFailure
        ? e
        : new BootFailure(
            `The boot step could not run: ${(e as Error).message}`,
            'DRILL_BOOT_FAILED',
          );
  } finally {
    if (child) {
      const stopped = await stopRow(child, graceMs, row);
      if (failure?.extra.timedOut) failure.extra.killed = stopped.killed;
    }
    if (failure && dir) failure.extra.logTail = logTail(dir);
    if (moved && dir) {
      try {
        moveDb(path.join(dir, 'stateward.db'), copy);
        moved = false;
      } catch (e) {
        // Never removed with the folder: the copy stays in it, and the step says where.
        failure = new BootFailure(
          `The copy could not be moved back after the app ran (${(e as Error).message}); it is in ${dir}.`,
          'DRILL_BOOT_FAILED',
        );
      }
    }
    if (dir && !moved) fs.rmSync(dir, { recursive: true, force: true });
  }

  const total = probes.filter((p) => p.request !== null).length;
  if (failure?.code === ABORTED)
    return { status: 'skip', detail: 'Not run to the end: an earlier step failed.', facts, probes };
  if (failure) {
    const scrub = scrubber(token, dir);
    const log = [
      ...(stderr?.lines() ?? []),
      ...((failure.extra.logTail as string[] | undefined) ?? []),
    ]
      .slice(-LOG_LINES)
      .map(scrub);
    delete failure.extra.logTail;
    return {
      status: 'fail',
      detail: `${failure.message}${failure.extra.killed ? ' It ignored SIGTERM and was killed.' : ''}`,
      facts: {
        ...facts,
        ...failure.extra,
        code: failure.code,
        ...(failure.code === 'DRILL_BOOT_FAILED' ? {} : { bootCode: 'DRILL_BOOT_FAILED' }),
      },
      probes,
      log,
    };
  }
  const stop = probes.find((p) => p.name === 'Stop');
  return {
    status: stop?.status === 'warn' ? 'warn' : 'pass',
    detail: `Started the app on ${opts.inPlace ? 'the copy' : 'a copy'}, ${HTTP_READY_PATH} said ready, signed in with its token and read over HTTP (${plural(total, 'request')}): ${found.join(', ')}. Stopped${stop?.status === 'warn' ? ' (killed: it ignored SIGTERM)' : ''}; ${quickCheckStands ? `the app left the file unchanged, so the integrity check of ${sinceCheck} stands,` : 'the copy still passes quick_check'} and no migration ran twice.`,
    facts,
    probes,
  };
}

async function stopRow(
  child: BootChild,
  graceMs: number,
  row: (p: Omit<DrillProbe, 'status'> & { status?: DrillProbe['status'] }) => DrillProbe,
): Promise<{ killed: boolean }> {
  const t = performance.now();
  child.kill('SIGTERM');
  const gone = await Promise.race([
    child.exited.then(() => true),
    new Promise<false>((r) => setTimeout(() => r(false), graceMs)),
  ]);
  if (!gone) {
    child.kill('SIGKILL');
    await child.exited;
  }
  row({
    name: 'Stop',
    request: null,
    httpStatus: null,
    ms: Math.round(performance.now() - t),
    status: gone ? 'pass' : 'warn',
    detail: gone
      ? 'Exited on SIGTERM.'
      : `Still running ${secs(graceMs)} after SIGTERM; killed (SIGKILL).`,
  });
  return { killed: !gone };
}

/** Apply what is pending; a history the app would refuse is left for the app to refuse. */
function migrateIfItCan(db: string): void {
  const conn = openWritable(db);
  try {
    let plan: ReturnType<typeof planMigrations>;
    try {
      plan = planMigrations(conn);
    } catch {
      return;
    }
    if (plan.pending.length > 0) applyMigrations(conn, plan);
  } finally {
    conn.close();
  }
}

function history(db: string): unknown[] {
  const conn = openWritable(db);
  try {
    return readHistory(conn);
  } finally {
    conn.close();
  }
}

/**
 * The file the app ran on, checked again: its migration history (a writable open, which
 * also folds in a WAL a killed app left), then (`quick`) quick_check in a worker thread
 * (long on a large file; the drill's process, in the desktop app the main process, stays free).
 */
async function recheck(
  db: string,
  quick: boolean,
): Promise<{ quickCheck: string; history: unknown[] }> {
  let after: unknown[];
  try {
    after = history(db);
  } catch (e) {
    return { quickCheck: (e as Error).message, history: [] };
  }
  if (!quick) return { quickCheck: 'ok', history: after };
  const worker = new BackupWorker();
  try {
    const r = replyOrThrow(
      await worker.request({ type: 'quickCheck', file: db }),
      'quickCheck-done',
    );
    return { quickCheck: r.result, history: after };
  } catch (e) {
    return { quickCheck: (e as Error).message, history: after };
  } finally {
    await worker.stop();
  }
}

/** The end of the host's log file in the temporary data dir. */
function logTail(dir: string): string[] {
  try {
    const logs = path.join(dir, 'logs');
    const lines: string[] = [];
    for (const f of fs.readdirSync(logs).sort())
      lines.push(...fs.readFileSync(path.join(logs, f), 'utf8').split('\n'));
    // Stack frames say where in the code, not what happened: the report keeps the messages.
    return lines.filter((l) => l.trim() !== '' && !/^\s+at /.test(l)).slice(-LOG_LINES);
  } catch {
    return [];
  }
}

/** Log lines as the report keeps them: never the token, not the temporary folder's path, not too long. */
function scrubber(token: string, dir: string | null): (line: string) => string {
  return (line) => {
    let s = line.replace(/#token=[A-Za-z0-9_-]+/g, '#token=…');
    if (token) s = s.split(token).join('…');
    if (dir) s = s.split(dir).join('<temporary data dir>');
    return s.length > 400 ? `${s.slice(0, 400)}…` : s;
  };
}
