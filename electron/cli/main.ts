// The `stateward` command line: core run directly with Node, for scripts, cron
// and systemd timers. `--json` prints one JSON object on stdout; progress and
// logs go to stderr. Exit codes: see exit.ts.
import { parseArgs } from 'node:util';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import type {
  BackupEntry,
  BackupManifest,
  DrillReport,
  KeyState,
  RestoreSource,
  SecretEntry,
} from '../../shared/domain.ts';
import { ensureOwnerDir } from '../core/fsutil.ts';
import { promptHidden, readStdin } from './prompt.ts';
import type { Runtime } from '../core/runtime.ts';
import { createBackup, createRescueBackup, removeBackupPair } from '../core/backup/engine.ts';
import { listBackupFiles } from '../core/backup/list.ts';
import { readDrillReports } from '../core/restore/service.ts';
import { RESTORE_DIFF_MAX_PAGE } from '../core/restore/diff.ts';
import { diffOfCopy } from '../core/restore/copy-diff.ts';
import type { RestoreDiffCount, RestoreDiffItem } from '../../shared/domain.ts';
import type { AppErrorShape } from '../../shared/errors.ts';
import { AppError, isAppError } from '../../shared/errors.ts';
import { APP_VERSION } from '../core/version.ts';
import { resolveDataDirHere, dataDirLayout } from '../core/paths.ts';
import { assertDataDirUsable } from '../core/datadir-check.ts';
import { realpathAsFarAsExists, within } from '../core/backup/offsite.ts';
import type { ResolvedDataDir } from '../core/paths.ts';
import { fileSize } from '../core/fsutil.ts';
import { readLock, lockIsLive, lockedError } from '../core/lock.ts';
import { inspectDatabase } from '../core/store/store.ts';
import { pendingPromote, promotePendingError } from '../core/restore/promote.ts';
import { diskIsFull, resourceFailure } from '../core/store/db.ts';
import { MIGRATIONS } from '../core/store/migrations/index.ts';
import { startRuntime } from '../core/runtime.ts';
import { seedDemo } from '../core/demo.ts';
import { EXIT, exitCodeFor, terminalSafe } from './exit.ts';

function refusal(rt: Runtime): AppError {
  const s = rt.startup as Extract<Runtime['startup'], { state: 'refused' }>;
  return new AppError(s.code as AppErrorShape['code'], s.message, {
    hint: s.hint,
    ...(s.details ? { details: s.details } : {}),
  });
}

export const USAGE = `Usage: stateward [--data-dir DIR] [--json] <command>

Commands:
  status                               data dir, versions, sizes, counts
  backup [--compact] [--out DIR]       take a consistent backup now; prints its path (JSON: its manifest)
  backups                              list backups with kind, age, size, schema, verified state
  verify <backup-file|id>              restore drill into a temporary copy; prints the report
  restore <backup-file|id>             restore into restores/<id> and drill it; prints its path
  restore-diff <restore-id> [--limit N]  what promoting the copy changes, by name: lost, brought back, changed
  promote <restore-id> --yes           make a verified copy live (refused while the app runs)
  secret set <project>/<env> NAME      store a secret (value from stdin or a prompt, never argv)
  secret list [<project>/<env>]        names and references (never values)
  secret unset <project>/<env> NAME    remove a secret
  key status                           is the data key set up, unlocked, and how it is protected
  key rotate                           new data key; every value re-encrypted in one transaction
  key recovery                         unlock with a recovery key (read from stdin or a prompt)
  key ack <key-id>                     confirm a shown recovery key is stored (else it is shown again)
  migrate [--dry-run]                  apply pending migrations (or list them)
  demo [--projects N] [--deployments M]  fill an empty data dir with sample data

Options:
  --data-dir DIR   use DIR as the data directory (else STATEWARD_DATA_DIR, portable, or the platform default)
  --json           print one JSON object on stdout
  -h, --help       show this help
  --version        print the version

Exit codes: 0 ok, 1 a check failed, 2 bad input, 3 refused, 4 internal error.`;

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const defaultIo: CliIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

function usageError(message: string): AppError {
  return new AppError('BAD_INPUT', message, { hint: 'Run `stateward --help` for usage.' });
}

function intOption(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(`${name} must be a whole number from ${min} to ${max}, got "${value}".`);
  }
  return n;
}

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

type Outcome = { exit: number; json: unknown; text: string };

