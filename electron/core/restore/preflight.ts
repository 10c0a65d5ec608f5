// Preflight and staging of a restore: checks a backup file and copies it into
// restores/<id>/ without ever opening the user's file through SQLite (even a
// read-only open can create -wal/-shm beside it). Cheap header checks run
// before anything is copied; everything that needs SQLite runs on the copy.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { z } from 'zod';
import type { BackupManifest, PreflightFacts, PreflightReport } from '../../../shared/domain.ts';
import { BACKUP_FORMAT_VERSION } from '../../../shared/domain.ts';
import { AppError, isAppError } from '../../../shared/errors.ts';
import type { ErrorCode } from '../../../shared/errors.ts';
import { FILE_MODE, readSmallRegularFile } from '../fsutil.ts';
import { MAX_MANIFEST_BYTES } from '../backup/list.ts';
import { APPLICATION_ID, classifySqliteError, readHeader } from '../store/db.ts';
import { planMigrations, readHistory } from '../store/migrate.ts';
import type { ReadableDB } from '../store/db.ts';
import { tableExists } from '../store/introspect.ts';
import {
  BACKUP_EXT,
  MANIFEST_SUFFIX,
  manifestNameFor,
  manifestSchema,
  parseBackupFileName,
  stampOf,
} from '../backup/manifest.ts';
import { EMBEDDED_MANIFEST_TABLE } from '../backup/worker.ts';
import { sha256File } from '../backup/engine.ts';
import { APP_SCHEMA_VERSION, removeCopyDir } from './records.ts';

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
  /** Its modification time (ms), recorded with a drill's evidence. */
  modifiedAt: number;
  walMode: boolean;
  userVersion: number;
  pageSize: number;
  pageCount: number;
  /** The header's page count is current (SQLite: version-valid-for equals the change counter). */
  pageCountValid: boolean;
}

/**
 * Checks that need only fs reads of the source: readable, not empty, SQLite, ours, not from the
 * future. `name` is what messages call the file (an upload's own name, not its temporary's).
 */
export function checkSourceHeader(file: string, name = path.basename(file)): HeaderVerdict {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const orphanWal = code === 'ENOENT' && fs.existsSync(`${file}-wal`);
    throw refusal(
      'BACKUP_UNREADABLE',
      orphanWal
        ? `${name} does not exist; only its -wal file is there, which holds no database on its own.`
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
      `${name} is empty (0 bytes): it holds no database.`,
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
        ? `${name} is a SQLite -wal file, not a database.`
        : stat.size < 100
          ? `${name} is too short (${stat.size} bytes) to be a SQLite database.`
          : `${name} is not a SQLite database (no SQLite header).`,
      isWal ? 'Choose the database file beside it.' : 'Choose a Stateward backup (.sqlite) file.',
    );
  }
  if (h.applicationId !== APPLICATION_ID) {
    throw refusal(
      'NOT_A_STATEWARD_DB',
      `${name} is a SQLite database, but not one of Stateward's (application id ${h.applicationId}).`,
      'Choose a backup made by Stateward.',
      { applicationId: h.applicationId },
    );
  }
  if (h.userVersion > APP_SCHEMA_VERSION) {
    throw refusal(
      'SCHEMA_FROM_NEWER_VERSION',
      `${name} has schema ${h.userVersion}; this Stateward knows schema ${APP_SCHEMA_VERSION}.`,
      'Restore it with the same or a newer version of Stateward, or pick an older backup (such as a pre-upgrade one).',
      { dbSchema: h.userVersion, appSchema: APP_SCHEMA_VERSION },
    );
  }
  const b = Buffer.alloc(100);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, b, 0, 100, 0);
  } finally {
    fs.closeSync(fd);
  }
  return {
    bytes: stat.size,
    modifiedAt: stat.mtimeMs,
    walMode: b[18] === 2 || b[19] === 2,
    userVersion: h.userVersion,
    pageSize: h.pageSize,
    pageCount: h.pageCount,
    pageCountValid: h.pageCount > 0 && b.readUInt32BE(24) === b.readUInt32BE(92),
  };
}

