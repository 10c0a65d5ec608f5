// Backups for one running data directory: taking them (never two at once),
// recording them (runs, audit), copying them off-site, pruning by retention,
// and the scheduler with catch-up at start.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type {
  BackupEntry,
  BackupKind,
  BackupOverview,
  BackupSettings,
  DrillReport,
} from '../../../shared/domain.ts';
import type { BackupProgressPlan, BackupStage } from '../../../shared/backup-progress.ts';
import { backupProgressTracker } from '../../../shared/backup-progress.ts';
import { AppError, isAppError } from '../../../shared/errors.ts';
import type { Runtime } from '../runtime.ts';
import type { DataStore } from '../store/data.ts';
import { sqliteData } from '../store/data.ts';
import type { WritableDB } from '../store/db.ts';
import type { Query, Sql } from '../store/sql.ts';
import { row, runSqlite, SQLITE } from '../store/sql.ts';
import { appendAudit } from '../store/resources/audit.ts';
import { finishRun, listRuns, startRun } from '../store/resources/runs.ts';
import type { MachineKey } from '../machine-settings.ts';
import {
  describeSettingsProblem,
  getMachineSetting,
  setMachineSettings,
  settingsProblem,
} from '../machine-settings.ts';
import { processAlive } from '../fsutil.ts';
import { createPgBackup } from '../pg/backup.ts';
import { advisoryKey, withTryLock } from '../pg/locks.ts';
import { resourceFailure } from '../store/db.ts';
import type { BackupResult } from './engine.ts';
import { cleanupTemporaries, createBackup, liveSizeOf, removeBackupPair } from './engine.ts';
import { listBackupFiles } from './list.ts';
import { manifestNameFor } from './manifest.ts';
import { copyOffsite, sameFileSystem } from './offsite.ts';
import { selectForDeletion } from './retention.ts';
import { readBackupSettings, settingsSchema } from './settings-schema.ts';
import { countsAsVerified, isUnsafe, verificationOf } from './verification.ts';

// This machine's, in <data>/settings.json (machine-settings.ts): a promote never changes them.
const SETTINGS_KEY: MachineKey = 'backup.settings';
const LAST_SCHEDULED_KEY: MachineKey = 'backup.lastScheduledRunAt';
const LAST_FAILURE_KEY: MachineKey = 'backup.lastFailure';
const SCHEDULER_TICK_MS = 60_000;
/** Why a scheduled backup may not run now but will in a minute: it stays due. */
const POSTPONED = new Set(['DATA_DIR_BUSY', 'PROMOTE_IN_PROGRESS']);

export interface RunOptions {
  kind: BackupKind;
  compact: boolean;
  opId?: string | undefined;
  /** Another folder than backups/ (CLI --out). Retention never touches it. */
  outDir?: string | undefined;
}

type TickResult = 'ran' | 'skipped-unchanged' | 'not-due' | 'busy' | 'failed';

/** When the newest scheduled backup run of this database started (any instance's), or null. */
function* newestScheduledRun(c: Sql): Query<number | null> {
  const runs = yield* listRuns(c, { kind: 'backup', limit: 50 });
  return runs.find((r) => r.detail['kind'] === 'scheduled')?.startedAt ?? null;
}

/** The live change counter (user data changes). */
function* changeSeq(c: Sql): Query<number> {
  const r = yield* row(c.k.selectFrom('change_counter').select('seq').where('id', '=', 1));
  return r?.seq ?? 0;
}

/** The audit entry for a taken backup: what it is and its hash, never its contents. */
export function* auditBackupCreated(
  c: Sql,
  actor: string,
  m: BackupResult['manifest'],
  now: number,
): Query<void> {
  yield* appendAudit(
    c,
    {
      actor,
      action: 'backup.created',
      target: `backup:${m.id}`,
      detail: {
        kind: m.kind,
        compact: m.compact,
        bytes: m.bytes,
        sha256: m.sha256,
        fileName: m.fileName,
      },
    },
    now,
  );
}

