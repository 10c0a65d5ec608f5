// A drill's boot step in its own process, for the tests that kill it mid-boot:
//   node test/helpers/boot-child.ts <copy> <tmp-root>
//     the boot step alone, on a byte copy in <tmp-root>
//   node test/helpers/boot-child.ts --drill <data-dir> <restore-id> [--plain]
//   node test/helpers/boot-child.ts --verify <data-dir> <backup-id>
//     a whole drill (or verify) through the restore service, whose boot step moves
//     the copy into a folder beside it; --plain: the boot runs to its end (for a kill
//     injected at a syscall) and `drilled <passed>` is printed
// Prints `host <pid>` once the host listens; the boot never sees the host's URL,
// so it waits (for a minute) until this process is killed.
import { PassThrough } from 'node:stream';
import type { HostSpawner } from '../../electron/core/restore/boot.ts';
import { bootCopy, nodeHostSpawner } from '../../electron/core/restore/boot.ts';
import { startRuntime } from '../../electron/core/runtime.ts';

const [first, second, third, fourth] = process.argv.slice(2);
const drill = first === '--drill' || first === '--verify';
if (!first || !second || (drill && !third)) {
  process.stderr.write(
    'usage: boot-child.ts <copy> <tmp-root> | --drill <data-dir> <restore-id> | --verify <data-dir> <backup-id>\n',
  );
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
if (!drill) {
  await bootCopy(first, {}, { tmpRoot: second, timeoutMs: 60_000, spawner: silent });
} else {
  const rt = await startRuntime({ dir: second, source: 'flag', transport: 'cli', lockMode: 't' });
  rt.restores.bootOptions = fourth === '--plain' ? {} : { timeoutMs: 60_000, spawner: silent };
  const report =
    first === '--drill'
      ? await rt.restores.drill(third!)
      : await rt.restores.verify({ backupId: third! });
  process.stdout.write(`drilled ${report.passed}\n`);
  rt.close();
}
