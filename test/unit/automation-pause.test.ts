// Pauses of automation writes (issue 13.3), through the command registry on both
// backends: a pause taken by one process holds for every other one (it is in the
// database), refuses automation writes with PAUSED and a retry hint, never the
// app's own; a burst of automation writes through the HTTP host with a pause taken
// by another process in the middle loses nothing it acknowledged; a promote is
// shown as the automatic pause it is; a damaged pause record still pauses.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { AutomationStatus, Deployment, Environment, Project } from '../../shared/domain.ts';
import {
  COMMAND_NAMES,
  NOT_PAUSED_COMMANDS,
  pausedByAutomationPause,
  READ_ONLY_COMMANDS,
} from '../../shared/contract.ts';
import type { Result } from '../../shared/errors.ts';
import { HTTP_AUTOMATION_HEADER } from '../../shared/events.ts';
import { automationStatus } from '../../electron/core/automation.ts';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { seededWithBackup } from '../helpers/backup-util.ts';
import { stateward } from '../helpers/cli-bin.ts';
import { startTestHost } from '../helpers/http.ts';
import type { Backend } from '../helpers/instances.ts';
import { twoInstances } from '../helpers/instances.ts';
import { pgSkipReason, usePgDatabase } from '../helpers/pg.ts';
import { call } from '../helpers/restore-util.ts';
import { startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const pgSkip = pgSkipReason();
const AUTOMATION = { automation: true };

type Refusal = { code: string; details?: { retryAfterMs?: number; pause?: { reason: string } } };

function errorOf(r: Result<unknown>): Refusal {
  if (r.ok) throw new Error(`expected a refusal, got ${JSON.stringify(r.value)}`);
  return r.error as Refusal;
}

describe('which commands a pause holds off', () => {
  it('every write of the records (and any new one); never reads, the pause itself or the safety work', () => {
    const paused = COMMAND_NAMES.filter(pausedByAutomationPause);
    for (const n of [
      'projects.create',
      'environments.update',
      'snapshots.create',
      'deployments.create',
      'deployments.appendLog',
      'secrets.set',
      'demo.seed',
    ] as const)
      expect(paused).toContain(n);
    for (const n of [...READ_ONLY_COMMANDS, ...NOT_PAUSED_COMMANDS])
      expect(paused).not.toContain(n);
    expect(paused).not.toContain('automation.resume');
    expect(paused).not.toContain('backups.create');
  });
});

for (const backend of ['sqlite', 'postgres'] as const satisfies Backend[]) {
  describe.skipIf(backend === 'postgres' && pgSkip !== null)(`a pause (${backend})`, () => {
    const pg = backend === 'postgres' ? usePgDatabase() : null;

    it("taken by one process holds for every other: automation writes are PAUSED with retryAfterMs, the app's own are not; resume lifts it everywhere", async () => {
      const { app, cli } = await twoInstances(world, backend, pg);
      await call<Project>(app.reg, 'projects.create', { name: 'before' });

      const taken = await call<AutomationStatus>(app.reg, 'automation.pause', {
        reason: '  upgrade to 2.0 ',
      });
      expect(taken).toMatchObject({
        paused: true,
        retryAfterMs: 5000,
        pause: { reason: 'upgrade to 2.0', actor: app.rt.actor, pid: process.pid, until: 'resume' },
      });

      // The CLI's runtime (another process) is automation: refused, nothing written.
      const refused = errorOf(await cli.reg.dispatch('projects.create', { name: 'ci' }));
      expect(refused).toMatchObject({
        code: 'PAUSED',
        details: { retryAfterMs: 5000, pause: { reason: 'upgrade to 2.0' } },
      });
      // Reading the status is not a write.
      expect(await call<AutomationStatus>(cli.reg, 'automation.status', {})).toMatchObject({
        paused: true,
      });
      // The host: a request marked as automation is refused; the page's own is not.
      expect(
        errorOf(await app.reg.dispatch('projects.create', { name: 'ci-http' }, AUTOMATION)).code,
      ).toBe('PAUSED');
      await call(app.reg, 'projects.create', { name: 'by-hand' });

      // Resumed from the other process; every instance lets automation through again
      // (the host's cached state expires within PAUSE_CACHE_MS).
      await call(cli.reg, 'automation.resume', {});
      await call(cli.reg, 'projects.create', { name: 'ci' });
      let r: Result<unknown>;
      do r = await app.reg.dispatch('projects.create', { name: 'ci-http' }, AUTOMATION);
      while (!r.ok && r.error.code === 'PAUSED');
      expect(r.ok).toBe(true);

      const names = (await call<{ items: Project[] }>(app.reg, 'projects.list', {})).items
        .map((p) => p.name)
        .sort();
      expect(names).toEqual(['before', 'by-hand', 'ci', 'ci-http']);
      const audit = await call<{ items: { action: string; actor: string }[] }>(
        app.reg,
        'audit.list',
        {},
      );
      expect(audit.items.filter((a) => a.action.startsWith('automation.'))).toMatchObject([
        { action: 'automation.resumed', actor: cli.rt.actor },
        { action: 'automation.paused', actor: app.rt.actor },
      ]);
    });
  });
}

describe('a pause during a burst of automation writes (HTTP host, SQLite)', () => {
  it('taken by another process mid-burst: every acknowledged write is stored, every refused one got PAUSED, none lost', async () => {
    const host = await startTestHost(world);
    const dir = host.rt.layout.dir;
    const page = async <T>(name: string, input: unknown): Promise<T> =>
      (JSON.parse((await host.invoke(name, input)).body) as { value: T }).value;
    const project = await page<Project>('projects.create', { name: 'shop' });
    const env = await page<Environment>('environments.create', {
      projectId: project.id,
      name: 'prod',
    });

    type Answer = Result<Deployment> & { phase: 'before' | 'during' | 'after' };
    const answers = new Map<string, Answer>();
    let seq = 0;
    const write = async (phase: Answer['phase']) => {
      const version = `burst-${seq++}`;
      const res = await host.invoke(
        'deployments.create',
        { environmentId: env.id, version, status: 'succeeded' },
        { [HTTP_AUTOMATION_HEADER]: '1' },
      );
      answers.set(version, { ...(JSON.parse(res.body) as Result<Deployment>), phase });
    };
    const writers = async (count: number, phase: Answer['phase'], until?: () => boolean) =>
      Promise.all(
        Array.from({ length: 6 }, async () => {
          for (let i = 0; until ? !until() : i < count / 6; i++) await write(phase);
        }),
      );

    await writers(120, 'before');
    // Another process pauses while the writers keep going; they stop once it has answered.
    let answered = false;
    const pausing = stateward(['--data-dir', dir, '--json', 'pause', '--reason', 'upgrade']).then(
      (r) => {
        answered = true;
        return r;
      },
    );
    await writers(0, 'during', () => answered);
    const paused = await pausing;
    expect(paused.code, paused.stderr).toBe(0);
    await writers(120, 'after');

    const all = [...answers.values()];
    const acked = [...answers].filter(([, a]) => a.ok);
    const refused = all.filter((a) => !a.ok);
    // Before the pause: all acknowledged; after it answered: all refused, with the retry hint.
    expect(all.filter((a) => a.phase === 'before').every((a) => a.ok)).toBe(true);
    expect(all.filter((a) => a.phase === 'after').every((a) => !a.ok)).toBe(true);
    // A write racing the pausing process for SQLite's write lock may also be refused as busy
    // (nothing written, retryable); once the pause has answered, every refusal is PAUSED.
    for (const a of refused) {
      if (a.phase === 'during' && errorOf(a).code === 'DATA_DIR_BUSY') continue;
      expect(errorOf(a)).toMatchObject({ code: 'PAUSED', details: { retryAfterMs: 5000 } });
    }
    // Every acknowledged write is stored under the id it was given; nothing else is.
    const db = new Database(dataDirLayout(dir).db, { readonly: true });
    const stored = db.prepare('SELECT id, version FROM deployments').all() as {
      id: number;
      version: string;
    }[];
    db.close();
    expect(stored.map((s) => `${s.id}:${s.version}`).sort()).toEqual(
      acked.map(([v, a]) => `${(a as { value: Deployment }).value.id}:${v}`).sort(),
    );
    expect(acked.length + refused.length).toBe(answers.size);
    expect(answers.size).toBeGreaterThanOrEqual(240);
    console.log(
      `burst: ${answers.size} automation writes, ${acked.length} acknowledged and stored, ${refused.length} PAUSED (${all.filter((a) => a.phase === 'during').length} sent while the pause was being taken)`,
    );
  });
});

describe('automatic pauses and damaged records (SQLite)', () => {
  it('a promote replacing the data shows in automation.status while it runs; the pause in force stays, not the one the copy brought', async () => {
    const dir = world.dir();
    const seeded = await seededWithBackup(dir, { projects: 1, deployments: 5 });
    seeded.rt.close();
    const rt = await startTestRuntime(world, dir);
    const reg = testRegistry(rt);
    // A backup taken while an older pause was in force, restored and drilled.
    await call(reg, 'automation.pause', { reason: 'old pause' });
    const backup = await call<{ id: string }>(reg, 'backups.create', {});
    await call(reg, 'automation.resume', {});
    const staged = await call<{ restoreId: string }>(reg, 'restores.preflight', {
      source: { backupId: backup.id },
    });
    await call(reg, 'restores.drill', { restoreId: staged.restoreId });
    await call(reg, 'automation.pause', { reason: 'promoting' });

    const promoting = reg.dispatch('restores.promote', {
      restoreId: staged.restoreId,
      confirm: true,
    });
    const during = await automationStatus(rt);
    expect(during).toMatchObject({
      paused: true,
      pause: { reason: 'promoting' },
      promote: { pid: process.pid },
    });
    expect((await promoting).ok).toBe(true);
    expect(await automationStatus(rt)).toMatchObject({
      paused: true,
      promote: null,
      pause: { reason: 'promoting' },
    });
    await call(reg, 'automation.resume', {});
    expect(await automationStatus(rt)).toMatchObject({ paused: false, promote: null });
  });

  it('a pause record that cannot be read still pauses, says so, and resume lifts it', async () => {
    const rt = await startTestRuntime(world);
    rt.store!.db.prepare(
      `INSERT INTO settings (key, value, updated_at) VALUES ('automation.pause', 'not json', 0)`,
    ).run();
    const reg = testRegistry(rt);
    const refused = errorOf(await reg.dispatch('projects.create', { name: 'ci' }, AUTOMATION));
    expect(refused).toMatchObject({
      code: 'PAUSED',
      details: { pause: { reason: 'the stored pause record could not be read' } },
    });
    await call(reg, 'automation.resume', {});
    expect((await reg.dispatch('projects.create', { name: 'ci' }, AUTOMATION)).ok).toBe(true);
  });
});