function status(where: ResolvedDataDir): Outcome {
  const layout = dataDirLayout(where.dir);
  const appSchema = MIGRATIONS[MIGRATIONS.length - 1]!.version;
  const held = readLock(layout.lock);
  const lock =
    held && lockIsLive(held)
      ? { pid: held.pid, host: held.host, mode: held.mode, since: held.since }
      : null;
  // An unfinished promote: look at the database that is live once the next start has
  // finished or rolled it back (decided as that start decides), and say so.
  const promote = pendingPromote(layout);
  const promoteProblem = promote ? promotePendingError(promote, lock) : null;
  const dbFile = promote?.liveAfter ?? layout.db;
  const inspection = inspectDatabase(dbFile);
  const lastBackup = listBackupFiles(layout.backups, null)[0] ?? null;
  const lastDrill = readDrillReports(layout.drills)[0] ?? null;
  const base = {
    dataDir: where.dir,
    dataDirSource: where.source,
    appVersion: APP_VERSION,
    appSchemaVersion: appSchema,
    initialized: inspection.exists,
    schemaVersion: inspection.schemaVersion,
    pendingMigrations: inspection.plan?.pending.map((m) => m.name) ?? [],
    dbBytes: fileSize(dbFile),
    walBytes: fileSize(`${dbFile}-wal`),
    lock,
    promote:
      promote && promoteProblem
        ? { state: lock ? 'in-progress' : 'interrupted', ...promoteProblem.details }
        : null,
    lastBackup: lastBackup
      ? {
          fileName: lastBackup.fileName,
          kind: lastBackup.kind,
          createdAt: lastBackup.createdAt,
          bytes: lastBackup.bytes,
        }
      : null,
    lastDrill: lastDrill
      ? {
          id: lastDrill.id,
          passed: lastDrill.passed,
          finishedAt: lastDrill.finishedAt,
          fileName: lastDrill.source.fileName,
          summary: lastDrill.summary,
        }
      : null,
  };
  if (inspection.error && !promoteProblem) {
    const err = inspection.error.toShape();
    return {
      exit: exitCodeFor(err.code),
      json: { ...base, error: err },
      text: `Data dir   ${where.dir} (${where.source})\nProblem    ${err.code}: ${err.message}\n${err.hint ? `           ${err.hint}\n` : ''}`,
    };
  }
  const c = inspection.counts;
  const problem = promoteProblem?.toShape();
  const placement =
    promote?.nextStart === 'finished'
      ? ' (the restored copy, in place)'
      : promote && promote.liveAfter !== layout.db
        ? ` (moved aside to ${path.dirname(promote.liveAfter)}; back in place at the next start)`
        : '';
  const lines = [
    `Data dir   ${where.dir} (${where.source})`,
    ...(problem
      ? [`Problem    ${problem.code}: ${problem.message}`, `           ${problem.hint}`]
      : []),
    `Version    Stateward ${APP_VERSION}, schema ${inspection.error ? '?' : inspection.schemaVersion}/${appSchema}${base.pendingMigrations.length ? ` (${base.pendingMigrations.length} pending)` : ''}`,
    `Database   ${inspection.exists ? `${human(base.dbBytes)} + WAL ${human(base.walBytes)}${placement}` : 'not created yet'}`,
    `Contents   ${inspection.error ? `not readable until the next start (${inspection.error.code})` : `${c.projects} projects, ${c.environments} environments, ${c.deployments} deployments, ${c.auditEntries} audit entries`}`,
    `In use by  ${lock ? `${lock.mode}, pid ${lock.pid} on ${lock.host}` : 'nobody'}`,
    `Backup     ${lastBackup ? `${lastBackup.kind}, ${age(Date.now() - lastBackup.createdAt)} ago (${lastBackup.fileName})` : 'none yet'}`,
    `Drill      ${lastDrill ? `${lastDrill.passed ? 'passed' : 'FAILED'}, ${age(Date.now() - lastDrill.finishedAt)} ago (${lastDrill.source.fileName})` : 'none yet'}`,
  ];
  if (problem)
    return {
      exit: exitCodeFor(problem.code),
      json: { ...base, ...(inspection.error ? {} : { counts: c }), error: problem },
      text: `${lines.join('\n')}\n`,
    };
  return { exit: EXIT.ok, json: { ...base, counts: c }, text: `${lines.join('\n')}\n` };
}

/** Lockless commands cannot work while a promote is unfinished: say so, and what the next start does. */
function refuseWhilePromotePending(dir: string): void {
  const layout = dataDirLayout(dir);
  const pending = pendingPromote(layout);
  if (!pending) return;
  const held = readLock(layout.lock);
  throw promotePendingError(pending, held && lockIsLive(held) ? held : null);
}

