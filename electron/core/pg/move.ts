// Moving a local data dir to PostgreSQL (issue 12): the whole move as one
// function, used by the CLI (`stateward postgres copy`) and the app's wizard.
//
// 1. The data dir must be SQLite-bound, with no promote unfinished, and not in
//    use by another process: this process holds the data-dir lock for the whole
//    move (the app already holds it; the CLI takes it here): DATA_DIR_LOCKED
//    names the holder.
// 2. The copy (copy.ts): quick_check of the source (DB_CORRUPT), one PostgreSQL
//    transaction, COPY in key order, identities, count + hash verified per table.
//    Without `execute` that transaction is rolled back: a dry run is the real
//    thing, and its report is what `execute` does.
// 3. With `execute`, inside that transaction before COMMIT: a `pre-move` backup
//    of the SQLite state, which must hold exactly what was copied (its change
//    counter equals the target's; else another process wrote meanwhile and
//    nothing is committed), and the move journal `move.json`.
// 4. COMMIT, then database.json is written (the rebind) and the journal removed.
//    The SQLite file is never written: it stays as the way back.
//
// A kill or a dropped connection before COMMIT leaves the target as it was (the
// transaction) and the data dir unbound. A kill after COMMIT and before the
// rebind leaves the journal: the next run finds the target holding exactly this
// data dir's data (every table's count and hash), adopts it and rebinds.
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../shared/errors.ts';
import type { BackupProgress } from '../backup/engine.ts';
import { createBackup } from '../backup/engine.ts';
import {
  FILE_MODE,
  fsyncDir,
  listDir,
  removeDeadWriterTemps,
  removeFileQuietly,
} from '../fsutil.ts';
import { DataDirLock } from '../lock.ts';
import type { Logger } from '../log.ts';
import { dataDirLayout } from '../paths.ts';
import { pendingPromote, promotePendingError } from '../restore/promote.ts';
import { readKeyring } from '../secrets/keyring.ts';
import { bindingFromTarget, readBinding, writeBinding } from './binding.ts';
import type { PgTarget, PgTransport } from './connect.ts';
import { describeTarget, parseDatabaseUrl, quoteIdent } from './connect.ts';
import type { CopyProgress, CopyReport } from './copy.ts';
import { copySqliteToPostgres } from './copy.ts';

/** The journal of a move between its COMMIT and its rebind (in the data dir). */
export const MOVE_JOURNAL = 'move.json';
/** writeFileAtomic's temp name of database.json: `.database.json.<pid>.tmp`. */
const BINDING_TEMP = /^\.database\.json\.(\d+)\.tmp$/;
/** The lock mode a CLI move records in stateward.lock. */
export const MOVE_LOCK_MODE = 'cli-postgres-copy';

export type MoveProgress =
  CopyProgress | { phase: 'backup'; done: number; total: number; etaMs: number | null };

export interface MoveOptions {
  dataDir: string;
  /** A postgres:// URL (password from the URL, PGPASSWORD or ~/.pgpass) or a parsed target. */
  target: string | PgTarget;
  execute: boolean;
  /** The data-dir lock when this process already holds it (the app, the host); else the move takes it. */
  lock?: DataDirLock | null;
  onProgress?: (p: MoveProgress) => void;
  signal?: AbortSignal;
  log?: Logger;
  transport?: PgTransport;
  batchRows?: number;
  now?: () => number;
}

export interface MoveReport extends CopyReport {
  /** The target as a URL without any password. */
  target: string;
  /** The pre-move backup of the SQLite state (execute only). */
  preMoveBackup: { id: string; fileName: string; sha256: string } | null;
  /** The data dir is now bound to the target (database.json written). */
  bound: boolean;
}

interface MoveJournal {
  target: string;
  schema: string;
  at: number;
  preMoveBackup: MoveReport['preMoveBackup'];
}

function journalPath(dataDir: string): string {
  return path.join(dataDir, MOVE_JOURNAL);
}

/**
 * Written under the data-dir lock (one writer): a fixed temp name, fsynced,
 * renamed into place, the folder fsynced.
 */
