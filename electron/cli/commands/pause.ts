// `stateward pause [--reason R] [-- <command…>]`, `stateward resume` and
// `stateward pause-status`: hold automation writes off around an upgrade or a
// promote (core/automation.ts), through the command registry like the app.
import { spawn } from 'node:child_process';
import os from 'node:os';
import type { AutomationStatus } from '../../../shared/domain.ts';
import type { CommandInput, CommandName, CommandResult } from '../../../shared/contract.ts';
import { AppError } from '../../../shared/errors.ts';
import { describePause, resumeAutomation } from '../../core/automation.ts';
import type { ResolvedDataDir } from '../../core/paths.ts';
import type { Runtime } from '../../core/runtime.ts';
import { createRegistry } from '../../handlers/index.ts';
import type { CliCommand } from '../args.ts';
import { EXIT } from '../exit.ts';
import { openShared } from '../open.ts';
import type { CliIo, Outcome } from '../output.ts';

async function withRuntime<T>(
  where: ResolvedDataDir,
  work: (rt: Runtime) => Promise<T>,
): Promise<T> {
  const rt = await openShared(where);
  if (!rt)
    throw new AppError(
      'STORE_NOT_READY',
      `There is no current Stateward database in ${where.dir}.`,
      {
        hint: 'Start the app once (or run `stateward migrate`) first; pause with the version that runs it.',
      },
    );
  try {
    return await work(rt);
  } finally {
    rt.close();
  }
}

/** Run `name` through the registry (the CLI's runtime: automation); throws its error. */
async function invoke<N extends CommandName>(
  rt: Runtime,
  name: N,
  input: CommandInput<N>,
): Promise<CommandResult<N>> {
  const result = await createRegistry(rt, {}).dispatch(name, input);
  if (!result.ok) {
    const { code, message, hint, details } = result.error;
    throw new AppError(code, message, {
      ...(hint === undefined ? {} : { hint }),
      ...(details === undefined ? {} : { details }),
    });
  }
  return result.value as CommandResult<N>;
}

/** The status in words: one line per fact. */
export function statusText(s: AutomationStatus): string {
  const lines: string[] = [];
  if (s.pause) lines.push(describePause(s.pause));
  if (s.promote)
    lines.push(
      `Automation is held off by a promote${s.promote.restoreId ? ` of restored copy ${s.promote.restoreId}` : ''}${s.promote.pid ? ` (process ${s.promote.pid} on ${s.promote.host})` : ''}${s.promote.since ? ` since ${new Date(s.promote.since).toISOString()}` : ''}.`,
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

async function pause(
  where: ResolvedDataDir,
  reason: string,
  command: string[] | null,
  io: CliIo,
): Promise<Outcome> {
  return withRuntime(where, async (rt) => {
    const status = await invoke(rt, 'automation.pause', {
      reason,
      holdWhileRunning: command !== null,
    });
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
        ? await resumeAutomation(rt, {
            pid: status.pause.pid,
            host: status.pause.host,
            since: status.pause.since,
          })
        : await invoke(rt, 'automation.status', {});
    return { exit, json: { ...after, exitCode: exit }, text: statusText(after) };
  });
}

async function resume(where: ResolvedDataDir): Promise<Outcome> {
  return withRuntime(where, async (rt) => {
    const before = await invoke(rt, 'automation.status', {});
    const after = await invoke(rt, 'automation.resume', {});
    const lifted = before.pause;
    const text = lifted
      ? `Automation resumed (it was paused by ${lifted.actor} since ${new Date(lifted.since).toISOString()}).\n`
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
    run: ({ where, values, passthrough, io }) => {
      if (passthrough !== null && passthrough.length === 0)
        throw new AppError('BAD_INPUT', 'Nothing to run after "--".', {
          hint: 'stateward pause --reason "upgrade" -- ./upgrade.sh',
        });
      return pause(where, (values.reason as string | undefined) ?? '', passthrough, io);
    },
  },
  {
    name: 'resume',
    usage: [['resume', 'lift the pause of automation writes']],
    help: 'Lifts any pause, also one held by a process that is gone. Not paused: nothing to do (exit 0).',
    run: ({ where }) => resume(where),
  },
  {
    name: 'pause-status',
    usage: [['pause-status', 'is automation paused: by whom, why, since when']],
    run: ({ where }) =>
      withRuntime(where, async (rt) => {
        const status = await invoke(rt, 'automation.status', {});
        return { exit: EXIT.ok, json: status, text: statusText(status) };
      }),
  },
];