function age(ms: number): string {
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m} min`;
  if (m < 48 * 60) return `${Math.round(m / 60)} h`;
  return `${Math.round(m / 1440)} d`;
}

function progressLine(io: CliIo, label: string) {
  let last = '';
  return (p: {
    phase: string;
    done: number;
    total: number;
    etaMs: number | null;
    percent?: number;
  }) => {
    // The whole operation's figure where it has one (a backup's), else this phase's.
    const pct = p.percent ?? Math.round((p.done / Math.max(1, p.total)) * 100);
    const line = `${label}: ${p.phase} ${pct}%${p.etaMs ? ` (about ${Math.ceil(p.etaMs / 1000)} s left)` : ''}`;
    if (line !== last) io.stderr(`\r${line.padEnd(60)}`);
    last = line;
  };
}

/** Open the data dir for read-mostly work without the lock, when its schema is current. */
async function openShared(where: ResolvedDataDir): Promise<Runtime | null> {
  refuseWhilePromotePending(where.dir);
  const inspection = inspectDatabase(dataDirLayout(where.dir).db);
  if (inspection.error) throw inspection.error;
  if (!inspection.exists || !inspection.plan || inspection.plan.pending.length > 0) return null;
  const rt = await startRuntime({
    dir: where.dir,
    source: where.source,
    transport: 'cli',
    lockMode: null,
    preUpgradeBackup: false,
  });
  if (rt.startup.state === 'refused') {
    rt.close();
    throw refusal(rt);
  }
  return rt;
}

async function backup(
  where: ResolvedDataDir,
  compact: boolean,
  out: string | undefined,
  io: CliIo,
): Promise<Outcome> {
  const layout = dataDirLayout(where.dir);
  refuseWhilePromotePending(where.dir);
  if (!fs.existsSync(layout.db)) {
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
  let manifest: BackupManifest;
  let file: string;
  try {
    if (rt) {
      // Recorded in the live database (runs, audit) like a backup from the app.
      const unsubscribe = rt.events.on('progress', (p) => onProgress(p));
      try {
        const entry = await rt.backups.run({ kind: 'manual', compact, outDir });
        manifest = entry.manifest!;
        file = path.join(outDir ?? layout.backups, entry.fileName);
      } finally {
        unsubscribe();
      }
    } else {
      // A database this version cannot open as-is (older or newer schema): still snapshot it, unrecorded.
      const r = await createBackup({
        source: layout.db,
        outDir: outDir ?? layout.backups,
        ownFolder: outDir === undefined,
        kind: 'manual',
        compact,
        onProgress,
      });
      manifest = r.manifest;
      file = r.path;
    }
  } finally {
    io.stderr('\n');
    rt?.close();
  }
  // Compact that did not make it smaller says so, and why (the manifest records it too).
  if (manifest.compaction?.reason) io.stderr(`${terminalSafe(manifest.compaction.reason)}\n`);
  return { exit: EXIT.ok, json: { path: file, manifest }, text: `${file}\n` };
}

async function backups(where: ResolvedDataDir): Promise<Outcome> {
  const layout = dataDirLayout(where.dir);
  const rt = fs.existsSync(layout.db) ? await openShared(where).catch(() => null) : null;
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

/** A runtime for restore work: the live store shared when it is current, otherwise not opened at all. */
async function restoreRuntime(where: ResolvedDataDir, lockMode: string | null): Promise<Runtime> {
  ensureOwnerDir(where.dir);
  const shared = lockMode === null ? await openShared(where).catch(() => null) : null;
  if (shared) return shared;
  const rt = await startRuntime({
    dir: where.dir,
    source: where.source,
    transport: 'cli',
    lockMode,
    preUpgradeBackup: lockMode !== null,
    ...(lockMode === null ? { store: 'none' as const } : {}),
  });
  // It needed the lock and did not get it (held, disk full, unusable folder): say why, not "held".
  if (lockMode !== null && rt.lock === null && rt.startup.state === 'refused') {
    const err = refusal(rt);
    rt.close();
    throw err;
  }
  return rt;
}

function sourceArg(rt: Runtime, arg: string): RestoreSource {
  if (/^[a-z0-9]{8,32}$/.test(arg) && !fs.existsSync(arg)) {
    if (rt.backups.list().some((b) => b.id === arg)) return { backupId: arg };
  }
  return { path: path.resolve(arg) };
}

function reportText(r: DrillReport): string {
  const lines = [`${r.passed ? 'PASSED' : 'FAILED'}  ${r.summary}`, ''];
  for (const s of r.steps)
    lines.push(`  ${s.status.toUpperCase().padEnd(4)} ${s.title} (${s.ms} ms): ${s.detail}`);
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  return `${lines.join('\n')}\n`;
}

function exitForReport(r: DrillReport): number {
  if (r.passed) return EXIT.ok;
  const failed = r.steps.find((s) => s.status === 'fail');
  const code = failed?.facts?.code as AppErrorShape['code'] | undefined;
  if (code === undefined) return EXIT.checkFailed;
  const mapped = exitCodeFor(code);
  return mapped === EXIT.internal ? EXIT.checkFailed : mapped;
}

async function verify(where: ResolvedDataDir, arg: string, io: CliIo): Promise<Outcome> {
  const rt = await restoreRuntime(where, null);
  try {
    const stop = rt.events.on('progress', (p) =>
      io.stderr(`\rverify: ${p.phase} ${p.done}/${p.total}`.padEnd(70)),
    );
    const report = await rt.restores.verify(sourceArg(rt, arg)).finally(() => {
      stop();
      io.stderr('\n');
    });
    return { exit: exitForReport(report), json: report, text: reportText(report) };
  } finally {
    rt.close();
  }
}

async function restore(where: ResolvedDataDir, arg: string, io: CliIo): Promise<Outcome> {
  const rt = await restoreRuntime(where, null);
  try {
    const stop = rt.events.on('progress', (p) =>
      io.stderr(`\rrestore: ${p.phase} ${p.done}/${p.total}`.padEnd(70)),
    );
    try {
      const staged = await rt.restores.stage(sourceArg(rt, arg));
      if (!staged.restoreId) {
        const r = staged.report;
        throw new AppError(
          (r.code ?? 'BAD_INPUT') as AppErrorShape['code'],
          r.reason,
          r.hint ? { hint: r.hint } : {},
        );
      }
      const restoreId = staged.restoreId;
      // A drill that could not run at all (not one that failed a step) leaves no copy behind.
      const report = await rt.restores.drill(restoreId).catch((e: unknown) => {
        rt.restores.discard(restoreId, { quiet: true });
        throw e;
      });
      const copy = path.join(rt.layout.restores, staged.restoreId, 'stateward.db');
      return {
        exit: exitForReport(report),
        json: { restoreId: staged.restoreId, path: copy, report },
        text: `${copy}\n${report.passed ? `Drill passed. Make it live with: stateward promote ${staged.restoreId} --yes\n` : reportText(report)}`,
      };
    } finally {
      stop();
      io.stderr('\n');
    }
  } finally {
    rt.close();
  }
}

function checkRestoreId(restoreId: string): void {
  if (!/^[0-9a-f]{16}$/.test(restoreId))
    throw usageError(
      `"${restoreId}" is not a restore id (see the output of \`stateward restore\`).`,
    );
}

