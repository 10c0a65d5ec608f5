// Kill-after-syscall sweeps with strace. A first traced run of a command lists
// the syscalls it makes on the files of a data dir; then the command runs once
// per chosen syscall, SIGKILLed by strace's fault injection right before that
// call (so right after everything it did before it). strace counts `when=N` per
// thread and, with `-P path`, only among calls on that path; faultSpecs picks,
// for each call, a path filter and N that reach exactly it in the traced run.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { REPO_ROOT } from './child.ts';
import type { World } from './world.ts';

export const HAVE_STRACE =
  process.platform === 'linux' &&
  spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true']).status === 0;
// The crash sweeps are part of what CI proves: there, a missing strace fails the run
// (.ci/run installs it); elsewhere the sweeps skip.
if (!HAVE_STRACE && process.platform === 'linux' && process.env.CI === 'true')
  throw new Error('strace is missing or cannot trace here: the crash sweeps cannot run in CI');

/** Calls that change names in a folder (the steps of a crash-safe protocol). */
export const NAME_SYSCALLS = [
  'rename',
  'renameat',
  'renameat2',
  'link',
  'linkat',
  'unlink',
  'unlinkat',
  'mkdir',
  'mkdirat',
  'rmdir',
];
/** Calls that write or sync file contents (SQLite's journal, WAL and database writes). */
export const DATA_SYSCALLS = ['openat', 'pwrite64', 'write', 'fsync', 'fdatasync', 'ftruncate'];

export interface TraceEvent {
  index: number;
  tid: number;
  syscall: string;
  /** The file the call is about: its first path argument (joined to its dirfd) or its fd's file. */
  file: string | null;
  /** What `strace -P` can match this call by (a path argument as written, an fd's or dirfd's file). */
  keys: string[];
  failed: boolean;
  flags: string;
}

const LINE = /^(\d+) +([a-z0-9_]+)\((.*)$/;
const STRING = /"((?:[^"\\]|\\.)*)"/;
const FD_PATH = /^-?\d+<([^>]*)>/;

/** Parse `strace -f -y` output (entry lines; an unfinished call counts where it started). */
export function parseTrace(text: string): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m || line.includes('resumed>')) continue;
    const [, tid, syscall, rest] = m as unknown as [string, string, string, string];
    const keys: string[] = [];
    let file: string | null = null;
    const fd = FD_PATH.exec(rest) ?? /^AT_FDCWD<([^>]*)>/.exec(rest);
    // A string is a path for path calls and *at calls; for fd calls (write, pwrite64) it is data.
    const str = !fd || syscall.endsWith('at') || syscall === 'renameat2' ? STRING.exec(rest) : null;
    if (str) {
      const p = str[1]!;
      keys.push(p);
      file = path.isAbsolute(p) ? p : fd ? path.join(fd[1]!, p) : p;
      if (fd && !rest.startsWith('AT_FDCWD')) keys.push(fd[1]!);
    } else if (fd) {
      keys.push(fd[1]!);
      file = fd[1]!;
    }
    out.push({
      index: out.length,
      tid: Number(tid),
      syscall,
      file,
      keys,
      failed: / = -1 /.test(rest),
      flags: rest,
    });
  }
  return out;
}

export interface FaultSpec {
  syscall: string;
  /** `-P` filter relative to the data dir (the runs use copies of it), or null for every call of the syscall. */
  path: string | null;
  when: number;
  target: TraceEvent;
  label: string;
}

/** The call strace would stop at for (syscall, path, when), simulated on a traced run. */
function simulate(
  events: readonly TraceEvent[],
  syscall: string,
  p: string | null,
  when: number,
): TraceEvent | null {
  const seen = new Map<number, number>();
  for (const e of events) {
    if (e.syscall !== syscall || (p !== null && !e.keys.includes(p))) continue;
    const n = (seen.get(e.tid) ?? 0) + 1;
    seen.set(e.tid, n);
    if (n === when) return e;
  }
  return null;
}

