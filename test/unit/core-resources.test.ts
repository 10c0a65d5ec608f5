import { beforeEach, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import type { DeploymentStatus } from '../../shared/domain.ts';
import { DEPLOYMENT_STATUSES, DEPLOYMENT_TRANSITIONS } from '../../shared/domain.ts';
import type { WritableDB } from '../../electron/core/store/db.ts';
import type { Query } from '../../electron/core/store/sql.ts';
import { runSqlite, SQLITE } from '../../electron/core/store/sql.ts';
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
/** Run a resource function on this test's SQLite store. */
const run = <R>(q: Query<R>): R => runSqlite(db, q);

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
  return run(createProject(SQLITE, { name, description: '' }, now));
}
function env(projectId: number, name = 'prod', now = 1000) {
  return run(
    createEnvironment(SQLITE, { projectId, name, kind: 'production', description: '' }, now),
  );
}
function deploy(
  environmentId: number,
  now: number,
  status: DeploymentStatus = 'queued',
  over: { snapshotId?: number | null } = {},
) {
  return run(
    createDeployment(
      SQLITE,
      {
        environmentId,
        version: `v${now}`,
        status,
        accessUrl: null,
        diagnosticSummary: null,
        snapshotId: over.snapshotId ?? null,
      },
      now,
    ),
  );
}