const bytesText = (n: number) => `${n.toLocaleString('en-US')} byte${n === 1 ? '' : 's'}`;

/**
 * The file's size must be the page size × page count its own header states:
 * bytes past the end were appended after SQLite wrote it; fewer mean it was cut
 * short. Skipped where the header's count is not current (SQLite then uses the
 * file size itself) and for a WAL database with its -wal beside it (the two are
 * one database until a checkpoint).
 */
function checkSize(file: string, h: HeaderVerdict, name: string, alone: boolean): void {
  if (!h.pageCountValid || (h.walMode && !alone && fs.existsSync(`${file}-wal`))) return;
  const expected = h.pageSize * h.pageCount;
  if (h.bytes === expected) return;
  const described = `its header describes ${h.pageCount.toLocaleString('en-US')} pages of ${bytesText(h.pageSize)} (${bytesText(expected)})`;
  if (h.bytes > expected) {
    throw refusal(
      'BACKUP_FACTS_MISMATCH',
      `${name} has ${bytesText(h.bytes - expected)} past the end of the database: ${described}, the file is ${bytesText(h.bytes)}. Something was added to it after it was written.`,
      'Use another copy of this backup (e.g. the off-site one) or another backup.',
      { fields: ['bytes'], expectedBytes: expected, bytes: h.bytes },
    );
  }
  throw refusal(
    'DB_CORRUPT',
    `${name} is cut short: ${described}, the file is only ${bytesText(h.bytes)}.`,
    'The copy was interrupted or the disk lost part of it. Use another copy of this backup or another backup.',
    { expectedBytes: expected, bytes: h.bytes },
  );
}

/**
 * The sidecar manifest beside `file`: null only when there is none. One that is
 * there but cannot be read, is not JSON or is not a Stateward manifest refuses
 * the file: a damaged manifest must not turn a hash check into "no manifest".
 */