export class BackupService {
  private readonly rt: Runtime;
  private running: {
    opId: string;
    kind: BackupKind;
    startedAt: number;
    abort: AbortController;
    /** Settles when this run has ended, however it ended. */
    ended: Promise<void>;
  } | null = null;
  /** Manual backups waiting for a scheduled one to end (opId → its cancel). */
  private readonly waiting = new Map<string, AbortController>();
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  /**
   * The restore drill reports, read once per listing: each backup's verified state is
   * computed from them (the restore feature provides them).
   */
  drillReports: () => DrillReport[] = () => [];

  constructor(rt: Runtime) {
    this.rt = rt;
  }

  private db(): WritableDB {
    if (!this.rt.store) throw new AppError('STORE_NOT_READY', 'The data directory is not open.');
    return this.rt.store.db;
  }

  /** The live data (either backend): where runs and audit entries are recorded. */
  private data(): DataStore {
    if (!this.rt.data) throw new AppError('STORE_NOT_READY', 'The data directory is not open.');
    return this.rt.data;
  }

  /** A machine setting (the live database is read only for a data dir an older version left). */
  private machine(key: MachineKey): unknown {
    return getMachineSetting(this.rt.layout, key, this.rt.store?.db ?? null);
  }

  private setMachine(key: MachineKey, value: unknown): void {
    setMachineSettings(this.rt.layout, { [key]: value }, this.rt.store?.db ?? null);
  }

  settings(): BackupSettings {
    return readBackupSettings(this.machine(SETTINGS_KEY)).settings;
  }

  /** `patch` applied to the current settings, checked (BAD_INPUT when not valid). */
  private checkedSettings(patch: Partial<BackupSettings>): BackupSettings {
    const current = this.settings();
    const next = settingsSchema.safeParse({
      ...current,
      ...patch,
      retention: { ...current.retention, ...(patch.retention ?? {}) },
    });
    if (!next.success) {
      const issue = next.error.issues[0];
      throw new AppError(
        'BAD_INPUT',
        `Invalid ${issue?.path.join('.') ?? 'setting'}: ${issue?.message ?? 'invalid'}.`,
      );
    }
    if (next.data.offsiteDir !== null) {
      const off = path.resolve(next.data.offsiteDir);
      const backups = path.resolve(this.rt.layout.backups);
      if (
        off === backups ||
        off.startsWith(backups + path.sep) ||
        off === path.resolve(this.rt.layout.dir)
      ) {
        throw new AppError('BAD_INPUT', 'The off-site folder must be outside the data directory.', {
          hint: 'Pick a folder on another drive or a synced folder.',
          details: { field: 'offsiteDir' },
        });
      }
    }
    return next.data;
  }

  /**
   * The change of the settings as store work: the audit entry commits only once the
   * file is written (a refused audit writes neither).
   */
  private settingsChange(next: BackupSettings): (c: Sql) => Query<void> {
    const entry = {
      actor: this.rt.actor,
      action: 'backup.settings_changed',
      target: 'backups',
      detail: { ...next },
    };
    const now = this.rt.now();
    const save = () => this.setMachine(SETTINGS_KEY, next);
    return function* (c) {
      yield* appendAudit(c, entry, now);
      save();
    };
  }

  /** Change this machine's backup settings; synchronous (callers read them back at once), on the SQLite store. */
  saveSettings(patch: Partial<BackupSettings>): BackupSettings {
    const next = this.checkedSettings(patch);
    sqliteData(this.db()).writeSync(this.settingsChange(next));
    this.rt.events.emit('data.changed', { area: 'backups' });
    return next;
  }

  /** saveSettings on either backend: in team mode the audit entry goes to the team's log. */
  async updateSettings(patch: Partial<BackupSettings>): Promise<BackupSettings> {
    if (!this.rt.team) return this.saveSettings(patch);
    const next = this.checkedSettings(patch);
    await this.data().write(this.settingsChange(next));
    this.rt.events.emit('data.changed', { area: 'backups' });
    return next;
  }

  /** The backups, newest first (`settings`: when the caller has just read them, not read again). */
  list(settings?: BackupSettings): BackupEntry[] {
    return listBackupFiles(
      this.rt.layout.backups,
      this.rt.store ? (settings ?? this.settings()).offsiteDir : null,
      this.drillReports(),
    );
  }

