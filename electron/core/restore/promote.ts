// Promote: make a verified restored copy the live database, crash-safely.
// A journal (promote.json) records the intent and the inodes involved. The
// live -wal and -shm move aside before the database (a -wal left beside a
// different database would be replayed into it), then the copy is renamed in.
// At start-up, an interrupted promote is finished if the copy was already in
// place, and rolled back otherwise: either the old or the new state is live.
// Read-only commands ask pendingPromote() what that start will do (it changes nothing).
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../../shared/errors.ts';
import { fsyncDir, writeFileAtomic } from '../fsutil.ts';
import type { DataDirLayout } from '../paths.ts';
import { faultPoint } from '../fault.ts';

export const PROMOTE_JOURNAL = 'promote.json';

const journalSchema = z.object({
  restoreId: z.string().regex(/^[0-9a-f]{16}$/),
  copy: z.string(),
  copyIno: z.number(),
  liveIno: z.number().nullable(),
  aside: z.string(),
  startedAt: z.number(),
  preRestoreBackup: z.string().nullable(),
});
export type PromoteJournal = z.infer<typeof journalSchema>;

export function journalPath(layout: DataDirLayout): string {
  return path.join(layout.dir, PROMOTE_JOURNAL);
}

const inode = (file: string): number | null => {
  try {
    return fs.statSync(file).ino;
  } catch {
    return null;
  }
};

/**
 * The live database's files, in the order they move aside. A rollback journal
 * moves with its database: left beside the promoted copy, SQLite would roll the
 * old database's pages into it.
 */
const liveFiles = (layout: DataDirLayout) => [
  layout.wal,
  layout.shm,
  `${layout.db}-journal`,
  layout.db,
];

/** Steps 1–4 of the swap; the live connection must be closed by the caller before. */
export function swapIn(layout: DataDirLayout, journal: PromoteJournal): void {
  fs.mkdirSync(journal.aside, { mode: 0o700 });
  faultPoint('promote:aside-created');
  for (const f of liveFiles(layout)) {
    if (fs.existsSync(f)) {
      fs.renameSync(f, path.join(journal.aside, path.basename(f)));
      faultPoint(`promote:moved-${path.basename(f).replace('stateward.db', 'db')}`);
    }
  }
  fsyncDir(journal.aside);
  fsyncDir(layout.dir);
  faultPoint('promote:live-aside');
  fs.renameSync(journal.copy, layout.db);
  faultPoint('promote:renamed-in');
  fsyncDir(layout.dir);
  fsyncDir(path.dirname(journal.copy));
  faultPoint('promote:synced');
}

export function writeJournal(layout: DataDirLayout, j: PromoteJournal): void {
  writeFileAtomic(journalPath(layout), JSON.stringify(j, null, 2));
}

export function clearJournal(layout: DataDirLayout): void {
  fs.rmSync(journalPath(layout), { force: true });
  fsyncDir(layout.dir);
}

/**
 * The journal's files in this data dir, by their names (as RestoreService.promote
 * names them), never by the absolute paths written in it: the folder may have been
 * moved or copied since, and recovery must not rename files of another folder.
 */
function inThisDataDir(layout: DataDirLayout, j: PromoteJournal): PromoteJournal {
  return {
    ...j,
    copy: path.join(layout.restores, j.restoreId, path.basename(layout.db)),
    aside: path.join(layout.dir, `promote-aside-${j.restoreId}`),
    preRestoreBackup:
      j.preRestoreBackup === null
        ? null
        : path.join(layout.backups, path.basename(j.preRestoreBackup)),
  };
}

