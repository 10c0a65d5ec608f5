// Child process running the HTTP host, for tests where the host itself may crash:
//   node test/helpers/host-child.ts <data-dir> <static-dir>
// Prints one JSON line {port, token} once listening.
import { startRuntime } from '../../electron/core/runtime.ts';
import { createRegistry } from '../../electron/handlers/index.ts';
import { hostTransportHandlers } from '../../electron/host/serve.ts';
import { DownloadTickets, startHost } from '../../electron/host/server.ts';

const [dir, staticDir] = process.argv.slice(2);
if (!dir || !staticDir) {
  process.stderr.write('usage: host-child.ts <data-dir> <static-dir>\n');
  process.exit(2);
}
const rt = await startRuntime({ dir, source: 'flag', transport: 'http', lockMode: 'host' });
const downloads = new DownloadTickets();
const registry = createRegistry(rt, hostTransportHandlers(downloads));
const host = await startHost({ rt, registry, staticDir, port: 0, downloads });
process.stdout.write(`${JSON.stringify({ port: host.port, token: host.token })}\n`);
