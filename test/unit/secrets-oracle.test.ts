// Text that carries a secret's value is refused wherever it would be stored —
// configuration snapshots, deployment diagnostic summaries and log lines — with
// SECRET_VALUE_REFUSED that never names the secret, and every match is audited
// (guessing values through it leaves a trail). Nothing of it reaches the WAL.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditEntry, Deployment, Page } from '../../shared/domain.ts';
import type { AppErrorShape } from '../../shared/errors.ts';
import { call, callError } from '../helpers/restore-util.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import {
  fullRegistry,
  makeKeyFile,
  needlesFor,
  scanFiles,
  seedEnvs,
  useSecretsEnv,
} from '../helpers/secrets-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const env = useSecretsEnv();

const VALUE = 'postgres://shop:oracle-Pw-7731@db/shop';

async function seeded() {
  env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
  const rt = await startTestRuntime(world);
  readyDb(rt);
  const reg = fullRegistry(rt);
  const [prod, staging] = await seedEnvs(reg, 'shop', ['prod', 'staging']);
  await call(reg, 'secrets.setup', {});
  await call(reg, 'secrets.set', {
    environmentId: prod!.env.id,
    name: 'DATABASE_URL',
    value: VALUE,
  });
  const dep = await call<Deployment>(reg, 'deployments.create', {
    environmentId: staging!.env.id,
    version: '1.0.0',
  });
  return { rt, reg, prod: prod!, staging: staging!, dep };
}

const refusals = async (reg: ReturnType<typeof fullRegistry>) =>
  (await call<Page<AuditEntry>>(reg, 'audit.list', { action: 'secret.value_refused' })).items;

describe('a secret value in text about to be stored', () => {
  it('is refused in a snapshot, a diagnostic summary and a log line; each match audited; the secret never named', async () => {
    const s = await seeded();
    const attempts: [string, Record<string, unknown>, string][] = [
      ['snapshots.create', { environmentId: s.staging.env.id, content: { db: VALUE } }, 'content'],
      [
        'deployments.create',
        {
          environmentId: s.staging.env.id,
          version: '1.0.1',
          diagnosticSummary: `failed: ${VALUE}`,
        },
        'diagnosticSummary',
      ],
      [
        'deployments.setStatus',
        { id: s.dep.id, status: 'failed', diagnosticSummary: `could not reach ${VALUE}` },
        'diagnosticSummary',
      ],
      ['deployments.appendLog', { id: s.dep.id, message: `connecting to ${VALUE}` }, 'message'],
    ];
    for (const [command, input, field] of attempts) {
      const err = (await callError(s.reg, command as 'snapshots.create', input)) as AppErrorShape;
      expect(err.code, command).toBe('SECRET_VALUE_REFUSED');
      expect(err.details, command).toEqual({ field });
      expect(JSON.stringify(err), command).not.toContain('DATABASE_URL');
      expect(JSON.stringify(err), command).not.toContain('oracle-Pw');
    }
    // Every match audited, naming neither the secret nor the value.
    const audited = await refusals(s.reg);
    expect(audited.map((a) => a.detail)).toEqual(
      expect.arrayContaining(attempts.map(([, , field]) => ({ field }))),
    );
    expect(audited).toHaveLength(attempts.length);
    expect(JSON.stringify(audited)).not.toContain('DATABASE_URL');

    // Nothing was stored: the deployment is as it was, no log line, and no trace in the files.
    const dep = await call<Deployment>(s.reg, 'deployments.get', { id: s.dep.id });
    expect(dep.status).toBe(s.dep.status);
    const files = ['stateward.db', 'stateward.db-wal']
      .map((f) => path.join(s.rt.layout.dir, f))
      .filter((f) => fs.existsSync(f));
    expect(scanFiles(files, needlesFor('value', VALUE))).toEqual([]);
  });

  it('text without a value still goes through, and a wrong guess is not audited', async () => {
    const s = await seeded();
    await call(s.reg, 'deployments.appendLog', { id: s.dep.id, message: 'connecting to db' });
    await call(s.reg, 'deployments.setStatus', { id: s.dep.id, status: 'running' });
    await call(s.reg, 'deployments.setStatus', {
      id: s.dep.id,
      status: 'failed',
      diagnosticSummary: 'DATABASE_URL was rejected',
    });
    await call(s.reg, 'snapshots.create', {
      environmentId: s.prod.env.id,
      content: { db: 'postgres://shop:wrong-guess@db/shop' },
    });
    expect(await refusals(s.reg)).toEqual([]);
  });
});
