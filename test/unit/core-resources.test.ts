import { beforeEach, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import type { DeploymentStatus } from '../../shared/domain.ts';
import { DEPLOYMENT_STATUSES, DEPLOYMENT_TRANSITIONS } from '../../shared/domain.ts';
import type { WritableDB } from '../../electron/core/store/db.ts';
import { appendAudit, countAudit, listAudit } from '../../electron/core/store/resources/audit.ts';
import {
  appendDeploymentLog,
  countDeployments,
  createDeployment,
  getDeployment,
  listDeployments,
  newestDeployment,
  setDeploymentStatus,
} from '../../electron/core/store/resources/deployments.ts';
import {
  countEnvironments,
  createEnvironment,
  getEnvironment,
  listEnvironments,
  updateEnvironment,
} from '../../electron/core/store/resources/environments.ts';
import {
  countMetrics,
  metricSeries,
  recordMetric,
} from '../../electron/core/store/resources/metrics.ts';
import {
  countProjects,
  createProject,
  getProject,
  listProjects,
  updateProject,
} from '../../electron/core/store/resources/projects.ts';
import {
  listResourceStatus,
  upsertResourceStatus,
} from '../../electron/core/store/resources/resourceStatus.ts';
import { finishRun, listRuns, startRun } from '../../electron/core/store/resources/runs.ts';
import { getSetting, setSetting } from '../../electron/core/store/resources/settings.ts';
import {
  canonicalJson,
  createSnapshot,
  getSnapshot,
  listSnapshots,
} from '../../electron/core/store/resources/snapshots.ts';
import { fingerprint, openTestStore } from '../helpers/store.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
let db: WritableDB;
beforeEach(() => {
  db = openTestStore(world).db;
});

/** Run `fn`, expecting an AppError with `code`; returns it. */
function rejects(
  code: string,
  fn: () => unknown,
): Error & { code: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    expect((e as { code?: string }).code, (e as Error).message).toBe(code);
    return e as Error & { code: string };
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

function project(name = 'alpha', now = 1000) {
  return createProject(db, { name, description: '' }, now);
}
function env(projectId: number, name = 'prod', now = 1000) {
  return createEnvironment(db, { projectId, name, kind: 'production', description: '' }, now);
}
function deploy(
  environmentId: number,
  now: number,
  status: DeploymentStatus = 'queued',
  over: { snapshotId?: number | null } = {},
) {
  return createDeployment(
    db,
    {
      environmentId,
      version: `v${now}`,
      status,
      accessUrl: null,
      diagnosticSummary: null,
      snapshotId: over.snapshotId ?? null,
    },
    now,
  );
}

describe('projects', () => {
  it('create returns the stored project with zero counts', () => {
    const p = createProject(db, { name: 'Billing', description: 'money' }, 1234);
    expect(p).toEqual({
      id: p.id,
      name: 'Billing',
      description: 'money',
      createdAt: 1234,
      updatedAt: 1234,
      environmentCount: 0,
      deploymentCount: 0,
      lastDeploymentAt: null,
    });
    expect(getProject(db, p.id)).toEqual(p);
  });

  it('names are unique regardless of case: CONFLICT, nothing written', () => {
    project('Billing');
    const before = fingerprint(db);
    rejects('CONFLICT', () => createProject(db, { name: 'bILLING', description: '' }, 2));
    expect(fingerprint(db)).toEqual(before);
  });

  it('update changes name/description, keeps what is not given, refuses a taken name', () => {
    const a = project('a', 1);
    const b = project('b', 1);
    expect(updateProject(db, { id: a.id, description: 'new' }, 5)).toMatchObject({
      name: 'a',
      description: 'new',
      updatedAt: 5,
    });
    expect(updateProject(db, { id: a.id, name: 'A' }, 6)).toMatchObject({
      name: 'A',
      description: 'new',
    });
    rejects('CONFLICT', () => updateProject(db, { id: b.id, name: 'a' }, 7));
    expect(getProject(db, b.id).name).toBe('b');
    rejects('NOT_FOUND', () => updateProject(db, { id: 999, name: 'z' }, 8));
    rejects('NOT_FOUND', () => getProject(db, 999));
  });

  it('list sorts by name (case-insensitive) and pages with a total', () => {
    for (const n of ['delta', 'Alpha', 'charlie', 'bravo', 'echo']) project(n);
    const first = listProjects(db, { offset: 0, limit: 2 });
    expect(first.items.map((p) => p.name)).toEqual(['Alpha', 'bravo']);
    expect(first.total).toBe(5);
    const last = listProjects(db, { offset: 4, limit: 2 });
    expect(last.items.map((p) => p.name)).toEqual(['echo']);
    expect(last).toMatchObject({ total: 5, offset: 4 });
    expect(countProjects(db)).toBe(5);
  });

  it('the search query matches literally: % and _ are not wildcards', () => {
    for (const n of ['100% uptime', '100 uptime', 'a_b', 'axb', 'Plain']) project(n);
    const names = (query: string) =>
      listProjects(db, { offset: 0, limit: 50, query }).items.map((p) => p.name);
    expect(names('%')).toEqual(['100% uptime']);
    expect(names('a_b')).toEqual(['a_b']);
    expect(names('_')).toEqual(['a_b']);
    expect(names('plain')).toEqual(['Plain']);
    expect(names('\\')).toEqual([]);
    expect(listProjects(db, { offset: 0, limit: 50, query: '%' }).total).toBe(1);
  });

  it('counts environments and deployments and the newest deployment time', () => {
    const p = project();
    const e1 = env(p.id, 'a');
    const e2 = env(p.id, 'b');
    deploy(e1.id, 5000);
    deploy(e2.id, 7000);
    deploy(e2.id, 6000);
    expect(getProject(db, p.id)).toMatchObject({
      environmentCount: 2,
      deploymentCount: 3,
      lastDeploymentAt: 7000,
    });
  });
});

describe('environments', () => {
  it('names are unique per project (case-insensitive), free across projects', () => {
    const p = project('p');
    const q = project('q');
    const e = createEnvironment(
      db,
      { projectId: p.id, name: 'Staging', kind: 'staging', description: 'd' },
      10,
    );
    expect(e).toMatchObject({
      projectId: p.id,
      name: 'Staging',
      kind: 'staging',
      deploymentCount: 0,
      lastStatus: null,
    });
    rejects('CONFLICT', () =>
      createEnvironment(
        db,
        { projectId: p.id, name: 'staging', kind: 'other', description: '' },
        11,
      ),
    );
    expect(
      createEnvironment(
        db,
        { projectId: q.id, name: 'staging', kind: 'other', description: '' },
        12,
      ).projectId,
    ).toBe(q.id);
    expect(countEnvironments(db)).toBe(2);
  });

  it('creating one bumps the project updated time', () => {
    const p = project('p', 1);
    env(p.id, 'x', 99);
    expect(getProject(db, p.id).updatedAt).toBe(99);
  });

  it('a missing project is NOT_FOUND, nothing written', () => {
    const before = fingerprint(db);
    rejects('NOT_FOUND', () =>
      createEnvironment(db, { projectId: 42, name: 'x', kind: 'other', description: '' }, 1),
    );
    rejects('NOT_FOUND', () => listEnvironments(db, 42));
    rejects('NOT_FOUND', () => getEnvironment(db, 42));
    expect(fingerprint(db)).toEqual(before);
  });

  it('update changes kind and name; a clash is CONFLICT', () => {
    const p = project();
    const a = env(p.id, 'a');
    env(p.id, 'b');
    expect(updateEnvironment(db, { id: a.id, kind: 'development' }, 5)).toMatchObject({
      name: 'a',
      kind: 'development',
      updatedAt: 5,
    });
    rejects('CONFLICT', () => updateEnvironment(db, { id: a.id, name: 'B' }, 6));
    expect(updateEnvironment(db, { id: a.id, name: 'A' }, 7).name).toBe('A');
  });

  it('list is by name and carries the last deployment status', () => {
    const p = project();
    const z = env(p.id, 'zeta');
    env(p.id, 'Alpha');
    deploy(z.id, 100, 'failed');
    deploy(z.id, 200, 'running');
    const list = listEnvironments(db, p.id);
    expect(list.map((e) => e.name)).toEqual(['Alpha', 'zeta']);
    expect(list[1]).toMatchObject({
      deploymentCount: 2,
      lastDeploymentAt: 200,
      lastStatus: 'running',
    });
  });
});

describe('configuration snapshots', () => {
  it('versions count up per environment', () => {
    const p = project();
    const a = env(p.id, 'a');
    const b = env(p.id, 'b');
    expect(createSnapshot(db, { environmentId: a.id, content: { x: 1 } }, 1).version).toBe(1);
    expect(createSnapshot(db, { environmentId: a.id, content: { x: 2 } }, 2).version).toBe(2);
    expect(createSnapshot(db, { environmentId: b.id, content: { x: 1 } }, 3).version).toBe(1);
    expect(listSnapshots(db, a.id).map((s) => s.version)).toEqual([2, 1]);
  });

  it('reordered keys give the same canonical JSON and sha256', () => {
    const p = project();
    const e = env(p.id);
    const one = createSnapshot(
      db,
      { environmentId: e.id, content: { b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } } },
      1,
    );
    const two = createSnapshot(
      db,
      { environmentId: e.id, content: { a: { c: null, d: [1, { y: 2, z: 1 }] }, b: 1 } },
      2,
    );
    const other = createSnapshot(
      db,
      { environmentId: e.id, content: { a: { c: null, d: [{ y: 2, z: 1 }, 1] }, b: 1 } },
      3,
    );
    expect(two.sha256).toBe(one.sha256);
    expect(other.sha256).not.toBe(one.sha256);
    const text = canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } });
    expect(text).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
    expect(one.sha256).toBe(crypto.createHash('sha256').update(text).digest('hex'));
    expect(getSnapshot(db, one.id).content).toEqual({
      a: { c: null, d: [1, { y: 2, z: 1 }] },
      b: 1,
    });
  });

  it('stored snapshots cannot be updated or deleted', () => {
    const p = project();
    const e = env(p.id);
    const s = createSnapshot(db, { environmentId: e.id, content: { keep: true } }, 1);
    expect(() =>
      db.prepare(`UPDATE config_snapshots SET content = '{}' WHERE id = ?`).run(s.id),
    ).toThrow(/immutable/);
    expect(() => db.prepare(`DELETE FROM config_snapshots WHERE id = ?`).run(s.id)).toThrow(
      /immutable/,
    );
    expect(getSnapshot(db, s.id)).toEqual(s);
  });

  it('a missing environment is NOT_FOUND', () => {
    rejects('NOT_FOUND', () => createSnapshot(db, { environmentId: 7, content: {} }, 1));
    rejects('NOT_FOUND', () => getSnapshot(db, 7));
  });
});

