// What a promote changes, by name (restores.diff): live is backed up, then
// changed; the backup is restored into a copy and drilled, and the diff must
// name exactly the projects, environments, deployments, secrets and snapshots
// added, removed or changed — every one once across pages, no secret value or
// ciphertext anywhere in the result — and stay small at 100k deployments.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../electron/core/runtime.ts';
import type { CommandRegistry } from '../../electron/handlers/registry.ts';
import type {
  BackupEntry,
  Deployment,
  DrillReport,
  PreflightReport,
  Project,
  RestoreDiff,
  RestoreDiffItem,
} from '../../shared/domain.ts';
import { RESTORE_DIFF_CHANGES, RESTORE_DIFF_KINDS } from '../../shared/domain.ts';
import type { CommandInput } from '../../shared/contract.ts';
import { call, callError, editFile } from '../helpers/restore-util.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import {
  fullRegistry,
  needlesFor,
  scanTexts,
  seedEnvs,
  useSecretsEnv,
} from '../helpers/secrets-util.ts';
import type { Needle } from '../helpers/secrets-util.ts';
import { cli, onlyJson } from '../helpers/cli.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
useSecretsEnv();

type DiffInput = Omit<CommandInput<'restores.diff'>, 'restoreId' | 'cursor'>;

/** Every page of a diff, in order: the first page's summary and all items. */
async function allPages(
  reg: CommandRegistry,
  restoreId: string,
  q: DiffInput = {},
): Promise<{ pages: RestoreDiff[]; items: RestoreDiffItem[] }> {
  const pages: RestoreDiff[] = [];
  let cursor: string | undefined;
  do {
    const page = await call<RestoreDiff>(reg, 'restores.diff', { restoreId, ...q, cursor });
    pages.push(page);
    cursor = page.nextCursor ?? undefined;
    if (pages.length > 10_000) throw new Error('the pages never end');
  } while (cursor);
  return { pages, items: pages.flatMap((p) => p.items) };
}

/** "kind change name @context" for each item: what a user reads. */
const named = (items: readonly RestoreDiffItem[]) =>
  items.map((i) => `${i.kind} ${i.change} ${i.name}${i.context ? ` @${i.context}` : ''}`).sort();

async function stageAndDrill(reg: CommandRegistry, backup: BackupEntry): Promise<string> {
  const staged = await call<{ restoreId: string | null; report: PreflightReport }>(
    reg,
    'restores.preflight',
    { source: { backupId: backup.id } },
  );
  expect(staged.restoreId, staged.report.reason).not.toBeNull();
  const drill = await call<DrillReport>(reg, 'restores.drill', { restoreId: staged.restoreId });
  expect(drill.passed, drill.summary).toBe(true);
  return staged.restoreId!;
}

const VALUES = {
  DATABASE_URL: 'postgres://shop:first-Pw-5521@db/shop',
  DATABASE_URL_NEW: 'postgres://shop:second-Pw-7730@db/shop',
  API_KEY: 'sk_live_shop_prod_4419',
  NEW_TOKEN: 'tok_added_after_backup_8812',
  SMTP_PASSWORD: 'smtp-pass-Blog-6602',
};

interface Scenario {
  rt: Runtime;
  reg: CommandRegistry;
  restoreId: string;
}

/**
 * Live with two projects, four environments, deployments, secrets and a snapshot,
 * backed up; then live changes (each change commented with how the diff sees it).
 */
