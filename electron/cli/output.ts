// What a CLI command returns and how it is printed: `--json` prints one JSON object on
// stdout; text mode one row per line; progress and logs go to stderr.
import type { AppErrorShape } from '../../shared/errors.ts';
import { isAppError } from '../../shared/errors.ts';
import { resourceFailure } from '../core/store/db.ts';
import { EXIT, exitCodeFor, terminalSafe } from './exit.ts';
import { usageError } from './args.ts';

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export const defaultIo: CliIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

/**
 * A command's result: its exit code, the JSON object of `--json` and the text otherwise.
 * `escaped`: the text's user-supplied parts went through terminalSafe already (its tabs
 * are Stateward's own field separators).
 */
export type Outcome = { exit: number; json: unknown; text: string; escaped?: boolean };

export function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function age(ms: number): string {
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m} min`;
  if (m < 48 * 60) return `${Math.round(m / 60)} h`;
  return `${Math.round(m / 1440)} d`;
}

export function progressLine(io: CliIo, label: string) {
  let last = '';
  return (p: {
    phase: string;
    done: number;
    total: number;
    etaMs: number | null;
    percent?: number;
  }) => {
    // The whole operation's figure where it has one (a backup's), else this phase's.
    const pct = p.percent ?? Math.round((p.done / Math.max(1, p.total)) * 100);
    const line = `${label}: ${p.phase} ${pct}%${p.etaMs ? ` (about ${Math.ceil(p.etaMs / 1000)} s left)` : ''}`;
    if (line !== last) io.stderr(`\r${line.padEnd(60)}`);
    last = line;
  };
}

/**
 * Print a command's outcome. Text mode holds names, paths and ids the user typed: none
 * of their control characters is printed. A failed outcome's text goes to stderr unless
 * the command's report is its output (`reportOnStdout`: verify, restore).
 */
export function printOutcome(
  io: CliIo,
  outcome: Outcome,
  json: boolean,
  reportOnStdout: boolean,
): number {
  const text = outcome.escaped ? outcome.text : terminalSafe(outcome.text);
  if (json) io.stdout(`${JSON.stringify(outcome.json)}\n`);
  else if (outcome.exit === EXIT.ok || reportOnStdout) io.stdout(text);
  else io.stderr(text);
  return outcome.exit;
}

/** Print a failure (as JSON on stdout too with `--json`); returns its exit code. */
export function printFailure(io: CliIo, e: unknown, json: boolean, dataDir: string | null): number {
  const resource = resourceFailure(e, dataDir);
  const err: AppErrorShape = isAppError(e)
    ? e.toShape()
    : resource
      ? resource.toShape()
      : (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
        ? usageError((e as Error).message).toShape()
        : { code: 'INTERNAL', message: `Something went wrong: ${(e as Error).message}` };
  if (err.code === 'INTERNAL') io.stderr(`${(e as Error).stack ?? String(e)}\n`);
  if (json) io.stdout(`${JSON.stringify({ error: err })}\n`);
  io.stderr(
    `stateward: ${err.code}: ${terminalSafe(err.message)}\n${err.hint ? `  ${terminalSafe(err.hint)}\n` : ''}`,
  );
  return exitCodeFor(err.code);
}
