// The restore drill on a staged copy: integrity and foreign keys (in worker
// threads, side by side), migrations apply once and not twice, the copy boots
// through the app's own store code, and domain probes read what a user would
// look at first. Every step has a timing and a plain-language result.
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
import { listProjects } from '../store/resources/projects.ts';
import { getDeployment, newestDeployment } from '../store/resources/deployments.ts';
import { danglingSecretRefs, listSnapshots } from '../store/resources/snapshots.ts';
import { listAudit } from '../store/resources/audit.ts';
import { listEnvironments } from '../store/resources/environments.ts';
import { runSqlite, SQLITE } from '../store/sql.ts';
import { unresolvedSecretsStep } from '../secrets/keystate.ts';
import { schemaDifference } from './schema-check.ts';

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
}

export const DRILL_STEP_COUNT = 7;

const EMPTY_WARNING =
  'It proves the file restores, not that your data does: drill a backup taken since your data arrived.';

const plural = (n: number, word: string) =>
  `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

export async function runDrill(input: DrillInput): Promise<DrillReport> {
  const now = input.now ?? Date.now;
  const startedAt = now();
  const steps: DrillStep[] = [];
  const warnings = [...input.preflight.warnings];
  /** The copy holds no projects and no deployments. */
  let empty = false;
  const facts = input.preflight.facts;
  const push = (step: DrillStep) => {
    steps.push(step);
    input.onStep?.(step, steps.length, DRILL_STEP_COUNT);
  };
  const timed = async (
    key: DrillStep['key'],
    title: string,
    fn: () =>
      Promise<Omit<DrillStep, 'key' | 'title' | 'ms'>> | Omit<DrillStep, 'key' | 'title' | 'ms'>,
  ): Promise<boolean> => {
    const t = performance.now();
    try {
      const r = await fn();
      push({ key, title, ms: Math.round(performance.now() - t), ...r });
      return r.status !== 'fail';
    } catch (e) {
      const err = isAppError(e) ? e : classifySqliteError(e, facts.fileName);
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
  };

  push({
    key: 'preflight',
    title: 'Preflight',
    status: input.preflight.warnings.length ? 'warn' : 'pass',
    ms: 0,
    detail: `${facts.fileName}: readable SQLite file made by Stateward; ${
      facts.manifest === 'sidecar'
        ? 'its SHA-256 matches the manifest'
        : facts.manifest === 'embedded'
          ? 'facts read from inside the file (no manifest beside it)'
          : 'no manifest to compare with'
    }. ${input.preflight.reason}`,
    facts: { sha256: facts.sha256, manifest: facts.manifest },
  });
  push({
    key: 'copy',
    title: 'Copy into a private folder',
    status: 'pass',
    ms: input.copyMs,
    detail: `Copied ${plural(facts.bytes, 'byte')} into the restores folder; the original file was only read.`,
    facts: { bytes: facts.bytes },
  });

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
        const counts = tableCounts(store.db);
        return {
          status: 'pass',
          detail:
            `Opened like the app opens its data: ${plural(counts.projects, 'project')}, ${plural(counts.environments, 'environment')}, ${plural(counts.deployments, 'deployment')}, ${plural(counts.auditEntries, 'audit entry')}.`.replace(
              'entrys',
              'entries',
            ),
          facts: { ...counts },
        };
      } finally {
        store.close();
      }
    });
  }

  if (ok) {
    ok = await timed('probes', 'Your data reads back', () => {
      const store = openStoreFile(input.copy);
      try {
        const db = store.db;
        const found: string[] = [];
        const problems: string[] = [];
        const projects = runSqlite(db, listProjects(SQLITE, { offset: 0, limit: 500 }));
        const expected = facts.rowCounts?.projects;
        if (expected !== undefined && expected !== projects.total) {
          problems.push(
            `the manifest lists ${plural(expected, 'project')}, the copy has ${projects.total}`,
          );
        } else {
          found.push(
            `${plural(projects.total, 'project')}${expected !== undefined ? ' (as the manifest says)' : ''}`,
          );
        }
        const newest = runSqlite(db, newestDeployment(SQLITE));
        if (newest) {
          const d = runSqlite(db, getDeployment(SQLITE, newest.id));
          found.push(
            `newest deployment ${d.projectName}/${d.environmentName} ${d.version} (${d.status.replace('_', ' ')})${d.diagnosticSummary ? ` ("${d.diagnosticSummary.slice(0, 80)}")` : ''}`,
          );
          const snaps = runSqlite(db, listSnapshots(SQLITE, d.environmentId));
          found.push(
            `${plural(snaps.length, 'configuration snapshot')} of ${d.environmentName} read`,
          );
        } else if ((facts.rowCounts?.deployments ?? 0) > 0) {
          problems.push('the manifest lists deployments but none could be read');
        } else {
          found.push('no deployments recorded');
        }
        let envs = 0;
        for (const p of projects.items.slice(0, 50))
          envs += runSqlite(db, listEnvironments(SQLITE, p.id)).length;
        found.push(`${plural(envs, 'environment')} listed`);
        const audit = runSqlite(db, listAudit(SQLITE, { offset: 0, limit: 20 }));
        found.push(
          `audit log tail read (${plural(audit.items.length, 'entry')})`.replace(
            'entrys',
            'entries',
          ),
        );
        if (problems.length)
          return {
            status: 'fail',
            detail: `Mismatch: ${problems.join('; ')}.`,
            facts: { code: 'BACKUP_FACTS_MISMATCH' },
          };
        if (projects.total === 0 && !newest) {
          // It restores, but there is nothing in it to show: that proves the file, not your data.
          empty = true;
          warnings.push(EMPTY_WARNING);
          return {
            status: 'warn',
            detail: `The backup is empty: no projects and no deployments. ${EMPTY_WARNING}`,
            facts: { projects: 0, newestDeploymentId: null, empty: true },
          };
        }
        return {
          status: 'pass',
          detail: `${found.join('; ')}.`,
          facts: { projects: projects.total, newestDeploymentId: newest?.id ?? null },
        };
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
        // Configuration that names a secret the backup does not hold (edited outside the app, or removed since).
        const dangling = runSqlite(store.db, danglingSecretRefs(SQLITE));
        if (dangling.length > 0) {
          const which = dangling
            .slice(0, 5)
            .map((d) => `${d.project}/${d.environment} v${d.version} → "${d.name}"`)
            .join(', ');
          const line = `${plural(dangling.length, 'secret reference')} in the current configuration ${dangling.length === 1 ? 'points' : 'point'} at no secret (${which}${dangling.length > 5 ? ', …' : ''}).`;
          warnings.push(line);
          return {
            status: 'warn',
            detail: `${line} ${r.total === 0 ? 'The backup holds no secret values at all' : `It holds ${plural(r.total, 'secret')}`}; a deployment from this configuration would miss ${dangling.length === 1 ? 'that value' : 'those values'}. Add ${dangling.length === 1 ? 'it' : 'them'} after restoring, or correct the configuration.`,
            facts: {
              total: r.total,
              resolved: r.resolved,
              unresolved: r.unresolved,
              dangling,
              code: 'SECRET_REFERENCE_UNKNOWN',
            },
          };
        }
        if (r.total === 0)
          return {
            status: 'pass',
            detail: 'This backup holds no secrets, and no configuration refers to one.',
            facts: { total: 0, resolved: 0, unresolved: [] },
          };
        if (r.tampered.length > 0) {
          // The key that stored them is here, yet they do not verify: changed outside Stateward.
          const which = r.tampered
            .slice(0, 5)
            .map((u) => `${u.project}/${u.environment} ${u.name}`)
            .join(', ');
          return {
            status: 'fail',
            detail: `${plural(r.tampered.length, 'secret')} ${r.tampered.length === 1 ? 'was' : 'were'} tampered with (${which}${r.tampered.length > 5 ? ', …' : ''}): moved to another environment, renamed or edited outside Stateward, so ${r.tampered.length === 1 ? 'it does' : 'they do'} not verify with the key that stored ${r.tampered.length === 1 ? 'it' : 'them'}.`,
            facts: { ...r, code: 'SECRET_TAMPERED' },
          };
        }
        if (r.unresolved.length === 0) {
          return {
            status: 'pass',
            detail: `${r.total === 1 ? 'The secret reference resolves' : `All ${r.total} secret references resolve`} with this machine's key (no value was revealed).`,
            facts: { ...r },
          };
        }
        // Locked is not missing: the passphrase for a key this machine holds, the recovery key for one it lacks.
        return unresolvedSecretsStep(r);
      } finally {
        store.close();
      }
    });
  }

  const failed = steps.find((s) => s.status === 'fail');
  const passed = !failed && ok;
  const finishedAt = now();
  const counted = `${steps.length} steps${warnings.length ? `, ${plural(warnings.length, 'warning')}` : ''}`;
  return {
    id: crypto.randomBytes(8).toString('hex'),
    restoreId: input.restoreId,
    startedAt,
    finishedAt,
    passed,
    ...(empty ? { empty: true } : {}),
    summary: !passed
      ? `Failed at “${failed?.title ?? 'a step'}”: ${failed?.detail ?? 'see the steps'}`
      : empty
        ? `Passed, but empty: ${facts.fileName} restores and boots, and holds no projects and no deployments (${counted}).`
        : `Passed: ${facts.fileName} restores, boots and shows its data (${counted}).`,
    appVersion: APP_VERSION,
    machine: os.hostname(),
    source: facts,
    steps,
    warnings,
  };
}
