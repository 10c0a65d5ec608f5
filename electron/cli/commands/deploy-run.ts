// `stateward deploy run <project>/<env> --version V -- <command…>`: wraps any deploy
// script. Records the deployment as running (with this wrapper's pid and host, so a
// wrapper that dies is noticed), streams the command's output into the deployment's
// log as it runs and to the terminal, forwards SIGINT/SIGTERM/SIGHUP (a cancel), finishes
// with the status the exit code implies and a diagnostic summary, and exits with the
// command's code. While automation is paused it waits (--pause-wait) instead of failing.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import type { DeployRun } from '../../../shared/domain.ts';
import type { AppError } from '../../../shared/errors.ts';
import { isAppError } from '../../../shared/errors.ts';
import type { CliContext } from '../args.ts';
import { usageError } from '../args.ts';
import type { Recorder } from '../open.ts';
import { retryWhilePaused } from '../open.ts';
import { processStart } from '../../core/deploy-runs.ts';
import type { Outcome } from '../output.ts';
import { LineSplitter, LogBatcher } from '../log-batch.ts';
import { appendLines, pauseWait, startInput, sweepInterrupted } from './deployments.ts';
import { withRecorder } from './projects.ts';

/** Lines of output the diagnostic summary ends with. */
const SUMMARY_LINES = 20;
const SUMMARY_LINE_CHARS = 400;
/** How long output is still read after the command exited (see `pipe` below). */
const DRAIN_MS = 1000;

type Final = 'succeeded' | 'failed' | 'cancelled';

interface Ending {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The command could not be started at all (ENOENT, EACCES). */
  spawnError: NodeJS.ErrnoException | null;
}