  cancel(opId: string): boolean {
    const waiting = this.waiting.get(opId);
    if (waiting) {
      waiting.abort();
      return true;
    }
    if (this.running?.opId !== opId) return false;
    this.running.abort.abort();
    return true;
  }

  /**
   * A manual backup asked for while a scheduled one runs: waits for that one to end
   * (cancellable with the manual backup's opId), so "Back up now" is never refused
   * only because the schedule started moments earlier.
   */
  private async afterScheduled(opId: string): Promise<void> {
    const abort = new AbortController();
    this.waiting.set(opId, abort);
    try {
      while (this.running?.kind === 'scheduled') {
        this.rt.events.emit('progress', {
          opId,
          op: 'backup',
          phase: 'waiting',
          done: 0,
          total: 0,
          unit: 'bytes',
          etaMs: null,
          percent: 0,
        });
        const ended = this.running.ended;
        await new Promise<void>((resolve, reject) => {
          const onAbort = () =>
            reject(
              new AppError('CANCELLED', 'The backup was cancelled before it started.', {
                hint: 'Nothing was written.',
              }),
            );
          abort.signal.addEventListener('abort', onAbort, { once: true });
          void ended.then(() => {
            abort.signal.removeEventListener('abort', onAbort);
            resolve();
          });
        });
      }
    } finally {
      this.waiting.delete(opId);
    }
  }

  /**
   * Take one backup now. A manual one waits for a scheduled one that runs; anything else
   * fails with BACKUP_IN_PROGRESS while another runs in this process.
   */
  async run(opts: RunOptions): Promise<BackupEntry> {
    const opId = opts.opId ?? crypto.randomUUID();
    if (opts.kind === 'manual' && this.running?.kind === 'scheduled') {
      await this.afterScheduled(opId);
    }
    if (this.running) {
      throw new AppError(
        'BACKUP_IN_PROGRESS',
        `A ${this.running.kind} backup is already running.`,
        {
          hint: 'Wait for it to finish (or cancel it), then try again.',
        },
      );
    }
    const abort = new AbortController();
    const startedAt = this.rt.now();
    const data = this.data();
    const settings = this.settings();
    let ended!: () => void;
    // Taken before the first await: a second run meanwhile is BACKUP_IN_PROGRESS.
    this.running = {
      opId,
      kind: opts.kind,
      startedAt,
      abort,
      ended: new Promise<void>((resolve) => (ended = resolve)),
    };
    let runId: number;
    try {
      // The pid lets the next start tell a crashed run from one a live CLI process is doing.
      runId = await data.write((c) =>
        startRun(
          c,
          'backup',
          { kind: opts.kind, compact: opts.compact, pid: process.pid },
          startedAt,
        ),
      );
    } catch (e) {
      this.running = null;
      ended();
      throw this.asAppError(e); // a full or busy database: nothing was started
    }
    let result: BackupResult | null = null;
    try {
      const outDir = opts.outDir ?? this.rt.layout.backups;
      const team = this.rt.team;
      const progress = this.progressOf(opId, {
        // Team mode: no local file; the snapshot's progress is in rows.
        liveBytes: team ? 1 : liveSizeOf(this.rt.layout.db),
        compact: opts.compact,
        offsite: settings.offsiteDir !== null && outDir === this.rt.layout.backups,
      });
      // Team mode: a logical snapshot of the team schema, written as a normal backup file.
      const snapshot = team
        ? (req: Omit<Parameters<typeof createBackup>[0], 'source'>) =>
            createPgBackup({
              ...req,
              target: team.target,
              schema: team.schema,
              transport: this.rt.transport,
              log: this.rt.logger,
            })
        : (req: Omit<Parameters<typeof createBackup>[0], 'source'>) =>
            createBackup({ ...req, source: this.rt.layout.db });
      result = await snapshot({
        outDir,
        kind: opts.kind,
        compact: opts.compact,
        dataKeyId: this.rt.secrets.activeKeyId(),
        ownFolder: outDir === this.rt.layout.backups,
        signal: abort.signal,
        now: this.rt.now,
        onProgress: (p) => {
          const part = p.total > 0 ? p.done / p.total : 0;
          // The snapshot's growing file is the copy only; compact strips and vacuums after it.
          const fraction =
            p.phase === 'snapshot'
              ? opts.compact
                ? part / 2
                : part
              : p.phase === 'verify'
                ? (part + (p.checked ? 1 : 0)) / 2
                : part;
          progress(p.phase, fraction, p.done, p.total);
        },
      });
      const made = result;
      await data.write((c) => this.recorded(c, made, runId, this.rt.now()));
      result = null; // recorded: from here on it is kept and reported, whatever happens next
      const entry = await this.afterCreated(made, opts.kind, settings, outDir, (copied, n) =>
        progress('offsite', copied ? 0.5 + n / made.manifest.bytes / 2 : 0, n, made.manifest.bytes),
      );
      progress('done', 1, made.manifest.bytes, made.manifest.bytes);
      return entry;
    } catch (e) {
      // A backup that cannot be recorded (full or busy database) is not reported, so it must not stay.
      if (result) removeBackupPair(result);
      const err = this.asAppError(e);
      await this.bestEffort('recording a failed backup', async () => {
        await data.write((c) =>
          finishRun(
            c,
            runId,
            err.code === 'CANCELLED' ? 'cancelled' : 'failed',
            { kind: opts.kind, code: err.code, message: err.message },
            this.rt.now(),
          ),
        );
        if (err.code !== 'CANCELLED') await this.reportFailure(opts.kind, err);
        else
          await data.write((c) =>
            appendAudit(
              c,
              {
                actor: this.rt.actor,
                action: 'backup.cancelled',
                target: 'backups',
                detail: { kind: opts.kind },
              },
              this.rt.now(),
            ),
          );
      });
      throw err;
    } finally {
      this.running = null;
      ended();
    }
  }

