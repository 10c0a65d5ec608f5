// Backup worker thread: the long SQLite reads and writes of a backup run here so
// the main process's event loop never waits on them.
//   snapshot:   one-step backup API from a fresh read connection → a consistent
//               point in time even while others write (a stepped backup restarts
//               on every foreign write); then, on the copy only: rollback-journal
//               mode, compact stripping, embedded manifest facts.
//   quickCheck: PRAGMA quick_check of a finished copy.
//   restoreDiff: what promoting a restored copy changes (restore/diff.ts), off the event loop.
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { countRows, tableExists } from '../store/introspect.ts';
import { dropPromoteGuard } from '../restore/guard.ts';
import type { RestoreDiffQuery } from '../restore/diff.ts';
import { diffRestore } from '../restore/diff.ts';
import type { RestoreDiff } from '../../../shared/domain.ts';

export type WorkerRequest =
  | {
      type: 'snapshot';
      source: string;
      dest: string;
      compact: boolean;
      /** Facts to embed; row counts and the newest deployment are added from the copy itself. */
      facts: Record<string, unknown>;
    }
  | { type: 'quickCheck'; file: string }
  | { type: 'rowCounts'; file: string }
  | { type: 'integrityCheck'; file: string }
  | { type: 'foreignKeyCheck'; file: string }
  | { type: 'restoreDiff'; restoreId: string; live: string; copy: string; query: RestoreDiffQuery };

export type WorkerReply =
  | {
      type: 'snapshot-done';
      newestDeploymentAt: number | null;
      changeSeq: number;
      schemaVersion: number;
      /** The live database's page_count × page_size, read right after the snapshot. */
      liveBytes: number;
      /** Rows a compact backup stripped (0 for a full one). */
      strippedRows: number;
    }
  | { type: 'quickCheck-done'; result: string }
  | { type: 'rowCounts-done'; rowCounts: Record<string, number> }
  | { type: 'integrityCheck-done'; problems: string[] }
  | {
      type: 'foreignKeyCheck-done';
      violations: { table: string; rowid: number | null; parent: string }[];
      total: number;
    }
  | { type: 'restoreDiff-done'; diff: RestoreDiff }
  | { type: 'error'; code: string; message: string; errno: string | null };

/** Tables stripped from compact backups: re-creatable rows. */
export const COMPACT_STRIPPED_TABLES = ['metrics', 'resource_status'];
/** Tables whose row counts go into the manifest. */
export const COUNTED_TABLES = [
  'projects',
  'environments',
  'config_snapshots',
  'deployments',
  'deployment_logs',
  'runs',
  'audit_log',
  'metrics',
];
export const EMBEDDED_MANIFEST_TABLE = 'stateward_backup';

/**
 * Write the backup's own facts into a copy (the embedded manifest table), with
 * the newest deployment, change counter and schema version read from the copy
 * itself. Shared by every way a backup file is made. Returns what it read.
 */
export function embedManifestFacts(
  db: Database.Database,
  given: Record<string, unknown>,
  compact: boolean,
): { newestDeploymentAt: number | null; changeSeq: number; schemaVersion: number } {
  const newest = tableExists(db, 'deployments')
    ? ((db.prepare(`SELECT max(started_at) AS t FROM deployments`).get() as { t: number | null })
        .t ?? null)
    : null;
  const changeSeq = tableExists(db, 'change_counter')
    ? ((
        db.prepare(`SELECT seq FROM change_counter WHERE id = 1`).get() as
          { seq: number } | undefined
      )?.seq ?? 0)
    : 0;
  const schemaVersion = db.pragma('user_version', { simple: true }) as number;
  const facts = { ...given, newestDeploymentAt: newest, changeSeq, schemaVersion, compact };
  db.transaction(() => {
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${EMBEDDED_MANIFEST_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
    );
    db.exec(`DELETE FROM ${EMBEDDED_MANIFEST_TABLE}`);
    const ins = db.prepare(`INSERT INTO ${EMBEDDED_MANIFEST_TABLE} (key, value) VALUES (?, ?)`);
    for (const [k, v] of Object.entries(facts)) ins.run(k, JSON.stringify(v));
  })();
  return { newestDeploymentAt: newest, changeSeq, schemaVersion };
}