describe('deployments', () => {
  it('create stores the record with its project and environment names', () => {
    const p = project('shop');
    const e = env(p.id, 'prod');
    const s = createSnapshot(db, { environmentId: e.id, content: { image: 'x' } }, 1);
    const d = createDeployment(
      db,
      {
        environmentId: e.id,
        version: '1.2.3',
        status: 'queued',
        accessUrl: 'https://shop.local',
        diagnosticSummary: null,
        snapshotId: s.id,
      },
      500,
    );
    expect(d).toMatchObject({
      projectId: p.id,
      projectName: 'shop',
      environmentName: 'prod',
      version: '1.2.3',
      status: 'queued',
      startedAt: 500,
      finishedAt: null,
      accessUrl: 'https://shop.local',
      snapshotId: s.id,
      logs: [],
    });
    expect(d.snapshot).toEqual(s);
    expect(getDeployment(db, d.id)).toEqual(d);
  });

  it('created already finished, it gets finished_at', () => {
    const e = env(project().id);
    expect(deploy(e.id, 10, 'succeeded').finishedAt).toBe(10);
  });

  it('a snapshot of another environment is BAD_INPUT; a missing one NOT_FOUND; nothing written', () => {
    const p = project();
    const a = env(p.id, 'a');
    const b = env(p.id, 'b');
    const sb = createSnapshot(db, { environmentId: b.id, content: {} }, 1);
    const before = fingerprint(db);
    const err = rejects('BAD_INPUT', () => deploy(a.id, 5, 'queued', { snapshotId: sb.id }));
    expect(err.details).toMatchObject({ field: 'snapshotId' });
    rejects('NOT_FOUND', () => deploy(a.id, 5, 'queued', { snapshotId: 999 }));
    rejects('NOT_FOUND', () => deploy(999, 5));
    expect(fingerprint(db)).toEqual(before);
  });

  const allowed = DEPLOYMENT_STATUSES.flatMap((from) =>
    DEPLOYMENT_TRANSITIONS[from].map((to) => [from, to] as const),
  );
  const forbidden = DEPLOYMENT_STATUSES.flatMap((from) =>
    DEPLOYMENT_STATUSES.filter(
      (to) => to !== from && !DEPLOYMENT_TRANSITIONS[from].includes(to),
    ).map((to) => [from, to] as const),
  );

  it('the transition table is the documented lifecycle', () => {
    expect(allowed).toEqual([
      ['queued', 'running'],
      ['queued', 'cancelled'],
      ['running', 'succeeded'],
      ['running', 'failed'],
      ['running', 'cancelled'],
      ['succeeded', 'rolled_back'],
    ]);
  });

  /** A deployment brought to `status` through allowed steps. */
  function deploymentIn(status: DeploymentStatus) {
    const path: Record<DeploymentStatus, DeploymentStatus[]> = {
      queued: [],
      running: ['running'],
      succeeded: ['running', 'succeeded'],
      failed: ['running', 'failed'],
      cancelled: ['cancelled'],
      rolled_back: ['running', 'succeeded', 'rolled_back'],
    };
    const e = env(project(`p-${status}`).id);
    let d = deploy(e.id, 100);
    let t = 100;
    for (const s of path[status]) d = setDeploymentStatus(db, { id: d.id, status: s }, (t += 100));
    return d;
  }

  it.each(allowed)('%s → %s is allowed and sets finished_at when final', (from, to) => {
    const d = deploymentIn(from);
    const after = setDeploymentStatus(
      db,
      { id: d.id, status: to, diagnosticSummary: `now ${to}` },
      9999,
    );
    expect(after.status).toBe(to);
    expect(after.diagnosticSummary).toBe(`now ${to}`);
    if (to === 'running') expect(after.finishedAt).toBeNull();
    else expect(after.finishedAt).toBe(d.finishedAt ?? 9999);
  });

  it.each(forbidden)('%s → %s is INVALID_TRANSITION and changes nothing', (from, to) => {
    const d = deploymentIn(from);
    const before = fingerprint(db);
    const err = rejects('INVALID_TRANSITION', () =>
      setDeploymentStatus(db, { id: d.id, status: to, diagnosticSummary: 'x' }, 9999),
    );
    expect(err.details).toEqual({ from, to });
    expect(getDeployment(db, d.id)).toEqual(d);
    expect(fingerprint(db)).toEqual(before);
  });

  it('a missing deployment is NOT_FOUND', () => {
    rejects('NOT_FOUND', () => setDeploymentStatus(db, { id: 5, status: 'running' }, 1));
    rejects('NOT_FOUND', () => appendDeploymentLog(db, { id: 5, level: 'info', message: 'x' }, 1));
  });

  it('list filters by project, environment and status, newest first, with totals', () => {
    const p = project('p');
    const q = project('q');
    const pa = env(p.id, 'a');
    const pb = env(p.id, 'b');
    const qa = env(q.id, 'a');
    const ids = {
      pa1: deploy(pa.id, 100, 'succeeded').id,
      pa2: deploy(pa.id, 300, 'failed').id,
      pb1: deploy(pb.id, 200, 'succeeded').id,
      qa1: deploy(qa.id, 400, 'succeeded').id,
      qa2: deploy(qa.id, 400, 'queued').id, // same time: the higher id is newer
    };
    const list = (f: Parameters<typeof listDeployments>[1]) => listDeployments(db, f);
    const all = list({ limit: 100 });
    expect(all.items.map((d) => d.id)).toEqual([ids.qa2, ids.qa1, ids.pa2, ids.pb1, ids.pa1]);
    expect(all.total).toBe(5);
    expect(list({ limit: 100, projectId: p.id }).items.map((d) => d.id)).toEqual([
      ids.pa2,
      ids.pb1,
      ids.pa1,
    ]);
    expect(list({ limit: 100, environmentId: pa.id }).items.map((d) => d.id)).toEqual([
      ids.pa2,
      ids.pa1,
    ]);
    const succeededInP = list({ limit: 1, projectId: p.id, status: 'succeeded' });
    expect(succeededInP.items.map((d) => d.id)).toEqual([ids.pb1]);
    expect(succeededInP.total).toBe(2);
    expect(
      list({
        limit: 1,
        projectId: p.id,
        status: 'succeeded',
        cursor: succeededInP.next!,
      }).items.map((d) => d.id),
    ).toEqual([ids.pa1]);
    expect(list({ limit: 10, projectId: q.id, environmentId: pa.id }).total).toBe(0);
    expect(newestDeployment(db)?.id).toBe(ids.qa2);
    expect(countDeployments(db)).toBe(5);
  });

  it('log lines are appended and returned in time order', () => {
    const d = deploy(env(project().id).id, 100);
    appendDeploymentLog(db, { id: d.id, level: 'info', message: 'second' }, 200);
    appendDeploymentLog(db, { id: d.id, level: 'warn', message: 'first' }, 150);
    const after = appendDeploymentLog(db, { id: d.id, level: 'error', message: 'third' }, 200);
    expect(after.logs.map((l) => [l.ts, l.level, l.message])).toEqual([
      [150, 'warn', 'first'],
      [200, 'info', 'second'],
      [200, 'error', 'third'],
    ]);
  });
});