  /**
   * One progress figure for the whole backup (shared/backup-progress.ts): each report
   * of a stage becomes a `progress` event with the stage's bytes, the backup's
   * percentage (never lower than the last) and the time left for all of it.
   */
  private progressOf(opId: string, plan: BackupProgressPlan) {
    const track = backupProgressTracker(plan, Date.now());
    return (stage: BackupStage, fraction: number, done: number, total: number) => {
      const figure = track(stage, fraction, Date.now());
      this.rt.events.emit('progress', {
        opId,
        op: 'backup',
        phase: figure.stage,
        done: Math.min(done, total),
        total,
        unit: 'bytes',
        etaMs: figure.etaMs,
        percent: figure.percent,
      });
    };
  }

  /** Off-site copy, retention and events for a recorded backup; never fails the backup itself. */
  private async afterCreated(
    result: BackupResult,
    kind: BackupKind,
    settings: BackupSettings,
    outDir: string,
    onOffsite?: (copied: boolean, hashed: number) => void,
  ): Promise<BackupEntry> {
    try {
      let offsiteError: AppError | null = null;
      if (settings.offsiteDir && outDir === this.rt.layout.backups) {
        offsiteError = await this.copyOffsite(result, settings.offsiteDir, onOffsite);
      }
      if (kind === 'scheduled') await this.prune(settings);
      if (offsiteError) await this.reportFailure(kind, offsiteError);
    } catch (e) {
      this.rt.logger.log('warn', `after backup ${result.manifest.id}: ${(e as Error).message}`, e);
    }
    const entry =
      (outDir === this.rt.layout.backups
        ? this.list().find((e) => e.id === result.manifest.id)
        : undefined) ?? entryFromResult(result);
    this.rt.events.emit('backup.finished', { entry });
    this.rt.events.emit('data.changed', { area: 'backups' });
    return entry;
  }

  /** A raw failure as an AppError: full disk / busy database get their codes, anything else is INTERNAL (and logged). */
  private asAppError(e: unknown): AppError {
    if (isAppError(e)) return e;
    const known = resourceFailure(e, this.rt.layout.dir);
    if (known) return known;
    this.rt.logger.log('error', 'backup failed unexpectedly', e);
    return new AppError('INTERNAL', `The backup failed: ${(e as Error).message}`, { cause: e });
  }