function readSidecar(file: string): BackupManifest | null {
  const p = sidecarPathFor(file);
  const name = path.basename(p);
  const damaged = (what: string) =>
    refusal(
      'BACKUP_MANIFEST_UNREADABLE',
      `The manifest beside ${path.basename(file)} (${name}) ${what}, so the file cannot be checked against it.`,
      'Use the backup together with its own, intact manifest (e.g. the off-site copy of both). To restore the file on its own merits, move the manifest away first.',
    );
  let text: string;
  try {
    // Never blocks: a named pipe or a device put there would hang the restore for ever.
    text = readSmallRegularFile(p, MAX_MANIFEST_BYTES).toString('utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    const kind = (e as { kind?: string }).kind;
    if (kind) throw damaged(`is ${kind} and cannot be read as a manifest`);
    throw damaged(`is there but cannot be read (${code ?? (e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw damaged('is not valid JSON');
  }
  const parsed = manifestSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const format = (json as { format?: unknown } | null)?.format;
  if (typeof format === 'number' && format > BACKUP_FORMAT_VERSION)
    throw damaged(`was written by a newer Stateward (manifest format ${format})`);
  const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? '(root)')))];
  throw damaged(`is not a Stateward manifest (${fields.slice(0, 6).join(', ')} missing or wrong)`);
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

/** The facts a backup carries inside itself (the stateward_backup table): everything but size, hash and pages. */
const embeddedSchema = manifestSchema
  .pick({ id: true, kind: true, createdAt: true, schemaVersion: true })
  .extend(
    manifestSchema
      .pick({ format: true, appVersion: true, compact: true, rowCounts: true, dataKeyId: true })
      .partial().shape,
  );
type EmbeddedFacts = z.infer<typeof embeddedSchema>;

/** The embedded facts of the (copied) file; null when it has none; refused when they are damaged. */
function readEmbedded(db: ReadableDB, fileName: string): EmbeddedFacts | null {
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
  const parsed = embeddedSchema.safeParse(out);
  if (parsed.success) return parsed.data;
  const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? '(table)')))];
  throw refusal(
    'BACKUP_FACTS_MISMATCH',
    `The facts inside ${fileName} (its ${EMBEDDED_MANIFEST_TABLE} table) are damaged: ${fields.join(', ')} missing or wrong.`,
    'The file was edited after the backup was taken. Use another copy of it or another backup.',
    { fields },
  );
}

const sameCounts = (a: Record<string, number>, b: Record<string, number>) =>
  Object.keys(a).length === Object.keys(b).length &&
  Object.entries(a).every(([k, v]) => b[k] === v);

const FACT_ORDER = [
  'id',
  'kind',
  'createdAt',
  'schemaVersion',
  'compact',
  'rowCounts',
  'fileName',
  'pageSize',
  'pageCount',
] as const;
type Fact = (typeof FACT_ORDER)[number];

/**
 * Everything recorded about a file must agree: the manifest beside it, the facts
 * inside it, its own header and (for a Stateward backup name) its name. A hash
 * proves the bytes only against a manifest that belongs to them; the facts
 * inside cannot hold the file's own hash, so without a manifest they prove who
 * the file is, not that it is unchanged.
 */
function crossCheck(
  fileName: string,
  header: HeaderVerdict,
  sidecar: BackupManifest | null,
  embedded: EmbeddedFacts | null,
): void {
  const found = new Map<Fact, Set<string>>();
  const differ = (fact: Fact, a: string, b: string) =>
    found.set(fact, (found.get(fact) ?? new Set()).add(a).add(b));
  const named = parseBackupFileName(fileName);
  const sources: [string, Pick<EmbeddedFacts, 'id' | 'kind' | 'createdAt' | 'schemaVersion'>][] =
    [];
  if (sidecar) sources.push(['the manifest beside it', sidecar]);
  if (embedded) sources.push(['the facts inside it', embedded]);
  for (const [label, f] of sources) {
    if (named) {
      if (f.id !== named.id) differ('id', label, 'its name');
      if (f.kind !== named.kind) differ('kind', label, 'its name');
      if (stampOf(f.createdAt) !== stampOf(named.createdAt)) differ('createdAt', label, 'its name');
    }
    if (f.schemaVersion !== header.userVersion) differ('schemaVersion', label, 'its header');
  }
  if (sidecar) {
    if (named && sidecar.fileName !== fileName)
      differ('fileName', 'the manifest beside it', 'its name');
    if (sidecar.pageSize !== header.pageSize)
      differ('pageSize', 'the manifest beside it', 'its header');
    if (sidecar.pageCount !== header.pageCount)
      differ('pageCount', 'the manifest beside it', 'its header');
  }
  if (sidecar && embedded) {
    for (const k of ['id', 'kind', 'createdAt', 'schemaVersion', 'compact'] as const)
      if (embedded[k] !== undefined && JSON.stringify(embedded[k]) !== JSON.stringify(sidecar[k]))
        differ(k, 'the manifest beside it', 'the facts inside it');
    if (embedded.rowCounts && !sameCounts(embedded.rowCounts, sidecar.rowCounts))
      differ('rowCounts', 'the manifest beside it', 'the facts inside it');
  }
  if (found.size === 0) return;
  const fields = FACT_ORDER.filter((f) => found.has(f));
  const between = [...new Set(fields.flatMap((f) => [...found.get(f)!]))];
  throw refusal(
    'BACKUP_FACTS_MISMATCH',
    `${fileName} does not match what is recorded about it: ${fields.join(', ')} differ between ${between.slice(0, -1).join(', ')} and ${between[between.length - 1]}.`,
    sidecar
      ? 'The manifest belongs to another backup, or one of them was edited. Use the backup with its own manifest.'
      : 'The file was renamed or edited after the backup was taken. Use another copy of it or another backup.',
    { fields },
  );
}

/** The facts of a file before anything is known about it. */
export function initialFacts(fileName: string): PreflightFacts {
  return {
    fileName,
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
}

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
  opts: {
    onProgress?: (done: number, total: number) => void;
    signal?: AbortSignal;
    /** Creates `dir` once the cheap checks passed (default: mkdir); `dir` is removed again on any failure. */
    prepareDir?: () => void;
    /**
     * An uploaded file: checked under the name it was sent with, on its own (nothing beside
     * its temporary is looked at: no manifest, no -wal), and its bytes must hash to what
     * the upload hashed.
     */
    upload?: { fileName: string; sha256: string };
  } = {},
): Promise<StageResult> {
  const warnings: string[] = [];
  const upload = opts.upload ?? null;
  const facts = initialFacts(upload?.fileName ?? path.basename(source));
  const copy = path.join(dir, 'stateward.db');
  try {
    const header = checkSourceHeader(source, facts.fileName);
    facts.bytes = header.bytes;
    facts.modifiedAt = header.modifiedAt;
    facts.schemaVersion = header.userVersion;
    const sidecar = upload ? null : readSidecar(source);
    if (sidecar && sidecar.bytes !== header.bytes) {
      throw refusal(
        'BACKUP_HASH_MISMATCH',
        `${facts.fileName} does not match its manifest: it is ${bytesText(header.bytes)}, the manifest records ${bytesText(sidecar.bytes)} (so its SHA-256 cannot match either).`,
        'The file changed or was damaged after the backup was taken. Use another copy of it (e.g. the off-site one) or another backup.',
        { recordedBytes: sidecar.bytes, bytes: header.bytes, recorded: sidecar.sha256 },
      );
    }
    checkSize(source, header, facts.fileName, upload !== null);
    if (opts.prepareDir) opts.prepareDir();
    else fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const sha256 = await copyHashing(
      source,
      copy,
      (n) => opts.onProgress?.(n, header.bytes),
      opts.signal,
    );
    facts.sha256 = sha256;
    if (upload && upload.sha256 !== sha256) {
      throw refusal(
        'BACKUP_UNREADABLE',
        `${facts.fileName} changed on this machine between its upload and its copy.`,
        'Upload it again.',
      );
    }
    const wal = `${source}-wal`;
    if (header.walMode) {
      if (!upload && fs.existsSync(wal)) {
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
      if (sidecar.sha256 !== sha256) {
        throw refusal(
          'BACKUP_HASH_MISMATCH',
          `${facts.fileName} does not match its manifest: the recorded SHA-256 is ${sidecar.sha256.slice(0, 12)}…, the file's is ${sha256.slice(0, 12)}….`,
          'The file changed or was damaged after the backup was taken. Use another copy of it (e.g. the off-site one) or another backup.',
          { recorded: sidecar.sha256, actual: sha256 },
        );
      }
    }
    // From here on only the private copy is opened.
    const db = new Database(copy) as unknown as ReadableDB;
    try {
      db.pragma('busy_timeout = 5000');
      const embedded = readEmbedded(db, facts.fileName);
      crossCheck(facts.fileName, header, sidecar, embedded);
      const expected: Partial<BackupManifest> | null = sidecar ?? embedded;
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
        facts.backupId = expected.id ?? null;
        facts.kind = expected.kind ?? null;
        facts.createdAt = expected.createdAt ?? null;
        facts.appVersion = expected.appVersion ?? null;
        facts.rowCounts = expected.rowCounts ?? null;
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
    // A file refused by its header checks still says how big it is.
    if (facts.bytes === 0) {
      try {
        facts.bytes = fs.statSync(source).size;
      } catch {
        // unreadable: the refusal says so
      }
    }
    try {
      removeCopyDir(dir);
    } catch {
      // what is left is removed with its folder at the next locking start, or shown as interrupted
    }
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
