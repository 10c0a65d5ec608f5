// `stateward backup` and `stateward backups`: take a consistent backup now (a rescue
// backup from a byte copy when the data dir is read-only or its disk full), and list them.
import fs from 'node:fs';
import path from 'node:path';
import type { BackupEntry, BackupManifest } from '../../../shared/domain.ts';
import { AppError, isAppError } from '../../../shared/errors.ts';
import { createBackup, createRescueBackup, removeBackupPair } from '../../core/backup/engine.ts';
import { listBackupFiles } from '../../core/backup/list.ts';
import { realpathAsFarAsExists, within } from '../../core/backup/offsite.ts';
import { readLock, lockIsLive, lockedError } from '../../core/lock.ts';
import type { ResolvedDataDir } from '../../core/paths.ts';
import { dataDirLayout } from '../../core/paths.ts';
import { readDrillReports } from '../../core/restore/service.ts';
import { diskIsFull } from '../../core/store/db.ts';
import type { CliCommand } from '../args.ts';
import { usageError } from '../args.ts';
import { EXIT, terminalSafe } from '../exit.ts';
import {
  databaseUrlOf,
  inTeamMode,
  openShared,
  openTeam,
  refuseWhilePromotePending,
} from '../open.ts';
import type { Runtime } from '../../core/runtime.ts';
import type { CliIo, Outcome } from '../output.ts';
import { age, human, progressLine } from '../output.ts';

async function backup(
  where: ResolvedDataDir,
  compact: boolean,
  out: string | undefined,
  io: CliIo,
  databaseUrl: string | undefined,
): Promise<Outcome> {
  const layout = dataDirLayout(where.dir);
  const team = inTeamMode(where, databaseUrl);
  if (!team) refuseWhilePromotePending(where.dir);
  if (!team && !fs.existsSync(layout.db)) {
    throw new AppError('BAD_INPUT', `There is no Stateward database in ${where.dir} to back up.`, {
      hint: 'Check --data-dir (or run `stateward demo` to create sample data).',
    });
  }
  const outDir = out === undefined ? undefined : path.resolve(out);
  if (outDir !== undefined) {
    // Inside the data dir only its backups folder: a backup in restores/, keys/ or beside the
    // live database is a file Stateward itself may list, clean up or mistake for its own.
    const real = realpathAsFarAsExists(outDir);
    const data = realpathAsFarAsExists(where.dir);
    if (within(real, data) && real !== realpathAsFarAsExists(layout.backups))
      throw usageError(
        `--out ${out} is inside the data directory: give a folder outside it (or leave out --out for its backups folder).`,
      );
  }
  const onProgress = progressLine(io, 'backup');
  // Team mode: a snapshot of the team database (never of a local file the move left behind).
  if (team)
    return recordedBackup(
      await openTeam(where, databaseUrl),
      where,
      outDir,
      compact,
      onProgress,
      io,
    );
  const rescue = (why: 'read-only' | 'full') =>
    rescueBackup(where, outDir, compact, onProgress, io, why);
  if (onReadOnlyMount(where.dir)) return rescue('read-only');
  // No room for SQLite's -shm: opening it there would fail, after writing a torn -shm.
  if (roomLeft(where.dir) < NO_ROOM_BYTES) return rescue('full');
  try {
    return await liveBackup(where, outDir, compact, onProgress, io);
  } catch (e) {
    // A full data disk: SQLite cannot open the database there (no room for its -shm or -wal).
    if (!isAppError(e) || e.code !== 'DISK_FULL' || !diskIsFull(where.dir)) throw e;
    if (outDir === undefined)
      throw new AppError('DISK_FULL', e.message, { hint: rescueHint('full'), cause: e });
    return rescue('full');
  }
}

const rescueHint = (why: 'read-only' | 'full') =>
  `${why === 'full' ? 'Free some space on that disk, or take' : 'Take'} a rescue backup onto another disk: stateward backup --out <folder on another disk>. Nothing was changed.`;

/** Less free space than SQLite needs to open a WAL database (its 32 KiB -shm, a WAL frame). */
const NO_ROOM_BYTES = 64 * 1024;

function roomLeft(dir: string): number {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** The data dir is on a read-only mount (SQLite cannot make its -shm there). */
function onReadOnlyMount(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EROFS';
  }
}

/**
 * A backup of a data dir whose database cannot be opened where it is (read-only
 * mount, full disk), taken from a byte copy in a temp folder inside `outDir`;
 * refused while a live process holds the lock (its files may be changing).
 */
async function rescueBackup(
  where: ResolvedDataDir,
  outDir: string | undefined,
  compact: boolean,
  onProgress: ReturnType<typeof progressLine>,
  io: CliIo,
  why: 'read-only' | 'full',
): Promise<Outcome> {
  const layout = dataDirLayout(where.dir);
  const refuseIfHeld = () => {
    const held = readLock(layout.lock);
    if (held && lockIsLive(held)) throw lockedError(layout.lock, held);
  };
  refuseIfHeld();
  if (outDir === undefined)
    throw new AppError(
      why === 'full' ? 'DISK_FULL' : 'DB_UNREADABLE',
      `The data directory ${where.dir} is on a ${why === 'full' ? 'full disk' : 'read-only file system'}: its database cannot be opened there to back it up.`,
      { hint: rescueHint(why) },
    );
  const r = await createRescueBackup({
    source: layout.db,
    outDir,
    kind: 'manual',
    compact,
    onProgress,
    rescue: `Rescue backup of a data directory on a ${why === 'full' ? 'full disk' : 'read-only file system'} (${where.dir}), taken from a byte copy of its database; not recorded in it.`,
  }).finally(() => io.stderr('\n'));
  try {
    // A holder that arrived during the copy may have changed the files under it.
    refuseIfHeld();
  } catch (e) {
    removeBackupPair(r);
    throw e;
  }
  io.stderr(`${terminalSafe(r.manifest.rescue ?? '')}\n`);
  return { exit: EXIT.ok, json: { path: r.path, manifest: r.manifest }, text: `${r.path}\n` };
}

