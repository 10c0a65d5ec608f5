// Restores for one running data directory: stage a backup into restores/<id>/,
// drill it, preview it read-only, compare it with live, promote or discard it.
// Works while the live store is refused too (the rollback path after a
// downgrade): records then live only in files until a database is open.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import os from 'node:os';
import type {
  Comparison,
  DrillOverview,
  DrillReport,
  DrillStep,
  DrillSummary,
  DrillTarget,
  PreflightReport,
  RestoreCopy,
  RestoreSource,
} from '../../../shared/domain.ts';
import { AppError, isAppError } from '../../../shared/errors.ts';
import type { WritableDB } from '../store/db.ts';
import type { Runtime } from '../runtime.ts';
import { ensureOwnerDir, fsyncDir, listDir, writeFileAtomic } from '../fsutil.ts';
import type { ReadableDB } from '../store/db.ts';
import { openReadOnly, openWritable } from '../store/db.ts';
import { openStore } from '../store/store.ts';
import { sqliteData } from '../store/data.ts';
import { readHistory } from '../store/migrate.ts';
import { appendAudit } from '../store/resources/audit.ts';
import { newestDeployment } from '../store/resources/deployments.ts';
import type { Query, Sql } from '../store/sql.ts';
import { raw, row, runSqlite, SQLITE, tableExists } from '../store/sql.ts';
import { sql } from 'kysely';
import { keepPause, pauseText } from '../store/resources/automation.ts';
import { createBackup } from '../backup/engine.ts';
import { faultPoint } from '../fault.ts';
import { initialFacts, stageRestore } from './preflight.ts';
import { schemaDifference } from './schema-check.ts';
import type { RestoreRecord } from './records.ts';
import {
  APP_SCHEMA_VERSION,
  RECORD,
  RESTORE_ID_RE,
  THIS_PROCESS,
  cleanupRestoreLeftovers,
  copyStatus,
  createCopyDir,
  discardCopyDir,
  inProgress,
  ownerAlive,
  readRecordFile,
  restoreRecordSchema,
  toCopy,
} from './records.ts';
import { runDrill } from './drill.ts';
import { drillOnServer, promoteIntoTeam, teamOf } from './team.ts';
import type { BootOptions } from './boot.ts';
import { clearJournal, journalPath, recoverPromote, swapIn, writeJournal } from './promote.ts';
import { keepMachineSettings } from '../machine-settings.ts';
import { addPromoteGuard, dropPromoteGuard } from './guard.ts';
import { APP_VERSION } from '../version.ts';
import { exactTime } from '../automation.ts';

const DAY = 86_400_000;
export const DRILL_WARNING_DAYS = 30;

const newId = () => crypto.randomBytes(8).toString('hex');

/** The schema a drill left the copy at (its migrations step), or null when that step did not pass. */
function migratedTo(report: DrillReport): number | null {
  const step = report.steps.find((s) => s.key === 'migrations' && s.status === 'pass');
  return typeof step?.facts?.to === 'number' ? step.facts.to : null;
}

/**
 * A copy another version drilled has that version's schema: this one's screens, compare, diff
 * and promote would meet tables it lacks (or does not know). Only a drill here migrates it.
 */
function needsRedrill(id: string, copySchema: number): AppError {
  const details = { copySchema, appSchema: APP_SCHEMA_VERSION };
  if (copySchema > APP_SCHEMA_VERSION)
    return new AppError(
      'RESTORE_NEEDS_REDRILL',
      `Restored copy ${id} has schema ${copySchema}, newer than this version of Stateward knows (schema ${APP_SCHEMA_VERSION}), so it cannot be browsed, compared or promoted.`,
      { hint: 'Discard it, and restore the backup again with this version.', details },
    );
  return new AppError(
    'RESTORE_NEEDS_REDRILL',
    `Restored copy ${id} was drilled by an older version of Stateward (schema ${copySchema}; this version uses schema ${APP_SCHEMA_VERSION}), so it cannot be browsed, compared or promoted yet.`,
    {
      hint: 'Drill it again (Restore & drills → Drill again): the drill migrates the copy to this version and checks it.',
      details,
    },
  );
}

/** Refuse a copy whose file is not at this version's schema (user_version and its migration history). */
function checkCopySchema(id: string, db: ReadableDB): void {
  const history = readHistory(db);
  const schema = Math.max(
    db.pragma('user_version', { simple: true }) as number,
    history[history.length - 1]?.version ?? 0,
  );
  if (schema !== APP_SCHEMA_VERSION) throw needsRedrill(id, schema);
}

/** Whether `file` is directly in `dir` (links resolved where they can be). */
function sameDir(file: string, dir: string): boolean {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(path.dirname(file)) === real(dir);
}

/** Statuses the live database's index of copies knows; the others are in the files only. */
const INDEXED: readonly string[] = ['ready', 'failed', 'promoted', 'discarded'];

export class RestoreService {
  private readonly rt: Runtime;
  private readonly previews = new Map<string, ReadableDB>();
  private busy: string | null = null;
  /** True while a promote runs: the command registry refuses every write then (PROMOTE_IN_PROGRESS). */
  private promoteRunning = false;
  /**
   * The drill's boot step: how the app is started on the copy (the desktop app sets an
   * Electron utility process), or false to leave the step out.
   */
  bootOptions: BootOptions | false = {};

  constructor(rt: Runtime) {
    this.rt = rt;
  }

  private dirOf(id: string): string {
    if (!RESTORE_ID_RE.test(id))
      throw new AppError('RESTORE_NOT_FOUND', `There is no restored copy "${id}".`);
    return path.join(this.rt.layout.restores, id);
  }

  private readRecord(id: string): RestoreRecord {
    const file = path.join(this.dirOf(id), RECORD);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      throw new AppError(
        'RESTORE_NOT_FOUND',
        `There is no restored copy "${id}" (it was discarded or promoted).`,
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined; // not JSON: damaged, like a record that fails its schema
    }
    const parsed = restoreRecordSchema.safeParse(value);
    if (!parsed.success)
      throw new AppError('RESTORE_NOT_FOUND', `The record of restored copy "${id}" is damaged.`);
    return parsed.data;
  }

