// The `stateward` command line: core run directly with Node, for scripts, cron
// and systemd timers. `--json` prints one JSON object on stdout; progress and
// logs go to stderr. Exit codes: see exit.ts. Each command group is a module
// under commands/ (mirroring electron/handlers/), listed in commands/index.ts.
import { APP_VERSION } from '../core/version.ts';
import { resolveDataDirHere } from '../core/paths.ts';
import { assertDataDirUsable } from '../core/datadir-check.ts';
import type { CliCommand } from './args.ts';
import { parseCommandLine, usageError, usageRows } from './args.ts';
import { COMMANDS } from './commands/index.ts';
import { EXIT } from './exit.ts';
import type { CliIo } from './output.ts';
import { defaultIo, printFailure, printOutcome } from './output.ts';

export type { CliIo } from './output.ts';

const SYNOPSIS = 'Usage: stateward [--data-dir DIR] [--json] <command>';

const OPTIONS = `Options:
  --data-dir DIR   use DIR as the data directory (else STATEWARD_DATA_DIR, portable, or the platform default)
  --database-url URL  run against this PostgreSQL database (else STATEWARD_DATABASE_URL, else database.json)
  --json           print one JSON object on stdout
  -h, --help       show this help
  --version        print the version

Exit codes: 0 ok, 1 a check failed, 2 bad input, 3 refused, 4 internal error.`;

export const USAGE = `${SYNOPSIS}

Commands:
${usageRows(COMMANDS.flatMap((c) => c.usage))}

${OPTIONS}`;

/** `stateward <command> --help`: its usage rows, what more there is to know, the global options. */
export function commandHelp(c: CliCommand): string {
  return `${SYNOPSIS.replace('<command>', c.name)} …

${usageRows(c.usage)}
${c.help ? `\n${c.help}\n` : ''}
${OPTIONS}`;
}

/** Run the CLI; resolves to the exit code. Never rejects. */
export async function runCli(
  argv: string[],
  io: CliIo = defaultIo,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<number> {
  // Known before parsing, so even a usage error is reported as JSON.
  let json = argv.includes('--json');
  let dataDir: string | null = null;
  try {
    const { command, word, values, args, passthrough } = parseCommandLine(argv, COMMANDS);
    json = values.json === true;
    if (values.help === true) {
      const help = command ? commandHelp(command) : USAGE;
      // With --json, still one JSON object on stdout: the same text in `help`.
      io.stdout(json ? `${JSON.stringify({ help })}\n` : `${help}\n`);
      return EXIT.ok;
    }
    if (values.version === true) {
      io.stdout(json ? `${JSON.stringify({ version: APP_VERSION })}\n` : `${APP_VERSION}\n`);
      return EXIT.ok;
    }
    if (!word) throw usageError('No command given.');
    if (!command) throw usageError(`Unknown command "${word}".`);
    const spec = command.args ?? { max: 0 };
    if (spec !== 'any') {
      if (spec.missing && args.length === 0) throw usageError(spec.missing);
      if (args.length > spec.max) throw usageError(`Unexpected argument "${args[spec.max]}".`);
    }
    if (passthrough !== null && !command.passthrough)
      throw usageError(`"${command.name}" does not run a command: remove the "--".`);
    if (values['data-dir'] === '') throw usageError('--data-dir must not be empty.');
    if (values['database-url'] === '') throw usageError('--database-url must not be empty.');
    const where = resolveDataDirHere(values['data-dir'] as string | undefined, null);
    dataDir = where.dir;
    // A file, a device, a dangling link, home or a folder of other files: refused before anything is touched.
    assertDataDirUsable(where.dir);
    const outcome = await command.run({ where, args, passthrough, values, json, io, stdin });
    return printOutcome(io, outcome, json, command.reportOnStdout === true);
  } catch (e) {
    return printFailure(io, e, json, dataDir);
  }
}