describe('audit log', () => {
  it('appends and lists newest first, filtered by action, with totals', () => {
    appendAudit(
      db,
      { actor: 'cli@h', action: 'project.created', target: 'project:1', detail: { name: 'a' } },
      10,
    );
    appendAudit(db, { actor: 'cli@h', action: 'project.updated' }, 20);
    appendAudit(db, { actor: 'app@h', action: 'project.created', target: 'project:2' }, 30);
    const all = listAudit(db, { offset: 0, limit: 10 });
    expect(all.total).toBe(3);
    expect(all.items.map((a) => a.ts)).toEqual([30, 20, 10]);
    expect(all.items[1]).toMatchObject({ target: '', detail: {} });
    expect(all.items[2]).toMatchObject({ actor: 'cli@h', detail: { name: 'a' } });
    const created = listAudit(db, { offset: 1, limit: 10, action: 'project.created' });
    expect(created).toMatchObject({ total: 2, offset: 1 });
    expect(created.items.map((a) => a.target)).toEqual(['project:1']);
    expect(countAudit(db)).toBe(3);
  });
});

describe('runs', () => {
  it('start, finish, list newest first; finishing twice fails and keeps the first outcome', () => {
    const a = startRun(db, 'backup', { step: 1 }, 100);
    const b = startRun(db, 'backup', {}, 200);
    startRun(db, 'drill', {}, 300);
    finishRun(db, a, 'succeeded', { bytes: 10 }, 150);
    expect(() => finishRun(db, a, 'failed', {}, 160)).toThrow(
      expect.objectContaining({ code: 'INTERNAL' }),
    );
    const runs = listRuns(db, 'backup', 10);
    expect(runs.map((r) => r.id)).toEqual([b, a]);
    expect(runs[1]).toEqual({
      id: a,
      kind: 'backup',
      status: 'succeeded',
      startedAt: 100,
      finishedAt: 150,
      detail: { bytes: 10 },
    });
    expect(runs[0]).toMatchObject({ status: 'running', finishedAt: null });
    expect(listRuns(db, 'backup', 1)).toHaveLength(1);
  });
});

