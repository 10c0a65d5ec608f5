// A drill's boot step in its own process, for the test that kills it mid-boot:
//   node test/helpers/boot-child.ts <copy> <tmp-root>
// Prints `host <pid>` once the host listens; the boot never sees the host's URL,
// so it waits (for a minute) until this process is killed.
import { PassThrough } from 'node:stream';
import type { HostSpawner } from '../../electron/core/restore/boot.ts';
import { bootCopy, nodeHostSpawner } from '../../electron/core/restore/boot.ts';

const [copy, tmpRoot] = process.argv.slice(2);
if (!copy || !tmpRoot) {
  process.stderr.write('usage: boot-child.ts <copy> <tmp-root>\n');
  process.exit(2);
}
const silent: HostSpawner = {
  kind: 'node',
  spawn(args, env, cwd) {
    const child = nodeHostSpawner.spawn(args, env, cwd);
    // Said once the host listens (it has printed its URL), so the kill comes while it serves.
    let out = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (c: string) => {
      if (out.includes('running at')) return;
      out += c;
      if (out.includes('running at')) process.stdout.write(`host ${child.pid}\n`);
    });
    return { ...child, stdout: new PassThrough(), kill: (s) => child.kill(s) };
  },
};
await bootCopy(copy, {}, { tmpRoot, timeoutMs: 60_000, spawner: silent });