  private writeRecord(r: RestoreRecord): void {
    writeFileAtomic(path.join(this.dirOf(r.id), RECORD), JSON.stringify(r, null, 2));
    const db = this.rt.store?.db;
    if (db && INDEXED.includes(r.status)) {
      db.prepare(
        `INSERT INTO restores (id, created_at, status, backup_id, file_name, sha256, drill_id, passed, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{}')
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, drill_id = excluded.drill_id, passed = excluded.passed`,
      ).run(
        r.id,
        r.createdAt,
        r.status,
        (r.source.backupId as string | null) ?? null,
        String(r.source.fileName ?? ''),
        (r.source.sha256 as string | null) ?? null,
        r.drillId,
        r.passed ? 1 : 0,
      );
    }
  }

  private audit(action: string, target: string, detail: Record<string, unknown>): void {
    const db = this.rt.store?.db;
    if (db) {
      // Synchronous on the live SQLite file: restores replace that file (rt.store is null in team mode).
      runSqlite(
        db,
        appendAudit(SQLITE, { actor: this.rt.actor, action, target, detail }, this.rt.now()),
      );
      this.rt.events.emit('data.changed', { area: 'audit' });
    } else if (this.rt.team && this.rt.data) {
      // Team mode: into the team's shared audit log (what the team dashboard's "last drill, by
      // whom" reads). Not awaited by the restore; a failure is logged, never lost silently.
      const entry = { actor: this.rt.actor, action, target, detail };
      const now = this.rt.now();
      void this.rt.data
        .write((c) => appendAudit(c, entry, now))
        .then(
          () => this.rt.events.emit('data.changed', { area: 'audit' }),
          (e: unknown) =>
            this.rt.logger.log(
              'warn',
              `${action} ${target} ${JSON.stringify(detail)} (not audited: ${(e as Error).message})`,
            ),
        );
    } else {
      this.rt.logger.log(
        'info',
        `${action} ${target} ${JSON.stringify(detail)} (not audited: the live database is not open)`,
      );
    }
  }

  private resolveSource(source: RestoreSource): string {
    if ('backupId' in source) {
      const entry = this.rt.backups.list().find((b) => b.id === source.backupId);
      if (!entry)
        throw new AppError('NOT_FOUND', `Backup ${source.backupId} is not in the backups folder.`);
      return path.join(this.rt.layout.backups, entry.fileName);
    }
    return path.resolve(source.path);
  }

  private progress(
    opId: string,
    phase: string,
    done: number,
    total: number,
    unit: 'bytes' | 'steps',
    started: number,
  ): void {
    const elapsed = Date.now() - started;
    this.rt.events.emit('progress', {
      opId,
      op: 'restore',
      phase,
      done,
      total,
      unit,
      etaMs: done > 0 && done < total ? Math.round((elapsed / done) * (total - done)) : null,
    });
  }

  /**
   * Preflight a backup and stage its copy. A refused file comes back as a report with ok: false.
   * The copy's folder exists only with its record (copying, owned by this process): if the
   * process dies, the copy shows as interrupted; a verify's temporary copy is removed at the
   * next locking start.
   */
  async stage(
    source: RestoreSource,
    opId: string = crypto.randomUUID(),
    opts: {
      temporary?: boolean;
      /** The file is an upload the HTTP host received (source.path is its temporary). */
      upload?: { fileName: string; sha256: string };
    } = {},
  ): Promise<{ restoreId: string | null; report: PreflightReport; copyMs: number }> {
    const file = this.resolveSource(source);
    const fileName = opts.upload?.fileName ?? path.basename(file);
    const restores = this.rt.layout.restores;
    ensureOwnerDir(restores);
    const id = newId();
    const dir = this.dirOf(id);
    const record: RestoreRecord = {
      id,
      createdAt: this.rt.now(),
      status: 'copying',
      source: { ...initialFacts(fileName), ...('backupId' in source ? source : {}) },
      drillId: null,
      passed: false,
      schemaVersion: 0,
      owner: THIS_PROCESS,
      ...(opts.temporary ? { temporary: true } : {}),
    };
    const started = Date.now();
    const { report } = await stageRestore(file, dir, {
      onProgress: (done, total) => this.progress(opId, 'copy', done, total, 'bytes', started),
      prepareDir: () => createCopyDir(restores, record),
      ...(opts.upload ? { upload: opts.upload } : {}),
    });
    const copyMs = Date.now() - started;
    // Evidence about the file in backups/ only when that is the file read (not an off-site copy or upload).
    report.facts.fromBackups = !opts.upload && sameDir(file, this.rt.layout.backups);
    if (!report.ok) {
      this.audit('restore.refused', `file:${fileName}`, {
        code: report.code,
        reason: report.reason,
      });
      // A backup of the backups folder refused on its way to a drill: that is its newest drill result.
      if (!opts.temporary && 'backupId' in source) this.saveRefusal(source, { report, copyMs });
      return { restoreId: null, report, copyMs };
    }
    fs.writeFileSync(path.join(dir, 'preflight.json'), JSON.stringify({ report, copyMs }), {
      mode: 0o600,
    });
    this.writeRecord({
      ...record,
      status: 'staged',
      source: { ...report.facts },
      schemaVersion: report.facts.schemaVersion,
    });
    this.audit('restore.staged', `restore:${id}`, {
      fileName: report.facts.fileName,
      backupId: report.facts.backupId,
    });
    return { restoreId: id, report, copyMs };
  }

