// `stateward deploy start|log|finish|list|show|run`: deployments recorded from scripts
// and CI through the same command registry as the app (validation, audit, pauses).
import type { DeploymentDetail, DeploymentStatus, LogLevel } from '../../../shared/domain.ts';
import { DEPLOYMENT_STATUSES, LOG_LEVELS } from '../../../shared/domain.ts';
import type { CliCommand, CliContext, OptionSpec } from '../args.ts';
import { envTarget, idArg, intOption, oneOf, onlyOptions, usageError } from '../args.ts';
import { EXIT, terminalSafe } from '../exit.ts';
import { AppError, isAppError } from '../../../shared/errors.ts';
import type { Recorder } from '../open.ts';
import { retryWhilePaused } from '../open.ts';
import type { Outcome } from '../output.ts';
import { readJsonObjectFile, readTextFile } from '../prompt.ts';
import type { LogLine } from '../log-batch.ts';
import { LogBatcher, readLines } from '../log-batch.ts';
import { deployRun } from './deploy-run.ts';
import { environmentNamed, isoTime, listed, projectNamed, tsv, withRecorder } from './projects.ts';

const FINAL = ['succeeded', 'failed', 'cancelled'] as const;
const WITHHELD = '[a line of output was withheld: it held the value of a secret]';

export const deploymentId = (arg: string | undefined): number =>
  idArg(arg, 'a deployment id (the number `deploy start` printed)');

/** Deployments whose `deploy run` wrapper died are marked as interrupted first (never fails the command). */
export async function sweepInterrupted(rec: Recorder): Promise<void> {
  await rec.call('deployments.sweepInterrupted', {}).catch(() => undefined);
}

/** --snapshot FILE (- for stdin): a JSON object recorded as the environment's next snapshot. */
async function snapshotOf(ctx: CliContext): Promise<Record<string, unknown> | null> {
  const file = ctx.values.snapshot as string | undefined;
  return file === undefined ? null : readJsonObjectFile(file, '--snapshot', ctx.stdin, 256 * 1024);
}

/**
 * What `deploy start` and `deploy run` record first: the environment, the snapshot, the
 * version (present: deployValues checked it before anything was opened).
 */
export async function startInput(ctx: CliContext, rec: Recorder, target: string | undefined) {
  const version = ctx.values.version as string;
  const content = await snapshotOf(ctx);
  const { environment, label } = await environmentNamed(rec, target);
  const snapshotId = content
    ? (await rec.call('snapshots.create', { environmentId: environment.id, content })).id
    : null;
  return {
    label,
    input: {
      environmentId: environment.id,
      version,
      accessUrl: (ctx.values.url as string | undefined) ?? null,
      snapshotId,
    },
  };
}

function summaryLines(d: DeploymentDetail): string[] {
  return d.diagnosticSummary ? d.diagnosticSummary.split('\n').map((l) => `  ${l}`) : [];
}

/** A deployment as a few labelled lines, then its log, one line each. */
function deploymentText(d: DeploymentDetail): string {
  const lines = [
    `Deployment ${d.id}: ${d.projectName}/${d.environmentName} ${d.version} ${d.status}`,
    `Started    ${isoTime(d.startedAt)}`,
    `Finished   ${isoTime(d.finishedAt) ?? '-'}`,
    ...(d.accessUrl ? [`URL        ${d.accessUrl}`] : []),
    ...(d.snapshot
      ? [`Snapshot   v${d.snapshot.version} (${d.snapshot.sha256.slice(0, 12)})`]
      : []),
    ...(d.diagnosticSummary ? ['Summary', ...summaryLines(d)] : []),
    ...(d.logs.length ? ['Log'] : []),
  ];
  return `${lines.map((l) => terminalSafe(l)).join('\n')}\n${tsv(d.logs.map((l) => [isoTime(l.ts), l.level, l.message]))}`;
}

async function start(ctx: CliContext, rec: Recorder, target: string | undefined): Promise<Outcome> {
  const { input } = await startInput(ctx, rec, target);
  const d = await rec.call('deployments.create', { ...input, status: 'running' });
  return { exit: EXIT.ok, json: { deployment: d }, text: `${d.id}\n` };
}

/**
 * Append a batch of lines; one that carries a secret's value is replaced by a note,
 * never stored (the others are kept). How many were appended.
 */
