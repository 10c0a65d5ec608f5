// Hot queries compiled once (sql.ts `cached`): the same SQL and values as
// building them each time, on both dialects; each call binds its own values; a
// build that reads an argument instead of binding it is refused; and the
// store's answers are the same with the cache alone (the tests' cross-check off).
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteData } from '../../electron/core/store/data.ts';
import type { Sql } from '../../electron/core/store/sql.ts';
import {
  cacheCheck,
  cached,
  containsText,
  inIds,
  POSTGRES,
  SQLITE,
} from '../../electron/core/store/sql.ts';
import type { Slot } from '../../electron/core/store/sql.ts';
import { createProject, listProjects } from '../../electron/core/store/resources/projects.ts';
import { createEnvironment } from '../../electron/core/store/resources/environments.ts';
import {
  appendDeploymentLog,
  createDeployment,
  getDeployment,
  listDeployments,
} from '../../electron/core/store/resources/deployments.ts';
import { openTestStore } from '../helpers/store.ts';
import { useWorld } from '../helpers/world.ts';
import type { DeploymentDetail } from '../../shared/domain.ts';

const world = useWorld();

afterEach(() => {
  cacheCheck.verify = true;
});

describe.each([
  ['sqlite', SQLITE],
  ['postgres', POSTGRES],
] as [string, Sql][])('cached queries on %s', (_name, c) => {
  const build = (v: readonly unknown[]) =>
    c.k
      .selectFrom('deployments as d')
      .select(['d.id', 'd.version'])
      .where('d.status', '=', v[0] as 'queued')
      .where(inIds(c, 'd.id', v[1] as readonly number[] | Slot))
      .where(containsText(c, 'd.version', v[2] as string | Slot))
      .limit(v[3] as number);

  it('compile once per shape, and each call binds its own values, as building each time does', () => {
    cacheCheck.verify = false;
    let builds = 0;
    const counted = (v: readonly unknown[]) => {
      builds++;
      return build(v);
    };
    const shape = `test.cached:${c.dialect}`;
    const a = ['queued', [1, 2], '50%_off', 10] as const;
    const b = ['failed', [7], 'x', 200] as const;
    const first = cached(c, shape, a, counted).compile();
    const second = cached(c, shape, b, counted).compile();
    expect(builds).toBe(1);
    for (const [got, args] of [
      [first, a],
      [second, b],
    ] as const) {
      const direct = build(args).compile();
      expect(got.sql).toBe(direct.sql);
      expect(got.parameters).toEqual(direct.parameters);
    }
    expect(second.parameters).not.toEqual(first.parameters);
  });

  it('refuse a build that reads an argument instead of binding it', () => {
    const reads = (v: readonly unknown[]) =>
      c.k.selectFrom('projects').select('id').where('name', '=', String(v[0]));
    expect(() => cached(c, `test.reads:${c.dialect}`, ['shop'], reads).compile()).toThrow(
      /not a bound value/,
    );
  });

  it('under the tests, two different queries sharing a shape name are caught', () => {
    const shape = `test.clash:${c.dialect}`;
    cached(c, shape, [1], ([v]) =>
      c.k
        .selectFrom('projects')
        .select('id')
        .where('id', '=', v as number),
    ).compile();
    expect(() =>
      cached(c, shape, [1], ([v]) =>
        c.k
          .selectFrom('environments')
          .select('id')
          .where('id', '=', v as number),
      ).compile(),
    ).toThrow(/differs from the query it caches/);
  });
});

describe('the store with the cache alone (SQLite)', () => {
  it('searches, pages and reads deployments and logs with each call’s own values', async () => {
    const data = sqliteData(openTestStore(world).db);
    cacheCheck.verify = false;
    for (const name of ['a_b', 'a%b', 'axb'])
      await data.write((c) => createProject(c, { name, description: '' }, 1));
    const names = async (query: string) =>
      (await data.read((c) => listProjects(c, { offset: 0, limit: 10, query }))).items.map(
        (p) => p.name,
      );
    expect(await names('_')).toEqual(['a_b']);
    expect(await names('%')).toEqual(['a%b']);
    expect(await names('X')).toEqual(['axb']);
    expect(await names('')).toEqual(['a%b', 'a_b', 'axb']);
    const page = await data.read((c) => listProjects(c, { offset: 1, limit: 1 }));
    expect(page.items.map((p) => p.name)).toEqual(['a_b']);

    const envs: { id: number }[] = [];
    for (const name of ['prod', 'stage'])
      envs.push(
        await data.write((c) =>
          createEnvironment(c, { projectId: 1, name, kind: 'staging', description: '' }, 2),
        ),
      );
    const made: DeploymentDetail[] = [];
    for (let i = 0; i < 6; i++) {
      made.push(
        await data.write((c) =>
          createDeployment(
            c,
            {
              environmentId: envs[i % 2]!.id,
              version: `1.0.${i}`,
              status: i < 3 ? 'succeeded' : 'queued',
              accessUrl: null,
              diagnosticSummary: null,
              snapshotId: null,
            },
            100 + i,
          ),
        ),
      );
    }
    expect(made.map((d) => [d.version, d.finishedAt])).toEqual([
      ['1.0.0', 100],
      ['1.0.1', 101],
      ['1.0.2', 102],
      ['1.0.3', null],
      ['1.0.4', null],
      ['1.0.5', null],
    ]);
    const versions = async (f: { environmentId?: number; status?: 'queued' }) => {
      const p = await data.read((c) => listDeployments(c, { limit: 2, ...f }));
      const rest = p.next
        ? await data.read((c) => listDeployments(c, { limit: 10, ...f, cursor: p.next! }))
        : { items: [] };
      return [p.total, [...p.items, ...rest.items].map((d) => d.version)];
    };
    expect(await versions({})).toEqual([6, ['1.0.5', '1.0.4', '1.0.3', '1.0.2', '1.0.1', '1.0.0']]);
    expect(await versions({ environmentId: envs[0]!.id })).toEqual([
      3,
      ['1.0.4', '1.0.2', '1.0.0'],
    ]);
    expect(await versions({ environmentId: envs[1]!.id, status: 'queued' })).toEqual([
      2,
      ['1.0.5', '1.0.3'],
    ]);
    for (const [d, message] of [
      [made[0]!, 'one'],
      [made[1]!, 'two'],
      [made[0]!, 'three'],
    ] as const)
      await data.write((c) => appendDeploymentLog(c, { id: d.id, level: 'info', message }, 200));
    const logs = async (id: number) =>
      (await data.read((c) => getDeployment(c, id))).logs.map((l) => l.message);
    expect(await logs(made[0]!.id)).toEqual(['one', 'three']);
    expect(await logs(made[1]!.id)).toEqual(['two']);
  });
});