  /** Run the restore drill on a staged copy; stores the report (drills/<id>.json and the live database). */
  async drill(
    restoreId: string,
    opId: string = crypto.randomUUID(),
    target: DrillTarget = 'local',
  ): Promise<DrillReport> {
    // A drill against the server needs a team database: refused before anything is touched.
    if (target === 'server') teamOf(this.rt, 'A drill against the server');
    if (this.busy)
      throw new AppError('CONFLICT', `A drill or promote is already running (${this.busy}).`, {
        hint: 'Wait for it to finish.',
      });
    this.busy = `drill ${restoreId}`;
    /** The record as it was, once the drill has started (and not yet finished). */
    let before: RestoreRecord | null = null;
    try {
      const record = this.readRecord(restoreId);
      const status = copyStatus(record);
      if (status === 'interrupted') {
        throw new AppError(
          'CONFLICT',
          `Restored copy ${restoreId} was interrupted before its drill finished (the process working on it stopped).`,
          { hint: 'Discard it and restore the backup again.' },
        );
      }
      if (record.status !== 'staged' && record.status !== 'ready' && record.status !== 'failed') {
        throw new AppError(
          'CONFLICT',
          status === 'in-progress'
            ? `Restored copy ${restoreId} is being ${record.status === 'copying' ? 'copied' : 'drilled'} by another process (${record.owner?.pid}).`
            : `Restored copy ${restoreId} is ${status}.`,
          { hint: 'Wait for it to finish.' },
        );
      }
      this.closePreview(restoreId);
      // From here until the report is saved, a crash leaves the copy interrupted, whatever it was.
      this.writeRecord({ ...record, status: 'drilling', passed: false, owner: THIS_PROCESS });
      before = record;
      const pre = JSON.parse(
        fs.readFileSync(path.join(this.dirOf(restoreId), 'preflight.json'), 'utf8'),
      ) as { report: PreflightReport; copyMs: number };
      const started = Date.now();
      const common = {
        copy: path.join(this.dirOf(restoreId), 'stateward.db'),
        restoreId,
        // Staged by another version, maybe: the drill migrates the copy to this one's schema.
        preflight: {
          ...pre.report,
          facts: { ...pre.report.facts, appSchemaVersion: APP_SCHEMA_VERSION },
        },
        copyMs: pre.copyMs,
        now: this.rt.now,
        onStep: (step: DrillStep, i: number, total: number) =>
          this.progress(opId, step.title, i, total, 'steps', started),
      };
      const report =
        target === 'server'
          ? // In a scratch schema of the team database; the local copy is only read.
            await drillOnServer(this.rt, common)
          : await runDrill({
              ...common,
              resolveSecrets: (db) => this.rt.secrets.resolveAll(db),
              boot: this.bootOptions,
            });
      // Leave the copy as a single file (rollback-journal mode): a read-only preview then creates nothing beside it.
      if (report.passed) {
        const db = openWritable(path.join(this.dirOf(restoreId), 'stateward.db'));
        try {
          db.pragma('journal_mode = DELETE');
        } finally {
          db.close();
        }
      }
      this.saveDrill(report);
      // A verify's copy is discarded next: it never becomes one that could be promoted.
      if (!record.temporary)
        this.writeRecord({
          ...record,
          status: report.passed ? 'ready' : 'failed',
          drillId: report.id,
          passed: report.passed,
          // A server drill migrates its scratch schema, never the copy.
          schemaVersion: (target === 'local' ? migratedTo(report) : null) ?? record.schemaVersion,
          owner: null,
        });
      before = null;
      return report;
    } finally {
      // A drill that threw (not one that failed a step) leaves the record as it was before.
      if (before) {
        try {
          this.writeRecord(before);
        } catch (e) {
          this.rt.logger.log('warn', `could not restore the record of copy ${restoreId}`, e);
        }
      }
      this.busy = null;
    }
  }

  /** Verify: stage into a temporary copy, drill, and discard the copy; the report stays. */
  async verify(
    source: RestoreSource,
    opId: string = crypto.randomUUID(),
    target: DrillTarget = 'local',
  ): Promise<DrillReport> {
    if (target === 'server') teamOf(this.rt, 'A drill against the server');
    const staged = await this.stage(source, opId, { temporary: true });
    if (!staged.restoreId) return this.saveRefusal(source, staged);
    try {
      return await this.drill(staged.restoreId, opId, target);
    } finally {
      this.discard(staged.restoreId, { quiet: true });
    }
  }

  /**
   * A drill refused at preflight, kept as a failed drill report: it is evidence about
   * that backup (a hash mismatch makes it 'damaged' wherever its state is shown).
   */
  private saveRefusal(
    source: RestoreSource,
    staged: { report: PreflightReport; copyMs: number },
  ): DrillReport {
    const now = this.rt.now();
    const facts = staged.report.facts;
    const report: DrillReport = {
      id: newId(),
      restoreId: null,
      startedAt: now,
      finishedAt: now,
      passed: false,
      summary: `Refused at preflight (${staged.report.code}): ${staged.report.reason}`,
      appVersion: APP_VERSION,
      machine: os.hostname(),
      // A refusal can come before the facts name the backup; the backup asked for is the one refused.
      source: {
        ...facts,
        backupId: facts.backupId ?? ('backupId' in source ? source.backupId : null),
      },
      steps: [
        {
          key: 'preflight',
          title: 'Preflight',
          status: 'fail',
          ms: staged.copyMs,
          detail: `${staged.report.reason}${staged.report.hint ? ` ${staged.report.hint}` : ''}`,
          facts: { code: staged.report.code },
        },
      ],
      warnings: staged.report.warnings,
    };
    this.saveDrill(report);
    return report;
  }

  private saveDrill(report: DrillReport): void {
    ensureOwnerDir(this.rt.layout.drills);
    writeFileAtomic(
      path.join(this.rt.layout.drills, `${report.id}.json`),
      JSON.stringify(report, null, 2),
    );
    this.indexDrill(report);
    this.audit(
      report.passed ? 'drill.passed' : 'drill.failed',
      report.source.backupId
        ? `backup:${report.source.backupId}`
        : `file:${report.source.fileName}`,
      {
        drillId: report.id,
        summary: report.summary,
      },
    );
    this.rt.events.emit('data.changed', { area: 'backups' });
  }