const DIFF_WORD = { removed: 'LOST', added: 'BACK', changed: 'CHANGES' } as const;

function diffSummaryText(summary: readonly RestoreDiffCount[]): string[] {
  const line = (what: string, pick: (s: RestoreDiffCount) => number, since: boolean) => {
    const parts = summary
      .filter((s) => pick(s) > 0)
      .map(
        (s) =>
          `${pick(s)} ${s.kind}${pick(s) === 1 ? '' : 's'}${since && s.removedSince !== null ? ` (since ${new Date(s.removedSince).toISOString()})` : ''}`,
      );
    return parts.length ? [`  ${what}: ${parts.join(', ')}`] : [];
  };
  const out = [
    ...line('loses (only in live)', (s) => s.removed, true),
    ...line('brings back (only in the copy)', (s) => s.added, false),
    ...line('changes back (live -> copy)', (s) => s.changed, false),
  ];
  return out.length ? out : ['  nothing: live and the copy hold the same entities'];
}

function diffItemText(i: RestoreDiffItem): string {
  const fields = i.fields
    .map((f) =>
      f.field === 'value' ? 'value set again' : `${f.field}: ${f.live ?? '-'} -> ${f.copy ?? '-'}`,
    )
    .join('; ');
  return `${DIFF_WORD[i.change].padEnd(8)}${i.kind.padEnd(12)}${i.name}${i.context ? `  (${i.context})` : ''}${fields ? `  ${fields}` : ''}`;
}

/** What promoting a copy changes, by name: the summary, then up to `limit` items, a page at a time. */
async function restoreDiff(
  where: ResolvedDataDir,
  restoreId: string,
  limit: number,
): Promise<Outcome> {
  checkRestoreId(restoreId);
  const rt = await restoreRuntime(where, null);
  try {
    let summary: RestoreDiffCount[] | null = null;
    const items: RestoreDiffItem[] = [];
    let cursor: string | undefined;
    do {
      const page = await diffOfCopy(rt, restoreId, {
        cursor,
        limit: Math.min(RESTORE_DIFF_MAX_PAGE, limit - items.length),
      });
      summary ??= page.summary;
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && items.length < limit);
    const counts = summary ?? [];
    const all = counts.reduce((n, s) => n + s.added + s.removed + s.changed, 0);
    return {
      exit: EXIT.ok,
      json: { restoreId, summary: counts, items, more: cursor !== undefined },
      text: [
        `Promoting ${restoreId}:`,
        ...diffSummaryText(counts),
        ...(items.length ? ['', ...items.map(diffItemText)] : []),
        ...(cursor !== undefined ? [`... ${all - items.length} more (--limit N shows more)`] : []),
        '',
      ].join('\n'),
    };
  } finally {
    rt.close();
  }
}

async function promote(where: ResolvedDataDir, restoreId: string, yes: boolean): Promise<Outcome> {
  if (!yes) throw usageError('Promote replaces the live database: add --yes to confirm.');
  checkRestoreId(restoreId);
  const rt = await restoreRuntime(where, 'cli-promote');
  try {
    const r = await rt.restores.promote(restoreId);
    return {
      exit: EXIT.ok,
      json: { promoted: restoreId, preRestoreBackup: r.preRestoreBackup },
      text: `Promoted ${restoreId}: it is now the live database.${r.preRestoreBackup ? `\nThe previous state is in ${r.preRestoreBackup}\n` : '\n'}`,
    };
  } finally {
    rt.close();
  }
}

