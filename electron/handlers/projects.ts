import type { HandlerMap } from './registry.ts';
import { auditedWrite, readWith } from './context.ts';
import {
  createProject,
  getProject,
  listProjects,
  updateProject,
} from '../core/store/resources/projects.ts';
import {
  createEnvironment,
  getEnvironment,
  listEnvironments,
  updateEnvironment,
} from '../core/store/resources/environments.ts';
import { createSnapshot, listSnapshots } from '../core/store/resources/snapshots.ts';

export const projectHandlers: HandlerMap = {
  'projects.list': (input, rt) => readWith(rt, input.restoreId, (c) => listProjects(c, input)),
  'projects.get': (input, rt) => readWith(rt, input.restoreId, (c) => getProject(c, input.id)),
  'projects.create': (input, rt) =>
    auditedWrite(
      rt,
      'projects',
      (c, now) => createProject(c, input, now),
      (p) => ({ action: 'project.created', target: `project:${p.id}`, detail: { name: p.name } }),
    ),
  'projects.update': (input, rt) =>
    auditedWrite(
      rt,
      'projects',
      (c, now) => updateProject(c, input, now),
      (p) => ({ action: 'project.updated', target: `project:${p.id}`, detail: { name: p.name } }),
    ),

  'environments.list': (input, rt) =>
    readWith(rt, input.restoreId, (c) => listEnvironments(c, input.projectId)),
  'environments.get': (input, rt) =>
    readWith(rt, input.restoreId, (c) => getEnvironment(c, input.id)),
  'environments.create': (input, rt) =>
    auditedWrite(
      rt,
      'environments',
      (c, now) => createEnvironment(c, input, now),
      (e) => ({
        action: 'environment.created',
        target: `environment:${e.id}`,
        detail: { projectId: e.projectId, name: e.name },
      }),
    ),
  'environments.update': (input, rt) =>
    auditedWrite(
      rt,
      'environments',
      (c, now) => updateEnvironment(c, input, now),
      (e) => ({
        action: 'environment.updated',
        target: `environment:${e.id}`,
        detail: { name: e.name, kind: e.kind },
      }),
    ),

  'snapshots.list': (input, rt) =>
    readWith(rt, input.restoreId, (c) => listSnapshots(c, input.environmentId)),
  'snapshots.create': async (input, rt) => {
    // Checked before the write's transaction: the audit entry of a refusal must stay.
    await rt.secrets.assertNoSecretValues('content', input.content);
    return auditedWrite(
      rt,
      'snapshots',
      (c, now) => createSnapshot(c, input, now),
      (s) => ({
        action: 'snapshot.created',
        target: `environment:${s.environmentId}`,
        detail: { version: s.version, sha256: s.sha256 },
      }),
    );
  },
};