async function changedSinceBackup(): Promise<Scenario> {
  const rt = await startTestRuntime(world);
  const reg = fullRegistry(rt);
  await call(reg, 'secrets.setup', { passphrase: 'restore diff passphrase' });
  const [prod, staging] = await seedEnvs(reg, 'shop', ['prod', 'staging']);
  const [live, old] = await seedEnvs(reg, 'blog', ['live', 'old']);
  const deploy = (envId: number, version: string) =>
    call<Deployment>(reg, 'deployments.create', { environmentId: envId, version });
  await deploy(prod!.env.id, '1.0.0');
  const pending = await deploy(prod!.env.id, '1.1.0');
  await deploy(live!.env.id, '0.9.0');
  const secret = (envId: number, name: keyof typeof VALUES, as: string = name) =>
    call(reg, 'secrets.set', { environmentId: envId, name: as, value: VALUES[name] });
  await secret(prod!.env.id, 'DATABASE_URL');
  await secret(prod!.env.id, 'API_KEY');
  await secret(live!.env.id, 'SMTP_PASSWORD');
  await call(reg, 'snapshots.create', { environmentId: prod!.env.id, content: { replicas: 2 } });
  const backup = await call<BackupEntry>(reg, 'backups.create', {});

  // Live only: the copy lacks them, a promote loses them (removed).
  await call<Project>(reg, 'projects.create', { name: 'docs' });
  await deploy(prod!.env.id, '1.2.0');
  await deploy(prod!.env.id, '1.3.0');
  await secret(staging!.env.id, 'NEW_TOKEN');
  await call(reg, 'snapshots.create', { environmentId: prod!.env.id, content: { replicas: 3 } });
  // In both, different (changed).
  await call(reg, 'projects.update', { id: live!.project.id, name: 'journal' });
  await call(reg, 'deployments.setStatus', { id: pending.id, status: 'running' });
  await secret(prod!.env.id, 'DATABASE_URL_NEW', 'DATABASE_URL');
  // In the copy only: a promote brings them back (added).
  await call(reg, 'secrets.unset', { environmentId: prod!.env.id, name: 'API_KEY' });
  readyDb(rt).prepare('DELETE FROM environments WHERE id = ?').run(old!.env.id);

  return { rt, reg, restoreId: await stageAndDrill(reg, backup) };
}

/** Each secret's value and its ciphertext, iv and tag on both sides, in every encoding. */
function secretNeedles(files: readonly string[]): Needle[] {
  const out = Object.entries(VALUES).flatMap(([k, v]) => needlesFor(k, v));
  for (const file of files) {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT name, iv, tag, ciphertext FROM secrets').all() as {
        name: string;
        iv: Buffer;
        tag: Buffer;
        ciphertext: Buffer;
      }[];
      for (const r of rows)
        for (const part of ['iv', 'tag', 'ciphertext'] as const)
          out.push(...needlesFor(`${r.name} ${part}`, r[part]));
    } finally {
      db.close();
    }
  }
  return out;
}

