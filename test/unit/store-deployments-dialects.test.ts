// Deployments and runs are written once for both backends (store/sql.ts): the
// same calls give the same answers on SQLite and on PostgreSQL — recording a
// deployment, its status lifecycle and logs, keyset pages through every filter
// (each row once, in order, both ways), the kept counts, and run records. Ids
// handed out one right after the other never collide.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { DeploymentStatus } from '../../shared/domain.ts';
import { DEPLOYMENT_STATUSES } from '../../shared/domain.ts';
import { isAppError } from '../../shared/errors.ts';
import { migratePostgres } from '../../electron/core/pg/migrate.ts';
import type { DataStore } from '../../electron/core/store/data.ts';
import { pgData, sqliteData } from '../../electron/core/store/data.ts';
import type { Dialect, Sql } from '../../electron/core/store/sql.ts';
import { exec, PG_TYPES, rows } from '../../electron/core/store/sql.ts';
import { openStoreFile } from '../../electron/core/store/store.ts';
import type { DeploymentQuery } from '../../electron/core/store/resources/deployments.ts';
import {
  appendDeploymentLog,
  countDeployments,
  createDeployment,
  getDeployment,
  listDeployments,
  newestDeployment,
  setDeploymentStatus,
} from '../../electron/core/store/resources/deployments.ts';
import { createEnvironment } from '../../electron/core/store/resources/environments.ts';
import { createProject } from '../../electron/core/store/resources/projects.ts';
import { finishRun, listRuns, startRun } from '../../electron/core/store/resources/runs.ts';
import { pgSkipReason, usePgDatabase, withClient } from '../helpers/pg.ts';

import { walkPages } from '../helpers/restore-util.ts';
import { makeTempDir } from '../helpers/world.ts';
import { rng } from '../../electron/core/demo.ts';

const skip = pgSkipReason();
const server = skip === null ? usePgDatabase() : null;
const T0 = 1_800_000_000_000;
const BIG = 2000;

/** A fresh, migrated store on `backend`, closed after the file's tests. */
function useBackend(backend: Dialect): () => DataStore {
  let data: DataStore | null = null;
  let close: () => Promise<void> = async () => {};
  beforeAll(async () => {
    if (backend === 'sqlite') {
      const dir = makeTempDir();
      const store = openStoreFile(path.join(dir, 'stateward.db'));
      data = sqliteData(store.db);
      close = async () => {
        store.close();
        fs.rmSync(dir, { recursive: true, force: true });
      };
    } else {
      const schema = `s_${crypto.randomBytes(5).toString('hex')}`;
      await withClient(server!.url(), (c) => migratePostgres(c, { schema }));
      const pool = new pg.Pool({
        connectionString: server!.url(),
        options: `-c search_path=${schema}`,
        types: PG_TYPES,
        max: 4,
      });
      data = pgData(pool);
      close = () => pool.end();
    }
  }, 60_000);
  afterAll(() => close());
  return () => data!;
}

/** A project with environments `names`; their ids by name. */
async function projectWith(
  data: DataStore,
  name: string,
  names: string[],
): Promise<{ projectId: number; env: Record<string, number> }> {
  return data.write(function* (c) {
    const p = yield* createProject(c, { name, description: '' }, T0);
    const env: Record<string, number> = {};
    for (const n of names)
      env[n] = (yield* createEnvironment(
        c,
        { projectId: p.id, name: n, kind: 'other', description: '' },
        T0,
      )).id;
    return { projectId: p.id, env };
  });
}

const record = (environmentId: number, version: string, status: DeploymentStatus = 'queued') => ({
  environmentId,
  version,
  status,
  accessUrl: null,
  diagnosticSummary: null,
  snapshotId: null,
});

/** Deployments inserted in bulk (one statement per 500 rows), as a seed. */
function* insertMany(
  c: Sql,
  values: { environment_id: number; status: string; started_at: number; version: string }[],
) {
  for (let k = 0; k < values.length; k += 500)
    yield* exec(c.k.insertInto('deployments').values(values.slice(k, k + 500)));
}

/** The expected order: a plain ORDER BY over the rows (no keyset, no index choice). */
function* expectedRows(
  c: Sql,
  f: { projectId?: number; environmentId?: number; status?: DeploymentStatus },
) {
  const found = yield* rows(
    c.k
      .selectFrom('deployments as d')
      .innerJoin('environments as e', 'e.id', 'd.environment_id')
      .select(['d.id', 'd.started_at'])
      .$if(f.projectId !== undefined, (b) => b.where('e.project_id', '=', f.projectId!))
      .$if(f.environmentId !== undefined, (b) => b.where('d.environment_id', '=', f.environmentId!))
      .$if(f.status !== undefined, (b) => b.where('d.status', '=', f.status!))
      .orderBy('d.started_at', 'desc')
      .orderBy('d.id', 'desc'),
  );
  return found;
}

