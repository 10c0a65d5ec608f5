// runCli with captured output.
import type { CliIo } from '../../electron/cli/main.ts';
import { runCli } from '../../electron/cli/main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout split into non-empty lines. */
  lines: string[];
}

export async function cli(...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) };
  const code = await runCli(argv, io);
  return { code, stdout, stderr, lines: stdout.split('\n').filter((l) => l !== '') };
}

/** The single JSON object a `--json` run printed; fails if it printed anything else on stdout. */
export function onlyJson(run: CliRun): Record<string, unknown> {
  if (run.lines.length !== 1 || !run.stdout.endsWith('\n')) {
    throw new Error(`expected exactly one JSON line on stdout, got ${JSON.stringify(run.stdout)}`);
  }
  return JSON.parse(run.lines[0]!) as Record<string, unknown>;
}

/** `stateward --data-dir DIR --json postgres copy --to URL [more…]` (the move to PostgreSQL). */
export function postgresCopyCli(dir: string, url: string, ...more: string[]): Promise<CliRun> {
  return cli('--data-dir', dir, '--json', 'postgres', 'copy', '--to', url, ...more);
}
