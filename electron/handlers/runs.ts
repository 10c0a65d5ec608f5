// Run history and what automation records about deployments: batched log lines,
// deployments run by a wrapper (`stateward deploy run`) and the sweep of those whose
// wrapper died.
import { AppError } from '../../shared/errors.ts';
import type { HandlerMap } from './registry.ts';
import { auditedWrite, dataOf, readWith } from './context.ts';
import { sweepInterruptedDeployRuns } from '../core/deploy-runs.ts';
import {
  appendDeploymentLogs,
  DEPLOY_RUN_KIND,
  finishDeployRun,
  startDeployRun,
} from '../core/store/resources/deployRuns.ts';
import { finishRun, getRun, listRuns, startRun } from '../core/store/resources/runs.ts';

/** Kinds of run Stateward records itself: automation cannot start or finish them. */
function assertAutomationKind(kind: string): void {
  const first = kind.split('.')[0]!;
  if (['backup', 'drill', 'migration', 'demo'].includes(first) || kind === DEPLOY_RUN_KIND)
    throw new AppError('BAD_INPUT', `Runs of kind "${kind}" are recorded by Stateward itself.`, {
      hint: 'Use a kind of your own, like ci.tests.',
      details: { field: 'kind' },
    });
}

export const runHandlers: HandlerMap = {
  'deployments.appendLogs': async (input, rt) => {
    for (const l of input.lines) await rt.secrets.assertNoSecretValues('message', l.message);
    const now = rt.now();
    const r = await dataOf(rt).write((c) => appendDeploymentLogs(c, input, now));
    rt.events.emit('data.changed', { area: 'deployments' });
    return r;
  },
  'deployments.runStart': async (input, rt) => {
    await rt.secrets.assertNoSecretValues('detail', input.command);
    return auditedWrite(
      rt,
      'deployments',
      (c, now) => startDeployRun(c, input, now),
      (r) => ({
        action: 'deployment.recorded',
        target: `deployment:${r.deployment.id}`,
        detail: {
          environmentId: r.deployment.environmentId,
          version: r.deployment.version,
          status: r.deployment.status,
          runId: r.runId,
          pid: input.pid,
          host: input.host,
        },
      }),
    );
  },
  'deployments.runFinish': async (input, rt) => {
    await rt.secrets.assertNoSecretValues('diagnosticSummary', input.diagnosticSummary);
    return auditedWrite(
      rt,
      'deployments',
      (c, now) => finishDeployRun(c, input, now),
      (r) => ({
        action: 'deployment.status',
        target: `deployment:${r.deployment.id}`,
        detail: { status: r.deployment.status, runId: r.runId },
      }),
    );
  },
  'deployments.sweepInterrupted': async (_input, rt) => ({
    interrupted: await sweepInterruptedDeployRuns(rt),
  }),

  'runs.list': (input, rt) => readWith(rt, undefined, (c) => listRuns(c, input)),
  'runs.get': (input, rt) => readWith(rt, undefined, (c) => getRun(c, input.id)),
  'runs.start': async (input, rt) => {
    assertAutomationKind(input.kind);
    await rt.secrets.assertNoSecretValues('detail', input.detail);
    return auditedWrite(
      rt,
      'runs',
      function* (c, now) {
        return yield* getRun(c, yield* startRun(c, input.kind, input.detail, now));
      },
      (r) => ({ action: 'run.started', target: `run:${r.id}`, detail: { kind: r.kind } }),
    );
  },
  'runs.finish': async (input, rt) => {
    await rt.secrets.assertNoSecretValues('detail', input.detail);
    return auditedWrite(
      rt,
      'runs',
      function* (c, now) {
        const run = yield* getRun(c, input.id);
        assertAutomationKind(run.kind);
        if (run.status !== 'running')
          throw new AppError('INVALID_TRANSITION', `Run ${run.id} is already ${run.status}.`, {
            details: { from: run.status, to: input.status },
          });
        yield* finishRun(c, run.id, input.status, input.detail ?? run.detail, now);
        return yield* getRun(c, run.id);
      },
      (r) => ({
        action: 'run.finished',
        target: `run:${r.id}`,
        detail: { kind: r.kind, status: r.status },
      }),
    );
  },
};
