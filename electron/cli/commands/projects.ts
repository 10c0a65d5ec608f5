// `stateward project add|list|show` and `stateward env add|list`: the records as the UI
// edits them, through the same command registry (validation, audit, pauses).
import type { Environment, Project } from '../../../shared/domain.ts';
import { ENVIRONMENT_KINDS } from '../../../shared/domain.ts';
import { AppError } from '../../../shared/errors.ts';
import type { CliCommand, CliContext, OptionSpec } from '../args.ts';
import { envTarget, intOption, oneOf, onlyOptions, usageError } from '../args.ts';
import { EXIT, terminalSafe } from '../exit.ts';
import type { Recorder } from '../open.ts';
import { databaseUrlOf, openRecorder, retryWhilePaused } from '../open.ts';
import type { Outcome } from '../output.ts';
import { readTextFile } from '../prompt.ts';

/** Rows of a listing: one per line, fields separated by tabs (each field terminal-safe). */
export function tsv(rows: readonly (readonly (string | number | null)[])[]): string {
  return rows
    .map((r) => `${r.map((f) => (f === null ? '-' : terminalSafe(String(f)))).join('\t')}\n`)
    .join('');
}

/** A successful outcome whose text is escaped already (tsv rows, terminalSafe lines). */
export function listed(json: unknown, text: string): Outcome {
  return { exit: EXIT.ok, json, text, escaped: true };
}

export function isoTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** Run `work` with a recorder on the data dir (closed after). */
export async function withRecorder<T>(
  ctx: CliContext,
  work: (rec: Recorder) => Promise<T>,
  /** Wait while the data cannot be opened for a pause's reasons (an upgrade under way). */
  wait?: { deadline: number; waiting: (e: AppError) => void },
): Promise<T> {
  const open = () => openRecorder(ctx.where, databaseUrlOf(ctx.values));
  const rec = wait ? await retryWhilePaused(open, wait.deadline, wait.waiting) : await open();
  try {
    return await work(rec);
  } finally {
    rec.close();
  }
}

/** The project named `name` (letter case ignored, as names are unique), or NOT_FOUND. */
export async function projectNamed(rec: Recorder, name: string): Promise<Project> {
  const wanted = name.trim().toLowerCase();
  const page = await rec.call('projects.list', { query: name.trim(), limit: 500 });
  const found = page.items.find((p) => p.name.toLowerCase() === wanted);
  if (!found)
    throw new AppError('NOT_FOUND', `There is no project ${name}.`, {
      hint: 'See the names with `stateward project list`.',
    });
  return found;
}

/** `<project>/<environment>` by name, or a usage error / NOT_FOUND. */
export async function environmentNamed(
  rec: Recorder,
  target: string | undefined,
): Promise<{ project: Project; environment: Environment; label: string }> {
  const names = envTarget(target);
  const project = await projectNamed(rec, names.project);
  const wanted = names.environment.trim().toLowerCase();
  const environment = (await rec.call('environments.list', { projectId: project.id })).find(
    (e) => e.name.toLowerCase() === wanted,
  );
  if (!environment)
    throw new AppError('NOT_FOUND', `There is no environment ${target}.`, {
      hint: `See the environments with \`stateward env list ${project.name}\`.`,
    });
  return { project, environment, label: `${project.name}/${environment.name}` };
}

/** --description D, or --description-file F (- for stdin); undefined when neither is given. */
async function descriptionOf(ctx: CliContext): Promise<string | undefined> {
  const inline = ctx.values.description as string | undefined;
  const file = ctx.values['description-file'] as string | undefined;
  if (inline !== undefined && file !== undefined)
    throw usageError('Give --description or --description-file, not both.');
  return file === undefined ? inline : readTextFile(file, '--description-file', ctx.stdin, 8192);
}

function projectRow(p: Project) {
  return [p.name, p.environmentCount, p.deploymentCount, isoTime(p.lastDeploymentAt)] as const;
}

const PROJECT_OPTIONS: OptionSpec = {
  description: { type: 'string' },
  'description-file': { type: 'string' },
  query: { type: 'string' },
  limit: { type: 'string' },
};
const ENV_OPTIONS: OptionSpec = {
  kind: { type: 'string' },
  description: { type: 'string' },
  'description-file': { type: 'string' },
};
const DESCRIBED = ['description', 'description-file'];

