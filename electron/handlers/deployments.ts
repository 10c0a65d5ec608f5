import type { HandlerMap } from './registry.ts';
import { auditedWrite, dataOf, readWith } from './context.ts';
import {
  appendDeploymentLog,
  createDeployment,
  getDeployment,
  listDeployments,
  setDeploymentStatus,
} from '../core/store/resources/deployments.ts';
import { listAudit } from '../core/store/resources/audit.ts';

export const deploymentHandlers: HandlerMap = {
  'deployments.list': (input, rt) =>
    readWith(rt, input.restoreId, (c) => listDeployments(c, input)),
  'deployments.get': (input, rt) =>
    readWith(rt, input.restoreId, (c) => getDeployment(c, input.id)),
  // Secret values are checked for before each write's transaction: a refusal's audit entry stays.
  'deployments.create': async (input, rt) => {
    await rt.secrets.assertNoSecretValues('diagnosticSummary', input.diagnosticSummary);
    return auditedWrite(
      rt,
      'deployments',
      (c, now) => createDeployment(c, input, now),
      (d) => ({
        action: 'deployment.recorded',
        target: `deployment:${d.id}`,
        detail: { environmentId: d.environmentId, version: d.version, status: d.status },
      }),
    );
  },
  'deployments.setStatus': async (input, rt) => {
    await rt.secrets.assertNoSecretValues('diagnosticSummary', input.diagnosticSummary);
    return auditedWrite(
      rt,
      'deployments',
      (c, now) => setDeploymentStatus(c, input, now),
      (d) => ({
        action: 'deployment.status',
        target: `deployment:${d.id}`,
        detail: { status: d.status },
      }),
    );
  },
  'deployments.appendLog': async (input, rt) => {
    await rt.secrets.assertNoSecretValues('message', input.message);
    const now = rt.now();
    const detail = await dataOf(rt).write((c) => appendDeploymentLog(c, input, now));
    rt.events.emit('data.changed', { area: 'deployments' });
    return detail;
  },
  'audit.list': (input, rt) => readWith(rt, input.restoreId, (c) => listAudit(c, input)),
};