function writeJournal(dataDir: string, j: MoveJournal): void {
  const file = journalPath(dataDir);
  const tmp = `${file}.tmp`;
  removeFileQuietly(tmp);
  const fd = fs.openSync(tmp, 'wx', FILE_MODE);
  try {
    fs.writeSync(fd, `${JSON.stringify(j, null, 2)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(dataDir);
}

function readJournal(dataDir: string): MoveJournal | null {
  try {
    const v = JSON.parse(fs.readFileSync(journalPath(dataDir), 'utf8')) as Partial<MoveJournal>;
    return typeof v.target === 'string' && typeof v.schema === 'string' ? (v as MoveJournal) : null;
  } catch {
    return null; // none, or torn: a journal only ever lets a rerun adopt, never more
  }
}

function dataKeyIdOf(keysDir: string): string | null {
  try {
    return readKeyring(keysDir)?.active ?? null;
  } catch {
    return null;
  }
}

/**
 * Move the data dir's SQLite state into an empty PostgreSQL schema: a dry run
 * (rolled back) unless `execute`; with `execute`, a pre-move backup first, then
 * COMMIT, then the data dir is bound to the target.
 */
export async function moveToPostgres(opts: MoveOptions): Promise<MoveReport> {
  const layout = dataDirLayout(opts.dataDir);
  const target = typeof opts.target === 'string' ? parseDatabaseUrl(opts.target) : opts.target;
  const where = describeTarget(target);
  const now = opts.now ?? Date.now;

  const binding = readBinding(layout.dir);
  if (binding.backend === 'postgres') {
    throw new AppError(
      'NOT_IN_TEAM_MODE',
      `This data directory is already bound to PostgreSQL (${binding.host}/${binding.database}, schema ${binding.schema}); there is no local database to move.`,
      {
        hint: 'The move copies a local (SQLite) data dir once. To go back to a local install, restore a backup into a new data dir.',
        details: { schema: binding.schema },
      },
    );
  }
  if (!fs.existsSync(layout.db)) {
    throw new AppError(
      'NOT_A_STATEWARD_DB',
      `There is no Stateward database in ${layout.dir} to move.`,
      { hint: 'Check --data-dir: it must be the data directory the app has been using.' },
    );
  }

  const ownLock = opts.lock ? null : DataDirLock.acquire(layout.lock, MOVE_LOCK_MODE);
  try {
    const pending = pendingPromote(layout);
    if (pending) throw promotePendingError(pending, null);
    // The temp files of a journal or binding write a kill cut short (the binding's: a dead writer's).
    removeFileQuietly(`${journalPath(layout.dir)}.tmp`);
    removeDeadWriterTemps(
      layout.dir,
      listDir(layout.dir).filter((n) => BINDING_TEMP.test(n)),
      (n) => Number(BINDING_TEMP.exec(n)?.[1] ?? NaN) || null,
    );

    const journal = readJournal(layout.dir);
    const adopt = journal !== null && journal.target === where && journal.schema === target.schema;
    let preMove: MoveReport['preMoveBackup'] = null;

    const report = await copySqliteToPostgres({
      sourceDb: layout.db,
      target,
      execute: opts.execute,
      adopt,
      transport: opts.transport ?? 'cli',
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.log ? { log: opts.log } : {}),
      ...(opts.batchRows ? { batchRows: opts.batchRows } : {}),
      now,
      beforeCommit: async (client) => {
        const backup = await createBackup({
          source: layout.db,
          outDir: layout.backups,
          ownFolder: true,
          kind: 'pre-move',
          compact: false,
          dataKeyId: dataKeyIdOf(layout.keys),
          signal: opts.signal,
          now,
          onProgress: (p: BackupProgress) =>
            opts.onProgress?.({ phase: 'backup', done: p.done, total: p.total, etaMs: p.etaMs }),
        });
        const taken = {
          id: backup.manifest.id,
          fileName: backup.manifest.fileName,
          sha256: backup.manifest.sha256,
        };
        preMove = taken;
        // The backup and the copy must be the same state: a write by another process since
        // the copy's snapshot would be in neither the team database nor (then) in use.
        const r = await client.query<{ seq: string }>(
          `SELECT seq FROM ${quoteIdent(target.schema)}.change_counter`,
        );
        const copied = Number(r.rows[0]?.seq ?? 0);
        if (copied !== backup.manifest.changeSeq) {
          throw new AppError(
            'DATA_DIR_BUSY',
            `The data changed while it was being copied (another process wrote ${backup.manifest.changeSeq - copied} change(s)); nothing was committed.`,
            {
              hint: 'Stop whatever writes to this data dir (deploy scripts, the CLI), then run the move again.',
              details: { copiedSeq: copied, liveSeq: backup.manifest.changeSeq, retryable: true },
            },
          );
        }
        const j: MoveJournal = {
          target: where,
          schema: target.schema,
          at: now(),
          preMoveBackup: taken,
        };
        writeJournal(layout.dir, j);
      },
    });

    let bound = false;
    if (report.executed) {
      writeBinding(layout.dir, bindingFromTarget(target));
      bound = true;
      removeFileQuietly(journalPath(layout.dir));
      opts.log?.log(
        'info',
        `data dir moved to ${where}${report.adopted ? ' (an earlier run had committed it)' : ''}; the SQLite file stays as it was`,
      );
    }
    return {
      ...report,
      target: where,
      preMoveBackup: preMove ?? (report.adopted ? (journal?.preMoveBackup ?? null) : null),
      bound,
    };
  } finally {
    ownLock?.release();
  }
}
