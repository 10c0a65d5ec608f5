// Child process seeding demo data, for crash tests:
//   node test/helpers/demo-child.ts <data-dir> <cli|app> <deployments>
// cli: the `stateward demo` command; app: the app's and host's demo.seed handler
// (seeding yields between chunks). Prints "progress <done>" after each chunk.
import fs from 'node:fs';
import { runCli } from '../../electron/cli/main.ts';
import { startRuntime } from '../../electron/core/runtime.ts';
import { demoHandlers } from '../../electron/handlers/demo.ts';

const [dir, mode, deployments = '30000'] = process.argv.slice(2);
if (!dir || (mode !== 'cli' && mode !== 'app')) {
  process.stderr.write('usage: demo-child.ts <data-dir> <cli|app> <deployments>\n');
  process.exit(2);
}
const say = (line: string) => fs.writeSync(1, `${line}\n`);
if (mode === 'cli') {
  const argv = ['--data-dir', dir, 'demo', '--projects', '2', '--deployments', deployments];
  process.exitCode = await runCli(argv, {
    stdout: () => {},
    stderr: (s) => {
      const m = /demo: (\d+)\//.exec(s);
      if (m) say(`progress ${m[1]}`);
    },
  });
} else {
  const rt = await startRuntime({ dir, source: 'flag', transport: 'http', lockMode: 'test-demo' });
  rt.events.on('progress', (p: { done: number }) => say(`progress ${p.done}`));
  const seed = demoHandlers['demo.seed']!;
  const r = await seed({ projects: 2, deployments: Number(deployments) }, rt);
  say(JSON.stringify(r));
  rt.close();
}
