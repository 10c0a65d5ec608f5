// The drill's checks of a restored copy's data, written once for both backends:
// generators on the query core (store/sql.ts), so the local drill runs them on
// the SQLite copy (runSqlite) and the server drill on its scratch schema in
// PostgreSQL (runPg). Each returns a step's outcome; the caller times it and
// adds key and title.
import type { DrillStep, PreflightFacts, SecretResolution } from '../../../shared/domain.ts';
import { unresolvedSecretsStep } from '../secrets/keystate.ts';
import type { TableCounts } from '../store/store.ts';
import type { Query, Sql } from '../store/sql.ts';
import { countAudit, listAudit } from '../store/resources/audit.ts';
import {
  countDeployments,
  getDeployment,
  newestDeployment,
} from '../store/resources/deployments.ts';
import { countEnvironments, listEnvironments } from '../store/resources/environments.ts';
import { countProjects, listProjects } from '../store/resources/projects.ts';
import { danglingSecretRefs, listSnapshots } from '../store/resources/snapshots.ts';

export interface StepOutcome extends Omit<DrillStep, 'key' | 'title' | 'ms'> {
  /** A line for the report's warnings. */
  warning?: string;
  /** The copy holds no projects and no deployments. */
  empty?: boolean;
}

const EMPTY_WARNING =
  'It proves the file restores, not that your data does: drill a backup taken since your data arrived.';

export const plural = (n: number, word: string) =>
  `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

const entries = (s: string) => s.replace('entrys', 'entries');

/** The boot step's result from what the store counts. */
export function bootOutcome(counts: TableCounts, how: string): StepOutcome {
  return {
    status: 'pass',
    detail: entries(
      `${how}: ${plural(counts.projects, 'project')}, ${plural(counts.environments, 'environment')}, ${plural(counts.deployments, 'deployment')}, ${plural(counts.auditEntries, 'audit entry')}.`,
    ),
    facts: { ...counts },
  };
}

/** What the store counts, through its own resource functions. */
export function* storeCounts(c: Sql): Query<TableCounts> {
  return {
    projects: yield* countProjects(c),
    environments: yield* countEnvironments(c),
    deployments: yield* countDeployments(c),
    auditEntries: yield* countAudit(c),
  };
}

/**
 * The domain probes: what a user looks at first reads back (projects, as many as
 * the manifest says; the newest deployment and its configuration; environments;
 * the audit log's tail).
 */
export function* probeOutcome(c: Sql, facts: PreflightFacts): Query<StepOutcome> {
  const found: string[] = [];
  const problems: string[] = [];
  const projects = yield* listProjects(c, { offset: 0, limit: 500 });
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
  const newest = yield* newestDeployment(c);
  if (newest) {
    const d = yield* getDeployment(c, newest.id);
    found.push(
      `newest deployment ${d.projectName}/${d.environmentName} ${d.version} (${d.status.replace('_', ' ')})${d.diagnosticSummary ? ` ("${d.diagnosticSummary.slice(0, 80)}")` : ''}`,
    );
    const snaps = yield* listSnapshots(c, d.environmentId);
    found.push(`${plural(snaps.length, 'configuration snapshot')} of ${d.environmentName} read`);
  } else if ((facts.rowCounts?.deployments ?? 0) > 0) {
    problems.push('the manifest lists deployments but none could be read');
  } else {
    found.push('no deployments recorded');
  }
  let envs = 0;
  for (const p of projects.items.slice(0, 50)) envs += (yield* listEnvironments(c, p.id)).length;
  found.push(`${plural(envs, 'environment')} listed`);
  const audit = yield* listAudit(c, { offset: 0, limit: 20 });
  found.push(entries(`audit log tail read (${plural(audit.items.length, 'entry')})`));
  if (problems.length)
    return {
      status: 'fail',
      detail: `Mismatch: ${problems.join('; ')}.`,
      facts: { code: 'BACKUP_FACTS_MISMATCH' },
    };
  if (projects.total === 0 && !newest) {
    // It restores, but there is nothing in it to show: that proves the file, not your data.
    return {
      status: 'warn',
      detail: `The backup is empty: no projects and no deployments. ${EMPTY_WARNING}`,
      facts: { projects: 0, newestDeploymentId: null, empty: true },
      warning: EMPTY_WARNING,
      empty: true,
    };
  }
  return {
    status: 'pass',
    detail: `${found.join('; ')}.`,
    facts: { projects: projects.total, newestDeploymentId: newest?.id ?? null },
  };
}

/**
 * The secrets step: `r` says which stored values open with this machine's keys;
 * configuration that names a secret the copy does not hold is read here.
 */
export function* secretsOutcome(c: Sql, r: SecretResolution): Query<StepOutcome> {
  // Configuration that names a secret the backup does not hold (edited outside the app, or removed since).
  const dangling = yield* danglingSecretRefs(c);
  const which = dangling
    .slice(0, 5)
    .map((d) => `${d.project}/${d.environment} v${d.version} → "${d.name}"`)
    .join(', ');
  const danglingLine =
    dangling.length === 0
      ? null
      : `${plural(dangling.length, 'secret reference')} in the current configuration ${dangling.length === 1 ? 'points' : 'point'} at no secret (${which}${dangling.length > 5 ? ', …' : ''}).`;
  // Tampering fails the drill even when a reference also dangles (a value moved to
  // another environment leaves its old reference dangling): never only a warning.
  if (r.tampered.length > 0) {
    // The key that stored them is here, yet they do not verify: changed outside Stateward.
    const names = r.tampered
      .slice(0, 5)
      .map((u) => `${u.project}/${u.environment} ${u.name}`)
      .join(', ');
    return {
      status: 'fail',
      detail: `${plural(r.tampered.length, 'secret')} ${r.tampered.length === 1 ? 'was' : 'were'} tampered with (${names}${r.tampered.length > 5 ? ', …' : ''}): moved to another environment, renamed or edited outside Stateward, so ${r.tampered.length === 1 ? 'it does' : 'they do'} not verify with the key that stored ${r.tampered.length === 1 ? 'it' : 'them'}.${danglingLine ? ` Also: ${danglingLine}` : ''}`,
      facts: { ...r, ...(dangling.length > 0 ? { dangling } : {}), code: 'SECRET_TAMPERED' },
      ...(danglingLine ? { warning: danglingLine } : {}),
    };
  }
  if (danglingLine !== null) {
    return {
      status: 'warn',
      detail: `${danglingLine} ${r.total === 0 ? 'The backup holds no secret values at all' : `It holds ${plural(r.total, 'secret')}`}; a deployment from this configuration would miss ${dangling.length === 1 ? 'that value' : 'those values'}. Add ${dangling.length === 1 ? 'it' : 'them'} after restoring, or correct the configuration.`,
      facts: {
        total: r.total,
        resolved: r.resolved,
        unresolved: r.unresolved,
        dangling,
        code: 'SECRET_REFERENCE_UNKNOWN',
      },
      warning: danglingLine,
    };
  }
  if (r.total === 0)
    return {
      status: 'pass',
      detail: 'This backup holds no secrets, and no configuration refers to one.',
      facts: { total: 0, resolved: 0, unresolved: [] },
    };
  if (r.unresolved.length === 0) {
    return {
      status: 'pass',
      detail: `${r.total === 1 ? 'The secret reference resolves' : `All ${r.total} secret references resolve`} with this machine's key (no value was revealed).`,
      facts: { ...r },
    };
  }
  // Locked is not missing: the passphrase for a key this machine holds, the recovery key for one it lacks.
  return unresolvedSecretsStep(r);
}