async function project(ctx: CliContext): Promise<Outcome> {
  const [sub, arg, ...extra] = ctx.args;
  const allowed = { add: DESCRIBED, list: ['query', 'limit'], show: [] }[sub ?? ''];
  if (!allowed || !sub) throw usageError('Use: project add|list|show …');
  onlyOptions(ctx, `project ${sub}`, PROJECT_OPTIONS, allowed);
  if (sub === 'add') {
    if (!arg || extra.length) throw usageError('Use: project add NAME [--description D]');
    const description = await descriptionOf(ctx);
    return withRecorder(ctx, async (rec) => {
      const p = await rec.call('projects.create', {
        name: arg,
        ...(description === undefined ? {} : { description }),
      });
      return { exit: EXIT.ok, json: { project: p }, text: `${p.name}\n` };
    });
  }
  if (sub === 'list') {
    if (arg !== undefined) throw usageError(`Unexpected argument "${arg}".`);
    const limit = intOption(ctx.values.limit as string | undefined, '--limit', 1, 500, 100);
    const query = ctx.values.query as string | undefined;
    return withRecorder(ctx, async (rec) => {
      const page = await rec.call('projects.list', {
        limit,
        ...(query === undefined ? {} : { query }),
      });
      return listed({ projects: page.items, total: page.total }, tsv(page.items.map(projectRow)));
    });
  }
  if (sub === 'show') {
    if (!arg || extra.length) throw usageError('Use: project show NAME');
    return withRecorder(ctx, async (rec) => {
      const p = await projectNamed(rec, arg);
      const envs = await rec.call('environments.list', { projectId: p.id });
      return listed(
        { project: p, environments: envs },
        tsv([
          [p.name, p.description],
          ...envs.map((e) => [`${p.name}/${e.name}`, e.kind, e.deploymentCount, e.lastStatus]),
        ]),
      );
    });
  }
  throw usageError('Use: project add|list|show …');
}

async function env(ctx: CliContext): Promise<Outcome> {
  const [sub, arg, ...extra] = ctx.args;
  const allowed = { add: ['kind', ...DESCRIBED], list: [] }[sub ?? ''];
  if (!allowed || !sub) throw usageError('Use: env add|list …');
  onlyOptions(ctx, `env ${sub}`, ENV_OPTIONS, allowed);
  if (sub === 'add') {
    if (!arg || extra.length)
      throw usageError('Use: env add <project>/<environment> [--kind K] [--description D]');
    const names = envTarget(arg);
    const kind = oneOf(ctx.values.kind, '--kind', ENVIRONMENT_KINDS);
    const description = await descriptionOf(ctx);
    return withRecorder(ctx, async (rec) => {
      const p = await projectNamed(rec, names.project);
      const e = await rec.call('environments.create', {
        projectId: p.id,
        name: names.environment,
        ...(kind === undefined ? {} : { kind }),
        ...(description === undefined ? {} : { description }),
      });
      return {
        exit: EXIT.ok,
        json: { environment: e, project: p.name },
        text: `${p.name}/${e.name}\n`,
      };
    });
  }
  if (sub === 'list') {
    if (!arg || extra.length) throw usageError('Use: env list <project>');
    return withRecorder(ctx, async (rec) => {
      const p = await projectNamed(rec, arg);
      const envs = await rec.call('environments.list', { projectId: p.id });
      return listed(
        { project: p.name, environments: envs },
        tsv(
          envs.map((e) => [
            `${p.name}/${e.name}`,
            e.kind,
            e.deploymentCount,
            e.lastStatus,
            isoTime(e.lastDeploymentAt),
          ]),
        ),
      );
    });
  }
  throw usageError('Use: env add|list …');
}

const TSV_NOTE = 'Listings print one row per line, fields separated by tabs; --json for machines.';

export const projectCommands: CliCommand[] = [
  {
    name: 'project',
    usage: [
      [
        'project add NAME [--description D]',
        'record a project (--description-file F, - for stdin)',
      ],
      ['project list [--query Q] [--limit N]', 'projects: name, environments, deployments, last'],
      ['project show NAME', 'a project and its environments'],
    ],
    help: TSV_NOTE,
    options: PROJECT_OPTIONS,
    args: 'any',
    run: project,
  },
  {
    name: 'env',
    usage: [
      [
        'env add <project>/<env> [--kind K]',
        `record an environment (kind: ${ENVIRONMENT_KINDS.join('|')})`,
      ],
      ['env list <project>', "a project's environments with their last status"],
    ],
    help: TSV_NOTE,
    options: ENV_OPTIONS,
    args: 'any',
    run: env,
  },
];
