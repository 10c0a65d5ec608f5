// Promote: make a verified restored copy the live database, crash-safely.
// A journal (promote.json) records the intent and the inodes involved. The
// live -wal and -shm move aside before the database (a -wal left beside a
// different database would be replayed into it), then the copy is renamed in.
// At start-up, an interrupted promote is finished if the copy was already in
// place, and rolled back otherwise: either the old or the new state is live.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { fsyncDir, writeFileAtomic } from '../fsutil.ts';
import type { DataDirLayout } from '../paths.ts';
import { faultPoint } from '../fault.ts';

export const PROMOTE_JOURNAL = 'promote.json';

const journalSchema = z.object({
  restoreId: z.string(),
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

const liveFiles = (layout: DataDirLayout) => [layout.wal, layout.shm, layout.db];

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

export function readJournal(layout: DataDirLayout): PromoteJournal | null {
  let text: string;
  try {
    text = fs.readFileSync(journalPath(layout), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = journalSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export interface Recovery {
  outcome: 'finished' | 'rolled-back';
  journal: PromoteJournal;
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
  const liveNow = inode(layout.db);
  if (liveNow !== null && liveNow === j.copyIno) {
    // The copy is live: anything of the old database still in the data dir goes aside too.
    for (const f of [layout.wal, layout.shm]) {
      if (fs.existsSync(f) && fs.existsSync(j.aside))
        fs.renameSync(f, path.join(j.aside, `${path.basename(f)}.late`));
    }
    fsyncDir(layout.dir);
    // The journal stays until the caller has done the bookkeeping (afterPromote), then clears it.
    return { outcome: 'finished', journal: j };
  }
  // Not swapped: put back whatever was moved aside.
  if (fs.existsSync(j.aside)) {
    for (const f of liveFiles(layout)) {
      const moved = path.join(j.aside, path.basename(f));
      if (fs.existsSync(moved) && !fs.existsSync(f)) fs.renameSync(moved, f);
    }
    fsyncDir(layout.dir);
    if (fs.readdirSync(j.aside).length === 0) fs.rmdirSync(j.aside);
  }
  clearJournal(layout);
  return { outcome: 'rolled-back', journal: j };
}