async function secretsRuntime(where: ResolvedDataDir, lockMode: string | null): Promise<Runtime> {
  const rt =
    lockMode === null
      ? await openShared(where)
      : await startRuntime({ dir: where.dir, source: where.source, transport: 'cli', lockMode });
  if (!rt) {
    throw new AppError(
      'STORE_NOT_READY',
      `There is no current Stateward database in ${where.dir}.`,
      {
        hint: 'Start the app once (or run `stateward migrate`) first.',
      },
    );
  }
  if (rt.startup.state === 'refused') {
    const err = refusal(rt);
    rt.close();
    throw err;
  }
  return rt;
}

/** Unlock with the key file, or ask for the passphrase on the terminal. */
/** Why a secret does not resolve, by its key's state: locked is not missing. */
const SECRET_STATE_TEXT: Record<KeyState, string> = {
  unlocked: 'does not verify: changed outside Stateward (set it again)',
  locked:
    'locked here: its key is on this machine (unlock with the passphrase or key file; see key status)',
  missing: 'does not resolve here: its key is not on this machine (key recovery, or set it again)',
  wrong: 'does not open: a wrong passphrase, or changed outside Stateward',
};

async function unlockSecrets(rt: Runtime): Promise<void> {
  const st = await rt.secrets.status();
  if (!st.initialized || st.unlocked) return;
  if (st.providers.includes('passphrase')) {
    await rt.secrets.unlock({ passphrase: await promptHidden('Stateward passphrase: ') });
  } else {
    await rt.secrets.unlock();
  }
}

/**
 * Recovery keys never confirmed as stored (the first one, a rotation's, or one a
 * crash kept from being printed) go to stderr after every secret or key command
 * that has their key unlocked — even one that then fails — until `key ack`.
 */
function recoveryKeyNotice(
  rt: Runtime,
  io: CliIo,
): { recoveryKey?: string; pendingRecoveryKeys?: { keyId: string; recoveryKey: string }[] } {
  const pending = rt.secrets.pendingRecoveryKeys();
  if (pending.length === 0) return {};
  for (const p of pending) {
    io.stderr(
      `\n${p.active ? 'Recovery key' : 'Recovery key of an older data key (it opens older backups)'} — key ${p.keyId}; store it somewhere safe, away from this machine:\n\n    ${p.recoveryKey}\n\nIt unlocks these secrets on another machine after a restore. It is shown again until you confirm it is stored: stateward key ack ${p.keyId}\n\n`,
    );
  }
  const active = pending.find((p) => p.active);
  return {
    ...(active ? { recoveryKey: active.recoveryKey } : {}),
    pendingRecoveryKeys: pending.map(({ keyId, recoveryKey }) => ({ keyId, recoveryKey })),
  };
}

function envArg(rt: Runtime, arg: string): { environmentId: number; label: string } {
  const m = /^([^/]+)\/([^/]+)$/.exec(arg);
  if (!m) throw usageError(`"${arg}" is not <project>/<environment>.`);
  const db = rt.store!.db;
  const row = db
    .prepare(
      `SELECT e.id FROM environments e JOIN projects p ON p.id = e.project_id
       WHERE p.name = ? COLLATE NOCASE AND e.name = ? COLLATE NOCASE`,
    )
    .get(m[1], m[2]) as { id: number } | undefined;
  if (!row)
    throw new AppError('NOT_FOUND', `There is no environment ${arg}.`, {
      hint: 'Check the names with `stateward secret list`.',
    });
  return { environmentId: row.id, label: arg };
}

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