export async function appendLines(rec: Recorder, id: number, lines: LogLine[]): Promise<number> {
  try {
    return (await rec.call('deployments.appendLogs', { id, lines })).appended;
  } catch (e) {
    if (!isAppError(e) || e.code !== 'SECRET_VALUE_REFUSED') throw e;
  }
  for (const l of lines) {
    await rec.call('deployments.appendLogs', { id, lines: [l] }).catch(async (err: unknown) => {
      if (!isAppError(err) || err.code !== 'SECRET_VALUE_REFUSED') throw err;
      await rec.call('deployments.appendLogs', {
        id,
        lines: [{ level: 'warn', message: WITHHELD }],
      });
    });
  }
  return lines.length;
}

/**
 * --pause-wait S (default 600): how long writes refused by a pause (or a promote, or a
 * busy database) are retried; `say` a line on stderr, `waiting` the notice when it waits.
 */
export function pauseWait(ctx: CliContext) {
  const waitMs =
    intOption(ctx.values['pause-wait'] as string | undefined, '--pause-wait', 0, 86_400, 600) *
    1000;
  const say = (s: string) => ctx.io.stderr(`stateward: ${terminalSafe(s)}\n`);
  const waiting = (e: AppError) =>
    say(`${e.message} Waiting up to ${Math.round(waitMs / 1000)} s for writes to resume…`);
  return { waitMs, say, waiting };
}

async function log(ctx: CliContext, rec: Recorder, id: number, level: LogLevel): Promise<Outcome> {
  const { waitMs, waiting } = pauseWait(ctx);
  // Refused before stdin is read when it does not exist (nothing is appended).
  await rec.call('deployments.get', { id });
  let appended = 0;
  let failure: { error: unknown } | null = null;
  const batcher = new LogBatcher(async (lines) => {
    if (failure) return;
    try {
      appended += await retryWhilePaused(
        () => appendLines(rec, id, lines),
        Date.now() + waitMs,
        waiting,
      );
    } catch (e) {
      failure = { error: e };
    }
  }, 50_000);
  // Stdin is read to its end even after a failure: the script writing into the pipe
  // must not be killed by a broken pipe because its log could not be recorded.
  await readLines(
    ctx.stdin,
    (message) => batcher.push(level, message),
    () => batcher.room(),
  );
  await batcher.close();
  if (failure) {
    const e = (failure as { error: unknown }).error;
    if (isAppError(e))
      throw new AppError(e.code, `${e.message} (${appended} line(s) were appended before.)`, {
        ...(e.hint ? { hint: e.hint } : {}),
        ...(e.details ? { details: e.details } : {}),
      });
    throw e;
  }
  return { exit: EXIT.ok, json: { deploymentId: id, appended }, text: '' };
}

async function finish(
  ctx: CliContext,
  rec: Recorder,
  id: number,
  status: (typeof FINAL)[number],
): Promise<Outcome> {
  const file = ctx.values['summary-file'] as string | undefined;
  const summary =
    file === undefined
      ? undefined
      : await readTextFile(file, '--summary-file', ctx.stdin, 20000 * 4);
  const d = await rec.call('deployments.setStatus', {
    id,
    status,
    ...(summary === undefined ? {} : { diagnosticSummary: summary }),
  });
  return { exit: EXIT.ok, json: { deployment: d }, text: tsv([[d.id, d.status]]), escaped: true };
}

async function list(
  rec: Recorder,
  target: string | undefined,
  status: DeploymentStatus | undefined,
  limit: number,
): Promise<Outcome> {
  const where =
    target === undefined
      ? {}
      : target.includes('/')
        ? { environmentId: (await environmentNamed(rec, target)).environment.id }
        : { projectId: (await projectNamed(rec, target)).id };
  const page = await rec.call('deployments.list', {
    limit,
    ...where,
    ...(status ? { status } : {}),
  });
  return listed(
    { deployments: page.items, total: page.total },
    tsv(
      page.items.map((d) => [
        d.id,
        `${d.projectName}/${d.environmentName}`,
        d.version,
        d.status,
        isoTime(d.startedAt),
        isoTime(d.finishedAt),
      ]),
    ),
  );
}

const DEPLOY_OPTIONS: OptionSpec = {
  version: { type: 'string' },
  url: { type: 'string' },
  snapshot: { type: 'string' },
  level: { type: 'string' },
  status: { type: 'string' },
  'summary-file': { type: 'string' },
  limit: { type: 'string' },
  'pause-wait': { type: 'string' },
};

/**
 * The target and option values of `deploy <sub>`, read before anything is opened, so
 * bad input is a usage error (exit 2) whatever the data dir holds.
 */
