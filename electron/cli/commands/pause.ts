// `stateward pause [--reason R] [-- <command…>]`, `stateward resume` and
// `stateward pause-status`: hold automation writes off around an upgrade or a
// promote (core/automation.ts), through the command registry like the app.
import { spawn } from 'node:child_process';
import os from 'node:os';
import type { AutomationStatus } from '../../../shared/domain.ts';
import { AppError } from '../../../shared/errors.ts';
import { describePause, exactTime, resumeAutomation } from '../../core/automation.ts';
import type { CliCommand, CliContext } from '../args.ts';
import { EXIT } from '../exit.ts';
import type { CliIo, Outcome } from '../output.ts';
import { retryWhilePaused } from '../open.ts';
import { withRecorder } from './projects.ts';

/** The status in words: one line per fact. */
export function statusText(s: AutomationStatus): string {
  const lines: string[] = [];
  if (s.pause) lines.push(describePause(s.pause));
  if (s.promote)
    lines.push(
      `Automation is held off by a promote${s.promote.restoreId ? ` of restored copy ${s.promote.restoreId}` : ''}${s.promote.pid ? ` (process ${s.promote.pid} on ${s.promote.host})` : ''}${s.promote.since ? ` since ${exactTime(s.promote.since)}` : ''}.`,
    );
  if (!s.paused) lines.push('Automation is not paused.');
  else if (s.pause?.holderAlive === false || s.pause?.until === 'resume')
    lines.push('Lift the pause with: stateward resume');
  return `${lines.join('\n')}\n`;
}

/** Run `argv` with the terminal, forwarding Ctrl-C and SIGTERM; its exit code (128+n for a signal). */
function runHeld(argv: string[], io: CliIo): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, forward);
    const done = (code: number) => {
      for (const s of signals) process.off(s, forward);
      resolve(code);
    };
    child.once('error', (e) => {
      io.stderr(`stateward: could not run ${argv[0]}: ${e.message}\n`);
      done(127);
    });
    child.once('exit', (code, signal) =>
      done(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0)),
    );
  });
}

const PAUSE_BUSY_WAIT_MS = 60_000;

async function pause(ctx: CliContext, reason: string, command: string[] | null): Promise<Outcome> {
  const io = ctx.io;
  return withRecorder(ctx, async (rec) => {
    // A burst of writes by others can keep the database busy past SQLite's wait: a pause
    // is what stops them, so it keeps trying (DATA_DIR_BUSY) for up to a minute.
    const status = await retryWhilePaused(
      () => rec.call('automation.pause', { reason, holdWhileRunning: command !== null }),
      Date.now() + PAUSE_BUSY_WAIT_MS,
    );
    const mine =
      status.pause !== null &&
      status.pause.pid === process.pid &&
      status.pause.host === os.hostname();
    const said = mine ? '' : 'Automation was already paused; that pause stays.\n';
    if (command === null) return { exit: EXIT.ok, json: status, text: said + statusText(status) };
    io.stderr(said + statusText(status));
    const exit = await runHeld(command, io);
    // Only this process's own pause is lifted; one taken by someone else before stays.
    const after =
      mine && status.pause
        ? await resumeAutomation(rec.rt, {
            pid: status.pause.pid,
            host: status.pause.host,
            since: status.pause.since,
          })
        : await rec.call('automation.status', {});
    return { exit, json: { ...after, exitCode: exit }, text: statusText(after) };
  });
}

async function resume(ctx: CliContext): Promise<Outcome> {
  return withRecorder(ctx, async (rec) => {
    const before = await rec.call('automation.status', {});
    const after = await retryWhilePaused(
      () => rec.call('automation.resume', {}),
      Date.now() + PAUSE_BUSY_WAIT_MS,
    );
    const lifted = before.pause;
    const text = lifted
      ? `Automation resumed (it was paused by ${lifted.actor} since ${exactTime(lifted.since)}).\n`
      : 'Automation was not paused.\n';
    return {
      exit: EXIT.ok,
      json: { ...after, lifted },
      text: text + (after.paused ? statusText(after) : ''),
    };
  });
}

export const pauseCommands: CliCommand[] = [
  {
    name: 'pause',
    usage: [['pause [--reason R] [-- <command…>]', 'stop automation writes (upgrades, promote)']],
    help: `Automation writes (this CLI's record commands, and HTTP requests sent with the header x-stateward-automation: 1) are refused with PAUSED (exit 3) until \`stateward resume\`; the app's own screens keep working and show who paused, why and since when. The pause is stored in the database: every process and instance on it sees it, and it survives restarts. Already paused: that pause stays as it is.
With -- <command…>: pause, run the command, resume afterwards (exits with its code). If this process is killed, the pause stays and is shown as held by a process that is gone: lift it with \`stateward resume\`.`,
    options: { reason: { type: 'string' } },
    passthrough: true,
    run: (ctx) => {
      const { passthrough } = ctx;
      if (passthrough !== null && passthrough.length === 0)
        throw new AppError('BAD_INPUT', 'Nothing to run after "--".', {
          hint: 'stateward pause --reason "upgrade" -- ./upgrade.sh',
        });
      return pause(ctx, (ctx.values.reason as string | undefined) ?? '', passthrough);
    },
  },
  {
    name: 'resume',
    usage: [['resume', 'lift the pause of automation writes']],
    help: 'Lifts any pause, also one held by a process that is gone. Not paused: nothing to do (exit 0).',
    run: resume,
  },
  {
    name: 'pause-status',
    usage: [['pause-status', 'is automation paused: by whom, why, since when']],
    run: (ctx) =>
      withRecorder(ctx, async (rec) => {
        const status = await rec.call('automation.status', {});
        return { exit: EXIT.ok, json: status, text: statusText(status) };
      }),
  },
];
