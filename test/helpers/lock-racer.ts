// Child process for the lock race test:
//   node test/helpers/lock-racer.ts <lock-file>
// Prints "ready". Each SIGUSR1 starts a round: it tries to take the data-dir lock
// and prints "<round> owner" or "<round> refused <code>"; SIGUSR2 then releases
// it (if held) and prints "<round> released". Exits when its parent goes away.
import { DataDirLock } from '../../electron/core/lock.ts';
import { isAppError } from '../../shared/errors.ts';

const [file] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: lock-racer.ts <lock-file>\n');
  process.exit(2);
}
let round = 0;
let held: DataDirLock | null = null;
process.on('SIGUSR1', () => {
  round++;
  try {
    held = DataDirLock.acquire(file, 'racer');
    process.stdout.write(`${round} owner\n`);
  } catch (e) {
    process.stdout.write(`${round} refused ${isAppError(e) ? e.code : String(e)}\n`);
  }
});
process.on('SIGUSR2', () => {
  held?.release();
  held = null;
  process.stdout.write(`${round} released\n`);
});
process.on('disconnect', () => process.exit(0));
setInterval(() => {
  if (process.ppid === 1) process.exit(0);
}, 1_000);
process.stdout.write('ready\n');