function shellWords(command: readonly string[]): string {
  return command
    .map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

/** The wrapper's exit code: the command's, 128+N for a signal, 126/127 when it did not start. */
function exitCodeOf(e: Ending): number {
  if (e.spawnError) return e.spawnError.code === 'ENOENT' ? 127 : 126;
  if (e.code !== null) return e.code;
  return 128 + (e.signal ? (os.constants.signals[e.signal] ?? 0) : 0);
}

function statusOf(e: Ending, cancelledBy: NodeJS.Signals | null): Final {
  if (!e.spawnError && e.code === 0) return 'succeeded';
  return cancelledBy ? 'cancelled' : 'failed';
}

/** `command`: its words, or null when they are not shown (they hold a secret's value). */
function summaryOf(
  command: readonly string[] | null,
  e: Ending,
  cancelledBy: NodeJS.Signals | null,
  ms: number,
  last: readonly string[],
): string {
  const how = e.spawnError
    ? `could not be started (${e.spawnError.code ?? e.spawnError.message})`
    : e.code !== null
      ? `exited with code ${e.code}`
      : `was killed by ${e.signal}`;
  const lines = [
    `${command ? shellWords(command) : 'The command'} ${how} after ${(ms / 1000).toFixed(1)} s${cancelledBy ? ` (cancelled: the wrapper got ${cancelledBy})` : ''}.`,
    `Host ${os.hostname()}, wrapper pid ${process.pid}.`,
  ];
  if (last.length)
    lines.push(
      '',
      `Last ${last.length} line(s) of output:`,
      ...last.map((l) =>
        l.length > SUMMARY_LINE_CHARS ? `${l.slice(0, SUMMARY_LINE_CHARS)}…` : l,
      ),
    );
  return lines.join('\n').slice(0, 20000);
}

export async function deployRun(ctx: CliContext, target: string): Promise<Outcome> {
  const command = ctx.passthrough ?? [];
  if (command.length === 0 || command[0] === '')
    throw usageError(
      'deploy run needs the command to run after "--": deploy run <project>/<env> --version V -- ./deploy.sh',
    );
  const { waitMs, say, waiting } = pauseWait(ctx);
  return withRecorder(
    ctx,
    async (rec) => {
      await sweepInterrupted(rec);
      let prepared: Awaited<ReturnType<typeof startInput>> | undefined;
      let shown: string[] | null = command;
      const started = await retryWhilePaused(
        async () => {
          prepared ??= await startInput(ctx, rec, target);
          const { input } = prepared;
          const start = (words: string[]) =>
            rec.call('deployments.runStart', {
              ...input,
              pid: process.pid,
              pidStart: processStart(process.pid),
              host: os.hostname(),
              command: words,
            });
          return start(shown ?? []).catch((e: unknown) => {
            // The command line holds a secret's value: it is run, never recorded.
            if (!isAppError(e) || e.code !== 'SECRET_VALUE_REFUSED') throw e;
            shown = null;
            return start([]);
          });
        },
        Date.now() + waitMs,
        waiting,
      );
      return runWrapped(ctx, rec, started, command, shown, waitMs, say, waiting);
    },
    // An upgrade under way when it starts is waited for like a pause.
    { deadline: Date.now() + waitMs, waiting },
  );
}

async function runWrapped(
  ctx: CliContext,
  rec: Recorder,
  started: DeployRun,
  command: string[],
  shown: string[] | null,
  waitMs: number,
  say: (s: string) => void,
  waiting: (e: AppError) => void,
): Promise<Outcome> {
  const { io, json } = ctx;
  const id = started.deployment.id;
  const t0 = Date.now();
  say(
    `deployment ${id} of ${started.deployment.projectName}/${started.deployment.environmentName} ${started.deployment.version} started.`,
  );
  let lostLines = 0;
  let gaveUp = false;
  const batcher = new LogBatcher(async (lines) => {
    try {
      // While writes are paused the lines wait (the reader keeps reading: the command must
      // not block); once a wait has run out, later batches are tried once each.
      await retryWhilePaused(
        () => appendLines(rec, id, lines),
        gaveUp ? Date.now() : Date.now() + waitMs,
        waiting,
      );
      gaveUp = false;
    } catch (e) {
      lostLines += lines.length;
      if (!gaveUp)
        say(
          `log lines could not be recorded: ${isAppError(e) ? `${e.code}: ${e.message}` : String(e)}`,
        );
      gaveUp = true;
    }
  }, Number.POSITIVE_INFINITY);
  const last: string[] = [];
  const keep = (line: string) => {
    last.push(line);
    if (last.length > SUMMARY_LINES) last.shift();
  };
  // Not at a terminal (CI, a scheduler, a script): the command gets a process group of its
  // own, so a stop reaches everything it started (a shell waiting for `npm run deploy` does
  // not pass a signal on). At a terminal it stays in the foreground group, where it can read
  // the keyboard and Ctrl-C reaches all of it from the terminal itself.
  const ownGroup = process.platform !== 'win32' && !process.stdin.isTTY;
  const child = spawn(command[0]!, command.slice(1), {
    stdio: ['inherit', 'pipe', 'pipe'],
    env: { ...process.env, STATEWARD_DEPLOYMENT_ID: String(id) },
    detached: ownGroup,
  });
  let cancelledBy: NodeJS.Signals | null = null;
  const forward = (signal: NodeJS.Signals) => {
    cancelledBy ??= signal;
    if (ownGroup && child.pid !== undefined) {
      try {
        process.kill(-child.pid, signal);
        return;
      } catch {
        // the group is gone already: the command itself may still be ending
      }
    }
    child.kill(signal);
  };
  // Ctrl-C, a stop, a closed terminal: passed on to the command, and the deployment is cancelled.
  const forwarded = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map(
    (signal) => [signal, () => forward(signal)] as const,
  );
  for (const [signal, on] of forwarded) process.on(signal, on);
  // The terminal going away (`| head`, a dropped ssh session) must not end the deploy:
  // the echo stops, the recording goes on (to the end of this process: what it prints
  // after the command ended would fail the same way).
  const ignore = () => undefined;
  process.stdout.on('error', ignore);
  process.stderr.on('error', ignore);
  const ending = await new Promise<Ending>((resolve) => {
    const stops: (() => void)[] = [];
    const pipe = (
      stream: NodeJS.ReadableStream,
      level: 'info' | 'warn',
      out: (s: string) => void,
    ) => {
      const split = new LineSplitter((line) => {
        keep(line);
        batcher.push(level, line);
      });
      // To the terminal as it comes (a character split between two chunks kept whole).
      const text = new StringDecoder('utf8');
      stream.on('data', (chunk: Buffer) => {
        out(text.write(chunk));
        split.write(chunk);
      });
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        out(text.end());
        split.end();
      };
      stream.on('end', end);
      stops.push(() => {
        stream.removeAllListeners('data');
        (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
        end();
      });
    };
    // With --json, stdout carries only the JSON object: the command's output goes to stderr.
    pipe(child.stdout!, 'info', json ? io.stderr : io.stdout);
    pipe(child.stderr!, 'warn', io.stderr);
    child.on('error', (e) => resolve({ code: null, signal: null, spawnError: e }));
    // A process the command left in the background (`./server &`) holds its output open for
    // as long as it runs: once the command has exited, what is left is read for a moment,
    // then the deploy ends without waiting for that process.
    let drain: NodeJS.Timeout | undefined;
    child.on('exit', (code, signal) => {
      drain = setTimeout(() => {
        for (const stop of stops) stop();
        resolve({ code, signal, spawnError: null });
      }, DRAIN_MS);
    });
    child.on('close', (code, signal) => {
      clearTimeout(drain);
      resolve({ code, signal, spawnError: null });
    });
  }).finally(() => {
    for (const [signal, on] of forwarded) process.off(signal, on);
  });
  await batcher.close().catch(() => undefined);
  const ms = Date.now() - t0;
  const exit = exitCodeOf(ending);
  const status = statusOf(ending, cancelledBy);
  const summary =
    summaryOf(shown, ending, cancelledBy, ms, last) +
    (lostLines ? `\n\n${lostLines} line(s) of output could not be recorded.` : '');
  const finish = (diagnosticSummary: string | null) =>
    retryWhilePaused(
      () => rec.call('deployments.runFinish', { runId: started.runId, status, diagnosticSummary }),
      Date.now() + waitMs,
      waiting,
    );
  let finished: DeployRun | null = null;
  try {
    finished = await finish(summary).catch((e: unknown) => {
      // The last lines held a secret's value (or, secrets locked, nothing can be checked):
      // the status is recorded all the same, with what can be said.
      if (!isAppError(e)) throw e;
      if (e.code === 'SECRET_VALUE_REFUSED')
        return finish(
          `${summaryOf(null, ending, cancelledBy, ms, [])}\n\nThe last lines of output are left out: they held the value of a secret.`,
        );
      if (e.code === 'SECRETS_LOCKED') return finish(null);
      throw e;
    });
    say(`deployment ${id} ${status} (exit code ${exit}, ${(ms / 1000).toFixed(1)} s).`);
  } catch (e) {
    say(
      `deployment ${id} could not be recorded as ${status}: ${isAppError(e) ? `${e.code}: ${e.message}` : String(e)} It is marked as interrupted at the next start.`,
    );
  }
  return {
    exit,
    json: {
      deployment: finished?.deployment ?? started.deployment,
      runId: started.runId,
      recorded: finished !== null,
      status,
      exitCode: ending.code,
      signal: ending.signal,
    },
    text: '',
  };
}