async function snapshot(req: Extract<WorkerRequest, { type: 'snapshot' }>): Promise<WorkerReply> {
  const src = new Database(req.source, { readonly: true, fileMustExist: true });
  let liveBytes: number;
  try {
    src.pragma('busy_timeout = 10000');
    // First call transfers nothing and reports the size; returning the largest
    // step makes the rest one step: one read transaction, one point in time.
    await src.backup(req.dest, { progress: () => 0x7fffffff });
    // What compact is compared with: the live database's size, not a guess from its file.
    liveBytes =
      (src.pragma('page_count', { simple: true }) as number) *
      (src.pragma('page_size', { simple: true }) as number);
  } finally {
    src.close();
  }
  const db = new Database(req.dest);
  try {
    // Rollback-journal mode is what the file keeps (no -wal needed beside it). The
    // edits below are made with no journal and no syncs: the file is still a
    // temporary that a crash leaves for clean-up, and the engine fsyncs it after.
    db.pragma('journal_mode = DELETE');
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    // Taken while another process's promote had guarded the old database: no backup keeps that guard.
    dropPromoteGuard(db);
    let strippedRows = 0;
    if (req.compact) {
      for (const t of COMPACT_STRIPPED_TABLES)
        if (tableExists(db, t)) strippedRows += db.prepare(`DELETE FROM "${t}"`).run().changes;
    }
    // Row counts are not taken here: counting scans whole tables, so the engine
    // counts the finished copy in parallel with its check and hash instead.
    const {
      newestDeploymentAt: newest,
      changeSeq,
      schemaVersion,
    } = embedManifestFacts(db, req.facts, req.compact);
    if (req.compact) db.exec('VACUUM');
    return {
      type: 'snapshot-done',
      newestDeploymentAt: newest,
      changeSeq,
      schemaVersion,
      liveBytes,
      strippedRows,
    };
  } finally {
    db.close();
  }
}

function quickCheck(file: string): WorkerReply {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('PRAGMA quick_check').all() as { quick_check: string }[];
    return { type: 'quickCheck-done', result: rows.map((r) => r.quick_check).join('; ') };
  } finally {
    db.close();
  }
}

/** Full integrity check of a restored copy (the drill); at most 100 problems are reported. */
function integrityCheck(file: string): WorkerReply {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('PRAGMA integrity_check(100)').all() as { integrity_check: string }[];
    const problems = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
    return { type: 'integrityCheck-done', problems };
  } finally {
    db.close();
  }
}

function foreignKeyCheck(file: string): WorkerReply {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('PRAGMA foreign_key_check').all() as {
      table: string;
      rowid: number | null;
      parent: string;
    }[];
    return { type: 'foreignKeyCheck-done', violations: rows.slice(0, 100), total: rows.length };
  } finally {
    db.close();
  }
}

/** Row counts of the key tables of a finished copy (for its manifest). */
function rowCounts(file: string): WorkerReply {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const counts: Record<string, number> = {};
    for (const t of COUNTED_TABLES) {
      const n = countRows(db, t);
      if (n !== null) counts[t] = n;
    }
    return { type: 'rowCounts-done', rowCounts: counts };
  } finally {
    db.close();
  }
}

function handle(req: WorkerRequest): Promise<WorkerReply> | WorkerReply {
  switch (req.type) {
    case 'rowCounts':
      return rowCounts(req.file);
    case 'snapshot':
      return snapshot(req);
    case 'quickCheck':
      return quickCheck(req.file);
    case 'integrityCheck':
      return integrityCheck(req.file);
    case 'foreignKeyCheck':
      return foreignKeyCheck(req.file);
    case 'restoreDiff':
      return {
        type: 'restoreDiff-done',
        diff: diffRestore(req.restoreId, req.live, req.copy, req.query),
      };
  }
}

parentPort?.on('message', (req: WorkerRequest) => {
  const run = async (): Promise<WorkerReply> => handle(req);
  run().then(
    (reply) => parentPort!.postMessage(reply),
    (e: unknown) => {
      const err = e as { code?: string; message?: string };
      parentPort!.postMessage({
        type: 'error',
        code: err.code ?? 'UNKNOWN',
        message: err.message ?? String(e),
        errno: typeof err.code === 'string' ? err.code : null,
      } satisfies WorkerReply);
    },
  );
});
