// Record commands in team mode (issue 13.1): through the real executable with
// --database-url, from a "machine" whose data dir holds no database at all, the
// records land in PostgreSQL and `deploy run` wraps a command there as it does on SQLite.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SPAWNS_TIMEOUT, stateward } from '../helpers/cli-bin.ts';
import { pgSkipReason, usePgDatabase } from '../helpers/pg.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const pgSkip = pgSkipReason();

describe.skipIf(pgSkip !== null)(
  'record commands in team mode',
  { timeout: SPAWNS_TIMEOUT },
  () => {
    const pg = usePgDatabase();

    it('project, env, deploy run, deploy list and run list from another machine go to PostgreSQL', async () => {
      const url = pg.url();
      // The team's app: it migrates the schema.
      (await startTestRuntime(world, world.dir(), { databaseUrl: url })).close();
      const dir = world.dir();
      const sw = (...args: string[]) =>
        stateward(['--data-dir', dir, '--database-url', url, ...args]);

      // Before the team's schema existed a lockless CLI would have refused; now it writes.
      expect((await sw('project', 'add', 'shop')).code).toBe(0);
      expect((await sw('env', 'add', 'shop/prod')).code).toBe(0);
      const run = await sw(
        '--json',
        'deploy',
        'run',
        'shop/prod',
        '--version',
        '9.9',
        '--',
        process.execPath,
        '-e',
        "console.log('deployed on the team server')",
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.json).toMatchObject({
        status: 'succeeded',
        deployment: {
          version: '9.9',
          logs: [{ level: 'info', message: 'deployed on the team server' }],
        },
      });
      const list = await sw('--json', 'deploy', 'list', 'shop/prod');
      expect(list.json).toMatchObject({
        deployments: [{ version: '9.9', status: 'succeeded' }],
        total: 1,
      });
      const runs = await sw('--json', 'run', 'list', '--kind', 'deploy.run');
      expect(runs.json).toMatchObject({ runs: [{ status: 'succeeded' }] });
      // Nothing was written to this machine's data dir but its logs.
      expect(fs.readdirSync(dir).filter((f) => f !== 'logs')).toEqual([]);

      // Binary output (a NUL byte cannot be stored as PostgreSQL text) is kept, the NUL shown as U+FFFD.
      const binary = await sw(
        '--json',
        'deploy',
        'run',
        'shop/prod',
        '--version',
        '9.10',
        '--',
        process.execPath,
        '-e',
        "process.stdout.write('bin\\0ary\\n')",
      );
      expect(binary.code, binary.stderr).toBe(0);
      expect(binary.json).toMatchObject({ deployment: { logs: [{ message: 'bin\uFFFDary' }] } });

      const bad = await sw('deploy', 'finish', '1', '--status', 'nope');
      expect(bad.code).toBe(2);
    });
  },
);