async function secretCommand(
  where: ResolvedDataDir,
  args: string[],
  io: CliIo,
  stdin: NodeJS.ReadableStream,
): Promise<Outcome> {
  const [sub, target, name] = args;
  const rt = await secretsRuntime(where, null);
  try {
    if (sub === 'list') {
      if (args.length > 2) throw usageError('secret list takes at most <project>/<env>.');
      const envs = target
        ? [envArg(rt, target)]
        : (rt
            .store!.db.prepare(
              `SELECT DISTINCT e.id AS environmentId, p.name || '/' || e.name AS label FROM secrets s
             JOIN environments e ON e.id = s.environment_id JOIN projects p ON p.id = e.project_id ORDER BY label`,
            )
            .all() as { environmentId: number; label: string }[]);
      await unlockSecrets(rt).catch(() => undefined);
      const rows = envs.flatMap((e) =>
        rt.secrets.list(e.environmentId).map((s) => ({ ...s, environment: e.label })),
      );
      const shown = recoveryKeyNotice(rt, io);
      return {
        exit: EXIT.ok,
        json: { secrets: rows, ...shown },
        text: rows.length
          ? `${rows.map((r) => `${r.environment}  ${r.name}  ${r.id}  ${r.resolves ? 'resolves' : SECRET_STATE_TEXT[r.keyState]}`).join('\n')}\n`
          : 'No secrets.\n',
      };
    }
    if (sub !== 'set' && sub !== 'unset') throw usageError('Use: secret set|list|unset …');
    if (!target || !name || args.length !== 3)
      throw usageError(
        `Use: secret ${sub} <project>/<env> NAME${sub === 'set' ? ' (the value comes from stdin or a prompt)' : ''}`,
      );
    if (!SECRET_NAME.test(name))
      throw usageError(`"${name}" is not a secret name like DATABASE_URL.`);
    const env = envArg(rt, target);
    if (sub === 'unset') {
      rt.secrets.unset(env.environmentId, name);
      return {
        exit: EXIT.ok,
        json: { removed: name, environment: env.label },
        text: `Removed ${name} from ${env.label}.\n`,
      };
    }
    const st = await rt.secrets.status();
    // The value first: a bad one must not leave a key set up whose recovery key nobody saw.
    const value = (stdin as { isTTY?: boolean }).isTTY
      ? await promptHidden(`Value of ${name}: `, 'BAD_INPUT')
      : // 64 Ki characters are at most 4 bytes each in UTF-8, and a newline.
        await readStdin(stdin, 4 * 65536 + 2, 'The value is longer than 64 KiB.');
    if (value === '')
      throw new AppError(
        'BAD_INPUT',
        'The value is empty: pipe it in on stdin or type it at the prompt.',
      );
    if (value.length > 65536) throw new AppError('BAD_INPUT', 'The value is longer than 64 KiB.');
    if (!st.initialized) {
      let passphrase: string | undefined;
      if (!st.keyFileConfigured) {
        passphrase = await promptHidden(
          'New passphrase to protect secrets (8+ characters): ',
          'SECRETS_PASSPHRASE_REQUIRED',
        );
        if (passphrase.length < 8)
          throw new AppError('BAD_INPUT', 'The passphrase must be at least 8 characters.');
        if ((await promptHidden('Repeat it: ', 'SECRETS_PASSPHRASE_REQUIRED')) !== passphrase)
          throw new AppError('BAD_INPUT', 'The passphrases differ.');
      }
      await rt.secrets.setup({ passphrase });
    } else {
      await unlockSecrets(rt);
    }
    let entry: SecretEntry;
    try {
      entry = rt.secrets.set(env.environmentId, name, value);
    } catch (e) {
      recoveryKeyNotice(rt, io); // the key may exist by now: its recovery key is not lost with the value
      throw e;
    }
    const shown = recoveryKeyNotice(rt, io);
    return {
      exit: EXIT.ok,
      json: { secret: entry, ...shown },
      text: `Stored ${name} in ${env.label} (reference ${entry.id}).\n`,
    };
  } finally {
    rt.close();
  }
}

async function keyCommand(
  where: ResolvedDataDir,
  args: string[],
  io: CliIo,
  stdin: NodeJS.ReadableStream,
): Promise<Outcome> {
  const [sub] = args;
  if (sub === 'ack') {
    if (args.length !== 2 || !/^[0-9a-f]{16}$/.test(args[1]!))
      throw usageError('Use: key ack <key-id> (the id printed with the recovery key).');
    const rt = await secretsRuntime(where, null);
    try {
      const st = await rt.secrets.acknowledgeRecoveryKey(args[1]!);
      return {
        exit: EXIT.ok,
        json: st,
        text: `Recovery key of data key ${args[1]} confirmed as stored; it is not shown again.\n`,
      };
    } finally {
      rt.close();
    }
  }
  if (args.length !== 1 || !['status', 'rotate', 'recovery'].includes(sub ?? ''))
    throw usageError('Use: key status|rotate|recovery|ack');
  // Rotation rewrites every secret and the keyring: it needs the data directory to itself.
  const rt = await secretsRuntime(where, sub === 'rotate' ? 'cli-key-rotate' : null);
  try {
    if (sub === 'status') {
      const st = await rt.secrets.status();
      if (st.initialized && !st.unlocked && process.env.STATEWARD_KEY_FILE)
        await rt.secrets.unlock().catch(() => undefined);
      const now = await rt.secrets.status();
      const shown = recoveryKeyNotice(rt, io);
      const unseen = now.recoveryPending.length - (shown.pendingRecoveryKeys?.length ?? 0);
      return {
        exit: EXIT.ok,
        json: { ...now, ...shown },
        text:
          (now.initialized
            ? `Data key ${now.activeKeyId}: ${now.unlocked ? 'unlocked' : 'locked'}; protected by ${now.providers.join(', ') || 'nothing on this machine'}; ${now.secretCount} secret(s).\n`
            : `No data key yet: it is created when the first secret is stored. ${now.secretCount} secret(s).\n`) +
          (unseen > 0
            ? `${unseen} recovery key(s) were never confirmed as stored: unlock secrets (e.g. \`stateward secret list\` with the passphrase) to see them.\n`
            : ''),
      };
    }
    if (sub === 'rotate') {
      await unlockSecrets(rt);
      const st = await rt.secrets.status();
      const needsPassphrase = st.providers.includes('passphrase') && !st.keyFileConfigured;
      const passphrase = needsPassphrase
        ? await promptHidden('Stateward passphrase: ', 'SECRETS_PASSPHRASE_REQUIRED')
        : undefined;
      let r: { recoveryKey: string; keyId: string; reencrypted: number };
      try {
        r = await rt.secrets.rotate(passphrase === undefined ? {} : { passphrase });
      } catch (e) {
        recoveryKeyNotice(rt, io);
        throw e;
      }
      // The new key's recovery key is pending (shown again until `key ack`); the old one
      // still opens older backups (the notice says so when it is pending too).
      const shown = recoveryKeyNotice(rt, io);
      return {
        exit: EXIT.ok,
        json: { ...r, ...shown, recoveryKey: r.recoveryKey },
        text: `Rotated to data key ${r.keyId}; re-encrypted ${r.reencrypted} secret(s).\n`,
      };
    }
    const text = (stdin as { isTTY?: boolean }).isTTY
      ? await promptHidden('Recovery key: ', 'BAD_INPUT')
      : await readStdin(stdin, 4096, 'That is not a recovery key: far too long.');
    const st = await rt.secrets.status();
    let passphrase: string | undefined;
    if (!st.keyFileConfigured && !st.unlocked) {
      passphrase = st.initialized
        ? await promptHidden(
            'This machine’s passphrase (to keep the recovered key): ',
            'SECRETS_PASSPHRASE_REQUIRED',
          )
        : await promptHidden(
            'New passphrase for this machine (8+ characters): ',
            'SECRETS_PASSPHRASE_REQUIRED',
          );
      if (st.initialized) await rt.secrets.unlock({ passphrase });
    }
    const r = await rt.secrets.unlockWithRecoveryKey(text, {
      passphrase: st.initialized ? undefined : passphrase,
    });
    const resolution = rt.secrets.resolveAll(rt.store!.db);
    const shown = recoveryKeyNotice(rt, io);
    return {
      exit: EXIT.ok,
      json: { ...r, resolution, ...shown },
      text: `Recovered data key ${r.keyId}${r.saved ? ' and kept it in this machine’s keyring' : ' for this run only'}; ${resolution.resolved} of ${resolution.total} secret reference(s) resolve.\n`,
    };
  } finally {
    rt.close();
  }
}

