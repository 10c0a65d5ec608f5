// Command-line parsing shared by every command group: the global options, each
// command's own options, usage errors and number options.
import { parseArgs } from 'node:util';
import type { ParseArgsOptionDescriptor } from 'node:util';
import { AppError } from '../../shared/errors.ts';
import type { ResolvedDataDir } from '../core/paths.ts';
import type { CliIo, Outcome } from './output.ts';

export function usageError(message: string): AppError {
  return new AppError('BAD_INPUT', message, { hint: 'Run `stateward --help` for usage.' });
}

export function intOption(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(`${name} must be a whole number from ${min} to ${max}, got "${value}".`);
  }
  return n;
}

export type OptionSpec = Record<string, ParseArgsOptionDescriptor>;
export type OptionValues = Record<string, string | boolean | undefined>;

/** What a command runs with. */
export interface CliContext {
  where: ResolvedDataDir;
  /** The positionals after the command word (up to a `--`). */
  args: string[];
  /** What follows a `--` (a command to run), or null when there was none. */
  passthrough: string[] | null;
  values: OptionValues;
  json: boolean;
  io: CliIo;
  stdin: NodeJS.ReadableStream;
}

/** One command word of `stateward`: its usage rows, its options and how it runs. */
export interface CliCommand {
  name: string;
  /** Rows of the usage text: [synopsis, what it does]. */
  usage: readonly (readonly [string, string])[];
  /** More about it, for `stateward <command> --help`. */
  help?: string;
  /** Its own options (global ones are always accepted). */
  options?: OptionSpec;
  /**
   * Positional arguments: at most `max` (default 0), and `missing` is the usage error
   * when one is needed and none was given. `'any'`: the command checks them itself.
   */
  args?: { max: number; missing?: string } | 'any';
  /** It accepts `-- <command…>`. */
  passthrough?: boolean;
  /** A failed outcome's text is its report, printed on stdout (verify, restore). */
  reportOnStdout?: boolean;
  run(ctx: CliContext): Outcome | Promise<Outcome>;
}

const GLOBAL_OPTIONS: OptionSpec = {
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
};

/** `  synopsis   what it does`, aligned as one column. */
export function usageRows(rows: readonly (readonly [string, string])[]): string {
  return rows.map(([syn, what]) => `  ${syn.padEnd(35)}  ${what}`).join('\n');
}

interface ParsedArgs {
  command: CliCommand | null;
  /** The command word as typed (also when it is not a known command). */
  word: string | undefined;
  values: OptionValues;
  args: string[];
  passthrough: string[] | null;
}

/**
 * Parse `argv` for the command table: the command word is found first, then the
 * arguments are parsed with the global options, every command's options (so that a
 * known option of another command is reported as "not an option of" this one) and
 * this command's own (which win: `deploy start --version V` takes a value).
 */
export function parseCommandLine(argv: string[], table: readonly CliCommand[]): ParsedArgs {
  const union: OptionSpec = {};
  for (const c of table) for (const [k, v] of Object.entries(c.options ?? {})) union[k] ??= v;
  const loose = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    tokens: true,
    options: { ...union, ...GLOBAL_OPTIONS },
  });
  const word = loose.tokens.find((t) => t.kind === 'positional')?.value;
  const command = table.find((c) => c.name === word) ?? null;
  const own = command?.options ?? {};
  const { values, tokens } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    tokens: true,
    options: { ...union, ...GLOBAL_OPTIONS, ...own },
  });
  const end = tokens.find((t) => t.kind === 'option-terminator')?.index ?? argv.length;
  const positionals = tokens.flatMap((t) =>
    t.kind === 'positional' && t.index < end ? [t.value] : [],
  );
  const after = tokens.flatMap((t) => (t.kind === 'positional' && t.index > end ? [t.value] : []));
  // An option with a value typed twice (`--version 1 --version 2`): which one was meant is
  // not guessed (a repeated flag such as --json is harmless).
  const seen = new Set<string>();
  for (const t of tokens) {
    if (t.kind !== 'option' || t.value === undefined || t.index >= end) continue;
    if (seen.has(t.name)) throw usageError(`--${t.name} is given twice.`);
    seen.add(t.name);
  }
  if (command) {
    // In the order typed: the first option that belongs to another command.
    for (const t of tokens) {
      if (t.kind !== 'option' || t.name in GLOBAL_OPTIONS || t.name in own) continue;
      throw usageError(`${t.rawName} is not an option of "${command.name}".`);
    }
  }
  return {
    command,
    word,
    values: values as OptionValues,
    args: positionals.slice(1),
    passthrough: end < argv.length ? after : null,
  };
}

/** An option whose value is one of `allowed` (undefined when not given), else a usage error. */
export function oneOf<T extends string>(
  value: string | boolean | undefined,
  option: string,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw usageError(`${option} must be one of ${allowed.join(', ')}, got "${String(value)}".`);
  return value as T;
}

/** A record's id typed on the command line (`what`: how to find it), else a usage error. */
export function idArg(arg: string | undefined, what: string): number {
  const n = Number(arg);
  if (!arg || !/^\d+$/.test(arg) || !Number.isSafeInteger(n) || n < 1)
    throw usageError(`"${arg ?? ''}" is not ${what}.`);
  return n;
}

/** Of a command's own options (`own`), those a subcommand does not take are refused. */
export function onlyOptions(
  ctx: CliContext,
  label: string,
  own: OptionSpec,
  allowed: readonly string[],
): void {
  for (const o of Object.keys(own))
    if (ctx.values[o] !== undefined && !allowed.includes(o))
      throw usageError(`--${o} is not an option of "${label}".`);
}

/** The names in `<project>/<environment>`, or a usage error (checked before anything is opened). */
export function envTarget(target: string | undefined): { project: string; environment: string } {
  const m = /^([^/]+)\/([^/]+)$/.exec(target ?? '');
  if (!m) throw usageError(`"${target ?? ''}" is not <project>/<environment>.`);
  return { project: m[1]!, environment: m[2]! };
}
