// What automation records about deployments: batches of log lines, and deployments run
// by a wrapper (`stateward deploy run`) whose process is named in a run of kind
// 'deploy.run', so a wrapper that died is noticed instead of leaving "running" forever.
import type { DeployRun, LogLevel, Run } from '../../../../shared/domain.ts';
import { AppError } from '../../../../shared/errors.ts';
import type { Query, Sql } from '../sql.ts';
import { exec, row } from '../sql.ts';
import { createDeployment, getDeployment, setDeploymentStatus } from './deployments.ts';
import { finishRun, getRun, listRuns, startRun } from './runs.ts';

export const DEPLOY_RUN_KIND = 'deploy.run';

/** Who runs a wrapped deployment: the wrapper's process and the command it runs. */
export interface DeployWrapper {
  pid: number;
  /** When that process started (so a reused pid is not taken for it), where known. */
  pidStart: string | null;
  host: string;
  command: string[];
}

/** Append `lines` to deployment `id`'s log, in order, in one statement. */
export function* appendDeploymentLogs(
  c: Sql,
  input: { id: number; lines: { level: LogLevel; message: string }[] },
  now: number,
): Query<{ appended: number }> {
  const found = yield* row(c.k.selectFrom('deployments').select('id').where('id', '=', input.id));
  if (!found) throw new AppError('NOT_FOUND', `Deployment ${input.id} does not exist.`);
  const appended = yield* exec(
    c.k.insertInto('deployment_logs').values(
      input.lines.map((l) => ({
        deployment_id: input.id,
        ts: now,
        level: l.level,
        message: l.message,
      })),
    ),
  );
  return { appended };
}

export function* startDeployRun(
  c: Sql,
  input: {
    environmentId: number;
    version: string;
    accessUrl: string | null;
    snapshotId: number | null;
  } & DeployWrapper,
  now: number,
): Query<DeployRun> {
  const deployment = yield* createDeployment(
    c,
    {
      environmentId: input.environmentId,
      version: input.version,
      status: 'running',
      accessUrl: input.accessUrl,
      diagnosticSummary: null,
      snapshotId: input.snapshotId,
    },
    now,
  );
  const runId = yield* startRun(
    c,
    DEPLOY_RUN_KIND,
    {
      deploymentId: deployment.id,
      pid: input.pid,
      pidStart: input.pidStart,
      host: input.host,
      command: input.command,
    },
    now,
  );
  return { deployment, runId };
}

/** The deployment a 'deploy.run' run watches (refused for any other run). */
function deploymentOf(run: Run): number {
  const id = run.detail.deploymentId;
  if (run.kind !== DEPLOY_RUN_KIND || typeof id !== 'number')
    throw new AppError('BAD_INPUT', `Run ${run.id} is not a wrapped deployment.`, {
      details: { field: 'runId' },
    });
  return id;
}

/** Finish a wrapped deployment and its run together. */
export function* finishDeployRun(
  c: Sql,
  input: {
    runId: number;
    status: 'succeeded' | 'failed' | 'cancelled';
    diagnosticSummary: string | null;
  },
  now: number,
): Query<DeployRun> {
  const run = yield* getRun(c, input.runId);
  const deploymentId = deploymentOf(run);
  if (run.status !== 'running')
    throw new AppError(
      'INVALID_TRANSITION',
      `Deployment ${deploymentId} was already finished (${run.status}).`,
      {
        hint: 'Its wrapper was taken for dead and the deployment marked as interrupted.',
        details: { from: run.status, to: input.status },
      },
    );
  const deployment = yield* setDeploymentStatus(
    c,
    { id: deploymentId, status: input.status, diagnosticSummary: input.diagnosticSummary },
    now,
  );
  yield* finishRun(c, run.id, input.status, { ...run.detail, status: input.status }, now);
  return { deployment, runId: run.id };
}

/** Wrapped deployments still recorded as running, oldest first. */
export function* runningDeployRuns(c: Sql): Query<Run[]> {
  const found = yield* listRuns(c, { kind: DEPLOY_RUN_KIND, status: 'running', limit: 500 });
  return found.reverse();
}

/**
 * Mark the deployment of `run` (whose wrapper is gone) failed, saying why, and its run
 * failed; a deployment someone else finished meanwhile keeps its status. Its id, or null.
 */
export function* markDeployRunInterrupted(c: Sql, run: Run, now: number): Query<number | null> {
  const current = yield* getRun(c, run.id);
  if (current.status !== 'running') return null;
  const id = deploymentOf(current);
  const why = `interrupted: the wrapper (pid ${String(current.detail.pid)} on host ${String(current.detail.host)}) died before the deployment finished.`;
  yield* finishRun(c, run.id, 'failed', { ...current.detail, interrupted: true }, now);
  const d = yield* getDeployment(c, id);
  if (d.status !== 'running' && d.status !== 'queued') return null;
  const summary = d.diagnosticSummary ? `${why}\n\n${d.diagnosticSummary}` : why;
  yield* setDeploymentStatus(c, { id, status: 'failed', diagnosticSummary: summary }, now);
  return id;
}