export function readJournal(layout: DataDirLayout): PromoteJournal | null {
  let text: string;
  try {
    text = fs.readFileSync(journalPath(layout), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = journalSchema.safeParse(JSON.parse(text));
    return parsed.success ? inThisDataDir(layout, parsed.data) : null;
  } catch {
    return null;
  }
}

export interface Recovery {
  outcome: 'finished' | 'rolled-back';
  journal: PromoteJournal;
}

/**
 * The copy is live once it has been renamed into place: then the promote is
 * finished, else rolled back. The inodes tell; when neither matches (the data dir
 * was copied or moved to another disk since), the names do: the rename took the
 * copy's name away from restores/<id>/.
 */
function decide(layout: DataDirLayout, j: PromoteJournal): Recovery['outcome'] {
  const liveNow = inode(layout.db);
  if (liveNow === null) return 'rolled-back';
  if (liveNow === j.copyIno) return 'finished';
  if (liveNow === j.liveIno) return 'rolled-back';
  return fs.existsSync(j.copy) ? 'rolled-back' : 'finished';
}

/** An unfinished promote (its journal) and what the next locking start will do with it. */
export interface PendingPromote {
  journal: PromoteJournal;
  nextStart: Recovery['outcome'];
  /** The database file that will be live once it is done. */
  liveAfter: string;
}

/** What recoverPromote would do now, decided the same way, without changing anything. */
export function pendingPromote(layout: DataDirLayout): PendingPromote | null {
  const j = readJournal(layout);
  if (!j) return null;
  const nextStart = decide(layout, j);
  const asideDb = path.join(j.aside, path.basename(layout.db));
  return {
    journal: j,
    nextStart,
    liveAfter:
      nextStart === 'rolled-back' && !fs.existsSync(layout.db) && fs.existsSync(asideDb)
        ? asideDb
        : layout.db,
  };
}

/**
 * The refusal of a command that cannot work on the data directory while a
 * promote is unfinished: still running (`holder`: the live lock's owner) or
 * interrupted by a crash (the next start with the lock finishes or rolls it back).
 */
export function promotePendingError(
  p: PendingPromote,
  holder: { pid: number; host: string } | null,
): AppError {
  const j = p.journal;
  const details = {
    restoreId: j.restoreId,
    startedAt: j.startedAt,
    nextStart: p.nextStart,
    preRestoreBackup: j.preRestoreBackup,
    aside: j.aside,
  };
  if (holder) {
    return new AppError(
      'PROMOTE_IN_PROGRESS',
      `Restored copy ${j.restoreId} is being made live by process ${holder.pid} on ${holder.host}.`,
      {
        hint: 'Try again in a moment: the promote takes a few seconds.',
        details: { ...details, retryable: true },
      },
    );
  }
  const what =
    p.nextStart === 'finished'
      ? 'The restored copy is already in place: the next start of Stateward on this data directory finishes the promote.'
      : `The restored copy was not in place yet: the next start of Stateward on this data directory rolls the promote back, and the previous database${path.dirname(p.liveAfter) === j.aside ? ` (moved aside to ${j.aside})` : ''} is live again.`;
  return new AppError(
    'PROMOTE_INTERRUPTED',
    `A promote of restored copy ${j.restoreId} (started ${new Date(j.startedAt).toISOString()}) was interrupted. ${what}`,
    {
      hint: `Open the app, start the host, or run \`stateward migrate\` once (each takes the data directory and recovers), then try again.${j.preRestoreBackup ? ` The data from before the promote is in ${j.preRestoreBackup}.` : ''}`,
      details,
    },
  );
}

/**
 * Finish or roll back an interrupted promote. Called at start-up by the process
 * that holds the lock, before the database is opened.
 */
export function recoverPromote(layout: DataDirLayout): Recovery | null {
  const j = readJournal(layout);
  if (!j) {
    // A torn journal (written by writeFileAtomic, so only if edited by hand): nothing was moved before it existed.
    if (fs.existsSync(journalPath(layout))) fs.rmSync(journalPath(layout), { force: true });
    return null;
  }
  if (decide(layout, j) === 'finished') {
    // The copy is live: anything of the old database still in the data dir goes aside too.
    for (const f of [layout.wal, layout.shm]) {
      if (fs.existsSync(f) && fs.existsSync(j.aside))
        fs.renameSync(f, path.join(j.aside, `${path.basename(f)}.late`));
    }
    fsyncDir(layout.dir);
    // The journal stays until the caller has done the bookkeeping (afterPromote), then clears it.
    return { outcome: 'finished', journal: j };
  }
  // Not swapped: put back whatever was moved aside. The journal stays until the caller
  // has removed the promote's write guard from the old database, then clears it.
  if (fs.existsSync(j.aside)) {
    for (const f of liveFiles(layout)) {
      const moved = path.join(j.aside, path.basename(f));
      if (fs.existsSync(moved) && !fs.existsSync(f)) fs.renameSync(moved, f);
    }
    fsyncDir(layout.dir);
    if (fs.readdirSync(j.aside).length === 0) fs.rmdirSync(j.aside);
  }
  return { outcome: 'rolled-back', journal: j };
}
