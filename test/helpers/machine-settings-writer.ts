// Child process for the racing-writers test of settings.json:
//   node test/helpers/machine-settings-writer.ts <data-dir> <key> <count>
// Sets machine setting <key> to 0, 1, …, count-1, one write at a time, as a
// backup failure recorded by a CLI process or the app's scheduler would; prints
// `done <count>` and exits 0.
import { dataDirLayout } from '../../electron/core/paths.ts';
import type { MachineKey } from '../../electron/core/machine-settings.ts';
import { setMachineSettings } from '../../electron/core/machine-settings.ts';

const [dir, key, count] = process.argv.slice(2);
if (!dir || !key || !count) {
  process.stderr.write('usage: machine-settings-writer.ts <data-dir> <key> <count>\n');
  process.exit(2);
}
const layout = dataDirLayout(dir);
for (let i = 0; i < Number(count); i++)
  setMachineSettings(layout, { [key as MachineKey]: i }, null);
process.stdout.write(`done ${count}\n`);