/** A backup through the live database (recorded in it), or of a file this version cannot open as-is. */
async function liveBackup(
  where: ResolvedDataDir,
  outDir: string | undefined,
  compact: boolean,
  onProgress: ReturnType<typeof progressLine>,
  io: CliIo,
): Promise<Outcome> {
  const layout = dataDirLayout(where.dir);
  const rt = await openShared(where);
  // Recorded in the live database (runs, audit) like a backup from the app.
  if (rt) return recordedBackup(rt, where, outDir, compact, onProgress, io);
  // A database this version cannot open as-is (older or newer schema): still snapshot it, unrecorded.
  const r = await createBackup({
    source: layout.db,
    outDir: outDir ?? layout.backups,
    ownFolder: outDir === undefined,
    kind: 'manual',
    compact,
    onProgress,
  }).finally(() => io.stderr('\n'));
  return backupOutcome(r.manifest, r.path, io);
}

/** A backup through the backup service of `rt` (closed after): recorded in its live data, either backend. */
async function recordedBackup(
  rt: Runtime,
  where: ResolvedDataDir,
  outDir: string | undefined,
  compact: boolean,
  onProgress: ReturnType<typeof progressLine>,
  io: CliIo,
): Promise<Outcome> {
  const unsubscribe = rt.events.on('progress', (p) => onProgress(p));
  try {
    const entry = await rt.backups.run({ kind: 'manual', compact, outDir });
    return backupOutcome(
      entry.manifest!,
      path.join(outDir ?? dataDirLayout(where.dir).backups, entry.fileName),
      io,
    );
  } finally {
    unsubscribe();
    io.stderr('\n');
    rt.close();
    await rt.closed();
  }
}

function backupOutcome(manifest: BackupManifest, file: string, io: CliIo): Outcome {
  // Compact that did not make it smaller says so, and why (the manifest records it too).
  if (manifest.compaction?.reason) io.stderr(`${terminalSafe(manifest.compaction.reason)}\n`);
  return { exit: EXIT.ok, json: { path: file, manifest }, text: `${file}\n` };
}

async function backups(where: ResolvedDataDir, databaseUrl: string | undefined): Promise<Outcome> {
  const layout = dataDirLayout(where.dir);
  // Team mode: the backups are files in this data dir; no server is needed to list them.
  const rt =
    !inTeamMode(where, databaseUrl) && fs.existsSync(layout.db)
      ? await openShared(where).catch(() => null)
      : null;
  let list: BackupEntry[];
  try {
    // Without the live database the drill reports on disk still say which backups are verified.
    list = rt
      ? rt.backups.list()
      : listBackupFiles(layout.backups, null, readDrillReports(layout.drills));
  } finally {
    rt?.close();
  }
  const now = Date.now();
  const rows = list.map((b) => {
    const v = b.verification;
    const state =
      v.state === 'verified'
        ? `verified ${age(now - (v.at ?? now))} ago${v.empty ? ' (empty: no data proven)' : ''}`
        : v.state === 'failed'
          ? `FAILED its drill ${age(now - (v.at ?? now))} ago (${v.code})`
          : v.state === 'damaged'
            ? `DAMAGED (${v.code})`
            : 'not verified';
    const manifest =
      v.code === 'BACKUP_MANIFEST_UNREADABLE' ? '' : b.hasManifest ? '' : '  (no manifest)';
    const why = v.state === 'failed' || v.state === 'damaged' ? `\n    ${v.reason}` : '';
    return `${b.fileName}  ${b.kind.padEnd(11)} ${age(now - b.createdAt).padStart(7)} ago  ${human(b.bytes).padStart(10)}  schema ${b.schemaVersion}  ${b.compact ? 'compact ' : ''}${state}${manifest}${why}`;
  });
  return {
    exit: EXIT.ok,
    json: { dataDir: where.dir, backups: list },
    text: list.length ? `${rows.join('\n')}\n` : `No backups in ${layout.backups}\n`,
  };
}

export const backupCommands: CliCommand[] = [
  {
    name: 'backup',
    usage: [
      [
        'backup [--compact] [--out DIR]',
        'take a consistent backup now; prints its path (JSON: its manifest)',
      ],
    ],
    help: 'The app may keep working meanwhile. --out DIR writes it to a folder outside the data directory\n(from a read-only or full data disk: a rescue backup from a byte copy).',
    options: { compact: { type: 'boolean' }, out: { type: 'string' } },
    run: ({ where, values, io }) => {
      const out = values.out as string | undefined;
      if (out === '') throw usageError('--out must not be empty.');
      return backup(where, values.compact === true, out, io, databaseUrlOf(values));
    },
  },
  {
    name: 'backups',
    usage: [['backups', 'list backups with kind, age, size, schema, verified state']],
    help: 'One backup per line, newest first.',
    run: ({ where, values }) => backups(where, databaseUrlOf(values)),
  },
];
