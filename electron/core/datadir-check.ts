// Can this path be a data directory? Checked by every entry point (CLI, host,
// app) before anything is created, tightened or locked there: a refusal is
// DATA_DIR_UNUSABLE with a plain message, and nothing was changed. A path that
// does not exist yet is fine (it is created when needed).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../shared/errors.ts';
import { SYSTEM_EXACT, SYSTEM_TREES, within } from './backup/offsite.ts';

/** Names Stateward writes at the top of a data dir: any one of them makes a folder a data dir. */
const OWN_NAMES = new Set([
  'stateward.db',
  'stateward.db-wal',
  'stateward.db-shm',
  'stateward.db-journal',
  'stateward.lock',
  'settings.json',
  'database.json',
  'promote.json',
  'backups',
  'restores',
  'drills',
  'keys',
  'logs',
]);

/** Names only a data dir holds (a home folder may well have a "backups" or "logs" of its own). */
const DB_NAMES = new Set([
  'stateward.db',
  'stateward.db-wal',
  'stateward.db-journal',
  'stateward.lock',
  'promote.json',
]);

// Never a data dir: the off-site folder's system folders, except the trees a service keeps its
// data in (/var/lib/stateward, /Library/Application Support/…, /usr/local/var/…), which only
// exactly are refused.
const SERVICE_TREES = ['/var/lib', '/Library'];
const NEVER_EXACT = [...SYSTEM_EXACT, ...SERVICE_TREES];
const NEVER_TREES = SYSTEM_TREES.filter((t) => !SERVICE_TREES.includes(t));

function unusable(message: string, hint: string, cause?: unknown): AppError {
  return new AppError('DATA_DIR_UNUSABLE', message, {
    hint: `${hint} Nothing was changed.`,
    ...(cause === undefined ? {} : { cause }),
  });
}

const CHOOSE = 'Choose a folder of its own with --data-dir (a missing one is created).';

/** The kind of a non-folder, in words. */
function kindOf(st: fs.Stats): string {
  if (st.isFile()) return 'a file';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  return 'not a folder';
}

/** Throws DATA_DIR_UNUSABLE when `dir` cannot be Stateward's data directory; reads only. */
export function assertDataDirUsable(dir: string, home: string = os.homedir()): void {
  const abs = path.resolve(dir);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR')
      throw unusable(
        `The data directory ${abs} is inside something that is not a folder.`,
        CHOOSE,
        e,
      );
    if (code !== 'ENOENT')
      throw unusable(
        `The data directory ${abs} cannot be used: ${(e as Error).message}.`,
        CHOOSE,
        e,
      );
    // Missing: fine, unless a link on the way points nowhere (an unmounted drive, a moved folder).
    for (let at = abs; ; at = path.dirname(at)) {
      let l: fs.Stats | null = null;
      try {
        l = fs.lstatSync(at);
      } catch {
        // not there either: look further up
      }
      if (l?.isSymbolicLink())
        throw unusable(
          `The data directory ${abs} ${at === abs ? 'is a link' : `is reached through the link ${at}`} to ${fs.readlinkSync(at)}, which does not exist.`,
          'Is the drive it points to mounted? Fix the link, or choose another folder with --data-dir.',
        );
      if (l || path.dirname(at) === at) return;
    }
  }
  if (!st.isDirectory())
    throw unusable(`The data directory ${abs} is ${kindOf(st)}, not a folder.`, CHOOSE);
  try {
    fs.accessSync(abs, fs.constants.R_OK | fs.constants.X_OK);
  } catch (e) {
    throw unusable(`The data directory ${abs} cannot be read by you.`, CHOOSE, e);
  }
  let real = abs;
  try {
    real = fs.realpathSync.native(abs);
  } catch {
    // checked above; keep the path as given
  }
  let realHome = path.resolve(home);
  try {
    realHome = fs.realpathSync.native(realHome);
  } catch {
    // a home that does not exist is no folder to protect
  }
  if (
    process.platform !== 'win32' &&
    (NEVER_EXACT.includes(real) ||
      (NEVER_TREES.some((t) => within(real, t)) && !within(real, '/usr/local/var')))
  )
    throw unusable(`The data directory ${abs} is a system folder.`, CHOOSE);
  // A data dir already (a service whose home is its data dir): keep using it.
  const names = fs.readdirSync(abs);
  if (names.some((n) => DB_NAMES.has(n))) return;
  if (real === realHome)
    throw unusable(
      `The data directory ${abs} is your home folder itself: Stateward would put its files among yours and make it private.`,
      CHOOSE,
    );
  // A backups folder given as the data dir (its backups and manifests, no database beside them).
  // Other files are not refused: a fresh drive's lost+found, a filler on a full disk.
  if (names.some((n) => OWN_NAMES.has(n) || n.startsWith('promote-aside-'))) return;
  if (names.some((n) => n.endsWith('.manifest.json')))
    throw unusable(
      `The data directory ${abs} looks like a backups folder: it holds backup manifests and no Stateward database.`,
      'Give the data directory that holds this backups folder, or restore one of these backups with `stateward restore <file>`.',
    );
}