async function migrate(where: ResolvedDataDir, dryRun: boolean): Promise<Outcome> {
  const layout = dataDirLayout(where.dir);
  // An interrupted promote or an unfinished write is what the locking start below recovers.
  if (dryRun) refuseWhilePromotePending(where.dir);
  const inspection = inspectDatabase(layout.db);
  const recoverable =
    !dryRun && (pendingPromote(layout) !== null || inspection.error?.code === 'DB_NEEDS_RECOVERY');
  if (inspection.error && !recoverable) throw inspection.error;
  const pending = inspection.plan
    ? inspection.plan.pending.map((m) => m.name)
    : MIGRATIONS.map((m) => m.name);
  if (dryRun) {
    return {
      exit: EXIT.ok,
      json: { dryRun: true, schemaVersion: inspection.schemaVersion, pending },
      text: pending.length
        ? `Would apply ${pending.length} migration(s):\n${pending.map((p) => `  ${p}`).join('\n')}\n`
        : 'Up to date: nothing to apply.\n',
    };
  }
  const rt = await startRuntime({
    dir: where.dir,
    source: where.source,
    transport: 'cli',
    lockMode: 'cli-migrate',
  });
  try {
    if (rt.startup.state === 'refused') throw refusal(rt);
    const applied = rt.store!.applied;
    const recovered = rt.recovered.map((r) => `Recovered: ${r}.\n`).join('');
    return {
      exit: EXIT.ok,
      json: {
        dryRun: false,
        applied,
        schemaVersion: rt.store!.plan.target,
        recovered: rt.recovered,
      },
      text:
        recovered +
        (applied.length
          ? `Applied ${applied.length} migration(s):\n${applied.map((p) => `  ${p}`).join('\n')}\n`
          : 'Up to date: nothing to apply.\n'),
    };
  } finally {
    rt.close();
  }
}

async function demo(
  where: ResolvedDataDir,
  projects: number,
  deployments: number,
  io: CliIo,
): Promise<Outcome> {
  const rt = await startRuntime({
    dir: where.dir,
    source: where.source,
    transport: 'cli',
    lockMode: 'cli-demo',
  });
  try {
    if (rt.startup.state === 'refused') throw refusal(rt);
    const started = Date.now();
    const result = seedDemo(
      rt.store!.db,
      { projects, deployments, actor: `cli@${os.hostname()}`, now: Date.now() },
      (done, total) => {
        io.stderr(
          `\rdemo: ${done}/${total} deployments (${Math.round((done / Math.max(1, total)) * 100)}%)`,
        );
      },
    );
    io.stderr(`\n`);
    return {
      exit: EXIT.ok,
      json: { ...result, dataDir: where.dir, ms: Date.now() - started },
      text: `Created ${result.projects} projects, ${result.environments} environments and ${result.deployments} deployments in ${where.dir}\n`,
    };
  } finally {
    rt.close();
  }
}