function deployValues(ctx: CliContext, sub: string, arg: string | undefined) {
  if (sub === 'start' || sub === 'run') {
    if (ctx.values.version === undefined)
      throw usageError('--version V is needed: the version being deployed.');
    envTarget(arg);
  }
  if (sub === 'list' && arg?.includes('/')) envTarget(arg);
  const final = sub === 'finish' ? oneOf(ctx.values.status, '--status', FINAL) : undefined;
  if (sub === 'finish' && !final)
    throw usageError(`--status is needed: one of ${FINAL.join(', ')}.`);
  return {
    status:
      sub === 'list'
        ? oneOf<DeploymentStatus>(ctx.values.status, '--status', DEPLOYMENT_STATUSES)
        : undefined,
    limit:
      sub === 'list'
        ? intOption(ctx.values.limit as string | undefined, '--limit', 1, 500, 50)
        : 50,
    level:
      (sub === 'log' ? oneOf<LogLevel>(ctx.values.level, '--level', LOG_LEVELS) : undefined) ??
      'info',
    final,
  };
}

async function deploy(ctx: CliContext): Promise<Outcome> {
  const [sub, arg, ...extra] = ctx.args;
  const subs: Record<string, { needs?: string; options: string[] }> = {
    start: { needs: '<project>/<env>', options: ['version', 'url', 'snapshot'] },
    log: { needs: 'a deployment id', options: ['level', 'pause-wait'] },
    finish: { needs: 'a deployment id', options: ['status', 'summary-file'] },
    list: { options: ['status', 'limit'] },
    show: { needs: 'a deployment id', options: [] },
    run: { needs: '<project>/<env>', options: ['version', 'url', 'snapshot', 'pause-wait'] },
  };
  const spec = sub === undefined ? undefined : subs[sub];
  if (!spec) throw usageError('Use: deploy start|log|finish|list|show|run …');
  if (spec.needs && arg === undefined) throw usageError(`"deploy ${sub}" needs ${spec.needs}.`);
  if (extra.length) throw usageError(`Unexpected argument "${extra[0]}".`);
  onlyOptions(ctx, `deploy ${sub}`, DEPLOY_OPTIONS, spec.options);
  const v = deployValues(ctx, sub!, arg);
  if (sub === 'run') return deployRun(ctx, arg!);
  if (ctx.passthrough !== null)
    throw usageError(`"deploy ${sub}" does not run a command: remove the "--".`);
  const id = sub === 'start' || sub === 'list' ? 0 : deploymentId(arg);
  return withRecorder(
    ctx,
    async (rec) => {
      await sweepInterrupted(rec);
      switch (sub) {
        case 'start':
          return start(ctx, rec, arg);
        case 'log':
          return log(ctx, rec, id, v.level);
        case 'finish':
          return finish(ctx, rec, id, v.final!);
        case 'list':
          return list(rec, arg, v.status, v.limit);
        default: {
          const d = await rec.call('deployments.get', { id });
          return listed({ deployment: d }, deploymentText(d));
        }
      }
    },
    waitsWhilePaused(ctx, sub!),
  );
}

/** deploy log waits for an upgrade under way as for a pause (its writer must not fail). */
function waitsWhilePaused(ctx: CliContext, sub: string) {
  if (sub !== 'log') return undefined;
  const { waitMs, waiting } = pauseWait(ctx);
  return { deadline: Date.now() + waitMs, waiting };
}

export const deploymentCommands: CliCommand[] = [
  {
    name: 'deploy',
    usage: [
      ['deploy start <project>/<env> --version V', 'record a running deployment; prints its id'],
      ['  [--url U] [--snapshot FILE]', 'its URL; its configuration (a JSON file, - for stdin)'],
      ['deploy log <id> [--level L]', 'append the lines of stdin to its log, as they come'],
      ['  [--pause-wait S]', 'while paused: wait (default 600 s), reading on'],
      ['deploy finish <id> --status S', 'succeeded|failed|cancelled [--summary-file F]'],
      ['deploy list [<project>[/<env>]]', 'newest first [--status S] [--limit N]'],
      ['deploy show <id>', 'a deployment, its summary and its log'],
      ['deploy run <project>/<env> --version V', 'run a deploy command and record it all:'],
      ['  [--pause-wait S] -- <command…>', 'its output, status, summary; exits with its code'],
    ],
    help: `Listings print one row per line, fields separated by tabs; --json for machines.
deploy run streams the command's output (stdout at level info, stderr at warn) into the
deployment's log and to the terminal, finishes with the status its exit code implies
(Ctrl-C: cancelled), and stores a diagnostic summary. While automation is paused it
waits up to --pause-wait seconds (default 600) instead of failing the deploy.`,
    options: DEPLOY_OPTIONS,
    args: 'any',
    passthrough: true,
    run: deploy,
  },
];
