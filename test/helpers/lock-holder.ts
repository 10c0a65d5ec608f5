// Child process for cross-process lock tests:
//   node test/helpers/lock-holder.ts <lock-file> <mode>
// Takes the data-dir lock, prints "locked <pid>" and holds it until killed.
import { DataDirLock } from '../../electron/core/lock.ts';

const [file, mode = 'test-child'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: lock-holder.ts <lock-file> [mode]\n');
  process.exit(2);
}
try {
  DataDirLock.acquire(file, mode);
} catch (e) {
  process.stderr.write(`lock-holder: ${(e as Error).message}\n`);
  process.exit(3);
}
process.stdout.write(`locked ${process.pid}\n`);
setInterval(() => {}, 60_000);