/** Run the CLI; resolves to the exit code. Never rejects. */
export async function runCli(
  argv: string[],
  io: CliIo = defaultIo,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<number> {
  // Known before parsing, so even a usage error is reported as JSON.
  let json = argv.includes('--json');
  let dataDir: string | null = null;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'data-dir': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        projects: { type: 'string' },
        deployments: { type: 'string' },
        compact: { type: 'boolean', default: false },
        out: { type: 'string' },
        yes: { type: 'boolean', default: false },
        limit: { type: 'string' },
      },
    });
    json = values.json === true;
    if (values.help) {
      io.stdout(`${USAGE}\n`);
      return EXIT.ok;
    }
    if (values.version) {
      io.stdout(json ? `${JSON.stringify({ version: APP_VERSION })}\n` : `${APP_VERSION}\n`);
      return EXIT.ok;
    }
    const [command, ...rest] = positionals;
    if (!command) throw usageError('No command given.');
    const takesArg = ['verify', 'restore', 'restore-diff', 'promote'].includes(command);
    if (takesArg && rest.length === 0)
      throw usageError(
        `"${command}" needs ${command === 'promote' || command === 'restore-diff' ? 'a restore id' : 'a backup file or id'}.`,
      );
    const takesArgs = ['secret', 'key'].includes(command);
    if (!takesArgs && rest.length > (takesArg ? 1 : 0))
      throw usageError(`Unexpected argument "${rest[takesArg ? 1 : 0]}".`);
    const arg = rest[0] ?? '';
    const onlyFor = (flag: boolean | string | undefined, name: string, cmds: string[]) => {
      if (flag !== undefined && flag !== false && !cmds.includes(command))
        throw usageError(`${name} is not an option of "${command}".`);
    };
    onlyFor(values['dry-run'], '--dry-run', ['migrate']);
    onlyFor(values.projects, '--projects', ['demo']);
    onlyFor(values.deployments, '--deployments', ['demo']);
    onlyFor(values.compact, '--compact', ['backup']);
    onlyFor(values.out, '--out', ['backup']);
    onlyFor(values.yes, '--yes', ['promote']);
    onlyFor(values.limit, '--limit', ['restore-diff']);
    if (values['data-dir'] === '') throw usageError('--data-dir must not be empty.');
    const where = resolveDataDirHere(values['data-dir'], null);
    dataDir = where.dir;
    // A file, a device, a dangling link, home or a folder of other files: refused before anything is touched.
    assertDataDirUsable(where.dir);
    let outcome: Outcome;
    switch (command) {
      case 'status':
        outcome = status(where);
        break;
      case 'migrate':
        outcome = await migrate(where, values['dry-run'] === true);
        break;
      case 'backup':
        if (values.out === '') throw usageError('--out must not be empty.');
        outcome = await backup(where, values.compact === true, values.out, io);
        break;
      case 'backups':
        outcome = await backups(where);
        break;
      case 'verify':
        outcome = await verify(where, arg, io);
        break;
      case 'restore':
        outcome = await restore(where, arg, io);
        break;
      case 'restore-diff':
        outcome = await restoreDiff(
          where,
          arg,
          intOption(values.limit, '--limit', 1, 1_000_000, 200),
        );
        break;
      case 'promote':
        outcome = await promote(where, arg, values.yes === true);
        break;
      case 'secret':
        outcome = await secretCommand(where, rest, io, stdin);
        break;
      case 'key':
        outcome = await keyCommand(where, rest, io, stdin);
        break;
      case 'demo':
        outcome = await demo(
          where,
          intOption(values.projects, '--projects', 1, 1000, 6),
          intOption(values.deployments, '--deployments', 0, 1_000_000, 400),
          io,
        );
        break;
      default:
        throw usageError(`Unknown command "${command}".`);
    }
    // Text mode holds names, paths and ids the user typed: none of their control characters is printed.
    if (json) io.stdout(`${JSON.stringify(outcome.json)}\n`);
    else if (outcome.exit === EXIT.ok || command === 'verify' || command === 'restore')
      io.stdout(terminalSafe(outcome.text));
    else io.stderr(terminalSafe(outcome.text));
    return outcome.exit;
  } catch (e) {
    const resource = resourceFailure(e, dataDir);
    const err: AppErrorShape = isAppError(e)
      ? e.toShape()
      : resource
        ? resource.toShape()
        : (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
          ? usageError((e as Error).message).toShape()
          : { code: 'INTERNAL', message: `Something went wrong: ${(e as Error).message}` };
    if (err.code === 'INTERNAL') io.stderr(`${(e as Error).stack ?? String(e)}\n`);
    if (json) io.stdout(`${JSON.stringify({ error: err })}\n`);
    io.stderr(
      `stateward: ${err.code}: ${terminalSafe(err.message)}\n${err.hint ? `  ${terminalSafe(err.hint)}\n` : ''}`,
    );
    return exitCodeFor(err.code);
  }
}