function* expectedIds(
  c: Sql,
  f: { projectId?: number; environmentId?: number; status?: DeploymentStatus },
) {
  return (yield* expectedRows(c, f)).map((r) => r.id);
}

async function caught(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return isAppError(e) ? e.code : `not an AppError: ${String(e)}`;
  }
  return 'no error';
}

describe.each(['sqlite', 'postgres'] as const)('deployments and runs on %s', (backend) => {
  if (backend === 'postgres' && skip !== null) {
    it.skip(`needs PostgreSQL: ${skip}`, () => {});
    return;
  }
  const data = useBackend(backend);

  it('records a deployment, moves it through its statuses, appends logs in order', async () => {
    const { env } = await projectWith(data(), 'lifecycle', ['prod']);
    const d = await data().write((c) => createDeployment(c, record(env.prod!, '1.0.0'), T0));
    expect(d).toMatchObject({
      environmentId: env.prod,
      projectName: 'lifecycle',
      environmentName: 'prod',
      version: '1.0.0',
      status: 'queued',
      startedAt: T0,
      finishedAt: null,
      logs: [],
      snapshot: null,
    });
    const running = await data().write((c) =>
      setDeploymentStatus(c, { id: d.id, status: 'running' }, T0 + 1),
    );
    expect([running.status, running.finishedAt]).toEqual(['running', null]);
    await data().write((c) =>
      appendDeploymentLog(c, { id: d.id, level: 'info', message: 'pulling image' }, T0 + 2),
    );
    await data().write((c) =>
      appendDeploymentLog(c, { id: d.id, level: 'error', message: 'probe failed' }, T0 + 3),
    );
    const failed = await data().write((c) =>
      setDeploymentStatus(
        c,
        { id: d.id, status: 'failed', diagnosticSummary: 'readiness probe' },
        T0 + 4,
      ),
    );
    expect(failed).toMatchObject({
      status: 'failed',
      finishedAt: T0 + 4,
      diagnosticSummary: 'readiness probe',
    });
    expect(failed.logs.map((l) => [l.ts, l.level, l.message])).toEqual([
      [T0 + 2, 'info', 'pulling image'],
      [T0 + 3, 'error', 'probe failed'],
    ]);
    // A failed deployment is final: refused, and nothing changes.
    expect(
      await caught(
        data().write((c) => setDeploymentStatus(c, { id: d.id, status: 'running' }, T0 + 5)),
      ),
    ).toBe('INVALID_TRANSITION');
    expect(await data().read((c) => getDeployment(c, d.id))).toEqual(failed);
    expect(await caught(data().write((c) => createDeployment(c, record(999_999, 'x'), T0)))).toBe(
      'NOT_FOUND',
    );
    expect(await caught(data().read((c) => getDeployment(c, 999_999)))).toBe('NOT_FOUND');
    expect((await data().read((c) => newestDeployment(c)))?.id).toBeGreaterThanOrEqual(d.id);
  });

  it('ids handed out right after each other never collide (deployments and runs)', async () => {
    const { env } = await projectWith(data(), 'ids', ['a', 'b']);
    // Started together: on PostgreSQL each write runs on a connection of its own.
    const made = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        data().write((c) => createDeployment(c, record(i % 2 ? env.a! : env.b!, `v${i}`), T0 + 10)),
      ),
    );
    const ids = made.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const d of made)
      expect((await data().read((c) => getDeployment(c, d.id))).version).toBe(d.version);
    const runIds = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        data().write((c) => startRun(c, 'dialect-test', { n: i }, T0 + i)),
      ),
    );
    expect(new Set(runIds).size).toBe(runIds.length);
    const listed = await data().read((c) => listRuns(c, { kind: 'dialect-test', limit: 50 }));
    expect(new Map(listed.map((r) => [r.id, r.detail.n]))).toEqual(
      new Map(runIds.map((id, i) => [id, i])),
    );
  });

  it('runs: started running, finished once with their detail; finishing again changes nothing', async () => {
    const id = await data().write((c) => startRun(c, 'dialect-run', { pid: 42 }, T0));
    const [started] = await data().read((c) => listRuns(c, { kind: 'dialect-run', limit: 5 }));
    expect(started).toEqual({
      id,
      kind: 'dialect-run',
      status: 'running',
      startedAt: T0,
      finishedAt: null,
      detail: { pid: 42 },
    });
    await data().write((c) => finishRun(c, id, 'succeeded', { bytes: 10 }, T0 + 7));
    const finished = await data().read((c) => listRuns(c, { kind: 'dialect-run', limit: 5 }));
    expect(finished).toEqual([
      { ...started, status: 'succeeded', finishedAt: T0 + 7, detail: { bytes: 10 } },
    ]);
    expect(
      await caught(data().write((c) => finishRun(c, id, 'failed', { late: true }, T0 + 8))),
    ).toBe('INTERNAL');
    expect(await data().read((c) => listRuns(c, { kind: 'dialect-run', limit: 5 }))).toEqual(
      finished,
    );
  });

  describe('the list of a 2,000-deployment environment', () => {
    let projectId = 0;
    let env: Record<string, number> = {};
    beforeAll(async () => {
      ({ projectId, env } = await projectWith(data(), 'paging', ['big', 'small', 'empty']));
      const rand = rng(3);
      const values = Array.from({ length: BIG + 300 }, (_, i) => ({
        environment_id: i < BIG ? env.big! : env.small!,
        status: DEPLOYMENT_STATUSES[Math.floor(rand() * DEPLOYMENT_STATUSES.length)]!,
        // Start times repeat (ties broken by id) and do not follow the ids.
        started_at: T0 + Math.floor(rand() * 700),
        version: `1.${i}.0`,
      }));
      await data().write((c) => insertMany(c, values));
    }, 60_000);

    const list = (f: DeploymentQuery) =>
      data().read((c): ReturnType<typeof listDeployments> => listDeployments(c, f));

    /** Every page by its cursors, from the newest end or (backwards) from the oldest. */
    const walk = (f: Omit<DeploymentQuery, 'limit'>, limit: number, backwards = false) =>
      walkPages(list, f, limit, backwards);

    it('pages through completely, each row once, in order, both ways, with the right totals', async () => {
      const filters = [
        { environmentId: env.big! },
        { environmentId: env.big!, status: 'failed' as const },
        { projectId },
        { projectId, status: 'succeeded' as const },
        { projectId, environmentId: env.small! },
        { environmentId: env.empty! },
      ];
      for (const f of filters) {
        const want = await data().read((c) => expectedIds(c, f));
        const got = await walk(f, 97);
        expect(got, JSON.stringify(f)).toEqual(want);
        expect(new Set(got).size).toBe(got.length);
        expect(await walk(f, 89, true), JSON.stringify(f)).toEqual(want);
        expect((await list({ ...f, limit: 1 })).total, JSON.stringify(f)).toBe(want.length);
      }
      expect((await data().read((c) => expectedIds(c, { environmentId: env.big! }))).length).toBe(
        BIG,
      );
    });

    it('skip and at start where asked; a bad cursor is BAD_INPUT', async () => {
      const f = { environmentId: env.big! };
      const all = await data().read((c) => expectedRows(c, f));
      const want = all.map((r) => r.id);
      expect((await list({ ...f, skip: 1500, limit: 40 })).items.map((d) => d.id)).toEqual(
        want.slice(1500, 1540),
      );
      const at = all[700]!.started_at;
      const from = all.findIndex((r) => r.started_at <= at);
      expect((await list({ ...f, at, limit: 5 })).items.map((d) => d.id)).toEqual(
        want.slice(from, from + 5),
      );
      expect(await caught(list({ ...f, limit: 5, cursor: 'not a cursor' }))).toBe('BAD_INPUT');
    });

    it('kept counts follow inserts and status changes', async () => {
      const before = await data().read((c) => countDeployments(c));
      expect(before).toBe((await data().read((c) => expectedIds(c, {}))).length);
      const d = await data().write((c) => createDeployment(c, record(env.empty!, 'c1'), T0));
      await data().write((c) => setDeploymentStatus(c, { id: d.id, status: 'running' }, T0));
      expect(await data().read((c) => countDeployments(c))).toBe(before + 1);
      const byStatus = async (status: DeploymentStatus) =>
        (await list({ environmentId: env.empty!, status, limit: 1 })).total;
      expect([await byStatus('queued'), await byStatus('running')]).toEqual([0, 1]);
    });
  });
});
