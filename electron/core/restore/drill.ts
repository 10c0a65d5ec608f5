// The restore drill on a staged copy: integrity and foreign keys (in worker
// threads, side by side), migrations apply once and not twice, the copy boots
// through the app's own store code, domain probes read what a user would look
// at first, and last the real app boots on the copy (moved into a private folder
// beside it and back, boot.ts) and is read over HTTP. Every step has a timing and a
// plain-language result.
import os from 'node:os';
import crypto from 'node:crypto';
import type {
  DrillReport,
  DrillStep,
  PreflightReport,
  SecretResolution,
} from '../../../shared/domain.ts';
import type { ReadableDB } from '../store/db.ts';
import { isAppError } from '../../../shared/errors.ts';
import { APP_VERSION } from '../version.ts';
import { BackupWorker, replyOrThrow } from '../backup/engine.ts';
import { openWritable, classifySqliteError } from '../store/db.ts';
import { applyMigrations, planMigrations } from '../store/migrate.ts';
import { openStoreFile, tableCounts } from '../store/store.ts';
import { runSqlite, SQLITE } from '../store/sql.ts';
import type { StepOutcome } from './drill-checks.ts';
import { bootOutcome, plural, probeOutcome, secretsOutcome } from './drill-checks.ts';
import { schemaDifference } from './schema-check.ts';
import type { BootOptions } from './boot.ts';
import { runDrillBootInPlace, stampForBoot } from './boot.ts';

export interface DrillInput {
  copy: string;
  restoreId: string | null;
  preflight: PreflightReport;
  /** How long staging (copy + hash) took, for the copy step. */
  copyMs: number;
  onStep?: (step: DrillStep, index: number, total: number) => void;
  /** Which secret references in the copy resolve with this machine's unlocked keys. */
  resolveSecrets?: (db: ReadableDB) => SecretResolution;
  now?: () => number;
  /** The boot step: how (default: a Node child process), or false to leave it out. */
  boot?: BootOptions | false;
}

export const DRILL_STEP_COUNT = 8;

type StepResult = Omit<DrillStep, 'key' | 'title' | 'ms'>;

/** Run one step, timed; a throw is the step failing with its code. True unless it failed. */
export async function runStep(
  push: (step: DrillStep) => void,
  fileName: string,
  key: DrillStep['key'],
  title: string,
  fn: () => StepResult | Promise<StepResult>,
): Promise<boolean> {
  const t = performance.now();
  try {
    const r = await fn();
    push({ key, title, ms: Math.round(performance.now() - t), ...r });
    return r.status !== 'fail';
  } catch (e) {
    const err = isAppError(e) ? e : classifySqliteError(e, fileName);
    push({
      key,
      title,
      ms: Math.round(performance.now() - t),
      status: 'fail',
      detail: `${err.message}${err.hint ? ` ${err.hint}` : ''}`,
      facts: {
        code:
          err.code === 'INTERNAL' &&
          String((e as { code?: string }).code ?? '').startsWith('SQLITE_')
            ? 'DB_CORRUPT'
            : err.code,
      },
    });
    return false;
  }
}

/** The first step of every drill: what the preflight found. */
export function preflightStep(preflight: PreflightReport): DrillStep {
  const facts = preflight.facts;
  return {
    key: 'preflight',
    title: 'Preflight',
    status: preflight.warnings.length ? 'warn' : 'pass',
    ms: 0,
    detail: `${facts.fileName}: readable SQLite file made by Stateward; ${
      facts.manifest === 'sidecar'
        ? 'its SHA-256 matches the manifest'
        : facts.manifest === 'embedded'
          ? 'facts read from inside the file (no manifest beside it)'
          : 'no manifest to compare with'
    }. ${preflight.reason}`,
    facts: { sha256: facts.sha256, manifest: facts.manifest },
  };
}

