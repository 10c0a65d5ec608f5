// Child process for cross-process lock tests:
//   node test/helpers/lock-holder.ts <lock-file> [mode] [release]
// Takes the data-dir lock, prints "locked <pid>" and holds it until killed
// (with "release": releases it at once and exits).
import { DataDirLock } from '../../electron/core/lock.ts';

const [file, mode = 'test-child', then] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: lock-holder.ts <lock-file> [mode] [release]\n');
  process.exit(2);
}
let lock: DataDirLock;
try {
  lock = DataDirLock.acquire(file, mode);
} catch (e) {
  process.stderr.write(`lock-holder: ${(e as Error).message}\n`);
  process.exit(3);
}
process.stdout.write(`locked ${process.pid}\n`);
if (then === 'release') lock.release();
else setInterval(() => {}, 60_000);
