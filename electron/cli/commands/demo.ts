// `stateward demo`: fill an empty data dir with sample projects and deployments.
import os from 'node:os';
import { seedDemo } from '../../core/demo.ts';
import type { ResolvedDataDir } from '../../core/paths.ts';
import { startRuntime } from '../../core/runtime.ts';
import type { CliCommand } from '../args.ts';
import { intOption } from '../args.ts';
import { EXIT } from '../exit.ts';
import { refusal } from '../open.ts';
import type { CliIo, Outcome } from '../output.ts';

async function demo(
  where: ResolvedDataDir,
  projects: number,
  deployments: number,
  io: CliIo,
): Promise<Outcome> {
  const rt = await startRuntime({
    dir: where.dir,
    source: where.source,
    transport: 'cli',
    lockMode: 'cli-demo',
  });
  try {
    if (rt.startup.state === 'refused') throw refusal(rt);
    const started = Date.now();
    const result = seedDemo(
      rt.store!.db,
      { projects, deployments, actor: `cli@${os.hostname()}`, now: Date.now() },
      (done, total) => {
        io.stderr(
          `\rdemo: ${done}/${total} deployments (${Math.round((done / Math.max(1, total)) * 100)}%)`,
        );
      },
    );
    io.stderr(`\n`);
    return {
      exit: EXIT.ok,
      json: { ...result, dataDir: where.dir, ms: Date.now() - started },
      text: `Created ${result.projects} projects, ${result.environments} environments and ${result.deployments} deployments in ${where.dir}\n`,
    };
  } finally {
    rt.close();
  }
}

export const demoCommands: CliCommand[] = [
  {
    name: 'demo',
    usage: [['demo [--projects N] [--deployments M]', 'fill an empty data dir with sample data']],
    help: 'Refused unless the data directory is empty. Defaults: 6 projects, 400 deployments.',
    options: { projects: { type: 'string' }, deployments: { type: 'string' } },
    run: ({ where, values, io }) =>
      demo(
        where,
        intOption(values.projects as string | undefined, '--projects', 1, 1000, 6),
        intOption(values.deployments as string | undefined, '--deployments', 0, 1_000_000, 400),
        io,
      ),
  },
];