/** The report of a drill from its steps. */
export function finishReport(r: {
  restoreId: string | null;
  startedAt: number;
  finishedAt: number;
  ok: boolean;
  empty: boolean;
  facts: PreflightReport['facts'];
  steps: DrillStep[];
  warnings: string[];
  /** What a pass proves, with data and for an empty backup. */
  passedAs: { data: string; empty: string };
}): DrillReport {
  const { facts, steps, warnings, empty } = r;
  const failed = steps.find((s) => s.status === 'fail');
  const passed = !failed && r.ok;
  const counted = `${steps.length} steps${warnings.length ? `, ${plural(warnings.length, 'warning')}` : ''}`;
  return {
    id: crypto.randomBytes(8).toString('hex'),
    restoreId: r.restoreId,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    passed,
    ...(empty ? { empty: true } : {}),
    summary: !passed
      ? `Failed at “${failed?.title ?? 'a step'}”: ${failed?.detail ?? 'see the steps'}`
      : empty
        ? `Passed, but empty: ${facts.fileName} ${r.passedAs.empty}, and holds no projects and no deployments (${counted}).`
        : `Passed: ${facts.fileName} ${r.passedAs.data} (${counted}).`,
    appVersion: APP_VERSION,
    machine: os.hostname(),
    source: facts,
    steps,
    warnings,
  };
}

/**
 * One drill's steps as they come in: the warnings and emptiness of the shared
 * checks' outcomes go to the report; `timed` runs a step (runStep).
 */
export class DrillRun {
  readonly steps: DrillStep[] = [];
  readonly warnings: string[];
  /** The copy holds no projects and no deployments. */
  empty = false;
  private readonly preflight: PreflightReport;
  private readonly total: number;
  private readonly onStep: DrillInput['onStep'];

  constructor(preflight: PreflightReport, total: number, onStep: DrillInput['onStep']) {
    this.preflight = preflight;
    this.total = total;
    this.onStep = onStep;
    this.warnings = [...preflight.warnings];
  }

  readonly push = (step: DrillStep): void => {
    this.steps.push(step);
    this.onStep?.(step, this.steps.length, this.total);
  };

  /** A shared check's outcome as this drill's step. */
  readonly take = ({ warning, empty, ...outcome }: StepOutcome): StepResult => {
    if (warning) this.warnings.push(warning);
    if (empty) this.empty = true;
    return outcome;
  };

  readonly timed = (
    key: DrillStep['key'],
    title: string,
    fn: () => StepResult | Promise<StepResult>,
  ): Promise<boolean> => runStep(this.push, this.preflight.facts.fileName, key, title, fn);

  report(
    restoreId: string | null,
    startedAt: number,
    finishedAt: number,
    ok: boolean,
    passedAs: { data: string; empty: string },
  ): DrillReport {
    return finishReport({
      restoreId,
      startedAt,
      finishedAt,
      ok,
      empty: this.empty,
      facts: this.preflight.facts,
      steps: this.steps,
      warnings: this.warnings,
      passedAs,
    });
  }
}