/** A (syscall, -P path, when) that stops at `e`, preferring a path filter; null if none does. */
function specFor(events: readonly TraceEvent[], e: TraceEvent, within: string): FaultSpec | null {
  // A name with the process id in it (a temp file) is another name in the next run: count instead.
  const pid = new RegExp(`(^|[^0-9])${events[0]?.tid ?? 0}([^0-9]|$)`);
  const filters: (string | null)[] = [
    ...e.keys.filter((k) => path.isAbsolute(k) && !pid.test(path.relative(within, k))),
    null,
  ];
  for (const p of filters) {
    const limit = events.filter(
      (x) => x.tid === e.tid && x.syscall === e.syscall && (p === null || x.keys.includes(p)),
    ).length;
    for (let when = 1; when <= limit; when++) {
      const hit = simulate(events, e.syscall, p, when);
      if (hit === e)
        return {
          syscall: e.syscall,
          path: p === null ? null : path.relative(within, p),
          when,
          target: e,
          label: `${e.syscall} ${path.relative(within, e.file ?? '') || '.'}${p === null ? ` (#${when})` : when > 1 ? ` #${when}` : ''}`,
        };
      if (hit && hit.index > e.index) break;
    }
  }
  return null;
}

/**
 * The fault points of a traced run inside `within`: every successful name change,
 * and the data writes on `dataFiles` chosen by `pickData` (all of them by default).
 * Calls on names that carry the process id (temp files) can only be reached by
 * counting every call of the syscall; those strace cannot single out are left
 * out (and counted in `unreachable`).
 */
export function faultSpecs(
  events: readonly TraceEvent[],
  within: string,
  opts: {
    dataFiles?: readonly string[];
    pickData?: (e: TraceEvent, nth: number, of: number) => boolean;
    skip?: (e: TraceEvent) => boolean;
  } = {},
): { specs: FaultSpec[]; unreachable: TraceEvent[] } {
  const inside = (f: string | null) => f !== null && (f === within || f.startsWith(within + '/'));
  const dataFiles = new Set(opts.dataFiles ?? []);
  const chosen: TraceEvent[] = [];
  const perFile = new Map<string, TraceEvent[]>();
  for (const e of events) {
    if (e.failed || !inside(e.file) || opts.skip?.(e)) continue;
    if (NAME_SYSCALLS.includes(e.syscall)) chosen.push(e);
    else if (DATA_SYSCALLS.includes(e.syscall) && dataFiles.has(e.file!)) {
      const k = `${e.syscall} ${e.file}`;
      perFile.set(k, [...(perFile.get(k) ?? []), e]);
    }
  }
  for (const list of perFile.values())
    list.forEach((e, i) => {
      if (!opts.pickData || opts.pickData(e, i, list.length)) chosen.push(e);
    });
  chosen.sort((a, b) => a.index - b.index);
  const specs: FaultSpec[] = [];
  const unreachable: TraceEvent[] = [];
  for (const e of chosen) {
    const s = specFor(events, e, within);
    if (s) specs.push(s);
    else unreachable.push(e);
  }
  return { specs, unreachable };
}

/** STATEWARD_SWEEP_FULL=1: sweep every data write point too (the default is sized for a 2-core machine). */
export const SWEEP_FULL = process.env.STATEWARD_SWEEP_FULL === '1';

/**
 * Which data writes of a Stateward data dir to kill at, besides every name change:
 * the rollback journal's creation, first write and last sync (a hot journal is
 * what a crash there leaves); with `full`, also every fsync of the folder itself
 * (each comes right after a rename or unlink, so killing there is killing right
 * after it), the database's last write, sync and truncate, the WAL's first write
 * and last sync.
 */
export function dataDirPicks(
  dir: string,
  full = SWEEP_FULL,
): {
  dataFiles: string[];
  pickData: (e: TraceEvent, i: number, n: number) => boolean;
} {
  const db = path.join(dir, 'stateward.db');
  const rules: Record<string, Record<string, 'all' | 'first' | 'last'>> = {
    [`${db}-journal`]: { openat: 'first', pwrite64: 'first', fsync: 'last' },
    ...(full
      ? {
          [dir]: { fsync: 'all' },
          [db]: { pwrite64: 'last', fsync: 'last', ftruncate: 'last' },
          [`${db}-wal`]: { pwrite64: 'first', fsync: 'last' },
        }
      : {}),
  };
  return {
    dataFiles: Object.keys(rules),
    pickData: (e, i, n) => {
      const rule = rules[e.file ?? '']?.[e.syscall];
      if (e.syscall === 'openat' && !e.flags.includes('O_CREAT')) return false;
      return rule === 'all' || (rule === 'first' && i === 0) || (rule === 'last' && i === n - 1);
    },
  };
}

/**
 * Calls the promote and migrate sweeps leave to other tests: the data-dir lock's
 * (the lock tests), the log's, and the SQLite side files of a backup's temporary
 * snapshot (the backup crash tests); the backup's renames into place stay in.
 */
export function sweptElsewhere(e: TraceEvent): boolean {
  return /stateward\.lock|\/logs(\/|$)|\/\.stateward-tmp-[^/]*\.sqlite-(journal|wal|shm)$/.test(
    e.file ?? '',
  );
}

export interface StraceRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * `strace -f -qq <straceArgs> node <script> <args>` in the repo root, its output
 * collected. With `world`, a run still going when the test ends is SIGKILLed.
 */
export function straceNode(
  straceArgs: string[],
  script: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; world?: World } = {},
): Promise<StraceRun> {
  const proc = spawn('strace', ['-f', '-qq', ...straceArgs, process.execPath, script, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.env ? { env: opts.env } : {}),
  });
  opts.world?.defer(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  // strace exits as its tracee did.
  return new Promise((resolve) =>
    proc.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

/** `strace -f -qq <straceArgs> node bin/stateward.mjs <cliArgs>` in the repo root. */
export function straceCli(
  straceArgs: string[],
  cliArgs: string[],
  opts: { env?: NodeJS.ProcessEnv; world?: World } = {},
): Promise<StraceRun> {
  return straceNode(straceArgs, path.join(REPO_ROOT, 'bin/stateward.mjs'), cliArgs, opts);
}

/**
 * strace arguments that SIGKILL the tracee right at the `when`-th call (strace's
 * default: the first) of `syscalls` (comma-separated), only among calls on
 * `onPath` when given; the trace goes to `out`.
 */
export function killAtCallArgs(
  syscalls: string,
  opts: { when?: number; onPath?: string; out?: string } = {},
): string[] {
  return [
    '-o',
    opts.out ?? '/dev/null',
    ...(opts.onPath === undefined ? [] : ['-P', opts.onPath]),
    '-e',
    `trace=${syscalls}`,
    '-e',
    `inject=${syscalls}:signal=KILL${opts.when === undefined ? '' : `:when=${opts.when}`}`,
  ];
}

/**
 * `node <script> <args>` SIGKILLed by strace at its `when`-th rename (rename,
 * renameat or renameat2). One libuv thread does every rename (strace counts
 * `when` per thread). With `world`, a run still going when the test ends is SIGKILLed.
 */
export function killNodeAtRename(
  script: string,
  args: string[],
  when: number,
  world?: World,
): Promise<StraceRun> {
  return straceNode(killAtCallArgs('rename,renameat,renameat2', { when }), script, args, {
    env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
    ...(world ? { world } : {}),
  });
}

/** The traced run: every call of `syscalls` with fd paths (-y), parsed. */
export async function traceCli(
  traceFile: string,
  syscalls: readonly string[],
  cliArgs: string[],
): Promise<{ run: StraceRun; events: TraceEvent[] }> {
  const run = await straceCli(
    ['-y', '-o', traceFile, '-e', `trace=${syscalls.join(',')}`],
    cliArgs,
  );
  return { run, events: parseTrace(fs.readFileSync(traceFile, 'utf8')) };
}

/**
 * Run the CLI on data dir `dir` killed at `spec`; returns the run and the call it
 * was killed at (from strace's log), or null when it was not killed.
 */
export async function killAt(
  spec: FaultSpec,
  dir: string,
  traceFile: string,
  cliArgs: string[],
): Promise<{ run: StraceRun; hit: TraceEvent | null }> {
  const run = await straceCli(
    [
      '-y',
      ...killAtCallArgs(spec.syscall, {
        when: spec.when,
        out: traceFile,
        ...(spec.path === null ? {} : { onPath: path.join(dir, spec.path) }),
      }),
    ],
    cliArgs,
  );
  const calls = parseTrace(fs.readFileSync(traceFile, 'utf8')).filter(
    (e) => e.syscall === spec.syscall,
  );
  return { run, hit: run.signal === 'SIGKILL' ? (calls[calls.length - 1] ?? null) : null };
}

/** Run `fn` over `items`, `n` at a time, in order of start. */
export async function inPool<T, R>(
  items: readonly T[],
  n: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/** A fault point as the sweeps name it in assertions: `rename x [rename -P x when=1]`. */
export function specLabel(spec: FaultSpec): string {
  return `${spec.label} [${spec.syscall}${spec.path ? ` -P ${spec.path}` : ''} when=${spec.when}]`;
}

/** How many fault points per syscall: `rename 3, unlink 2`. */
export function specsBySyscall(specs: readonly FaultSpec[]): string {
  const bySyscall = new Map<string, number>();
  for (const s of specs) bySyscall.set(s.syscall, (bySyscall.get(s.syscall) ?? 0) + 1);
  return [...bySyscall].map(([k, n]) => `${k} ${n}`).join(', ');
}

/**
 * The data-dir sweep: `args(base)` traced (it must succeed), its fault points in
 * `base` (every name change and dataDirPicks' writes, sweptElsewhere's calls
 * left out) handed to `onSpecs`; then, two at a time, `args(dir)` on a `fresh()`
 * data dir killed at each point, and `check` asked about each run.
 */
export async function sweepDataDir<R>(opts: {
  work: string;
  base: string;
  fresh: () => string;
  args: (dir: string) => string[];
  onSpecs?: (specs: FaultSpec[]) => void;
  check: (k: {
    spec: FaultSpec;
    dir: string;
    run: StraceRun;
    hit: TraceEvent | null;
  }) => Promise<R>;
}): Promise<{ specs: FaultSpec[]; unreachable: TraceEvent[]; outcomes: R[] }> {
  const { work, base } = opts;
  const { run, events } = await traceCli(
    path.join(work, 'trace.txt'),
    [...NAME_SYSCALLS, ...DATA_SYSCALLS],
    opts.args(base),
  );
  expect(run.code, run.stderr).toBe(0);
  const { specs, unreachable } = faultSpecs(events, base, {
    ...dataDirPicks(base),
    skip: sweptElsewhere,
  });
  opts.onSpecs?.(specs);
  const outcomes = await inPool(specs, 2, async (spec, i) => {
    const dir = opts.fresh();
    const { run: r, hit } = await killAt(
      spec,
      dir,
      path.join(work, `kill-${i}.txt`),
      opts.args(dir),
    );
    return opts.check({ spec, dir, run: r, hit });
  });
  return { specs, unreachable, outcomes };
}
