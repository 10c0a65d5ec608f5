import type { HandlerMap } from './registry.ts';
import { auditedWrite, readDb, storeOf } from './context.ts';
import {
  appendDeploymentLog,
  createDeployment,
  getDeployment,
  listDeployments,
  setDeploymentStatus,
} from '../core/store/resources/deployments.ts';
import { listAudit } from '../core/store/resources/audit.ts';

export const deploymentHandlers: HandlerMap = {
  'deployments.list': (input, rt) => listDeployments(readDb(rt, input.restoreId), input),
  'deployments.get': (input, rt) => getDeployment(readDb(rt, input.restoreId), input.id),
  // Secret values are checked for before each write's transaction: a refusal's audit entry stays.
  'deployments.create': (input, rt) => {
    rt.secrets.assertNoSecretValues('diagnosticSummary', input.diagnosticSummary);
    return auditedWrite(
      rt,
      'deployments',
      (db, now) => createDeployment(db, input, now),
      (d) => ({
        action: 'deployment.recorded',
        target: `deployment:${d.id}`,
        detail: { environmentId: d.environmentId, version: d.version, status: d.status },
      }),
    );
  },
  'deployments.setStatus': (input, rt) => {
    rt.secrets.assertNoSecretValues('diagnosticSummary', input.diagnosticSummary);
    return auditedWrite(
      rt,
      'deployments',
      (db, now) => setDeploymentStatus(db, input, now),
      (d) => ({
        action: 'deployment.status',
        target: `deployment:${d.id}`,
        detail: { status: d.status },
      }),
    );
  },
  'deployments.appendLog': (input, rt) => {
    rt.secrets.assertNoSecretValues('message', input.message);
    const db = storeOf(rt);
    const detail = db.transaction(() => appendDeploymentLog(db, input, rt.now()))();
    rt.events.emit('data.changed', { area: 'deployments' });
    return detail;
  },
  'audit.list': (input, rt) => listAudit(readDb(rt, input.restoreId), input),
};
