// A host on a given port with a given token, as a restarted `npm run serve` would be
// if it kept its address: lets an e2e test stop the host under an open page and bring
// it back at the same URL. Usage: node test/e2e/host-at.ts DATA_DIR PORT TOKEN
import path from 'node:path';
import { startRuntime } from '../../electron/core/runtime.ts';
import { createRegistry } from '../../electron/handlers/index.ts';
import { hostTransportHandlers } from '../../electron/host/serve.ts';
import { DownloadTickets, startHost } from '../../electron/host/server.ts';

const [dir, port, token] = process.argv.slice(2);
if (!dir || !port || !token) throw new Error('usage: host-at.ts DATA_DIR PORT TOKEN');
const rt = await startRuntime({ dir, source: 'flag', transport: 'http', lockMode: 'host' });
const downloads = new DownloadTickets();
const host = await startHost({
  rt,
  registry: createRegistry(rt, hostTransportHandlers(downloads)),
  staticDir: path.resolve(import.meta.dirname, '../../dist/renderer'),
  port: Number(port),
  token,
  downloads,
});
process.stdout.write(`${host.url}\n`);
process.on('SIGTERM', () => {
  void host.close().finally(() => {
    rt.close();
    process.exit(0);
  });
});