describe('restores.diff names what a promote changes', () => {
  it('names exactly the entities changed since the backup, each in its class', async () => {
    const { rt, reg, restoreId } = await changedSinceBackup();
    const first = await call<RestoreDiff>(reg, 'restores.diff', { restoreId, limit: 200 });
    expect(first.nextCursor).toBeNull();
    expect(named(first.items)).toEqual(
      [
        'project removed docs',
        'project changed journal',
        'environment added old @blog',
        'deployment removed 1.2.0 @shop/prod',
        'deployment removed 1.3.0 @shop/prod',
        'deployment changed 1.1.0 @shop/prod',
        'secret removed NEW_TOKEN @shop/staging',
        'secret added API_KEY @shop/prod',
        'secret changed DATABASE_URL @shop/prod',
        'snapshot removed v2 @shop/prod',
      ].sort(),
    );

    // The summary comes first: counts per kind and class, and since when the removed ones were recorded.
    const count = (kind: string) => first.summary!.find((s) => s.kind === kind);
    expect(first.summary!.map((s) => s.kind)).toEqual([...RESTORE_DIFF_KINDS]);
    expect(count('project')).toMatchObject({ added: 0, removed: 1, changed: 1 });
    expect(count('environment')).toMatchObject({ added: 1, removed: 0, changed: 0 });
    expect(count('deployment')).toMatchObject({ added: 0, removed: 2, changed: 1 });
    expect(count('secret')).toMatchObject({ added: 1, removed: 1, changed: 1 });
    expect(count('snapshot')).toMatchObject({ added: 0, removed: 1, changed: 0 });
    const db = readyDb(rt);
    const oldest = db
      .prepare(`SELECT min(started_at) AS t FROM deployments WHERE version IN ('1.2.0', '1.3.0')`)
      .get() as { t: number };
    expect(count('deployment')!.removedSince).toBe(oldest.t);
    expect(count('environment')!.removedSince).toBeNull();

    // What differs, field by field: live's value beside the copy's.
    const item = (kind: string, name: string) =>
      first.items.find((i) => i.kind === kind && i.name === name)!;
    expect(item('project', 'journal').fields).toEqual([
      { field: 'name', live: 'journal', copy: 'blog' },
    ]);
    expect(item('deployment', '1.1.0').fields).toContainEqual({
      field: 'status',
      live: 'running',
      copy: 'queued',
    });
    expect(item('deployment', '1.1.0').status).toBe('queued');
    // A new value is named as changed, but neither value is shown.
    expect(item('secret', 'DATABASE_URL').fields).toEqual([
      { field: 'value', live: null, copy: null },
    ]);
    expect(item('secret', 'API_KEY').id).toMatch(/^sec_[0-9a-f]{20}$/);

    // One class of one kind at a time.
    const lost = await call<RestoreDiff>(reg, 'restores.diff', {
      restoreId,
      kind: 'deployment',
      change: 'removed',
    });
    expect(named(lost.items)).toEqual([
      'deployment removed 1.2.0 @shop/prod',
      'deployment removed 1.3.0 @shop/prod',
    ]);
    const back = await call<RestoreDiff>(reg, 'restores.diff', { restoreId, change: 'added' });
    expect(named(back.items)).toEqual([
      'environment added old @blog',
      'secret added API_KEY @shop/prod',
    ]);
  });

  it('names a deployment with log lines added after the backup as changed, by line count only', async () => {
    const rt = await startTestRuntime(world);
    const reg = fullRegistry(rt);
    const [prod] = await seedEnvs(reg, 'shop', ['prod']);
    const deploy = (version: string) =>
      call<Deployment>(reg, 'deployments.create', { environmentId: prod!.env.id, version });
    const log = async (id: number, n: number, word: string) => {
      for (let i = 0; i < n; i++)
        await call(reg, 'deployments.appendLog', { id, message: `${word} line ${i}` });
    };
    const [logged, quiet, fresh] = [
      await deploy('1.0.0'),
      await deploy('1.1.0'),
      await deploy('1.2.0'),
    ];
    await log(logged.id, 12, 'before');
    await log(quiet.id, 2, 'before');
    const backup = await call<BackupEntry>(reg, 'backups.create', {});
    await log(logged.id, 3, 'secret-after');
    await log(fresh.id, 1, 'secret-after');
    const restoreId = await stageAndDrill(reg, backup);

    const d = await call<RestoreDiff>(reg, 'restores.diff', { restoreId, limit: 200 });
    expect(named(d.items)).toEqual([
      'deployment changed 1.0.0 @shop/prod',
      'deployment changed 1.2.0 @shop/prod',
    ]);
    const item = (name: string) => d.items.find((i) => i.name === name)!;
    expect(item('1.0.0').fields).toEqual([{ field: 'logs', live: '15 lines', copy: '12 lines' }]);
    expect(item('1.2.0').fields).toEqual([{ field: 'logs', live: '1 line', copy: '0 lines' }]);
    expect(d.summary!.find((s) => s.kind === 'deployment')).toMatchObject({
      added: 0,
      removed: 0,
      changed: 2,
    });
    // Counts, never the lines themselves.
    expect(JSON.stringify(d)).not.toMatch(/secret-after|before line/);
  });

  it('pages return every item exactly once, in every filter', async () => {
    const { reg, restoreId } = await changedSinceBackup();
    const whole = await call<RestoreDiff>(reg, 'restores.diff', { restoreId, limit: 200 });
    const key = (i: RestoreDiffItem) => `${i.kind}:${i.change}:${String(i.id)}`;
    for (const limit of [1, 3]) {
      const { pages, items } = await allPages(reg, restoreId, { limit });
      expect(items.map(key)).toEqual(whole.items.map(key));
      expect(new Set(items.map(key)).size).toBe(items.length);
      for (const p of pages) expect(p.items.length).toBeLessThanOrEqual(limit);
      // Only the first page carries the summary.
      expect(pages[0]!.summary).not.toBeNull();
      expect(pages.slice(1).every((p) => p.summary === null)).toBe(true);
    }
    // Each filter holds exactly its items; a filtered list pages the same way.
    for (const kind of RESTORE_DIFF_KINDS)
      for (const change of RESTORE_DIFF_CHANGES) {
        const page = await call<RestoreDiff>(reg, 'restores.diff', { restoreId, kind, change });
        expect(page.items.map(key)).toEqual(
          whole.items.filter((i) => i.kind === kind && i.change === change).map(key),
        );
      }
    const lost = await allPages(reg, restoreId, {
      kind: 'deployment',
      change: 'removed',
      limit: 1,
    });
    expect(lost.pages).toHaveLength(2);
    expect(lost.items.map((i) => i.name)).toEqual(['1.2.0', '1.3.0']);
  });

  it('never puts a secret value or its ciphertext in the result', async () => {
    const { rt, reg, restoreId } = await changedSinceBackup();
    const { pages } = await allPages(reg, restoreId, { limit: 2 });
    const copyFile = rt.restores.previewDb(restoreId).name;
    readyDb(rt).pragma('wal_checkpoint(TRUNCATE)');
    const needles = secretNeedles([rt.layout.db, copyFile]);
    expect(needles.length).toBeGreaterThan(40);
    const texts = pages.map((p, i) => ({ where: `page ${i}`, text: JSON.stringify(p) }));
    expect(scanTexts(texts, needles)).toEqual([]);
    // The scan can fail: the secret names are in it, and a leaked value would be found.
    expect(texts.some((t) => t.text.includes('NEW_TOKEN'))).toBe(true);
    expect(
      scanTexts(
        [{ where: 'probe', text: `x${VALUES.API_KEY}` }],
        needlesFor('API_KEY', VALUES.API_KEY),
      ),
    ).not.toEqual([]);
  });

  it('refuses a cursor it did not hand out, and a copy that was not drilled', async () => {
    const { reg, restoreId } = await changedSinceBackup();
    const page = await call<RestoreDiff>(reg, 'restores.diff', { restoreId, limit: 1 });
    expect(
      (await callError(reg, 'restores.diff', { restoreId, cursor: 'deployment:bm90IGpzb24' })).code,
    ).toBe('BAD_INPUT');
    expect(
      (
        await callError(reg, 'restores.diff', {
          restoreId,
          kind: 'secret',
          cursor: page.nextCursor,
        })
      ).code,
    ).toBe('BAD_INPUT');
    expect((await callError(reg, 'restores.diff', { restoreId, limit: 201 })).code).toBe(
      'BAD_INPUT',
    );
    expect((await callError(reg, 'restores.diff', { restoreId: '0123456789abcdef' })).code).toBe(
      'RESTORE_NOT_FOUND',
    );
  });
});