describe('projects', () => {
  it('create returns the stored project with zero counts', () => {
    const p = run(createProject(SQLITE, { name: 'Billing', description: 'money' }, 1234));
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
    expect(run(getProject(SQLITE, p.id))).toEqual(p);
  });

  it('names are unique regardless of case: CONFLICT, nothing written', () => {
    project('Billing');
    const before = fingerprint(db);
    rejects('CONFLICT', () => run(createProject(SQLITE, { name: 'bILLING', description: '' }, 2)));
    expect(fingerprint(db)).toEqual(before);
  });

  it('update changes name/description, keeps what is not given, refuses a taken name', () => {
    const a = project('a', 1);
    const b = project('b', 1);
    expect(run(updateProject(SQLITE, { id: a.id, description: 'new' }, 5))).toMatchObject({
      name: 'a',
      description: 'new',
      updatedAt: 5,
    });
    expect(run(updateProject(SQLITE, { id: a.id, name: 'A' }, 6))).toMatchObject({
      name: 'A',
      description: 'new',
    });
    rejects('CONFLICT', () => run(updateProject(SQLITE, { id: b.id, name: 'a' }, 7)));
    expect(run(getProject(SQLITE, b.id)).name).toBe('b');
    rejects('NOT_FOUND', () => run(updateProject(SQLITE, { id: 999, name: 'z' }, 8)));
    rejects('NOT_FOUND', () => run(getProject(SQLITE, 999)));
  });

  it('list sorts by name (case-insensitive) and pages with a total', () => {
    for (const n of ['delta', 'Alpha', 'charlie', 'bravo', 'echo']) project(n);
    const first = run(listProjects(SQLITE, { offset: 0, limit: 2 }));
    expect(first.items.map((p) => p.name)).toEqual(['Alpha', 'bravo']);
    expect(first.total).toBe(5);
    const last = run(listProjects(SQLITE, { offset: 4, limit: 2 }));
    expect(last.items.map((p) => p.name)).toEqual(['echo']);
    expect(last).toMatchObject({ total: 5, offset: 4 });
    expect(run(countProjects(SQLITE))).toBe(5);
  });

  it('the search query matches literally: % and _ are not wildcards', () => {
    for (const n of ['100% uptime', '100 uptime', 'a_b', 'axb', 'Plain']) project(n);
    const names = (query: string) =>
      run(listProjects(SQLITE, { offset: 0, limit: 50, query })).items.map((p) => p.name);
    expect(names('%')).toEqual(['100% uptime']);
    expect(names('a_b')).toEqual(['a_b']);
    expect(names('_')).toEqual(['a_b']);
    expect(names('plain')).toEqual(['Plain']);
    expect(names('\\')).toEqual([]);
    expect(run(listProjects(SQLITE, { offset: 0, limit: 50, query: '%' })).total).toBe(1);
  });

  it('counts environments and deployments and the newest deployment time', () => {
    const p = project();
    const e1 = env(p.id, 'a');
    const e2 = env(p.id, 'b');
    deploy(e1.id, 5000);
    deploy(e2.id, 7000);
    deploy(e2.id, 6000);
    expect(run(getProject(SQLITE, p.id))).toMatchObject({
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
    const e = run(
      createEnvironment(
        SQLITE,
        { projectId: p.id, name: 'Staging', kind: 'staging', description: 'd' },
        10,
      ),
    );
    expect(e).toMatchObject({
      projectId: p.id,
      name: 'Staging',
      kind: 'staging',
      deploymentCount: 0,
      lastStatus: null,
    });
    rejects('CONFLICT', () =>
      run(
        createEnvironment(
          SQLITE,
          { projectId: p.id, name: 'staging', kind: 'other', description: '' },
          11,
        ),
      ),
    );
    expect(
      run(
        createEnvironment(
          SQLITE,
          { projectId: q.id, name: 'staging', kind: 'other', description: '' },
          12,
        ),
      ).projectId,
    ).toBe(q.id);
    expect(run(countEnvironments(SQLITE))).toBe(2);
  });

  it('creating one bumps the project updated time', () => {
    const p = project('p', 1);
    env(p.id, 'x', 99);
    expect(run(getProject(SQLITE, p.id)).updatedAt).toBe(99);
  });

  it('a missing project is NOT_FOUND, nothing written', () => {
    const before = fingerprint(db);
    rejects('NOT_FOUND', () =>
      run(
        createEnvironment(SQLITE, { projectId: 42, name: 'x', kind: 'other', description: '' }, 1),
      ),
    );
    rejects('NOT_FOUND', () => run(listEnvironments(SQLITE, 42)));
    rejects('NOT_FOUND', () => run(getEnvironment(SQLITE, 42)));
    expect(fingerprint(db)).toEqual(before);
  });

  it('update changes kind and name; a clash is CONFLICT', () => {
    const p = project();
    const a = env(p.id, 'a');
    env(p.id, 'b');
    expect(run(updateEnvironment(SQLITE, { id: a.id, kind: 'development' }, 5))).toMatchObject({
      name: 'a',
      kind: 'development',
      updatedAt: 5,
    });
    rejects('CONFLICT', () => run(updateEnvironment(SQLITE, { id: a.id, name: 'B' }, 6)));
    expect(run(updateEnvironment(SQLITE, { id: a.id, name: 'A' }, 7)).name).toBe('A');
  });

  it('list is by name and carries the last deployment status', () => {
    const p = project();
    const z = env(p.id, 'zeta');
    env(p.id, 'Alpha');
    deploy(z.id, 100, 'failed');
    deploy(z.id, 200, 'running');
    const list = run(listEnvironments(SQLITE, p.id));
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
    expect(run(createSnapshot(SQLITE, { environmentId: a.id, content: { x: 1 } }, 1)).version).toBe(
      1,
    );
    expect(run(createSnapshot(SQLITE, { environmentId: a.id, content: { x: 2 } }, 2)).version).toBe(
      2,
    );
    expect(run(createSnapshot(SQLITE, { environmentId: b.id, content: { x: 1 } }, 3)).version).toBe(
      1,
    );
    expect(run(listSnapshots(SQLITE, a.id)).map((s) => s.version)).toEqual([2, 1]);
  });

  it('reordered keys give the same canonical JSON and sha256', () => {
    const p = project();
    const e = env(p.id);
    const one = run(
      createSnapshot(
        SQLITE,
        { environmentId: e.id, content: { b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } } },
        1,
      ),
    );
    const two = run(
      createSnapshot(
        SQLITE,
        { environmentId: e.id, content: { a: { c: null, d: [1, { y: 2, z: 1 }] }, b: 1 } },
        2,
      ),
    );
    const other = run(
      createSnapshot(
        SQLITE,
        { environmentId: e.id, content: { a: { c: null, d: [{ y: 2, z: 1 }, 1] }, b: 1 } },
        3,
      ),
    );
    expect(two.sha256).toBe(one.sha256);
    expect(other.sha256).not.toBe(one.sha256);
    const text = canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } });
    expect(text).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
    expect(one.sha256).toBe(crypto.createHash('sha256').update(text).digest('hex'));
    expect(run(getSnapshot(SQLITE, one.id)).content).toEqual({
      a: { c: null, d: [1, { y: 2, z: 1 }] },
      b: 1,
    });
  });

  it('stored snapshots cannot be updated or deleted', () => {
    const p = project();
    const e = env(p.id);
    const s = run(createSnapshot(SQLITE, { environmentId: e.id, content: { keep: true } }, 1));
    expect(() =>
      db.prepare(`UPDATE config_snapshots SET content = '{}' WHERE id = ?`).run(s.id),
    ).toThrow(/immutable/);
    expect(() => db.prepare(`DELETE FROM config_snapshots WHERE id = ?`).run(s.id)).toThrow(
      /immutable/,
    );
    expect(run(getSnapshot(SQLITE, s.id))).toEqual(s);
  });

  it('a missing environment is NOT_FOUND', () => {
    rejects('NOT_FOUND', () => run(createSnapshot(SQLITE, { environmentId: 7, content: {} }, 1)));
    rejects('NOT_FOUND', () => run(getSnapshot(SQLITE, 7)));
  });
});

