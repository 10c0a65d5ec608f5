// Preflight and staging of a restore: checks a backup file and copies it into
// restores/<id>/ without ever opening the user's file through SQLite (even a
// read-only open can create -wal/-shm beside it). Cheap header checks run
// before anything is copied; everything that needs SQLite runs on the copy.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { BackupManifest, PreflightFacts, PreflightReport } from '../../../shared/domain.ts';
import { AppError, isAppError } from '../../../shared/errors.ts';
import type { ErrorCode } from '../../../shared/errors.ts';
import { FILE_MODE } from '../fsutil.ts';
import { APPLICATION_ID, classifySqliteError, readHeader } from '../store/db.ts';
import { MIGRATIONS } from '../store/migrations/index.ts';
import { planMigrations, readHistory } from '../store/migrate.ts';
import type { ReadableDB } from '../store/db.ts';
import { tableExists } from '../store/introspect.ts';
import {
  BACKUP_EXT,
  MANIFEST_SUFFIX,
  manifestNameFor,
  manifestSchema,
} from '../backup/manifest.ts';
import { EMBEDDED_MANIFEST_TABLE } from '../backup/worker.ts';
import { sha256File } from '../backup/engine.ts';

export const APP_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
const WAL_MAGIC = [0x377f0682, 0x377f0683];

export function sidecarPathFor(file: string): string {
  const base = path.basename(file);
  return base.endsWith(BACKUP_EXT)
    ? path.join(path.dirname(file), manifestNameFor(base))
    : `${file}${MANIFEST_SUFFIX}`;
}

function refusal(
  code: ErrorCode,
  message: string,
  hint: string,
  details?: Record<string, unknown>,
): AppError {
  return new AppError(code, message, { hint, ...(details ? { details } : {}) });
}

export interface HeaderVerdict {
  bytes: number;
  walMode: boolean;
  userVersion: number;
}

/** Checks that need only fs reads of the source: readable, not empty, SQLite, ours, not from the future. */
export function checkSourceHeader(file: string): HeaderVerdict {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const orphanWal = code === 'ENOENT' && fs.existsSync(`${file}-wal`);
    throw refusal(
      'BACKUP_UNREADABLE',
      orphanWal
        ? `${path.basename(file)} does not exist; only its -wal file is there, which holds no database on its own.`
        : `Cannot read ${file}: ${code === 'ENOENT' ? 'there is no such file' : (code ?? (e as Error).message)}.`,
      'Check the path, and that the drive holding it is connected.',
    );
  }
  if (!stat.isFile())
    throw refusal('BACKUP_UNREADABLE', `${file} is not a file.`, 'Choose a backup file (.sqlite).');
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    throw refusal('BACKUP_UNREADABLE', `You may not read ${file}.`, 'Check the file permissions.');
  }
  if (stat.size === 0) {
    throw refusal(
      'BACKUP_EMPTY',
      `${path.basename(file)} is empty (0 bytes): it holds no database.`,
      'Choose another backup; this one was never written.',
    );
  }
  let h;
  try {
    h = readHeader(file);
  } catch (e) {
    throw isAppError(e)
      ? refusal('BACKUP_UNREADABLE', e.message, 'Check the file and the disk.')
      : e;
  }
  if (!h.isSqlite) {
    const first = Buffer.alloc(4);
    const fd = fs.openSync(file, 'r');
    fs.readSync(fd, first, 0, 4, 0);
    fs.closeSync(fd);
    const isWal = stat.size >= 4 && WAL_MAGIC.includes(first.readUInt32BE(0));
    throw refusal(
      'NOT_SQLITE',
      isWal
        ? `${path.basename(file)} is a SQLite -wal file, not a database.`
        : stat.size < 100
          ? `${path.basename(file)} is too short (${stat.size} bytes) to be a SQLite database.`
          : `${path.basename(file)} is not a SQLite database (no SQLite header).`,
      isWal ? 'Choose the database file beside it.' : 'Choose a Stateward backup (.sqlite) file.',
    );
  }
  if (h.applicationId !== APPLICATION_ID) {
    throw refusal(
      'NOT_A_STATEWARD_DB',
      `${path.basename(file)} is a SQLite database, but not one of Stateward's (application id ${h.applicationId}).`,
      'Choose a backup made by Stateward.',
      { applicationId: h.applicationId },
    );
  }
  if (h.userVersion > APP_SCHEMA_VERSION) {
    throw refusal(
      'SCHEMA_FROM_NEWER_VERSION',
      `${path.basename(file)} has schema ${h.userVersion}; this Stateward knows schema ${APP_SCHEMA_VERSION}.`,
      'Restore it with the same or a newer version of Stateward, or pick an older backup (such as a pre-upgrade one).',
      { dbSchema: h.userVersion, appSchema: APP_SCHEMA_VERSION },
    );
  }
  const walMode = (() => {
    const b = Buffer.alloc(2);
    const fd = fs.openSync(file, 'r');
    fs.readSync(fd, b, 0, 2, 18);
    fs.closeSync(fd);
    return b[0] === 2 || b[1] === 2;
  })();
  return { bytes: stat.size, walMode, userVersion: h.userVersion };
}