describe('restores.diff after a key rotation', () => {
  it('names each re-encrypted secret as changed in its key only, not as a new value', async () => {
    const rt = await startTestRuntime(world);
    const reg = fullRegistry(rt);
    await call(reg, 'secrets.setup', { passphrase: 'rotation passphrase' });
    const [prod] = await seedEnvs(reg, 'shop', ['prod']);
    for (const name of ['API_KEY', 'DATABASE_URL'] as const)
      await call(reg, 'secrets.set', { environmentId: prod!.env.id, name, value: VALUES[name] });
    const backup = await call<BackupEntry>(reg, 'backups.create', {});
    await call(reg, 'secrets.rotate', { passphrase: 'rotation passphrase' });
    const restoreId = await stageAndDrill(reg, backup);
    const diff = await call<RestoreDiff>(reg, 'restores.diff', { restoreId, kind: 'secret' });
    expect(diff.items.map((i) => [i.change, i.name, i.fields.map((f) => f.field)])).toEqual([
      ['changed', expect.any(String), ['keyId']],
      ['changed', expect.any(String), ['keyId']],
    ]);
  });
});

describe('restores.diff across schema differences', () => {
  it('compares only the columns both sides have, and leaves out a table one side lacks', async () => {
    const { rt, reg, restoreId } = await changedSinceBackup();
    readyDb(rt)
      .prepare(`UPDATE projects SET description = 'edited in live' WHERE name = 'shop'`)
      .run();
    const before = await call<RestoreDiff>(reg, 'restores.diff', {
      restoreId,
      kind: 'project',
      change: 'changed',
    });
    expect(before.items.find((i) => i.name === 'shop')?.fields).toEqual([
      { field: 'description', live: 'edited in live', copy: '' },
    ]);
    // A copy whose projects have no description column and which has no secrets table at all.
    const copyFile = rt.restores.previewDb(restoreId).name;
    rt.restores.closePreview(restoreId);
    editFile(copyFile, (db) => {
      db.exec('ALTER TABLE projects DROP COLUMN description');
      db.exec('DROP TABLE secrets');
    });
    const after = await call<RestoreDiff>(reg, 'restores.diff', { restoreId, limit: 200 });
    expect(after.summary!.map((s) => s.kind)).toEqual([
      'project',
      'environment',
      'deployment',
      'snapshot',
    ]);
    expect(named(after.items.filter((i) => i.kind === 'project'))).toEqual([
      'project changed journal',
      'project removed docs',
    ]);
  });
});

