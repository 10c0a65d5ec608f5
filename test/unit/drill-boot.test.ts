// The drill's boot step (core/restore/boot.ts): the real host process on a
// temporary copy, GET /ready, signed in with its token, probes over HTTP; a copy
// the app refuses, a page only the app's queries hit, a hang and a second
// migration each fail the step with the reason and the host's log lines.
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { DrillProbe } from '../../shared/domain.ts';
import { APP_VERSION } from '../../electron/core/version.ts';
import { bootCopy, nodeHostSpawner } from '../../electron/core/restore/boot.ts';
import type { BootOptions, BootStepResult, HostSpawner } from '../../electron/core/restore/boot.ts';
import { seedDemo } from '../../electron/core/demo.ts';
import { startRuntime } from '../../electron/core/runtime.ts';
import { readyDb } from '../helpers/runtime.ts';
import { HELPERS_DIR, spawnUntilLine } from '../helpers/child.ts';
import { processAlive } from '../../electron/core/fsutil.ts';
import { sha256File } from '../helpers/store.ts';
import {
  APP_SCHEMA,
  damageIndexPage,
  editFile,
  makeNewerSchema,
  expectDrillStepOrder,
  olderSchemaBackup,
} from '../helpers/restore-util.ts';
import { useWorld } from '../helpers/world.ts';
import { seededRuntime } from '../helpers/backup-util.ts';
import { cli } from '../helpers/cli.ts';
import { BOOT_STEP_TITLE } from '../../electron/core/restore/boot.ts';

const world = useWorld();

/** A restored copy as the drill leaves it: a migrated Stateward database holding the demo's data. */
async function copyWith(projects: number, deployments: number): Promise<string> {
  const dir = world.dir();
  const rt = await startRuntime({ dir, source: 'flag', transport: 'cli', lockMode: 't' });
  try {
    if (projects > 0)
      seedDemo(readyDb(rt), { projects, deployments, actor: 'test', now: Date.now() });
  } finally {
    rt.close();
  }
  return path.join(dir, 'stateward.db');
}

/** Boot with a temp root of this test's own, so what is left behind can be seen. */
async function boot(
  copy: string,
  expected: { projects?: number; deployments?: number },
  opts: BootOptions = {},
): Promise<{ r: BootStepResult; left: string[] }> {
  const tmpRoot = world.dir();
  const r = await bootCopy(copy, expected, { tmpRoot, ...opts });
  return { r, left: fs.readdirSync(tmpRoot) };
}

const probe = (r: BootStepResult, name: string): DrillProbe | undefined =>
  r.probes?.find((p) => p.name === name);