  /** Bookkeeping after a failure must not hide the failure itself (the disk may be full). */
  private async bestEffort(what: string, fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn(); // a synchronous fn has done its work before this returns
    } catch (e) {
      this.rt.logger.log('warn', `${what} failed too`, e);
    }
  }

  /** A taken backup's run finished and its audit entry (`runId` null: the run is recorded too). */
  private *recorded(c: Sql, result: BackupResult, runId: number | null, now: number): Query<void> {
    const m = result.manifest;
    const id =
      runId ?? (yield* startRun(c, 'backup', { kind: m.kind, compact: m.compact }, m.createdAt));
    yield* finishRun(
      c,
      id,
      'succeeded',
      // The kind stays in the finished run: team instances find the newest scheduled one by it.
      { kind: m.kind, id: m.id, fileName: m.fileName, bytes: m.bytes, durationMs: m.durationMs },
      now,
    );
    yield* auditBackupCreated(c, this.rt.actor, m, now);
  }

  /**
   * Record a backup taken before the store was open (the pre-upgrade one): at
   * start-up, synchronously, on the SQLite file it copied.
   */
  recordEarlier(result: BackupResult): void {
    const now = this.rt.now();
    sqliteData(this.db()).writeSync((c) => this.recorded(c, result, null, now));
  }

  private async copyOffsite(
    result: BackupResult,
    offsiteDir: string,
    onProgress?: (copied: boolean, hashed: number) => void,
  ): Promise<AppError | null> {
    const data = this.data();
    try {
      const dest = await copyOffsite(result.path, result.manifest.sha256, offsiteDir, onProgress);
      await data.write((c) =>
        appendAudit(
          c,
          {
            actor: this.rt.actor,
            action: 'backup.offsite_copied',
            target: `backup:${result.manifest.id}`,
            detail: { dest },
          },
          this.rt.now(),
        ),
      );
      return null;
    } catch (e) {
      const err = isAppError(e) ? e : new AppError('OFFSITE_COPY_FAILED', (e as Error).message);
      await data.write((c) =>
        appendAudit(
          c,
          {
            actor: this.rt.actor,
            action: 'backup.offsite_failed',
            target: `backup:${result.manifest.id}`,
            detail: { code: err.code, message: err.message },
          },
          this.rt.now(),
        ),
      );
      return err;
    }
  }

  private async reportFailure(kind: BackupKind, err: AppError): Promise<void> {
    const at = this.rt.now();
    // Written inside the write's transaction: the audit entry commits only once the file is written.
    await this.data().write((c) => {
      this.setMachine(LAST_FAILURE_KEY, { at, code: err.code, message: err.message });
      return appendAudit(
        c,
        {
          actor: this.rt.actor,
          action: 'backup.failed',
          target: 'backups',
          detail: { kind, code: err.code, message: err.message },
        },
        at,
      );
    });
    this.rt.events.emit('backup.failed', { kind, code: err.code, message: err.message, at });
    this.rt.events.emit('data.changed', { area: 'audit' });
  }

  /** Apply retention to the backups folder (and the off-site copies of what it deletes). */
  async prune(settings: BackupSettings = this.settings()): Promise<string[]> {
    const entries = this.list(settings);
    const doomed = new Set(
      selectForDeletion(
        entries.map((e) => ({
          id: e.id,
          kind: e.kind,
          createdAt: e.createdAt,
          // Its newest evidence says verified (a later failed drill undoes an earlier pass), and not empty.
          verified: countsAsVerified(e.verification),
        })),
        settings.retention,
      ),
    );
    const removed: string[] = [];
    const data = this.data();
    for (const e of entries) {
      if (!doomed.has(e.id)) continue;
      const dirs = [this.rt.layout.backups, ...(settings.offsiteDir ? [settings.offsiteDir] : [])];
      for (const dir of dirs) {
        // Async: unlinking a large file can hold the event loop for a noticeable time.
        // The backup first, its manifest last: a crash between leaves only a lone manifest
        // (removed at the next start), never a listed backup without one.
        await fs.promises.rm(path.join(dir, e.fileName), { force: true });
        await fs.promises.rm(path.join(dir, manifestNameFor(e.fileName)), { force: true });
      }
      removed.push(e.id);
      await data.write((c) =>
        appendAudit(
          c,
          {
            actor: this.rt.actor,
            action: 'backup.pruned',
            target: `backup:${e.id}`,
            detail: { fileName: e.fileName, kind: e.kind },
          },
          this.rt.now(),
        ),
      );
    }
    if (removed.length) this.rt.events.emit('data.changed', { area: 'backups' });
    return removed;
  }

  private currentChangeSeq(): number {
    const row = this.db().prepare(`SELECT seq FROM change_counter WHERE id = 1`).get() as
      { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  /**
   * How much live user data changed since `last` was taken (its manifest records the
   * counter then); `counters` reads the live counters (only when there is a backup).
   */
  private changedSince(
    last: BackupEntry | null,
    counters: () => LiveCounters,
  ): BackupOverview['changedSinceLastBackup'] {
    if (!last?.manifest) return null;
    const live = counters();
    // A copy made live since: live's counter is the copy's history, not comparable with the backup's.
    if (live.promotedAt !== null && live.promotedAt >= last.createdAt)
      return { changes: null, since: last.createdAt };
    const diff = live.seq - last.manifest.changeSeq;
    if (diff === 0) return null;
    // Behind the backup's counter: not the data it holds (a restored copy was made live), amount unknown.
    return { changes: diff > 0 ? diff : null, since: last.createdAt };
  }

  lastScheduledRunAt(): number | null {
    const v = this.machine(LAST_SCHEDULED_KEY);
    return typeof v === 'number' ? v : null;
  }

  /** When the next scheduled run is due (now or in the past means: due). */
  nextScheduledAt(settings: BackupSettings = this.settings()): number | null {
    if (!settings.scheduleEnabled) return null;
    const last = this.lastScheduledRunAt();
    if (last === null) return this.rt.now();
    const now = this.rt.now();
    // The clock went back (or was wrong before): don't wait out a bogus future.
    if (last > now + 5 * 60_000) return now;
    return last + settings.intervalMinutes * 60_000;
  }

  /** One scheduler step: run a scheduled backup if one is due. Catch-up at start is the first tick. */
  async tick(): Promise<TickResult> {
    // A promote is replacing the database: the next tick runs on the new one.
    if (this.ticking || this.running || this.rt.restores.promoting) return 'busy';
    this.ticking = true;
    try {
      const team = this.rt.team;
      if (!team) return await this.tickDue(() => this.currentChangeSeq());
      // Team mode: exactly one instance takes each scheduled backup. The holder of
      // the scheduled-backup lock decides, from the team's own run history, whether
      // one is due; an instance that does not get the lock skips this tick.
      const client = await team.pool.connect();
      try {
        const taken = await withTryLock(
          client,
          advisoryKey('scheduledBackup', team.schema),
          async () => {
            const lastTeamRun = await this.data().read(newestScheduledRun);
            const mine = this.lastScheduledRunAt();
            if (lastTeamRun !== null && (mine === null || lastTeamRun > mine))
              this.setMachine(LAST_SCHEDULED_KEY, lastTeamRun);
            return this.tickDue(() => this.data().read(changeSeq));
          },
        );
        if (taken.locked) return taken.value;
        this.rt.logger.log(
          'info',
          'scheduled backup: another instance of the team holds the scheduled-backup lock; skipped this tick',
        );
        return 'busy';
      } finally {
        client.release();
      }
    } finally {
      this.ticking = false;
    }
  }

  /** The scheduler step once it may run: a backup if one is due (and the data changed, when asked). */
  private async tickDue(currentSeq: () => number | Promise<number>): Promise<TickResult> {
    const settings = this.settings();
    const next = this.nextScheduledAt(settings);
    const now = this.rt.now();
    if (next === null || next > now) return 'not-due';
    const newest = this.list(settings)[0];
    if (
      settings.onlyIfChanged &&
      newest?.manifest &&
      newest.manifest.changeSeq === (await currentSeq())
    ) {
      this.setMachine(LAST_SCHEDULED_KEY, now);
      await this.data().write(function* (c) {
        const runId = yield* startRun(c, 'backup', { kind: 'scheduled' }, now);
        yield* finishRun(
          c,
          runId,
          'succeeded',
          { kind: 'scheduled', skipped: 'unchanged since the newest backup', newest: newest.id },
          now,
        );
      });
      return 'skipped-unchanged';
    }
    const previous = this.lastScheduledRunAt();
    this.setMachine(LAST_SCHEDULED_KEY, now);
    try {
      await this.run({ kind: 'scheduled', compact: settings.compactScheduled });
      return 'ran';
    } catch (e) {
      if (isAppError(e) && POSTPONED.has(e.code)) {
        // Nothing was kept, and the data was only busy (a long write of this process, a
        // promote): still due, so the next tick (a minute) tries again, not a whole
        // interval later with no backup and no warning.
        this.setMachine(LAST_SCHEDULED_KEY, previous);
        this.rt.logger.log('info', `scheduled backup postponed to the next tick: ${e.code}`);
        return 'busy';
      }
      if (!isAppError(e)) this.rt.logger.log('error', 'scheduled backup failed', e);
      return 'failed';
    }
  }

  startScheduler(): void {
    if (this.timer) return;
    // A tick that throws (its record cannot be written: a full disk) is logged; the next one retries.
    const tick = () =>
      void this.tick().catch((e: unknown) =>
        this.rt.logger.log('error', 'scheduler tick failed', e),
      );
    tick();
    this.timer = setInterval(tick, SCHEDULER_TICK_MS);
    this.timer.unref();
  }

  /** Whether the scheduler runs in this process. */
  get scheduling(): boolean {
    return this.timer !== null;
  }

  stopScheduler(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.running?.abort.abort();
  }

  /**
   * At start, by the process that owns the data dir: remove what killed backups
   * left (see cleanupTemporaries) and mark their `running` runs as failed
   * (interrupted). Never throws: a start-up must not fail over leftovers.
   */
  cleanupTemporaries(): string[] {
    const removed = cleanupTemporaries(this.rt.layout.backups, { ownFolder: true });
    void this.bestEffort('cleaning up after crashed backups', () => {
      const offsiteDir = this.rt.store ? this.settings().offsiteDir : null;
      if (offsiteDir) removed.push(...cleanupTemporaries(offsiteDir));
      this.markInterruptedRuns();
    });
    return removed;
  }

  /** Backup runs left `running` by a process that is gone: failed, code INTERRUPTED in the detail. */
  markInterruptedRuns(): number {
    const db = this.db();
    const rows = db
      .prepare(`SELECT id, detail FROM runs WHERE kind = 'backup' AND status = 'running'`)
      .all() as { id: number; detail: string }[];
    let marked = 0;
    for (const row of rows) {
      let pid: unknown = null;
      try {
        pid = (JSON.parse(row.detail) as { pid?: unknown }).pid;
      } catch {
        // unreadable detail: the run is not one a live process can still finish
      }
      if (typeof pid === 'number' && processAlive(pid)) continue;
      // At start-up, synchronously, on the SQLite file (as the query above).
      runSqlite(
        db,
        finishRun(
          SQLITE,
          row.id,
          'failed',
          {
            code: 'INTERRUPTED',
            message: 'The backup was interrupted (the process stopped before it finished).',
          },
          this.rt.now(),
        ),
      );
      marked++;
    }
    return marked;
  }

  /** The overview on the local SQLite store (synchronous). */
  overview(): BackupOverview {
    return this.overviewWith(() => sqliteData(this.db()).readSync(liveCounters));
  }

  /** The overview on either backend: in team mode the change counters are the team database's. */
  async liveOverview(): Promise<BackupOverview> {
    if (this.rt.store || !this.rt.team) return this.overview();
    const counters = await this.data().read(liveCounters);
    return this.overviewWith(() => counters);
  }

  private overviewWith(counters: () => LiveCounters): BackupOverview {
    const settings = this.settings();
    const entries = this.list(settings);
    const last = entries[0] ?? null;
    const failure = this.machine(LAST_FAILURE_KEY) as BackupOverview['lastFailure'] | undefined;
    const warnings: BackupOverview['warnings'] = [];
    const now = this.rt.now();
    // Until backup settings are saved again: the defaults in use are not the user's choice.
    const problem = settingsProblem(this.rt.layout, now);
    if (problem)
      warnings.push({
        code: 'SETTINGS_FILE_UNREADABLE',
        message: describeSettingsProblem(problem),
      });
    if (!last)
      warnings.push({
        code: 'NO_BACKUP',
        message: 'There is no backup of this data directory yet.',
      });
    else if (
      settings.scheduleEnabled &&
      now - last.createdAt > settings.intervalMinutes * 60_000 * 1.5 + 10 * 60_000
    ) {
      warnings.push({
        code: 'BACKUP_OVERDUE',
        message: `The newest backup is older than the schedule allows (every ${formatMinutes(settings.intervalMinutes)}).`,
      });
    }
    if (!settings.offsiteDir || sameFileSystem(settings.offsiteDir, this.rt.layout.dir)) {
      warnings.push({
        code: 'SAME_FILESYSTEM',
        message: settings.offsiteDir
          ? 'The off-site folder is on the same drive as the data directory: one disk failure loses both.'
          : 'Every backup is on the same drive as the data directory. Add an off-site folder (external drive or synced folder).',
      });
    }
    if (this.rt.source === 'portable' && !settings.offsiteDir) {
      warnings.push({
        code: 'PORTABLE_BACKUPS_INSIDE',
        message:
          'This portable install keeps its backups inside its own folder only: losing the stick loses the backups too.',
      });
    }
    // The newest backup's own evidence: a failed drill or damage is not a "last backup" to rely on.
    if (last && isUnsafe(last.verification)) {
      const v = last.verification;
      warnings.push({
        code: 'LAST_BACKUP_UNSAFE',
        message: `The newest backup ${v.state === 'damaged' ? 'is damaged' : 'failed its restore drill'}. ${v.reason} Back up now, and drill the new backup.`,
      });
    }
    if (failure && failure.code === 'OFFSITE_COPY_FAILED' && last && failure.at >= last.createdAt) {
      warnings.push({
        code: 'OFFSITE_COPY_FAILED',
        message: `The newest backup is safe in the backups folder, but its off-site copy failed: ${failure.message}`,
      });
    } else if (
      failure &&
      failure.code !== 'OFFSITE_COPY_FAILED' &&
      (!last || failure.at > last.createdAt)
    ) {
      warnings.push({
        code: 'LAST_BACKUP_FAILED',
        message: `The last backup attempt failed: ${failure.message}`,
      });
    }
    return {
      settings,
      lastBackup: last,
      changedSinceLastBackup: this.changedSince(last, counters),
      lastScheduledRunAt: this.lastScheduledRunAt(),
      nextScheduledAt: this.nextScheduledAt(settings),
      running: this.running
        ? { opId: this.running.opId, kind: this.running.kind, startedAt: this.running.startedAt }
        : null,
      lastFailure: failure ?? null,
      warnings,
      count: entries.length,
      totalBytes: entries.reduce((s, e) => s + e.bytes, 0),
    };
  }
}

interface LiveCounters {
  /** The live data's change counter (every user-data write raises it). */
  seq: number;
  /** When a restored copy was last made live, if ever. */
  promotedAt: number | null;
}

function* liveCounters(c: Sql): Query<LiveCounters> {
  const counter = yield* row(c.k.selectFrom('change_counter').select('seq').where('id', '=', 1));
  const promoted = yield* row(
    c.k
      .selectFrom('audit_log')
      .select((eb) => eb.fn.max('ts').as('ts'))
      .where('action', '=', 'restore.promoted'),
  );
  return { seq: counter?.seq ?? 0, promotedAt: promoted?.ts ?? null };
}

function formatMinutes(m: number): string {
  if (m % (24 * 60) === 0) return `${m / (24 * 60)} day(s)`;
  if (m % 60 === 0) return `${m / 60} hour(s)`;
  return `${m} minutes`;
}

function entryFromResult(r: BackupResult): BackupEntry {
  const m = r.manifest;
  return {
    id: m.id,
    kind: m.kind,
    createdAt: m.createdAt,
    bytes: m.bytes,
    schemaVersion: m.schemaVersion,
    compact: m.compact,
    sha256: m.sha256,
    fileName: m.fileName,
    location: 'backups',
    hasManifest: true,
    offsite: { copied: false, verifiedAt: null },
    verifiedAt: null,
    verification: verificationOf(
      { id: m.id, fileName: m.fileName, bytes: m.bytes, sha256: m.sha256, damage: null },
      [],
    ),
    manifest: m,
  };
}