describe('stateward restore-diff', () => {
  it('prints the summary and the entities by name, without secret values', async () => {
    const { rt, restoreId } = await changedSinceBackup();
    const dir = rt.layout.dir;
    const text = await cli('--data-dir', dir, 'restore-diff', restoreId);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('loses (only in live): 1 project');
    expect(text.stdout).toMatch(/2 deployments \(since \d{4}-/);
    expect(text.lines).toContainEqual(
      expect.stringMatching(/^LOST +deployment +1\.2\.0 +\(shop\/prod\)$/),
    );
    expect(text.lines).toContainEqual(
      expect.stringMatching(/^CHANGES +project +journal .*name: journal -> blog/),
    );
    expect(text.lines).toContainEqual(expect.stringMatching(/^BACK +environment +old +\(blog\)$/));
    expect(text.lines).toContainEqual(
      expect.stringMatching(/^CHANGES +secret +DATABASE_URL .*value set again/),
    );

    // --limit bounds the items; JSON carries the same, and says there is more.
    const json = onlyJson(
      await cli('--data-dir', dir, '--json', 'restore-diff', restoreId, '--limit', '3'),
    );
    expect((json['items'] as unknown[]).length).toBe(3);
    expect(json['more']).toBe(true);
    expect((json['summary'] as { kind: string }[]).map((s) => s.kind)).toEqual([
      ...RESTORE_DIFF_KINDS,
    ]);
    const needles = secretNeedles([]);
    expect(
      scanTexts(
        [
          { where: 'cli text', text: text.stdout },
          { where: 'cli json', text: JSON.stringify(json) },
        ],
        needles,
      ),
    ).toEqual([]);

    const bad = await cli('--data-dir', dir, 'restore-diff', 'not-an-id');
    expect(bad.code).toBe(2);
    expect((await cli('--data-dir', dir, 'restore-diff', restoreId, '--limit', '0')).code).toBe(2);
  });
});

describe('restores.diff at scale', () => {
  it('with 100k deployments on each side, the summary and a page come back without the rest', async () => {
    const rt = await startTestRuntime(world);
    const reg = fullRegistry(rt);
    const [prod] = await seedEnvs(reg, 'shop', ['prod']);
    const db = readyDb(rt);
    // Rows made inside SQLite (a recursive CTE): no per-row round trip through JS.
    const insert = (from: number, n: number, status: string) =>
      db
        .prepare(
          `WITH RECURSIVE i(n) AS (SELECT CAST(@from AS INTEGER) UNION ALL SELECT n + 1 FROM i WHERE n < @to)
           INSERT INTO deployments (id, environment_id, version, status, started_at)
           SELECT n, @env, '2.' || n || '.0', @status, @t0 + n FROM i`,
        )
        .run({ from, to: from + n - 1, env: prod!.env.id, status, t0: 1_700_000_000_000 });
    const N = 100_000;
    insert(1, N, 'succeeded');
    const backup = await call<BackupEntry>(reg, 'backups.create', {});
    // After the backup: 100k more deployments, and 1,000 of the old ones changed status.
    insert(N + 1, N, 'queued');
    db.prepare(`UPDATE deployments SET status = 'failed' WHERE id % 100 = 0 AND id <= ?`).run(N);
    const restoreId = await stageAndDrill(reg, backup);

    // The diff runs off the event loop: a command sent after it is answered before it.
    const order: string[] = [];
    const diffing = call<RestoreDiff>(reg, 'restores.diff', { restoreId, limit: 200 }).then((d) => {
      order.push('restores.diff');
      return d;
    });
    await call(reg, 'projects.list', {}).then(() => order.push('projects.list'));
    const first = await diffing;
    expect(order).toEqual(['projects.list', 'restores.diff']);
    expect(first.summary!.find((s) => s.kind === 'deployment')).toEqual({
      kind: 'deployment',
      added: 0,
      removed: N,
      changed: N / 100,
      removedSince: 1_700_000_000_000 + N + 1,
    });
    expect(first.items).toHaveLength(200);
    expect(first.items[0]).toMatchObject({
      kind: 'deployment',
      change: 'changed',
      name: '2.100.0',
    });
    // One page is one page: a few dozen KiB, not the 100k rows behind it.
    expect(JSON.stringify(first).length).toBeLessThan(64 * 1024);

    // A deep page of one class: the first lost deployment after the last changed one.
    const lost = await call<RestoreDiff>(reg, 'restores.diff', {
      restoreId,
      kind: 'deployment',
      change: 'removed',
      limit: 200,
    });
    expect(lost.items.map((i) => i.name)).toEqual(
      Array.from({ length: 200 }, (_, i) => `2.${N + 1 + i}.0`),
    );
    const next = await call<RestoreDiff>(reg, 'restores.diff', {
      restoreId,
      kind: 'deployment',
      change: 'removed',
      limit: 200,
      cursor: lost.nextCursor!,
    });
    expect(next.summary).toBeNull();
    expect(next.items[0]!.name).toBe(`2.${N + 201}.0`);
    expect(JSON.stringify(next).length).toBeLessThan(64 * 1024);
  });
});
