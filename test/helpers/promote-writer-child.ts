// Child process writing into a data directory another process owns, as the CLI
// does (a runtime opened without the lock): creates deployments in a loop through
// the command registry and records every answer.
//   node test/helpers/promote-writer-child.ts <data-dir> <environment-id>
// Prints "acked <n>" after every tenth acknowledged write, and on SIGTERM one
// JSON line (a WriteLog: acknowledged [id, version] pairs and refusals by code).
import { startRuntime } from '../../electron/core/runtime.ts';
import { createRegistry } from '../../electron/handlers/index.ts';
import { hostTransportHandlers } from '../../electron/host/serve.ts';
import { DownloadTickets } from '../../electron/host/server.ts';
import { emptyLog, record, writeInput } from './promote-writes.ts';

const [dir, envArg] = process.argv.slice(2);
if (!dir || !envArg) {
  process.stderr.write('usage: promote-writer-child.ts <data-dir> <environment-id>\n');
  process.exit(2);
}
const rt = await startRuntime({ dir, source: 'flag', transport: 'cli', lockMode: null });
if (rt.startup.state !== 'ready' || rt.lock) {
  process.stderr.write(`promote-writer-child: not shared-ready: ${JSON.stringify(rt.startup)}\n`);
  process.exit(3);
}
const registry = createRegistry(rt, hostTransportHandlers(new DownloadTickets()));
const log = emptyLog();
let stopped = false;
process.on('SIGTERM', () => {
  stopped = true;
});
for (let seq = 1; !stopped; seq++) {
  const input = writeInput(Number(envArg), `other-${process.pid}`, seq);
  const r = await registry.dispatch('deployments.create', input);
  record(log, input.version, r);
  if (r.ok && log.acked.length % 10 === 0) process.stdout.write(`acked ${log.acked.length}\n`);
  // Let the signal in between writes; after a refusal, wait a little before trying again.
  await new Promise((resolve) => (r.ok ? setImmediate(resolve) : setTimeout(resolve, 2)));
}
rt.close();
process.stdout.write(`${JSON.stringify(log)}\n`, () => process.exit(0));
