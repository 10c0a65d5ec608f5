// `stateward demo`: fill an empty data dir with sample projects and deployments.
import os from 'node:os';
import { seedDemo } from '../../core/demo.ts';
import type { ResolvedDataDir } from '../../core/paths.ts';
import type { CliCommand } from '../args.ts';
import { intOption } from '../args.ts';
import { EXIT } from '../exit.ts';
import { databaseUrlOf, inTeamMode, openTeam, refusal, startCli } from '../open.ts';
import { seedLiveDemo } from '../../handlers/demo.ts';
import type { CliIo, Outcome } from '../output.ts';

async function demo(
  where: ResolvedDataDir,
  databaseUrl: string | undefined,
  projects: number,
  deployments: number,
  io: CliIo,
): Promise<Outcome> {
  const team = inTeamMode(where, databaseUrl);
  // Team mode: the team database, seeded in one transaction like the app does; the data dir's lock guards only this machine's files.
  const rt = team ? await openTeam(where, databaseUrl) : await startCli(where, 'cli-demo');
  try {
    if (rt.startup.state === 'refused') throw refusal(rt);
    const started = Date.now();
    const onProgress = (done: number, total: number) =>
      io.stderr(
        `\rdemo: ${done}/${total} deployments (${Math.round((done / Math.max(1, total)) * 100)}%)`,
      );
    const opts = { projects, deployments, actor: `cli@${os.hostname()}`, now: Date.now() };
    const result = team
      ? await seedLiveDemo(rt, { projects, deployments }, onProgress)
      : seedDemo(rt.store!.db, opts, onProgress);
    io.stderr(`\n`);
    const into = team ? `the team database (schema ${rt.team!.schema})` : where.dir;
    return {
      exit: EXIT.ok,
      json: {
        ...result,
        dataDir: where.dir,
        ...(team ? { schema: rt.team!.schema } : {}),
        ms: Date.now() - started,
      },
      text: `Created ${result.projects} projects, ${result.environments} environments and ${result.deployments} deployments in ${into}\n`,
    };
  } finally {
    rt.close();
    await rt.closed();
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
        databaseUrlOf(values),
        intOption(values.projects as string | undefined, '--projects', 1, 1000, 6),
        intOption(values.deployments as string | undefined, '--deployments', 0, 1_000_000, 400),
        io,
      ),
  },
];