describe('resource status', () => {
  it('one row per environment and resource, updated in place', () => {
    const e = env(project().id);
    upsertResourceStatus(db, {
      environmentId: e.id,
      resource: 'web',
      status: 'ok',
      checkedAt: 1,
      detail: '',
    });
    upsertResourceStatus(db, {
      environmentId: e.id,
      resource: 'db',
      status: 'down',
      checkedAt: 1,
      detail: 'refused',
    });
    upsertResourceStatus(db, {
      environmentId: e.id,
      resource: 'web',
      status: 'degraded',
      checkedAt: 2,
      detail: 'slow',
    });
    expect(listResourceStatus(db, e.id)).toEqual([
      { environmentId: e.id, resource: 'db', status: 'down', checkedAt: 1, detail: 'refused' },
      { environmentId: e.id, resource: 'web', status: 'degraded', checkedAt: 2, detail: 'slow' },
    ]);
  });
});

describe('metrics', () => {
  it('records samples and reads a series since a time, in time order', () => {
    recordMetric(db, { ts: 30, name: 'deploy.duration_s', value: 3, labels: { env: 'prod' } });
    recordMetric(db, { ts: 10, name: 'deploy.duration_s', value: 1, labels: {} });
    recordMetric(db, { ts: 20, name: 'other', value: 9, labels: {} });
    recordMetric(db, { ts: 5, name: 'deploy.duration_s', value: 0.5, labels: {} });
    expect(metricSeries(db, 'deploy.duration_s', 10, 10)).toEqual([
      { ts: 10, name: 'deploy.duration_s', value: 1, labels: {} },
      { ts: 30, name: 'deploy.duration_s', value: 3, labels: { env: 'prod' } },
    ]);
    expect(metricSeries(db, 'deploy.duration_s', 0, 1)).toHaveLength(1);
    expect(countMetrics(db)).toBe(4);
  });
});

describe('settings', () => {
  it('stores JSON values by key and overwrites', () => {
    expect(getSetting(db, 'backup')).toBeUndefined();
    setSetting(db, 'backup', { every: 60, on: true }, 1);
    expect(getSetting(db, 'backup')).toEqual({ every: 60, on: true });
    setSetting(db, 'backup', false, 2);
    expect(getSetting(db, 'backup')).toBe(false);
    expect(db.prepare(`SELECT count(*) AS n FROM settings`).get()).toEqual({ n: 1 });
  });
});
