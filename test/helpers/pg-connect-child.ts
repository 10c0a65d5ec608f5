// "Connect to a team database" with "remember the password" in its own process,
// for kill tests: starts a runtime on a local data dir with a stand-in OS keychain,
// prints "ready", waits for a line on stdin (the test attaches strace meanwhile),
// then runs postgres.connect through the registry and prints "done".
// argv: dataDir url password schema
import readline from 'node:readline';
import { startRuntime } from '../../electron/core/runtime.ts';
import { testRegistry } from './runtime.ts';

const [dir, url, password, schema] = process.argv.slice(2) as [string, string, string, string];
const rt = await startRuntime({ dir, source: 'flag', transport: 'http', lockMode: 'test' });
rt.secrets.setKeychain({
  kind: 'os-keychain',
  status: () => Promise.resolve({ available: true, weak: false, backend: 'test' }),
  wrap: (key) => Promise.resolve(Buffer.from(key).reverse()),
  unwrap: (wrapped) => Promise.resolve({ key: Buffer.from(wrapped).reverse(), rewrap: false }),
});
process.stdout.write('ready\n');
await new Promise<void>((resolve) =>
  readline.createInterface({ input: process.stdin }).once('line', () => resolve()),
);
const r = await testRegistry(rt).dispatch('postgres.connect', {
  url,
  password,
  schema,
  rememberPassword: true,
});
process.stdout.write(`${r.ok ? 'done' : JSON.stringify(r.error)}\n`);
rt.close();
await rt.closed();