function readSidecar(file: string, warnings: string[]): BackupManifest | null {
  const p = sidecarPathFor(file);
  let text: string;
  try {
    text = fs.readFileSync(p, 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
  }
  warnings.push(
    `The manifest beside it (${path.basename(p)}) is unreadable or not a Stateward manifest; it was ignored.`,
  );
  return null;
}

/**
 * Copy src → dest (owner-only) and hash src, side by side: the kernel copies
 * (copy_file_range, or a reflink) while this thread hashes the same bytes from
 * the page cache. A source that changes meanwhile is refused.
 */
export async function copyHashing(
  src: string,
  dest: string,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  const before = await fs.promises.stat(src);
  const [, sha256] = await Promise.all([
    fs.promises.copyFile(src, dest, fs.constants.COPYFILE_EXCL),
    sha256File(src, onBytes, signal),
  ]);
  await fs.promises.chmod(dest, FILE_MODE);
  const [after, copied] = await Promise.all([fs.promises.stat(src), fs.promises.stat(dest)]);
  if (
    after.size !== before.size ||
    after.mtimeMs !== before.mtimeMs ||
    copied.size !== before.size
  ) {
    throw new AppError(
      'BACKUP_UNREADABLE',
      `${path.basename(src)} changed while it was being read.`,
      {
        hint: 'Something is still writing it. Wait until it is finished, then try again.',
      },
    );
  }
  const fh = await fs.promises.open(dest, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  return sha256;
}

function readEmbedded(db: ReadableDB): Record<string, unknown> | null {
  if (!tableExists(db, EMBEDDED_MANIFEST_TABLE)) return null;
  const out: Record<string, unknown> = {};
  for (const row of db.prepare(`SELECT key, value FROM ${EMBEDDED_MANIFEST_TABLE}`).all() as {
    key: string;
    value: string;
  }[]) {
    try {
      out[row.key] = JSON.parse(row.value) as unknown;
    } catch {
      out[row.key] = row.value;
    }
  }
  return out;
}

const sameCounts = (a: Record<string, number>, b: Record<string, number>) =>
  Object.keys(a).length === Object.keys(b).length &&
  Object.entries(a).every(([k, v]) => b[k] === v);

export interface StageResult {
  report: PreflightReport;
  /** The staged copy (restores/<id>/stateward.db), present only when the report is ok. */
  copy: string | null;
}

/**
 * Preflight a backup and stage its copy in `dir`. Never throws for a bad file:
 * the refusal is the report (ok: false, code, reason) and `dir` is removed.
 */
export async function stageRestore(
  source: string,
  dir: string,
  opts: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<StageResult> {
  const warnings: string[] = [];
  const facts: PreflightFacts = {
    fileName: path.basename(source),
    bytes: 0,
    sha256: null,
    manifest: 'none',
    backupId: null,
    kind: null,
    createdAt: null,
    appVersion: null,
    schemaVersion: 0,
    appSchemaVersion: APP_SCHEMA_VERSION,
    pendingMigrations: [],
    rowCounts: null,
  };
  const copy = path.join(dir, 'stateward.db');
  try {
    const header = checkSourceHeader(source);
    facts.bytes = header.bytes;
    facts.schemaVersion = header.userVersion;
    const sidecar = readSidecar(source, warnings);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const sha256 = await copyHashing(
      source,
      copy,
      (n) => opts.onProgress?.(n, header.bytes),
      opts.signal,
    );
    facts.sha256 = sha256;
    const wal = `${source}-wal`;
    if (header.walMode) {
      if (fs.existsSync(wal)) {
        await copyHashing(wal, `${copy}-wal`, () => {}, opts.signal);
        warnings.push(
          'The file is a live-format (WAL) database; its -wal file beside it was restored with it.',
        );
      } else {
        warnings.push(
          'The file is a live-format (WAL) database with no -wal file beside it: if it was copied from a running app, its newest changes may be missing.',
        );
      }
    }
    if (sidecar) {
      facts.manifest = 'sidecar';
      if (sidecar.sha256 !== sha256 || sidecar.bytes !== header.bytes) {
        throw refusal(
          'BACKUP_HASH_MISMATCH',
          `${facts.fileName} does not match its manifest: the recorded SHA-256 is ${sidecar.sha256.slice(0, 12)}…, the file's is ${sha256.slice(0, 12)}…${sidecar.bytes !== header.bytes ? ` (and its size changed from ${sidecar.bytes} to ${header.bytes} bytes)` : ''}.`,
          'The file changed or was damaged after the backup was taken. Use another copy of it (e.g. the off-site one) or another backup.',
          { recorded: sidecar.sha256, actual: sha256 },
        );
      }
    }
    // From here on only the private copy is opened.
    const db = new Database(copy) as unknown as ReadableDB;
    try {
      db.pragma('busy_timeout = 5000');
      const embedded = readEmbedded(db);
      const expected = sidecar ?? (embedded as Partial<BackupManifest> | null);
      if (sidecar && embedded) {
        const mismatched = (
          ['id', 'kind', 'createdAt', 'schemaVersion', 'compact'] as const
        ).filter((k) => JSON.stringify(embedded[k]) !== JSON.stringify(sidecar[k]));
        if (
          embedded.rowCounts &&
          !sameCounts(embedded.rowCounts as Record<string, number>, sidecar.rowCounts)
        )
          mismatched.push('rowCounts' as never);
        if (mismatched.length) {
          throw refusal(
            'BACKUP_FACTS_MISMATCH',
            `${facts.fileName} does not match its manifest: ${mismatched.join(', ')} differ between the manifest and the facts inside the file.`,
            'The manifest belongs to another backup, or one of them was edited. Use the backup with its own manifest.',
            { fields: mismatched },
          );
        }
      }
      if (!sidecar && embedded) {
        facts.manifest = 'embedded';
        warnings.push(
          'No manifest file beside it: the facts inside the file were used, but there is no recorded hash to check the file against.',
        );
      }
      if (!sidecar && !embedded) {
        warnings.push(
          'No manifest: this file is verified on its own merits only (no recorded hash or row counts to compare with).',
        );
      }
      if (expected) {
        facts.backupId = typeof expected.id === 'string' ? expected.id : null;
        facts.kind = (expected.kind as PreflightFacts['kind']) ?? null;
        facts.createdAt = typeof expected.createdAt === 'number' ? expected.createdAt : null;
        facts.appVersion = typeof expected.appVersion === 'string' ? expected.appVersion : null;
        facts.rowCounts = (expected.rowCounts as Record<string, number> | undefined) ?? null;
      }
      const history = readHistory(db);
      if (history.length === 0) {
        const tables = (
          db
            .prepare(
              `SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
            )
            .get() as { n: number }
        ).n;
        throw refusal(
          tables > 0 ? 'MIGRATION_HISTORY_OUT_OF_SYNC' : 'NOT_A_STATEWARD_DB',
          tables > 0
            ? `${facts.fileName} carries Stateward's id but has no migration history: it was not written by Stateward.`
            : `${facts.fileName} is an empty database: there is nothing to restore.`,
          'Choose a backup made by Stateward.',
        );
      }
      const plan = planMigrations(db);
      facts.schemaVersion = plan.current;
      facts.pendingMigrations = plan.pending.map((m) => m.name);
    } finally {
      db.close();
    }
    const reason =
      facts.pendingMigrations.length > 0
        ? `Schema ${facts.schemaVersion} → ${APP_SCHEMA_VERSION}: the copy will be migrated (${facts.pendingMigrations.join(', ')}).`
        : `Schema ${facts.schemaVersion}: the same as this version; no migration needed.`;
    return { report: { ok: true, code: null, reason, hint: null, warnings, facts }, copy };
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    let err = isAppError(e) ? e : classifySqliteError(e, facts.fileName);
    const sqliteCode = String((e as { code?: string }).code ?? '');
    if (err.code === 'INTERNAL' && sqliteCode.startsWith('SQLITE_')) {
      // Any other SQLite failure on a file that passed the header checks means its contents are damaged.
      err = new AppError(
        'DB_CORRUPT',
        `${facts.fileName} is damaged: SQLite cannot read it (${(e as Error).message}).`,
        {
          hint: 'Use another backup, or another copy of this one.',
        },
      );
    }
    if (err.code === 'INTERNAL') throw e;
    return {
      report: {
        ok: false,
        code: err.code,
        reason: err.message,
        hint: err.hint ?? null,
        warnings,
        facts,
      },
      copy: null,
    };
  }
}
