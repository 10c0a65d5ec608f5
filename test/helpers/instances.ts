// Two runtimes on the same live data, as two processes would have it: `app`
// as the host or the desktop app runs (with the lock on SQLite), `cli` as the
// command line does (no lock, transport 'cli'). On PostgreSQL: two instances
// (two data dirs) bound to one fresh schema of the test database.
import crypto from 'node:crypto';
import type { Runtime } from '../../electron/core/runtime.ts';
import type { CommandRegistry } from '../../electron/handlers/registry.ts';
import type { PgTestDatabase } from './pg.ts';
import { startTestRuntime, testRegistry } from './runtime.ts';
import type { World } from './world.ts';

export type Backend = 'sqlite' | 'postgres';

export interface Instance {
  rt: Runtime;
  reg: CommandRegistry;
}

export async function twoInstances(
  world: World,
  backend: Backend,
  pg: PgTestDatabase | null,
): Promise<{ app: Instance; cli: Instance }> {
  let extra = {};
  const appDir = world.dir();
  let cliDir = appDir;
  if (backend === 'postgres') {
    const u = new URL(pg!.url());
    u.searchParams.set('schema', `auto_${crypto.randomBytes(5).toString('hex')}`);
    extra = { databaseUrl: u.toString() };
    cliDir = world.dir();
  }
  const app = await startTestRuntime(world, appDir, extra);
  const cli = await startTestRuntime(world, cliDir, { ...extra, lockMode: null, transport: 'cli' });
  for (const rt of [app, cli])
    if (rt.startup.state !== 'ready') throw new Error(`refused: ${JSON.stringify(rt.startup)}`);
  return { app: { rt: app, reg: testRegistry(app) }, cli: { rt: cli, reg: testRegistry(cli) } };
}