  private indexDrill(r: DrillReport): void {
    this.rt.store?.db
      .prepare(
        `INSERT OR IGNORE INTO drills (id, restore_id, backup_id, file_name, sha256, started_at, finished_at, passed, summary)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        r.id,
        r.restoreId,
        r.source.backupId,
        r.source.fileName,
        r.source.sha256,
        r.startedAt,
        r.finishedAt,
        r.passed ? 1 : 0,
        r.summary,
      );
  }

  /** Drill reports on disk, newest first (the durable record: they survive a promote). */
  drillReports(): DrillReport[] {
    return readDrillReports(this.rt.layout.drills, (n) =>
      this.rt.logger.log('warn', `ignored unreadable drill report ${n}`),
    );
  }

  /** Bring the live database's drill index up to date with the files (after a promote replaced it). */
  syncDrillIndex(): void {
    if (!this.rt.store) return;
    const db = this.rt.store.db;
    db.transaction(() => {
      for (const r of this.drillReports()) this.indexDrill(r);
    })();
  }

  drills(limit = 200): DrillSummary[] {
    return this.drillReports()
      .slice(0, limit)
      .map((r) => ({
        id: r.id,
        restoreId: r.restoreId,
        backupId: r.source.backupId,
        fileName: r.source.fileName,
        startedAt: r.startedAt,
        finishedAt: r.finishedAt,
        passed: r.passed,
        summary: r.summary,
        empty: r.empty === true,
      }));
  }

  drillReport(id: string): DrillReport {
    if (!/^[0-9a-f]{16}$/.test(id))
      throw new AppError('NOT_FOUND', `There is no drill report "${id}".`);
    const report = readDrillReportFile(path.join(this.rt.layout.drills, `${id}.json`));
    if (!report) throw new AppError('NOT_FOUND', `There is no drill report "${id}".`);
    return report;
  }

  overview(): DrillOverview {
    const all = this.drills();
    const last = all[0] ?? null;
    // A drill of an empty backup proves the file restores, not that any data does: never "successful" here.
    const lastPassed = all.find((d) => d.passed && !d.empty) ?? null;
    const warnings: DrillOverview['warnings'] = [];
    const now = this.rt.now();
    if (!lastPassed && all.some((d) => d.passed))
      warnings.push({
        code: 'ONLY_EMPTY_DRILLED',
        message:
          'Only an empty backup was drilled: it held no projects and no deployments, which proves the file restores, not that your data does. Drill a backup taken since your data arrived.',
      });
    else if (!lastPassed)
      warnings.push({
        code: 'NO_DRILL',
        message: 'No restore drill has passed yet: nothing proves your backups restore.',
      });
    else if (now - lastPassed.finishedAt > DRILL_WARNING_DAYS * DAY) {
      warnings.push({
        code: 'DRILL_OVERDUE',
        message: `The last successful restore drill was ${Math.floor((now - lastPassed.finishedAt) / DAY)} days ago (more than ${DRILL_WARNING_DAYS}).`,
      });
    }
    if (last && !last.passed)
      warnings.push({
        code: 'LAST_DRILL_FAILED',
        message: `The last restore drill failed: ${last.summary}`,
      });
    return { last, lastPassed, warnings };
  }

  list(): RestoreCopy[] {
    const out: RestoreCopy[] = [];
    for (const n of listDir(this.rt.layout.restores)) {
      if (!RESTORE_ID_RE.test(n)) continue;
      try {
        const record = this.readRecord(n);
        // A verify's copy while its verify runs is not a restored copy (one whose verify died is listed, as interrupted).
        if (record.temporary && ownerAlive(record.owner)) continue;
        out.push(toCopy(record));
      } catch (e) {
        if (!isAppError(e)) throw e;
      }
    }
    return out.sort((a, b) => b.createdAt - a.createdAt);
  }

  /**
   * At a locking start: remove what crashed restores left (a verify's copy, a folder
   * half made or half removed). Never throws; returns the names removed.
   */
  cleanupLeftovers(): string[] {
    const { restores, drills } = this.rt.layout;
    const removed = cleanupRestoreLeftovers(restores, drills, (m, e) =>
      this.rt.logger.log('warn', m, e),
    );
    if (removed.length)
      this.rt.logger.log(
        'warn',
        `removed what ${removed.length === 1 ? 'a crashed restore' : 'crashed restores'} left: ${removed.join(', ')}`,
      );
    return removed;
  }

  /** One restored copy: its own record, without reading every other one. */
  get(id: string): RestoreCopy {
    return toCopy(this.readRecord(id));
  }

  /** A read-only handle on a drilled copy, for browsing it with the live screens. */
  previewDb(id: string): ReadableDB {
    const open = this.previews.get(id);
    if (open) return open;
    const record = this.readRecord(id);
    const status = copyStatus(record);
    if (status === 'interrupted')
      throw new AppError(
        'RESTORE_NOT_VERIFIED',
        'This copy was interrupted before its drill finished, so it cannot be browsed.',
        { hint: 'Discard it and restore the backup again.' },
      );
    if (!record.drillId || status === 'in-progress') {
      throw new AppError(
        'RESTORE_NOT_VERIFIED',
        'Run the restore drill on this copy before browsing it.',
        {
          hint: 'The drill migrates the copy to this version; only then do the screens understand it.',
        },
      );
    }
    if (status === 'needs-redrill') throw needsRedrill(id, record.schemaVersion);
    const db = openReadOnly(path.join(this.dirOf(id), 'stateward.db'));
    try {
      // The file, not only its record, says which schema it has.
      checkCopySchema(id, db);
    } catch (e) {
      db.close();
      throw e;
    }
    this.previews.set(id, db);
    return db;
  }

  closePreview(id: string): void {
    this.previews.get(id)?.close();
    this.previews.delete(id);
  }

  /** Secret references in a drilled copy and whether they resolve here (for re-binding after a restore). */
  secrets(id: string) {
    return this.rt.secrets.resolveAll(this.previewDb(id));
  }

  /** The copy beside the live data (the local database, or in team mode the team database). */
  async compare(id: string): Promise<Comparison> {
    const copy = this.previewDb(id);
    const live = this.rt.store ? sqliteData(this.rt.store.db) : this.rt.team ? this.rt.data : null;
    const liveSide = live ? await live.read(comparedSide) : null;
    const copySide = runSqlite(copy, comparedSide(SQLITE));
    return {
      restoreId: id,
      schemaVersion: { live: liveSide?.schemaVersion ?? null, copy: copySide.schemaVersion },
      tables: COMPARED_TABLES.map((t, i) => ({
        table: t,
        live: liveSide ? liveSide.counts[i]! : null,
        copy: copySide.counts[i] ?? 0,
      })),
      newestDeployment: { live: liveSide?.newest ?? null, copy: copySide.newest },
    };
  }

  /**
   * Remove a restored copy (only the files Stateward wrote in its folder). Refused
   * while a live process is copying or drilling it; an interrupted copy can always go.
   */
  discard(id: string, opts: { quiet?: boolean } = {}): void {
    const record = this.readRecord(id);
    const mine = record.owner?.token === THIS_PROCESS.token;
    if (
      this.busy === `drill ${id}` ||
      (record.status !== 'staged' && inProgress(record) && !mine)
    ) {
      throw new AppError(
        'CONFLICT',
        `Restored copy ${id} is being ${record.status === 'copying' ? 'copied' : 'drilled'} right now${!mine && record.owner ? ` (by process ${record.owner.pid})` : ''}.`,
        { hint: 'Wait for it to finish, then discard it.' },
      );
    }
    this.closePreview(id);
    const kept = discardCopyDir(this.rt.layout.restores, id);
    if (kept.length)
      this.rt.logger.log(
        'warn',
        `discarded copy ${id}: kept files Stateward did not write in its folder (${kept.join(', ')})`,
      );
    if (this.rt.store) {
      this.rt.store.db.prepare(`UPDATE restores SET status = 'discarded' WHERE id = ?`).run(id);
    }
    if (!opts.quiet)
      this.audit('restore.discarded', `restore:${id}`, { fileName: record.source.fileName });
    this.rt.events.emit('data.changed', { area: 'backups' });
  }

  /** A promote is running: writes must be refused (the registry's write barrier). */
  get promoting(): boolean {
    return this.promoteRunning;
  }

  /**
   * Another process promoted a copy while this one (without the lock) had the old
   * database open, so its writes hit the write guard. Once that promote is over
   * (no journal), reopen the live database: the next write goes to the new one.
   */
  followPromote(): void {
    const old = this.rt.store;
    const over = !fs.existsSync(journalPath(this.rt.layout));
    if (this.rt.lock || !old || !over) return;
    this.rt.setStore(openStore(this.rt.layout));
    old.close();
  }

  /**
   * Make a drilled, passing copy the live database: a pre-restore backup of live,
   * then the crash-safe swap, then reopen. Requires this process to hold the lock.
   * No acknowledged write is lost: from the start, this process refuses writes
   * (promoting) and the live connection holds the write lock, so the backup holds
   * everything committed; the old database then refuses writes of other processes
   * (the guard triggers) before it is moved aside.
   */
  async promote(id: string): Promise<{ preRestoreBackup: string | null }> {
    if (!this.rt.lock) throw this.noLock();
    if (this.busy)
      throw new AppError('CONFLICT', `A drill or promote is already running (${this.busy}).`);
    const record = this.readRecord(id);
    if (record.status === 'promoted')
      // Its folder keeps only the record: the copy itself is live now.
      throw new AppError(
        'RESTORE_NOT_FOUND',
        `Restored copy ${id} was already made live: there is no copy left to promote.`,
        { hint: 'It is the live database now. To go back, restore its pre-restore backup.' },
      );
    if (!record.drillId || !record.passed) {
      throw new AppError(
        'RESTORE_NOT_VERIFIED',
        'Only a copy that passed its restore drill can be made live.',
        {
          hint: record.drillId ? 'Its drill failed: pick another backup.' : 'Run the drill first.',
        },
      );
    }
    if (copyStatus(record) === 'needs-redrill') throw needsRedrill(id, record.schemaVersion);
    const copyDb = openReadOnly(path.join(this.dirOf(id), 'stateward.db'));
    try {
      checkCopySchema(id, copyDb);
      // Its drill checked the schema of the file it drilled; the copy may have been changed since.
      const diff = schemaDifference(copyDb);
      const first = diff.extra[0] ?? diff.missing[0];
      if (first !== undefined)
        throw new AppError(
          'NOT_A_STATEWARD_DB',
          `Restored copy ${id} was changed since its drill passed: its schema is not the one Stateward's migrations create (${diff.extra.length ? 'an object Stateward never creates' : 'an object missing or changed'}: ${first}). Nothing was changed.`,
          {
            hint: 'Discard it, and restore the backup again.',
            details: { extra: diff.extra.slice(0, 20), missing: diff.missing.slice(0, 20) },
          },
        );
    } finally {
      copyDb.close();
    }
    if (this.rt.team) return this.promoteTeam(id);
    this.busy = `promote ${id}`;
    this.promoteRunning = true;
    const layout = this.rt.layout;
    const live = this.rt.store?.db ?? null;
    try {
      // 0. Hold the write lock of live until it is closed; guard triggers, created in
      //    this transaction, abort any write of this process that is already under way.
      if (live) this.lockLive(live);
      // 1. A pre-restore backup of live (even a refused database is copied: nothing is lost).
      let pre: string | null = null;
      if (fs.existsSync(layout.db) && fs.statSync(layout.db).size > 0) {
        try {
          pre = (
            await createBackup({
              source: layout.db,
              outDir: layout.backups,
              ownFolder: true,
              kind: 'pre-restore',
              compact: false,
              now: this.rt.now,
            })
          ).path;
        } catch (e) {
          if (this.rt.store) {
            throw new AppError(
              'PROMOTE_FAILED',
              `The pre-restore backup of the live data failed, so nothing was changed: ${(e as Error).message}`,
              {
                hint: 'Free disk space or fix the backups folder, then try again.',
              },
            );
          }
          // The live database is refused (damaged or foreign): it is kept aside untouched instead.
          this.rt.logger.log(
            'warn',
            'pre-restore backup of a refused live database failed; keeping the old files aside',
            e,
          );
        }
      }
      faultPoint('promote:backed-up');
      this.closePreview(id);
      const copy = path.join(this.dirOf(id), 'stateward.db');
      const journal = {
        restoreId: id,
        copy,
        copyIno: fs.statSync(copy).ino,
        liveIno: fs.existsSync(layout.db) ? fs.statSync(layout.db).ino : null,
        aside: path.join(layout.dir, `promote-aside-${id}`),
        startedAt: this.rt.now(),
        preRestoreBackup: pre,
      };
      // This machine's settings stay its own, never the copy's (machine-settings.ts).
      keepMachineSettings(layout, live);
      // So does a pause of automation in force now (the copy may bring another, or none).
      const pause = live ? runSqlite(live, pauseText(SQLITE)) : null;
      writeJournal(layout, journal);
      faultPoint('promote:journal-written');
      // 2. Commit the guard (with the journal written, a crash from here on is rolled back
      //    or finished, and a rollback drops it), close live (FULL sync), swap, reopen.
      if (live) live.exec('COMMIT');
      this.rt.store?.close();
      this.rt.setStore(null);
      faultPoint('promote:live-closed');
      swapIn(layout, journal);
      const store = openStore(layout);
      // A copy of a database backed up mid-promote by another process carries the guard.
      dropPromoteGuard(store.db);
      store.db.transaction(() => runSqlite(store.db, keepPause(SQLITE, pause, this.rt.now())))();
      this.rt.setStore(store);
      faultPoint('promote:reopened');
      // The journal goes only after the bookkeeping: a crash in between is finished at the next start.
      this.afterPromote(journal.restoreId, journal.aside, pre !== null);
      clearJournal(layout);
      faultPoint('promote:done');
      return { preRestoreBackup: pre };
    } catch (e) {
      // Not committed yet: the guard goes with the transaction; live stays as it was.
      if (live?.open && live.inTransaction) live.exec('ROLLBACK');
      if (live?.open) live.pragma('synchronous = NORMAL');
      if (fs.existsSync(journalPath(layout))) {
        // Failed mid-swap in this process: the same recovery as after a crash.
        const recovery = recoverPromote(layout);
        if (!this.rt.store) {
          try {
            this.rt.setStore(openStore(layout));
          } catch (reopen) {
            this.rt.logger.log(
              'error',
              'could not reopen the live database after a failed promote',
              reopen,
            );
          }
        }
        // The old database is live again: the guard committed into it goes.
        if (recovery?.outcome === 'rolled-back' && this.rt.store) {
          try {
            dropPromoteGuard(this.rt.store.db);
            // Only now does the journal go: until then the next start redoes the rollback and the drop.
            clearJournal(layout);
          } catch (drop) {
            this.rt.logger.log(
              'error',
              'could not remove the write guard of a failed promote',
              drop,
            );
          }
        }
      }
      if (isAppError(e)) throw e;
      this.rt.logger.log('error', 'promote failed', e);
      throw new AppError(
        'PROMOTE_FAILED',
        `Promote failed and was rolled back: ${(e as Error).message}`,
        { cause: e },
      );
    } finally {
      this.promoteRunning = false;
      this.busy = null;
    }
  }

  /**
   * Team mode: the copy replaces the team's state in one PostgreSQL transaction
   * (restore/team.ts), after a pre-restore backup; this process refuses writes
   * meanwhile, and every other instance's writes are refused by the promote lock.
   */
  private async promoteTeam(id: string): Promise<{ preRestoreBackup: string | null }> {
    this.busy = `promote ${id}`;
    this.promoteRunning = true;
    try {
      this.closePreview(id);
      const copy = path.join(this.dirOf(id), 'stateward.db');
      const r = await promoteIntoTeam(this.rt, id, copy);
      // The copy is live on the server: its folder keeps only the record, as after a local promote.
      this.afterPromote(id, path.join(this.rt.layout.dir, `promote-aside-${id}`), true);
      fs.rmSync(copy, { force: true });
      return { preRestoreBackup: r.preRestoreBackup };
    } finally {
      this.promoteRunning = false;
      this.busy = null;
    }
  }

  /** Why a promote cannot run in this process: the real reason its lock could not be taken. */
  private noLock(): AppError {
    const why = this.rt.lockError;
    if (!why || why.code === 'DATA_DIR_LOCKED') {
      return new AppError(
        'DATA_DIR_LOCKED',
        why
          ? `Promote needs the data directory to itself, and another process holds it: ${why.message}`
          : 'Promote needs the data directory to itself, and this process runs without its lock.',
        {
          hint: 'Close the Stateward app (or the host) using this data directory, then try again.',
          ...(why?.details ? { details: why.details } : {}),
        },
      );
    }
    return new AppError(
      why.code,
      `Promote needs the data directory to itself, but this process could not lock it: ${why.message}`,
      {
        hint: `${why.hint ?? 'Fix that first.'} The lock is taken when Stateward starts: restart it on this data directory, then promote.`,
        ...(why.details ? { details: why.details } : {}),
      },
    );
  }

  /** Take the write lock of live and add the guard in that open transaction. */
  private lockLive(live: WritableDB): void {
    // FULL sync for the guard's commit and the last checkpoint (a transaction cannot change it).
    live.pragma('synchronous = FULL');
    try {
      live.exec('BEGIN IMMEDIATE');
    } catch (e) {
      live.pragma('synchronous = NORMAL');
      if (String((e as { code?: unknown }).code).startsWith('SQLITE_BUSY')) {
        throw new AppError(
          'DATA_DIR_BUSY',
          'Another process is writing to the live database, so the promote did not start; nothing was changed.',
          { hint: 'Try again when that process is done.', cause: e },
        );
      }
      throw e;
    }
    addPromoteGuard(live);
  }

  /** Bookkeeping once a promoted copy is live (also after a crash-interrupted promote is finished). */
  afterPromote(restoreId: string, aside: string, backedUp: boolean): void {
    const dir = path.join(this.rt.layout.restores, restoreId);
    // Without a record (it went with an earlier clean-up) the audit entry below still says what happened.
    const record = readRecordFile(dir);
    try {
      if (record) this.writeRecord({ ...record, status: 'promoted' });
    } catch {
      // the copy is live already: a record that cannot be rewritten never fails the promote
    }
    this.syncDrillIndex();
    this.audit('restore.promoted', `restore:${restoreId}`, {
      aside: backedUp ? null : aside,
      preRestoreBackup: backedUp,
    });
    // With a verified pre-restore backup taken, the old files aside are redundant.
    if (backedUp) fs.rmSync(aside, { recursive: true, force: true });
    // The copy moved into place; what a read-only preview left beside it goes too.
    for (const f of ['stateward.db-wal', 'stateward.db-shm'])
      fs.rmSync(path.join(dir, f), { force: true });
    fs.rmSync(path.join(dir, 'preflight.json'), { force: true });
    fsyncDir(this.rt.layout.dir);
    this.rt.events.emit('data.changed', { area: 'projects' });
    this.rt.events.emit('data.changed', { area: 'deployments' });
    this.rt.events.emit('data.changed', { area: 'backups' });
  }

  /** Human-readable reports for auditors. */
  exportReport(
    id: string,
    format: 'markdown' | 'html',
  ): { fileName: string; mime: string; content: string } {
    const r = this.drillReport(id);
    const md = drillMarkdown(r);
    if (format === 'markdown')
      return { fileName: `stateward-drill-${r.id}.md`, mime: 'text/markdown', content: md };
    return { fileName: `stateward-drill-${r.id}.html`, mime: 'text/html', content: drillHtml(r) };
  }
}

