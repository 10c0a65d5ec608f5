// Every command of the contract answers on either backend (issue 11.2: "all
// commands, the CLI, the host and the app work unchanged"): a runtime on SQLite and
// one in team mode are seeded with demo data through the registry the HTTP host
// builds, then each of READ_ONLY_COMMANDS is dispatched with a valid minimal input,
// and the write commands in an order that makes each meaningful. None may fail
// (INTERNAL: a bug; STORE_NOT_READY: a command that looks only at the local SQLite
// file), but for the app's native dialogs, which the host refuses as such.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandName } from '../../shared/contract.ts';
import { READ_ONLY_COMMANDS } from '../../shared/contract.ts';
import { pgSkipReason, usePgDatabase } from '../helpers/pg.ts';
import { startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const skip = pgSkipReason();

describe.each(['sqlite', 'postgres'] as const)('every command on %s', (backend) => {
  if (backend === 'postgres' && skip !== null) {
    it.skip(`needs PostgreSQL: ${skip}`, () => {});
    return;
  }
  const pg = backend === 'postgres' ? usePgDatabase() : null;

  it('answers after a demo seed, without INTERNAL or STORE_NOT_READY', async () => {
    const rt = await startTestRuntime(world, world.dir(), pg ? { databaseUrl: pg.url() } : {});
    expect(rt.startup).toEqual({ state: 'ready' });
    expect(rt.data?.backend).toBe(backend);
    const registry = testRegistry(rt);
    const call = (name: CommandName, input: unknown) => registry.dispatch(name, input as never);

    const seeded = await call('demo.seed', { projects: 2, deployments: 30 });
    expect(seeded).toEqual({
      ok: true,
      value: { projects: 2, environments: 6, deployments: 30 },
    });
    // A second seed is refused: the data is no longer empty.
    const again = await call('demo.seed', { projects: 1, deployments: 1 });
    expect(again).toMatchObject({ ok: false, error: { code: 'DEMO_NEEDS_EMPTY_DATA_DIR' } });
    const backup = await call('backups.create', { compact: false });
    expect(backup.ok, JSON.stringify(backup)).toBe(true);

    const value = async <T>(name: CommandName, input: unknown): Promise<T> => {
      const r = await call(name, input);
      if (!r.ok) throw new Error(`${name}: ${r.error.code} ${r.error.message}`);
      return r.value as T;
    };
    // A restored copy of that backup, drilled: the commands about copies and drills read it.
    const backupId = (await value<{ id: string }[]>('backups.list', {}))[0]!.id;
    const { restoreId } = await value<{ restoreId: string }>('restores.preflight', {
      source: { backupId },
    });
    const drill = await value<{ id: string; passed: boolean }>('restores.drill', { restoreId });
    expect(drill.passed).toBe(true);
    const project = (await value<{ items: { id: number }[] }>('projects.list', {})).items[0]!;
    const env = (await value<{ id: number }[]>('environments.list', { projectId: project.id }))[0]!;
    const deployment = (await value<{ items: { id: number }[] }>('deployments.list', {})).items[0]!;
    const runId = (await value<{ id: number }[]>('runs.list', {}))[0]!.id;

    const inputs: Partial<Record<CommandName, unknown>> = {
      'projects.get': { id: project.id },
      'environments.list': { projectId: project.id },
      'environments.get': { id: env.id },
      'snapshots.list': { environmentId: env.id },
      'deployments.get': { id: deployment.id },
      'runs.get': { id: runId },
      'resources.list': { environmentId: env.id },
      'backups.cancel': { opId: '00000000-0000-4000-8000-000000000000' },
      'backups.downloadLink': { id: backupId },
      'restores.compare': { restoreId },
      'restores.diff': { restoreId },
      'restores.secrets': { restoreId },
      'drills.get': { id: drill.id },
      'drills.export': { id: drill.id, format: 'markdown' },
      'secrets.list': { environmentId: env.id },
      'dialog.saveFile': { defaultName: 'backup.db' },
    };
    const failures: string[] = [];
    for (const name of new Set(READ_ONLY_COMMANDS)) {
      const r = await call(name, inputs[name] ?? {});
      // Native dialogs are the app's: the host's registry says so, and nothing else may refuse.
      const transportOnly =
        name.startsWith('dialog.') && !r.ok && r.error.code === 'UNSUPPORTED_HERE';
      if (!r.ok && !transportOnly) failures.push(`${name}: ${r.error.code} ${r.error.message}`);
    }
    expect(failures).toEqual([]);

    // The backups overview counts the changes made since the newest backup, in the live data of either backend.
    expect(await value('backups.overview', {})).toMatchObject({ changedSinceLastBackup: null });
    expect((await call('projects.create', { name: 'after-backup' })).ok).toBe(true);
    expect(await value('backups.overview', {})).toMatchObject({
      changedSinceLastBackup: { changes: 1 },
    });

    // What promoting the copy would change, against the live data of either backend: the new project is lost.
    expect(await value('restores.diff', { restoreId })).toMatchObject({
      items: [{ change: 'removed', kind: 'project', name: 'after-backup' }],
    });
    // The team's snapshot it compared with is gone once the diff is computed.
    expect(fs.readdirSync(path.join(rt.layout.restores, restoreId))).not.toContainEqual(
      expect.stringMatching(/^stateward-live-/),
    );

    // The comparison puts the live side (the team database in team mode) beside the copy.
    const compared = await value<{
      schemaVersion: { live: number | null; copy: number };
      tables: { table: string; live: number | null; copy: number }[];
      newestDeployment: { live: unknown; copy: unknown };
    }>('restores.compare', { restoreId });
    expect(compared.schemaVersion.live).toBe(compared.schemaVersion.copy);
    expect(compared.tables.find((t) => t.table === 'projects')).toEqual({
      table: 'projects',
      live: 3,
      copy: 2,
    });
    expect(compared.tables.find((t) => t.table === 'deployments')).toEqual({
      table: 'deployments',
      live: 30,
      copy: 30,
    });
    expect(compared.newestDeployment.live).toEqual(compared.newestDeployment.copy);

    // The counts app.status reports are the seeded ones on either backend.
    const status = await value<{ counts: Record<string, number>; empty: boolean }>(
      'app.status',
      {},
    );
    expect(status).toMatchObject({
      counts: { projects: 3, environments: 6, deployments: 30 },
      empty: false,
    });
  });
  it('every write command of the contract answers in order, none with INTERNAL or STORE_NOT_READY', async () => {
    const rt = await startTestRuntime(world, world.dir(), pg ? { databaseUrl: pg.url() } : {});
    const registry = testRegistry(rt);
    const refused: string[] = [];
    const seen = new Set<CommandName>();
    const call = async <T>(name: CommandName, input: unknown): Promise<T> => {
      seen.add(name);
      const r = await registry.dispatch(name, input as never);
      if (!r.ok) {
        refused.push(`${name}: ${r.error.code} ${r.error.message}`);
        return undefined as T;
      }
      return r.value as T;
    };
    const project = await call<{ id: number }>('projects.create', { name: 'writes' });
    await call('projects.update', { id: project.id, description: 'every write' });
    const env = await call<{ id: number }>('environments.create', {
      projectId: project.id,
      name: 'prod',
      kind: 'production',
    });
    const environmentId = env.id;
    await call('environments.update', { id: environmentId, description: 'live' });
    await call('snapshots.create', { environmentId, content: { image: 'app:1' } });
    const d = await call<{ id: number }>('deployments.create', { environmentId, version: '1.0' });
    await call('deployments.setStatus', { id: d.id, status: 'running' });
    await call('deployments.appendLog', { id: d.id, message: 'started' });
    await call('deployments.appendLogs', { id: d.id, lines: [{ message: 'healthy' }] });
    const run = await call<{ runId: number }>('deployments.runStart', {
      environmentId,
      version: '2.0',
      pid: process.pid,
      host: os.hostname(),
    });
    await call('deployments.runFinish', { runId: run.runId, status: 'succeeded' });
    await call('deployments.sweepInterrupted', {});
    const r = await call<{ id: number }>('runs.start', { kind: 'ci.tests' });
    await call('runs.finish', { id: r.id, status: 'succeeded' });
    await call('resources.set', { environmentId, resource: 'web', status: 'ok' });
    await call('backups.updateSettings', { onlyIfChanged: true });
    await call('automation.pause', { reason: 'every write' });
    await call('automation.resume', {});

    const passphrase = 'correct horse battery';
    const setup = await call<{ keyId: string }>('secrets.setup', { passphrase });
    const secret = await call<{ id: string }>('secrets.set', {
      environmentId,
      name: 'API_TOKEN',
      value: 'tok-1',
    });
    expect(await call('secrets.reveal', { id: secret.id })).toEqual({ value: 'tok-1' });
    await call('secrets.lock', {});
    await call('secrets.unlock', { passphrase });
    await call('secrets.acknowledgeRecoveryKey', { keyId: setup.keyId });
    const rotated = await call<{ keyId: string }>('secrets.rotate', { passphrase });
    await call('secrets.acknowledgeRecoveryKey', { keyId: rotated.keyId });
    await call('secrets.unset', { environmentId, name: 'API_TOKEN' });

    const entry = await call<{ id: string }>('backups.create', { compact: true });
    const staged = await call<{ restoreId: string }>('restores.preflight', {
      source: { backupId: entry.id },
    });
    await call('restores.drill', { restoreId: staged.restoreId });
    await call('restores.promote', { restoreId: staged.restoreId, confirm: true });
    const other = await call<{ restoreId: string }>('restores.preflight', {
      source: { backupId: entry.id },
    });
    // What a crash during a team-mode diff leaves in the copy's folder goes with the copy.
    const leftover = path.join(rt.layout.restores, other.restoreId, 'stateward-live-999999-aB3dE9');
    fs.mkdirSync(leftover, { mode: 0o700 });
    fs.writeFileSync(path.join(leftover, 'snapshot.sqlite'), 'x', { mode: 0o600 });
    await call('restores.discard', { restoreId: other.restoreId });
    expect(fs.readdirSync(rt.layout.restores).filter((n) => n.includes(other.restoreId))).toEqual(
      [],
    );
    expect(refused).toEqual([]);
    // The promoted state is the backup's: the project is there, written before it.
    expect(await call('projects.get', { id: project.id })).toMatchObject({ name: 'writes' });
    expect(seen.size).toBeGreaterThan(30);
  }, 120_000);
});