describe('deployments', () => {
  it('create stores the record with its project and environment names', () => {
    const p = project('shop');
    const e = env(p.id, 'prod');
    const s = run(createSnapshot(SQLITE, { environmentId: e.id, content: { image: 'x' } }, 1));
    const d = run(
      createDeployment(
        SQLITE,
        {
          environmentId: e.id,
          version: '1.2.3',
          status: 'queued',
          accessUrl: 'https://shop.local',
          diagnosticSummary: null,
          snapshotId: s.id,
        },
        500,
      ),
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
    expect(run(getDeployment(SQLITE, d.id))).toEqual(d);
  });

  it('created already finished, it gets finished_at', () => {
    const e = env(project().id);
    expect(deploy(e.id, 10, 'succeeded').finishedAt).toBe(10);
  });

  it('a snapshot of another environment is BAD_INPUT; a missing one NOT_FOUND; nothing written', () => {
    const p = project();
    const a = env(p.id, 'a');
    const b = env(p.id, 'b');
    const sb = run(createSnapshot(SQLITE, { environmentId: b.id, content: {} }, 1));
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
    for (const s of path[status])
      d = run(setDeploymentStatus(SQLITE, { id: d.id, status: s }, (t += 100)));
    return d;
  }

  it.each(allowed)('%s → %s is allowed and sets finished_at when final', (from, to) => {
    const d = deploymentIn(from);
    const after = run(
      setDeploymentStatus(SQLITE, { id: d.id, status: to, diagnosticSummary: `now ${to}` }, 9999),
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
      run(setDeploymentStatus(SQLITE, { id: d.id, status: to, diagnosticSummary: 'x' }, 9999)),
    );
    expect(err.details).toEqual({ from, to });
    expect(run(getDeployment(SQLITE, d.id))).toEqual(d);
    expect(fingerprint(db)).toEqual(before);
  });

  it('a missing deployment is NOT_FOUND', () => {
    rejects('NOT_FOUND', () => run(setDeploymentStatus(SQLITE, { id: 5, status: 'running' }, 1)));
    rejects('NOT_FOUND', () =>
      run(appendDeploymentLog(SQLITE, { id: 5, level: 'info', message: 'x' }, 1)),
    );
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
    const list = (f: Parameters<typeof listDeployments>[1]) => run(listDeployments(SQLITE, f));
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
    expect(run(newestDeployment(SQLITE))?.id).toBe(ids.qa2);
    expect(run(countDeployments(SQLITE))).toBe(5);
  });

  it('log lines are appended and returned in time order', () => {
    const d = deploy(env(project().id).id, 100);
    run(appendDeploymentLog(SQLITE, { id: d.id, level: 'info', message: 'second' }, 200));
    run(appendDeploymentLog(SQLITE, { id: d.id, level: 'warn', message: 'first' }, 150));
    const after = run(
      appendDeploymentLog(SQLITE, { id: d.id, level: 'error', message: 'third' }, 200),
    );
    expect(after.logs.map((l) => [l.ts, l.level, l.message])).toEqual([
      [150, 'warn', 'first'],
      [200, 'info', 'second'],
      [200, 'error', 'third'],
    ]);
  });
});

describe('audit log', () => {
  it('appends and lists newest first, filtered by action, with totals', () => {
    run(
      appendAudit(
        SQLITE,
        { actor: 'cli@h', action: 'project.created', target: 'project:1', detail: { name: 'a' } },
        10,
      ),
    );
    run(appendAudit(SQLITE, { actor: 'cli@h', action: 'project.updated' }, 20));
    run(
      appendAudit(SQLITE, { actor: 'app@h', action: 'project.created', target: 'project:2' }, 30),
    );
    const all = run(listAudit(SQLITE, { offset: 0, limit: 10 }));
    expect(all.total).toBe(3);
    expect(all.items.map((a) => a.ts)).toEqual([30, 20, 10]);
    expect(all.items[1]).toMatchObject({ target: '', detail: {} });
    expect(all.items[2]).toMatchObject({ actor: 'cli@h', detail: { name: 'a' } });
    const created = run(listAudit(SQLITE, { offset: 1, limit: 10, action: 'project.created' }));
    expect(created).toMatchObject({ total: 2, offset: 1 });
    expect(created.items.map((a) => a.target)).toEqual(['project:1']);
    expect(run(countAudit(SQLITE))).toBe(3);
  });
});

describe('runs', () => {
  it('start, finish, list newest first; finishing twice fails and keeps the first outcome', () => {
    const a = run(startRun(SQLITE, 'backup', { step: 1 }, 100));
    const b = run(startRun(SQLITE, 'backup', {}, 200));
    run(startRun(SQLITE, 'drill', {}, 300));
    run(finishRun(SQLITE, a, 'succeeded', { bytes: 10 }, 150));
    expect(() => run(finishRun(SQLITE, a, 'failed', {}, 160))).toThrow(
      expect.objectContaining({ code: 'INTERNAL' }),
    );
    const runs = run(listRuns(SQLITE, { kind: 'backup', limit: 10 }));
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
    expect(run(listRuns(SQLITE, { kind: 'backup', limit: 1 }))).toHaveLength(1);
  });
});

describe('resource status', () => {
  it('one row per environment and resource, updated in place', () => {
    const e = env(project().id);
    run(
      upsertResourceStatus(SQLITE, {
        environmentId: e.id,
        resource: 'web',
        status: 'ok',
        checkedAt: 1,
        detail: '',
      }),
    );
    run(
      upsertResourceStatus(SQLITE, {
        environmentId: e.id,
        resource: 'db',
        status: 'down',
        checkedAt: 1,
        detail: 'refused',
      }),
    );
    run(
      upsertResourceStatus(SQLITE, {
        environmentId: e.id,
        resource: 'web',
        status: 'degraded',
        checkedAt: 2,
        detail: 'slow',
      }),
    );
    expect(run(listResourceStatus(SQLITE, e.id))).toEqual([
      { environmentId: e.id, resource: 'db', status: 'down', checkedAt: 1, detail: 'refused' },
      { environmentId: e.id, resource: 'web', status: 'degraded', checkedAt: 2, detail: 'slow' },
    ]);
  });
});

describe('metrics', () => {
  it('records samples and reads a series since a time, in time order', () => {
    run(
      recordMetric(SQLITE, {
        ts: 30,
        name: 'deploy.duration_s',
        value: 3,
        labels: { env: 'prod' },
      }),
    );
    run(recordMetric(SQLITE, { ts: 10, name: 'deploy.duration_s', value: 1, labels: {} }));
    run(recordMetric(SQLITE, { ts: 20, name: 'other', value: 9, labels: {} }));
    run(recordMetric(SQLITE, { ts: 5, name: 'deploy.duration_s', value: 0.5, labels: {} }));
    expect(run(metricSeries(SQLITE, 'deploy.duration_s', 10, 10))).toEqual([
      { ts: 10, name: 'deploy.duration_s', value: 1, labels: {} },
      { ts: 30, name: 'deploy.duration_s', value: 3, labels: { env: 'prod' } },
    ]);
    expect(run(metricSeries(SQLITE, 'deploy.duration_s', 0, 1))).toHaveLength(1);
    expect(run(countMetrics(SQLITE))).toBe(4);
  });
});

describe('settings', () => {
  it('stores JSON values by key and overwrites', () => {
    expect(run(getSetting(SQLITE, 'backup'))).toBeUndefined();
    run(setSetting(SQLITE, 'backup', { every: 60, on: true }, 1));
    expect(run(getSetting(SQLITE, 'backup'))).toEqual({ every: 60, on: true });
    run(setSetting(SQLITE, 'backup', false, 2));
    expect(run(getSetting(SQLITE, 'backup'))).toBe(false);
    expect(db.prepare(`SELECT count(*) AS n FROM settings`).get()).toEqual({ n: 1 });
  });
});