/** Drill reports in a drills folder, newest first; unreadable files are skipped (and reported). */
/** JSON that has what every reader of a drill report uses (a file edited into something else has not). */
function isDrillReport(v: unknown): v is DrillReport {
  const obj = (x: unknown): x is Record<string, unknown> =>
    x !== null && typeof x === 'object' && !Array.isArray(x);
  if (!obj(v) || !obj(v['source'])) return false;
  const source = v['source'];
  return (
    typeof v['id'] === 'string' &&
    typeof v['startedAt'] === 'number' &&
    typeof v['finishedAt'] === 'number' &&
    typeof v['passed'] === 'boolean' &&
    typeof v['summary'] === 'string' &&
    Array.isArray(v['warnings']) &&
    Array.isArray(v['steps']) &&
    v['steps'].every(
      (s) =>
        obj(s) &&
        typeof s['key'] === 'string' &&
        typeof s['title'] === 'string' &&
        typeof s['status'] === 'string' &&
        typeof s['detail'] === 'string',
    ) &&
    typeof source['fileName'] === 'string' &&
    typeof source['bytes'] === 'number'
  );
}

/** The drill report in `file`; null when it cannot be read or is not one. */
function readDrillReportFile(file: string): DrillReport | null {
  try {
    const v: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return isDrillReport(v) ? v : null;
  } catch {
    return null;
  }
}

