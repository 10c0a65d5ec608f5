// Child process that takes one backup and is SIGKILLed at a random moment:
//   node test/helpers/backup-crash-child.ts <data-dir> [--compact]
// Starts a runtime on the data dir (holding its lock), prints "ready <pid>",
// then "phase <name> <ms>" at each phase change and "done <ms> <file>" when
// finished (ms counted from "ready").
import { startRuntime } from '../../electron/core/runtime.ts';

const [dir, ...flags] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: backup-crash-child.ts <data-dir> [--compact]\n');
  process.exit(2);
}
const rt = await startRuntime({ dir, source: 'flag', transport: 'cli', lockMode: 'crash-child' });
if (rt.startup.state !== 'ready') {
  process.stderr.write(`backup-crash-child: refused: ${JSON.stringify(rt.startup)}\n`);
  process.exit(3);
}
let phase = '';
let started = Date.now();
rt.events.on('progress', (p) => {
  if (p.phase !== phase) {
    phase = p.phase;
    process.stdout.write(`phase ${phase} ${Date.now() - started}\n`);
  }
});
process.stdout.write(`ready ${process.pid}\n`);
started = Date.now();
const entry = await rt.backups.run({ kind: 'manual', compact: flags.includes('--compact') });
process.stdout.write(`done ${Date.now() - started} ${entry.fileName}\n`);
rt.close();