describe('boot step', () => {
  it('boots the app on a copy, signs in and reads it over HTTP; the copy is untouched', async () => {
    const copy = await copyWith(3, 6);
    const before = sha256File(copy);
    const { r, left } = await boot(copy, { projects: 3, deployments: 6 });
    expect(r.status, r.detail).toBe('pass');
    const requests = r.probes!.filter((p) => p.request !== null);
    expect(requests.map((p) => p.request)).toEqual([
      'GET /ready',
      'POST app.startup',
      'POST projects.list',
      'POST deployments.list',
      'POST deployments.get',
      'POST snapshots.list',
      'POST audit.list',
      'POST secrets.list',
    ]);
    for (const p of requests) {
      expect(p.httpStatus, p.name).toBe(200);
      expect(p.status, p.name).toBe('pass');
      expect(p.ms).toBeGreaterThanOrEqual(0);
    }
    expect(probe(r, 'Ready')!.detail).toBe(
      `Ready: schema ${APP_SCHEMA}, Stateward ${APP_VERSION}.`,
    );
    expect(probe(r, 'Projects')!.detail).toBe('3 projects (as the manifest says).');
    expect(probe(r, 'Newest deployment')!.detail).toMatch(/^.+\/.+ .+: /);
    expect(probe(r, 'Stop')).toMatchObject({ status: 'pass', detail: 'Exited on SIGTERM.' });
    expect(probe(r, 'Recheck')).toMatchObject({ status: 'pass' });
    expect(r.facts).toMatchObject({ projects: 3, spawner: 'node' });
    // The app ran on its own copy, removed after; the restored copy was only read.
    expect(sha256File(copy)).toBe(before);
    expect(left).toEqual([]);
  });

  it('a manifest that lists other counts fails the step', async () => {
    const copy = await copyWith(2, 0);
    const { r } = await boot(copy, { projects: 5 });
    expect(r.status).toBe('fail');
    expect(r.facts?.code).toBe('BACKUP_FACTS_MISMATCH');
    expect(r.detail).toBe('The app lists 2 projects; the manifest lists 5.');
    expect(probe(r, 'Projects')).toMatchObject({ status: 'fail', httpStatus: 200 });
  });

  const refusals: [string, (file: string) => void, string][] = [
    ['a newer schema', (f) => makeNewerSchema(f), 'SCHEMA_FROM_NEWER_VERSION'],
    [
      'an edited migration',
      (f) =>
        editFile(f, (db) =>
          db
            .prepare(`UPDATE schema_migrations SET checksum = ? WHERE version = 2`)
            .run('e'.repeat(64)),
        ),
      'MIGRATION_CHECKSUM_MISMATCH',
    ],
    [
      'a database that is not Stateward’s',
      (f) => {
        fs.rmSync(f);
        const db = new Database(f);
        db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY)');
        db.close();
      },
      'NOT_A_STATEWARD_DB',
    ],
  ];

  it.each(refusals)(
    '%s: fails with the host’s own refusal code and its log lines',
    async (_w, edit, code) => {
      const copy = await copyWith(1, 0);
      edit(copy);
      const { r, left } = await boot(copy, {});
      expect(r.status).toBe('fail');
      expect(r.facts).toMatchObject({ code, hostCode: code, bootCode: 'DRILL_BOOT_FAILED' });
      expect(r.detail).toContain(`The app refused to start on the copy (${code})`);
      expect(probe(r, 'Ready')).toMatchObject({
        httpStatus: 503,
        status: 'fail',
        detail: `Not ready: ${code}.`,
      });
      // The host's own words, from its stderr; never the token or the temporary folder's path.
      expect(r.log!.join('\n')).toContain(`the data directory is refused (${code})`);
      expect(r.log!.join('\n')).not.toMatch(/#token=[A-Za-z0-9_-]{8}|stateward-boot-/);
      expect(left).toEqual([]);
    },
  );

  it('a damaged page that only the app’s queries read: the request fails with the host’s code', async () => {
    const copy = await copyWith(2, 8);
    damageIndexPage(copy, 'deployments_started');
    const { r } = await boot(copy, { projects: 2, deployments: 8 });
    expect(r.status).toBe('fail');
    expect(probe(r, 'Ready')).toMatchObject({ httpStatus: 200, status: 'pass' });
    const failed = r.probes!.find((p) => p.status === 'fail')!;
    expect(failed.request).toBe('POST deployments.list');
    // The host's own answer (its registry calls an SQLite error it cannot place INTERNAL); its log says what.
    expect(r.facts?.code).toBe('INTERNAL');
    expect(r.detail).toBe('The app answered deployments.list with INTERNAL.');
    expect(r.log!.join('\n')).toContain('command deployments.list failed unexpectedly');
  });

  it('a copy the app migrates again fails the recheck', async () => {
    const older = await olderSchemaBackup(world, ['alpha']);
    const { r } = await boot(older.path, { projects: 1 });
    expect(r.status).toBe('fail');
    expect(r.facts?.code).toBe('MIGRATION_FAILED');
    expect(probe(r, 'Recheck')).toMatchObject({
      status: 'fail',
      detail: 'schema_migrations changed while the app ran: a migration ran again.',
    });
    // The server drill never migrates the staged copy: its boot step migrates the temporary one first.
    const migrated = await boot(older.path, { projects: 1 }, { migrate: true });
    expect(migrated.r.status, migrated.r.detail).toBe('pass');
    expect(probe(migrated.r, 'Ready')!.detail).toBe(
      `Ready: schema ${APP_SCHEMA}, Stateward ${APP_VERSION}.`,
    );
  });

  it('a host that hangs is killed at the timeout and reported as such', async () => {
    const copy = await copyWith(1, 0);
    const { r, left } = await boot(
      copy,
      {},
      { timeoutMs: 5_000, graceMs: 300, env: { STATEWARD_FAULT: 'host-ready' } },
    );
    expect(r.status).toBe('fail');
    expect(r.facts).toMatchObject({ code: 'DRILL_BOOT_FAILED', timedOut: true, killed: true });
    expect(r.detail).toBe(
      'The app did not answer /ready within 5.0 s of starting; it was stopped. It ignored SIGTERM and was killed.',
    );
    expect(probe(r, 'Ready')).toMatchObject({ httpStatus: null, status: 'fail' });
    expect(probe(r, 'Stop')).toMatchObject({ status: 'warn' });
    expect(left).toEqual([]);
  });

  it('a host that crashes before it listens: the error line it printed is the reason', async () => {
    const copy = await copyWith(0, 0);
    // The host's place taken by a script that dies as a broken build would (an uncaught error).
    const crashing: HostSpawner = {
      kind: 'node',
      spawn: (_args, env, cwd) =>
        nodeHostSpawner.spawn([], env, cwd, [
          '-e',
          "process.stderr.write('loading…\\n'); throw new TypeError('boom at start')",
        ]),
    };
    const { r, left } = await boot(copy, {}, { spawner: crashing });
    expect(r.status).toBe('fail');
    expect(r.facts).toMatchObject({ code: 'DRILL_BOOT_FAILED', exitCode: 1 });
    expect(r.detail).toBe(
      'The app exited (code 1) before it served the copy: TypeError: boom at start',
    );
    expect(r.log!.join('\n')).toContain('loading…');
    expect(left).toEqual([]);
  });

  it('a host that cannot start in time (a tiny timeout) is stopped and reported as such', async () => {
    const copy = await copyWith(0, 0);
    const { r } = await boot(copy, {}, { timeoutMs: 1 });
    expect(r.status).toBe('fail');
    expect(r.facts).toMatchObject({ code: 'DRILL_BOOT_FAILED', timedOut: true });
    expect(r.detail).toMatch(/^The app did not start on the copy within 0\.0 s; it was stopped\./);
    expect(probe(r, 'Start')).toMatchObject({
      status: 'fail',
      detail: 'Not listening within 0.0 s.',
    });
  });

  it('a drill killed mid-boot: its host stops by itself, and the next boot removes the folder it left', async () => {
    const copy = await copyWith(1, 0);
    const tmpRoot = world.dir();
    const { child, line } = await spawnUntilLine(world, [
      path.join(HELPERS_DIR, 'boot-child.ts'),
      copy,
      tmpRoot,
    ]);
    const hostPid = Number(/^host (\d+)$/.exec(line)![1]);
    world.defer(() => {
      if (processAlive(hostPid)) process.kill(hostPid, 'SIGKILL');
    });
    expect(processAlive(hostPid)).toBe(true);
    const left = fs.readdirSync(tmpRoot);
    expect(left).toEqual([expect.stringMatching(new RegExp(`^stateward-boot-${child.pid}-`))]);
    await child.kill();
    // Orphaned, the host notices within half a second and stops (as on SIGTERM).
    for (let i = 0; i < 100 && processAlive(hostPid); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(processAlive(hostPid)).toBe(false);
    const next = await bootCopy(copy, {}, { tmpRoot });
    expect(next.status, next.detail).toBe('pass');
    expect(fs.readdirSync(tmpRoot)).toEqual([]);
  });
});

describe('boot step in the drill', () => {
  it('every drill ends with the real app booted on the copy; its requests are in the report and the CLI', async () => {
    const dir = world.dir();
    const rt = await seededRuntime(world, 4, { dir, projects: 2, transport: 'cli' });
    const b = await rt.backups.run({ kind: 'manual', compact: false });
    const report = await rt.restores.verify({ backupId: b.id });
    expect(report.passed, report.summary).toBe(true);
    expectDrillStepOrder(report.steps.map((s) => s.key));
    const host = report.steps.at(-1)!;
    expect(host).toMatchObject({ key: 'host', title: BOOT_STEP_TITLE, status: 'pass' });
    expect(host.probes!.find((p) => p.request === 'GET /ready')).toMatchObject({ httpStatus: 200 });
    expect(host.probes!.find((p) => p.name === 'Projects')!.detail).toBe(
      '2 projects (as the manifest says).',
    );
    expect(report.summary).toMatch(/\(8 steps\)\.$/);
    const md = rt.restores.exportReport(report.id, 'markdown').content;
    expect(md).toContain(`| Ready | GET /ready | 200 |`);
    rt.close();
    const text = await cli('--data-dir', dir, 'verify', b.id);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/PASS Ready \[GET \/ready → 200\] \(\d+ ms\): Ready: schema /);
  });

  it('a host that hangs fails the drill at the boot step, killed at the timeout', async () => {
    const rt = await seededRuntime(world, 2, { projects: 1 });
    rt.restores.bootOptions = {
      timeoutMs: 4_000,
      graceMs: 200,
      env: { STATEWARD_FAULT: 'host-ready' },
    };
    const b = await rt.backups.run({ kind: 'manual', compact: false });
    const report = await rt.restores.verify({ backupId: b.id });
    expect(report.passed).toBe(false);
    const host = report.steps.at(-1)!;
    expect(host).toMatchObject({ key: 'host', status: 'fail' });
    expect(host.facts).toMatchObject({ code: 'DRILL_BOOT_FAILED', timedOut: true, killed: true });
    expect(report.summary).toBe(
      `Failed at “${BOOT_STEP_TITLE}”: The app did not answer /ready within 4.0 s of starting; it was stopped. It ignored SIGTERM and was killed.`,
    );
    // Every step before it passed: only booting the app found this.
    expect(report.steps.slice(0, -1).every((s) => s.status === 'pass')).toBe(true);
  });

  it('a drill that fails an earlier step stops the app it started beside it, and leaves the step out', async () => {
    const rt = await seededRuntime(world, 3, { projects: 2 });
    const tmpRoot = world.dir();
    rt.restores.bootOptions = { tmpRoot };
    const b = await rt.backups.run({ kind: 'manual', compact: false });
    const staged = await rt.restores.stage({ backupId: b.id });
    damageIndexPage(
      path.join(rt.layout.restores, staged.restoreId!, 'stateward.db'),
      'projects_updated',
    );
    const report = await rt.restores.drill(staged.restoreId!);
    expect(report.passed).toBe(false);
    expect(report.steps.find((s) => s.status === 'fail')!.key).toBe('integrity');
    expect(report.steps.map((s) => s.key)).not.toContain('host');
    // Its temporary folder is gone once the drill returns (and with it, the app it ran).
    expect(fs.readdirSync(tmpRoot)).toEqual([]);
  });
});
