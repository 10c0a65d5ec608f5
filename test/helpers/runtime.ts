// A runtime on a temp data dir, and the registry the HTTP host would build on it.
import type { Runtime, StartOptions } from '../../electron/core/runtime.ts';
import { startRuntime } from '../../electron/core/runtime.ts';
import type { WritableDB } from '../../electron/core/store/db.ts';
import { createRegistry } from '../../electron/handlers/index.ts';
import type { CommandRegistry } from '../../electron/handlers/registry.ts';
import { hostTransportHandlers } from '../../electron/host/serve.ts';
import { DownloadTickets } from '../../electron/host/server.ts';
import type { World } from './world.ts';

export async function startTestRuntime(
  world: World,
  dir: string = world.dir(),
  opts: Partial<StartOptions> = {},
): Promise<Runtime> {
  // `await` works whether startRuntime returns the runtime or a promise of it.
  const rt = await startRuntime({
    dir,
    source: 'flag',
    transport: 'http',
    lockMode: 'test',
    ...opts,
  });
  // Team mode's pool ends asynchronously: wait for it, so no connection outlives the test.
  world.defer(async () => {
    rt.close();
    await rt.closed();
  });
  return rt;
}

export function readyDb(rt: Runtime): WritableDB {
  if (rt.startup.state !== 'ready' || !rt.store) {
    throw new Error(`runtime refused: ${JSON.stringify(rt.startup)}`);
  }
  return rt.store.db;
}

/** The registry as the HTTP host builds it (core handlers + the host's own). */
export function testRegistry(rt: Runtime, downloads = new DownloadTickets()): CommandRegistry {
  return createRegistry(rt, hostTransportHandlers(downloads));
}
