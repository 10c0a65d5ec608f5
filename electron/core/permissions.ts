// Repair loose permissions at start: everything Stateward keeps in the data
// directory is owner-only (no group or other bits), including what an older
// version, a copy, an archive tool or a umask left readable by others. Only the
// known sub-paths are touched; symbolic links are never followed (nor changed);
// a file that belongs to another user is reported. Never throws: start-up goes on.
import fs from 'node:fs';
import path from 'node:path';
import type { DataDirLayout } from './paths.ts';
import { PROMOTE_JOURNAL } from './restore/promote.ts';

export interface PermissionRepair {
  /** Paths whose mode was tightened (relative to the data dir). */
  tightened: string[];
  /** Paths that belong to another user (relative to the data dir). */
  foreign: string[];
  /** Paths that could not be checked or tightened, with the reason. */
  failed: string[];
}

/** Folders whose whole content is Stateward's own. */
const OWN_TREES = ['keys', 'backups', 'restores', 'drills', 'logs'] as const;
/** Deeper than anything Stateward writes: a limit, not a layout. */
const MAX_DEPTH = 8;

/**
 * Tighten one path without following a symbolic link: the mode is changed on
 * the file descriptor of what lstat saw. Returns its stats (null when gone or a link).
 */
function tighten(p: string, rel: string, out: PermissionRepair): fs.Stats | null {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') out.failed.push(`${rel}: ${errText(e)}`);
    return null;
  }
  if (!st.isDirectory() && !st.isFile()) return null; // links, sockets, fifos: not ours to change
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) out.foreign.push(rel);
  // Only what others may do is taken away: an owner's own choice (a read-only 0400 file) stays.
  const mode = st.mode & 0o777;
  if ((mode & 0o077) === 0) return st;
  const want = mode & 0o700;
  try {
    chmodNoFollow(p, st, want);
    out.tightened.push(`${rel} (${mode.toString(8)} → ${want.toString(8)})`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') out.failed.push(`${rel}: ${errText(e)}`);
  }
  return st;
}

function chmodNoFollow(p: string, seen: fs.Stats, mode: number): void {
  let fd: number;
  try {
    fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    // Unreadable even to its owner (e.g. 0200): its folder is already ours alone, so nobody
    // else can swap the entry between lstat and chmod; chmod by name.
    if ((e as NodeJS.ErrnoException).code !== 'EACCES') throw e;
    fs.chmodSync(p, mode);
    return;
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.ino !== seen.ino || st.dev !== seen.dev) throw new Error('replaced while checked');
    fs.fchmodSync(fd, mode);
  } finally {
    fs.closeSync(fd);
  }
}

function walk(dir: string, rel: string, depth: number, out: PermissionRepair): void {
  const st = tighten(dir, rel, out);
  if (!st?.isDirectory() || depth >= MAX_DEPTH) return;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    out.failed.push(`${rel}: ${errText(e)}`);
    return;
  }
  for (const name of names) walk(path.join(dir, name), path.join(rel, name), depth + 1, out);
}

function errText(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/** What the repair did and found, as log lines (none when all was in order). */
export function describeRepair(r: PermissionRepair): string[] {
  const lines: string[] = [];
  const list = (xs: string[]) => xs.slice(0, 20).join(', ') + (xs.length > 20 ? ', …' : '');
  if (r.tightened.length)
    lines.push(
      `tightened ${r.tightened.length} path(s) in the data directory that other users could reach: ${list(r.tightened)}`,
    );
  if (r.foreign.length)
    lines.push(
      `${r.foreign.length} path(s) in the data directory belong to another user (check who else writes here): ${list(r.foreign)}`,
    );
  if (r.failed.length)
    lines.push(`could not check or tighten ${r.failed.length} path(s): ${list(r.failed)}`);
  return lines;
}

/** Tighten the data dir, its database files and every folder of Stateward's own, recursively. */
export function repairPermissions(layout: DataDirLayout): PermissionRepair {
  const out: PermissionRepair = { tightened: [], foreign: [], failed: [] };
  if (process.platform === 'win32') return out; // modes do not apply; ACLs are inherited there
  try {
    repairInto(layout, out);
  } catch (e) {
    out.failed.push(`.: ${errText(e)}`); // never a reason not to start
  }
  return out;
}

function repairInto(layout: DataDirLayout, out: PermissionRepair): void {
  // The data dir itself may be a link the user made; what is inside it is never followed.
  const dir = fs.realpathSync(layout.dir);
  const names = fs.readdirSync(dir);
  if (!tighten(dir, '.', out)?.isDirectory()) return;
  const files = [
    layout.db,
    layout.wal,
    layout.shm,
    `${layout.db}-journal`,
    layout.lock,
    layout.settings,
    path.join(layout.dir, 'database.json'),
  ];
  for (const name of [...files.map((f) => path.basename(f)), PROMOTE_JOURNAL])
    tighten(path.join(dir, name), name, out);
  for (const name of OWN_TREES) walk(path.join(dir, name), name, 0, out);
  // Folders an interrupted promote set aside hold whole databases.
  for (const name of names)
    if (name.startsWith('promote-aside-')) walk(path.join(dir, name), name, 0, out);
}