export async function runDrill(input: DrillInput): Promise<DrillReport> {
  const now = input.now ?? Date.now;
  const startedAt = now();
  const run = new DrillRun(
    input.preflight,
    DRILL_STEP_COUNT - (input.boot === false ? 1 : 0),
    input.onStep,
  );
  const { push, take, timed } = run;
  const facts = input.preflight.facts;

  push(preflightStep(input.preflight));
  push({
    key: 'copy',
    title: 'Copy into a private folder',
    status: 'pass',
    ms: input.copyMs,
    detail: `Copied ${plural(facts.bytes, 'byte')} into the restores folder; the original file was only read.`,
    facts: { bytes: facts.bytes },
  });
  // The copy in the app's journal mode (opening it later writes nothing), stamped as the
  // integrity check begins: if nothing wrote it since, that check stands for the boot step.
  const integrityStep = `step ${run.steps.length + 1} (“Integrity and foreign keys”)`;
  const stamp = input.boot === false ? null : stampForBoot(input.copy);

  let ok = await timed('integrity', 'Integrity and foreign keys', async () => {
    const a = new BackupWorker();
    const b = new BackupWorker();
    try {
      // Both run; a damaged file can make one of them throw, and the other's findings still count.
      const [ic, fkr] = await Promise.allSettled([
        a
          .request({ type: 'integrityCheck', file: input.copy })
          .then((r) => replyOrThrow(r, 'integrityCheck-done')),
        b
          .request({ type: 'foreignKeyCheck', file: input.copy })
          .then((r) => replyOrThrow(r, 'foreignKeyCheck-done')),
      ]);
      if (ic.status === 'rejected') throw ic.reason;
      const integrity = ic.value;
      if (integrity.problems.length === 0 && fkr.status === 'rejected') throw fkr.reason;
      const fk = fkr.status === 'fulfilled' ? fkr.value : { total: 0, violations: [] };
      if (integrity.problems.length) {
        return {
          status: 'fail',
          detail: `PRAGMA integrity_check found ${plural(integrity.problems.length, 'problem')}, first: ${integrity.problems[0]}`,
          facts: { code: 'DB_CORRUPT', problems: integrity.problems.slice(0, 20) },
        };
      }
      if (fk.total > 0) {
        return {
          status: 'fail',
          detail: `${plural(fk.total, 'row')} point at rows that do not exist (first in table ${fk.violations[0]?.table}).`,
          facts: { code: 'DB_CORRUPT', violations: fk.violations.slice(0, 20) },
        };
      }
      return {
        status: 'pass',
        detail: 'integrity_check says ok; every foreign key points at an existing row.',
      };
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  if (ok) {
    ok = await timed('migrations', 'Migrations', () => {
      const db = openWritable(input.copy);
      try {
        const first = planMigrations(db);
        const applied = applyMigrations(db, first);
        const second = planMigrations(db);
        const again = applyMigrations(db, second);
        if (again.length > 0) {
          return {
            status: 'fail',
            detail: `A second run applied ${again.join(', ')} again.`,
            facts: { code: 'MIGRATION_FAILED' },
          };
        }
        // Only what the migrations create: a crafted file's own trigger or view would run in live.
        const diff = schemaDifference(db);
        if (diff.extra.length > 0 || diff.missing.length > 0) {
          const first = diff.extra[0] ?? diff.missing[0];
          return {
            status: 'fail',
            detail: `The schema is not the one Stateward's migrations create: ${
              diff.extra.length
                ? `${plural(diff.extra.length, 'object')} Stateward never creates (first: ${first})`
                : `${plural(diff.missing.length, 'object')} missing or changed (first: ${first})`
            }. The file was made or changed by something else; it is never made live.`,
            facts: {
              code: 'NOT_A_STATEWARD_DB',
              extra: diff.extra.slice(0, 20),
              missing: diff.missing.slice(0, 20),
            },
          };
        }
        return {
          status: 'pass',
          detail: applied.length
            ? `History matches this version; applied ${applied.join(', ')} (schema ${first.current} → ${second.current}); a second run applied nothing.`
            : `History matches this version (schema ${first.current}); nothing to apply, and a second run applied nothing.`,
          facts: { from: first.current, to: second.current, applied },
        };
      } finally {
        db.close();
      }
    });
  }

  if (ok) {
    ok = await timed('boot', 'Boots with the app’s own store', () => {
      const store = openStoreFile(input.copy);
      try {
        return bootOutcome(tableCounts(store.db), 'Opened like the app opens its data');
      } finally {
        store.close();
      }
    });
  }

  if (ok) {
    ok = await timed('probes', 'Your data reads back', () => {
      const store = openStoreFile(input.copy);
      try {
        return take(runSqlite(store.db, probeOutcome(SQLITE, facts)));
      } finally {
        store.close();
      }
    });
  }

  if (ok && input.resolveSecrets) {
    await timed('secrets', 'Secret references', () => {
      const store = openStoreFile(input.copy);
      try {
        const r = input.resolveSecrets!(store.db);
        return take(runSqlite(store.db, secretsOutcome(SQLITE, r)));
      } finally {
        store.close();
      }
    });
  }

  // Last, once the other steps are done with the file: the app runs on the copy itself.
  if (ok)
    ok = await runDrillBootInPlace(
      input.copy,
      facts,
      input.boot,
      stamp && { stamp, step: integrityStep },
      push,
    );

  return run.report(input.restoreId, startedAt, now(), ok, {
    data: 'restores, boots and shows its data',
    empty: 'restores and boots',
  });
}
