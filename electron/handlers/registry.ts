// The command registry: one handler per command of the contract. Registration
// rejects duplicates and names outside the contract; dispatch validates input
// with the command's zod schema and turns every outcome into a Result.
import type { CommandName, CommandParsedInput, CommandResult } from '../../shared/contract.ts';
import {
  AVAILABLE_WHEN_REFUSED,
  commands,
  COMMAND_NAMES,
  isCommandName,
  pausedByAutomationPause,
  READ_ONLY_COMMANDS,
} from '../../shared/contract.ts';
import type { AppError, AppErrorShape, Result } from '../../shared/errors.ts';
import { fail, isAppError, ok } from '../../shared/errors.ts';
import type { Runtime } from '../core/runtime.ts';
import type { Origin } from '../core/automation.ts';
import { refuseWhilePaused } from '../core/automation.ts';
import { isPromoteGuardError, promoteInProgress } from '../core/restore/guard.ts';
import { moveInProgress, moveInProgressError } from './postgres.ts';
import { resourceFailure } from '../core/store/db.ts';

export type Handler<N extends CommandName> = (
  input: CommandParsedInput<N>,
  rt: Runtime,
) => CommandResult<N> | Promise<CommandResult<N>>;

export type HandlerMap = { [N in CommandName]?: Handler<N> };

/**
 * Why text in `value` cannot be stored on every backend, or null: a lone
 * surrogate (from a \uD800-style JSON escape, or a JS string cut in half) is
 * not UTF-8, and PostgreSQL's text refuses the NUL character (SQLite would
 * take it, so a data dir could not move to a team database). Iterative: a
 * 1 MiB body can nest half a million levels deep.
 */
export function unstorableText(value: unknown): AppErrorShape | null {
  const todo: unknown[] = [value];
  while (todo.length > 0) {
    const v = todo.pop();
    if (typeof v === 'string') {
      if (/\p{Cs}/u.test(v)) return NOT_UNICODE;
      if (v.includes('\u0000')) return HAS_NUL;
    } else if (Array.isArray(v)) {
      for (const x of v as unknown[]) todo.push(x);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) todo.push(k, x);
    }
  }
  return null;
}

export const NOT_UNICODE: AppErrorShape = {
  code: 'BAD_INPUT',
  message: 'The input holds text that is not valid Unicode (a lone surrogate).',
  hint: 'Check the text for a broken character and send it again.',
};

export const HAS_NUL: AppErrorShape = {
  code: 'BAD_INPUT',
  message: 'The input holds a NUL character (\\u0000), which text in Stateward cannot hold.',
  hint: 'Remove the NUL character (binary output?) and send it again.',
};

export class CommandRegistry {
  private readonly handlers = new Map<CommandName, Handler<CommandName>>();
  private readonly rt: Runtime;

  constructor(rt: Runtime) {
    this.rt = rt;
  }

  register<N extends CommandName>(name: N, handler: Handler<N>): void {
    if (!isCommandName(name))
      throw new Error(`Cannot register "${String(name)}": it is not in the command contract.`);
    if (this.handlers.has(name)) throw new Error(`Command "${name}" is already registered.`);
    this.handlers.set(name, handler as unknown as Handler<CommandName>);
  }

  registerAll(map: HandlerMap): void {
    for (const name of Object.keys(map) as CommandName[]) {
      this.register(name, map[name] as Handler<typeof name>);
    }
  }

  /** Names of contract commands that have no handler; empty once the app is fully wired. */
  missing(): CommandName[] {
    return COMMAND_NAMES.filter((n) => !this.handlers.has(n));
  }

  has(name: CommandName): boolean {
    return this.handlers.has(name);
  }

  /**
   * Who a command comes from when the transport does not say: everything the CLI
   * runs is automation (scripts, CI); the app's own UI (IPC, the browser page) is not.
   */
  private defaultOrigin(): Origin {
    return { automation: this.rt.transport === 'cli' };
  }

  async dispatch(
    name: unknown,
    rawInput: unknown,
    origin: Origin = this.defaultOrigin(),
  ): Promise<Result<unknown>> {
    if (!isCommandName(name) || !this.handlers.has(name)) {
      return fail({
        code: 'UNKNOWN_COMMAND',
        message: `Unknown command: ${JSON.stringify(String(name)).slice(0, 100)}.`,
      });
    }
    // Every transport (IPC, CLI, HTTP): text that cannot be stored as UTF-8 never reaches a handler.
    const unstorable = unstorableText(rawInput);
    if (unstorable) return fail(unstorable);
    const parsed = commands[name].input.safeParse(rawInput ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({
        path: i.path.map(String).join('.'),
        message: i.message,
      }));
      const first = issues[0];
      return fail({
        code: 'BAD_INPUT',
        message: first ? `Invalid ${first.path || 'input'}: ${first.message}.` : 'Invalid input.',
        details: { issues },
      });
    }
    const handler = this.handlers.get(name)!;
    return this.run(name, () => handler(parsed.data as never, this.rt), origin);
  }

  /** Why command `name` may not run now (a promote's write barrier, a refused data dir), or null. */
  barrier(name: CommandName): AppErrorShape | null {
    // The write barrier of a promote: a write accepted now could land after the pre-restore backup.
    if (this.rt.restores.promoting && !READ_ONLY_COMMANDS.includes(name)) {
      return promoteInProgress().toShape();
    }
    // The move to PostgreSQL: a write accepted now would be in neither its copy nor its backup.
    if (moveInProgress(this.rt) && !READ_ONLY_COMMANDS.includes(name)) {
      return moveInProgressError().toShape();
    }
    if (this.rt.startup.state === 'refused' && !AVAILABLE_WHEN_REFUSED.includes(name)) {
      return {
        code: 'STORE_NOT_READY',
        message: `The data directory is not open: ${this.rt.startup.message}`,
        hint: this.rt.startup.hint,
      };
    }
    return null;
  }

  /**
   * Do the work of command `name` (its handler, or the HTTP host's upload of a restore)
   * behind the same barrier, with every outcome turned into a Result the same way.
   */
  async run<T>(
    name: CommandName,
    work: () => T | Promise<T>,
    origin: Origin = this.defaultOrigin(),
  ): Promise<Result<T>> {
    const barred = this.barrier(name);
    if (barred) return fail(barred);
    try {
      // A pause of automation (read from the database: it holds for every instance).
      if (origin.automation && pausedByAutomationPause(name)) await refuseWhilePaused(this.rt);
      return ok(await work());
    } catch (e) {
      if (isAppError(e)) return fail(e.toShape());
      // Another process is promoting: this write was refused by the old database's guard.
      if (isPromoteGuardError(e)) return fail(this.refusedByGuard().toShape());
      // A full disk or a busy database is not a bug: give its stable code (DISK_FULL, DATA_DIR_BUSY).
      const resource = resourceFailure(e, this.rt.layout.dir);
      if (resource) return fail(resource.toShape());
      this.rt.logger.log('error', `command ${name} failed unexpectedly`, e);
      return fail({
        code: 'INTERNAL',
        message: 'Something went wrong; nothing was changed.',
        hint: this.rt.logger.file
          ? `Details are in the log file ${this.rt.logger.file}.`
          : 'Details were written to the error output.',
      });
    }
  }

  /** A write aborted by a promote's guard; once that promote is over, the next one goes to the new database. */
  private refusedByGuard(): AppError {
    try {
      this.rt.restores.followPromote();
    } catch (reopen) {
      this.rt.logger.log('warn', 'could not reopen the live database after a promote', reopen);
    }
    return promoteInProgress();
  }
}