export function readDrillReports(
  dir: string,
  onUnreadable: (name: string) => void = () => {},
): DrillReport[] {
  const out: DrillReport[] = [];
  for (const n of listDir(dir)) {
    if (!/^[0-9a-f]{16}\.json$/.test(n)) continue;
    const report = readDrillReportFile(path.join(dir, n));
    if (report) out.push(report);
    else onUnreadable(n);
  }
  return out.sort((a, b) => b.finishedAt - a.finishedAt);
}

const fmtTime = (t: number | null) => (t === null ? '—' : exactTime(t));

/** Text for Markdown (a table cell too): no raw HTML, no cell border, no emphasis or link. */
const mdText = (s: unknown) =>
  String(s)
    .replace(/[\\`*_[\]|#]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\s*\n\s*/g, ' ');

/** A SHA-256 as code; anything else (a report file edited by hand) as plain text: a backtick cannot end the code span. */
const hexOrText = (h: unknown) =>
  typeof h === 'string' && /^[0-9a-f]{64}$/.test(h) ? `\`${h}\`` : mdText(h ?? '—');

export function drillMarkdown(r: DrillReport): string {
  const lines = [
    `# Stateward restore drill — ${r.passed ? 'PASSED' : 'FAILED'}`,
    '',
    mdText(r.summary),
    '',
    '| | |',
    '|---|---|',
    `| Drill | ${mdText(r.id)} |`,
    `| Run | ${fmtTime(r.startedAt)} → ${fmtTime(r.finishedAt)} (${((r.finishedAt - r.startedAt) / 1000).toFixed(1)} s) |`,
    `| Machine | ${mdText(r.machine)} |`,
    `| Stateward | ${mdText(r.appVersion)} |`,
    `| Backup file | ${mdText(r.source.fileName)} |`,
    `| Backup id / kind | ${mdText(r.source.backupId ?? '—')} / ${mdText(r.source.kind ?? '—')} |`,
    `| Taken | ${fmtTime(r.source.createdAt)} by Stateward ${mdText(r.source.appVersion ?? '—')} |`,
    `| Size | ${r.source.bytes.toLocaleString('en-US')} bytes |`,
    `| SHA-256 | ${hexOrText(r.source.sha256)} (${r.source.manifest === 'sidecar' ? 'matches its manifest' : r.source.manifest === 'embedded' ? 'no manifest file; facts from inside the file' : 'no manifest'}) |`,
    `| Schema | ${mdText(r.source.schemaVersion)} → ${mdText(r.source.appSchemaVersion)} |`,
    '',
    '## Steps',
    '',
    '| Step | Result | Time | Detail |',
    '|---|---|---|---|',
    ...r.steps.map(
      (s) =>
        `| ${mdText(s.title)} | ${mdText(String(s.status).toUpperCase())} | ${mdText(s.ms)} ms | ${mdText(s.detail)} |`,
    ),
  ];
  for (const s of r.steps) {
    // A report file edited by hand may hold anything here: printed as text, or not at all.
    if (!Array.isArray(s.probes) || !s.probes.length) continue;
    lines.push(
      '',
      `## ${mdText(s.title)}: requests`,
      '',
      '| Probe | Request | HTTP | Time | Result | Detail |',
      '|---|---|---|---|---|---|',
      ...s.probes.map(
        (p) =>
          `| ${mdText(p.name)} | ${mdText(p.request ?? '—')} | ${mdText(p.httpStatus ?? '—')} | ${mdText(p.ms)} ms | ${mdText(String(p.status).toUpperCase())} | ${mdText(p.detail)} |`,
      ),
    );
    if (Array.isArray(s.log) && s.log.length)
      lines.push('', "The app's last log lines:", '', ...s.log.map((l) => `- ${mdText(l)}`));
  }
  if (r.warnings.length)
    lines.push('', '## Warnings', '', ...r.warnings.map((w) => `- ${mdText(w)}`));
  lines.push('', 'Sign-off: ______________________  Date: __________', '');
  return lines.join('\n');
}

const esc = (s: unknown) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

export function drillHtml(r: DrillReport): string {
  const rows = r.steps
    .map(
      (s) =>
        `<tr class="${esc(String(s.status))}"><td>${esc(s.title)}</td><td><b>${esc(String(s.status).toUpperCase())}</b></td><td>${esc(String(s.ms))} ms</td><td>${esc(s.detail)}</td></tr>`,
    )
    .join('\n');
  const fact = (k: string, v: unknown) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`;
  const probes = r.steps
    .filter((s) => Array.isArray(s.probes) && s.probes.length)
    .map(
      (s) =>
        `<h2>${esc(s.title)}: requests</h2><table class="probes"><tr><th>Probe</th><th>Request</th><th>HTTP</th><th>Time</th><th>Result</th><th>Detail</th></tr>
${s
  .probes!.map(
    (p) =>
      `<tr class="${esc(String(p.status))}"><td>${esc(String(p.name))}</td><td><code>${esc(String(p.request ?? '—'))}</code></td><td>${esc(String(p.httpStatus ?? '—'))}</td><td>${esc(String(p.ms))} ms</td><td><b>${esc(String(p.status).toUpperCase())}</b></td><td>${esc(String(p.detail))}</td></tr>`,
  )
  .join('\n')}</table>${
          Array.isArray(s.log) && s.log.length
            ? `<p>The app's last log lines:</p><pre>${s.log.map((l) => esc(String(l))).join('\n')}</pre>`
            : ''
        }`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stateward restore drill ${esc(r.id)}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#111}h1{font-size:1.4rem}
table{border-collapse:collapse;width:100%;margin:1rem 0}td,th{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}table:first-of-type th{width:14rem}table:last-of-type td:nth-child(-n+3){width:1%;white-space:nowrap}.pass b{color:#0a6b2a}.warn b{color:#8a5a00}.fail b{color:#b00020}.skip b{color:#666}
.verdict{font-size:1.1rem;padding:.5rem .75rem;border-radius:6px;background:${r.passed ? '#e6f4ea' : '#fde8ea'}}code{font-size:12px}</style></head>
<body><h1>Stateward restore drill — ${r.passed ? 'PASSED' : 'FAILED'}</h1>
<p class="verdict">${esc(r.summary)}</p>
<table>${fact('Drill', r.id)}${fact('Run', `${fmtTime(r.startedAt)} → ${fmtTime(r.finishedAt)}`)}${fact('Machine', r.machine)}${fact('Stateward', r.appVersion)}
${fact('Backup file', r.source.fileName)}${fact('Backup id / kind', `${r.source.backupId ?? '—'} / ${r.source.kind ?? '—'}`)}${fact('Taken', fmtTime(r.source.createdAt))}
${fact('Size', `${r.source.bytes.toLocaleString('en-US')} bytes`)}<tr><th>SHA-256</th><td><code>${esc(r.source.sha256 ?? '—')}</code></td></tr>${fact('Schema', `${r.source.schemaVersion} → ${r.source.appSchemaVersion}`)}</table>
<h2>Steps</h2><table><tr><th>Step</th><th>Result</th><th>Time</th><th>Detail</th></tr>
${rows}</table>
${probes}
${r.warnings.length ? `<h2>Warnings</h2><ul>${r.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : ''}
<p>Sign-off: ______________________ &nbsp; Date: __________</p></body></html>
`;
}

const COMPARED_TABLES = [
  'projects',
  'environments',
  'config_snapshots',
  'deployments',
  'deployment_logs',
  'runs',
  'resource_status',
  'audit_log',
  'metrics',
] as const;

type ComparedSide = {
  schemaVersion: number;
  /** Rows per COMPARED_TABLES entry (null: the table does not exist there). */
  counts: (number | null)[];
  newest: Comparison['newestDeployment']['copy'];
};

/** One side of a comparison, on either dialect (SQLite: user_version; PostgreSQL: its history). */
function* comparedSide(c: Sql): Query<ComparedSide> {
  const version = yield* row(
    raw<{ v: number | null }>(
      c,
      c.dialect === 'sqlite'
        ? sql`SELECT user_version AS v FROM pragma_user_version`
        : sql`SELECT max(version) AS v FROM schema_migrations`,
    ),
  );
  const counts: (number | null)[] = [];
  for (const t of COMPARED_TABLES) {
    if (!(yield* tableExists(c, t))) {
      counts.push(null);
      continue;
    }
    const n = yield* row(raw<{ n: number }>(c, sql`SELECT count(*) AS n FROM ${sql.table(t)}`));
    counts.push(Number(n?.n ?? 0));
  }
  const d = yield* newestDeployment(c);
  return {
    schemaVersion: Number(version?.v ?? 0),
    counts,
    newest: d
      ? {
          id: d.id,
          version: d.version,
          status: d.status,
          startedAt: d.startedAt,
          project: `${d.projectName}/${d.environmentName}`,
        }
      : null,
  };
}
