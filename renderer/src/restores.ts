// What the renderer says about restores and restore drills, in one place: the
// drill's steps and their labels, which backups this version can open, the
// comparison's table names, and downloading a drill report for auditors.
import type {
  BackupEntry,
  DrillReport,
  DrillStep,
  DrillStepStatus,
  KeyState,
  PreflightFacts,
  SecretResolution,
} from '../../shared/domain.ts';
import type { AppErrorShape } from '../../shared/errors.ts';
import { invoke } from './api.ts';
import { download, withHint } from './backups.ts';

/** The drill's steps in the order the host runs them (titles as the host reports them). */
export const DRILL_STEPS: readonly { key: DrillStep['key']; title: string }[] = [
  { key: 'preflight', title: 'Preflight' },
  { key: 'copy', title: 'Copy into a private folder' },
  { key: 'integrity', title: 'Integrity and foreign keys' },
  { key: 'migrations', title: 'Migrations' },
  { key: 'boot', title: 'Boots with the app’s own store' },
  { key: 'probes', title: 'Your data reads back' },
  { key: 'secrets', title: 'Secret references' },
  { key: 'host', title: 'Boots the real app and signs in' },
];

export const STEP_STATUS_LABEL: Record<DrillStepStatus, string> = {
  pass: 'Passed',
  warn: 'Warning',
  fail: 'Failed',
  skip: 'Skipped',
};

/** Row counts in the comparison, named as a person would. */
export const TABLE_LABEL: Record<string, string> = {
  projects: 'Projects',
  environments: 'Environments',
  config_snapshots: 'Configuration snapshots',
  deployments: 'Deployments',
  deployment_logs: 'Deployment log lines',
  runs: 'Runs',
  resource_status: 'Resource status rows',
  audit_log: 'Audit entries',
  metrics: 'Metric samples',
};

/** Why this version cannot restore a backup, or null when it can. */
export function cannotOpenReason(entry: BackupEntry, appSchemaVersion: number): string | null {
  if (entry.hasManifest && entry.schemaVersion > appSchemaVersion) {
    return `Made by a newer Stateward (schema ${entry.schemaVersion}); this version reads schema ${appSchemaVersion} and older. Restore it with the same or a newer version.`;
  }
  return null;
}

/** A short name for what a restore started from. */
export function sourceName(facts: Pick<PreflightFacts, 'fileName'>): string {
  return facts.fileName;
}

/** The unresolved secret references the drill's secrets step reported, if any. */
export function unresolvedSecrets(
  report: DrillReport,
): { project: string; environment: string; name: string }[] {
  const step = report.steps.find((s) => s.key === 'secrets');
  const list = step?.facts?.['unresolved'];
  if (!Array.isArray(list)) return [];
  return list.filter(
    (u): u is { project: string; environment: string; name: string } =>
      typeof u === 'object' && u !== null && 'name' in u,
  );
}

/**
 * The drill's secrets step as a resolution with key states. Reports written before
 * key states existed only listed what did not resolve: those count as missing keys.
 */
export function secretsResolution(report: DrillReport): SecretResolution | null {
  const step = report.steps.find((s) => s.key === 'secrets');
  const facts = step?.facts as Partial<SecretResolution> | undefined;
  if (!facts || typeof facts.total !== 'number') return null;
  if (Array.isArray(facts.keys) && facts.keyState !== undefined) return facts as SecretResolution;
  const unresolved = Array.isArray(facts.unresolved) ? facts.unresolved : [];
  return {
    total: facts.total,
    resolved: facts.resolved ?? 0,
    unresolved,
    tampered: facts.tampered ?? [],
    keys: [],
    keyState: facts.total === 0 ? null : unresolved.length ? 'missing' : 'unlocked',
  };
}

/** Of a resolution's unresolved references, those whose key is in one of `states`. */
export function referencesIn(
  r: SecretResolution,
  states: readonly KeyState[],
): SecretResolution['unresolved'] {
  const keys = new Set(r.keys.filter((k) => states.includes(k.state)).map((k) => k.keyId));
  // Without key states (an older report), everything unresolved counts as missing.
  if (r.keys.length === 0) return states.includes('missing') ? r.unresolved : [];
  return r.unresolved.filter((u) => keys.has(u.keyId));
}

/** Downloads a drill report (Markdown or HTML) through the browser, in Electron too. */
export async function exportDrill(
  id: string,
  format: 'markdown' | 'html',
): Promise<{ ok: true; fileName: string } | { ok: false; error: AppErrorShape }> {
  const r = await invoke('drills.export', { id, format });
  if (!r.ok) return { ok: false, error: withHint(r.error) };
  const blob = new Blob([r.value.content], { type: `${r.value.mime};charset=utf-8` });
  const url = URL.createObjectURL(blob);
  download(url, r.value.fileName);
  // The download has taken its copy by the next task; free the blob a little later.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return { ok: true, fileName: r.value.fileName };
}
