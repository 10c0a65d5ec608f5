// A removed or replaced secret leaves nothing behind: after `unset`, a new value
// or a key rotation, the old iv, tag and ciphertext are in neither the database
// file, its -wal, nor the next backup (with the key file they would decrypt).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../electron/core/runtime.ts';
import {
  allFiles,
  fullRegistry,
  makeKeyFile,
  scanFiles,
  seedEnvs,
  useSecretsEnv,
} from '../helpers/secrets-util.ts';
import type { Needle } from '../helpers/secrets-util.ts';
import { call } from '../helpers/restore-util.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';
import type { SecretEntry } from '../../shared/domain.ts';
import { cliWithStdin } from '../helpers/secrets-util.ts';

const world = useWorld();
const env = useSecretsEnv();

/** The stored iv, tag and ciphertext of a secret, as needles (raw bytes only: that is how pages hold them). */
function sealedNeedles(rt: Runtime, id: string): Needle[] {
  const row = readyDb(rt)
    .prepare('SELECT iv, tag, ciphertext FROM secrets WHERE id = ?')
    .get(id) as {
    iv: Buffer;
    tag: Buffer;
    ciphertext: Buffer;
  };
  return (['iv', 'tag', 'ciphertext'] as const).map((k) => ({
    label: `${id} ${k}`,
    bytes: row[k],
  }));
}

/** The live database files and every backup file. */
function filesOf(rt: Runtime): string[] {
  const { dir } = rt.layout;
  return [
    ...['stateward.db', 'stateward.db-wal']
      .map((f) => path.join(dir, f))
      .filter((f) => fs.existsSync(f)),
    ...allFiles([path.join(dir, 'backups')]),
  ];
}

async function machine() {
  env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
  const rt = await startTestRuntime(world);
  const reg = fullRegistry(rt);
  const [e] = await seedEnvs(reg, 'shop', ['prod']);
  await call(reg, 'secrets.setup', {});
  const set = (name: string, value: string) =>
    call<SecretEntry>(reg, 'secrets.set', { environmentId: e!.env.id, name, value });
  return { rt, reg, env: e!, set };
}

// Long enough to sit on an overflow page as well as in a cell.
const BIG = `-----BEGIN KEY-----${'Q'.repeat(6000)}-----END KEY-----`;

describe('old ciphertext is scrubbed', () => {
  it('after unset: not in the database, its WAL, nor the next backup', async () => {
    const m = await machine();
    const small = await m.set('DATABASE_URL', 'postgres://shop:scrub-Pw-1@db/shop');
    const big = await m.set('TLS_KEY', BIG);
    const keep = await m.set('KEEP', 'still-here-0001');
    const gone = [...sealedNeedles(m.rt, small.id), ...sealedNeedles(m.rt, big.id)];
    // Some of it reached the database file already (as an automatic checkpoint would do).
    readyDb(m.rt).pragma('wal_checkpoint(PASSIVE)');
    await call(m.reg, 'backups.create', {});
    const before = new Set(allFiles([path.join(m.rt.layout.dir, 'backups')]));
    expect(scanFiles([path.join(m.rt.layout.dir, 'stateward.db')], gone).length).toBeGreaterThan(0);

    await call(m.reg, 'secrets.unset', { environmentId: m.env.env.id, name: 'DATABASE_URL' });
    await call(m.reg, 'secrets.unset', { environmentId: m.env.env.id, name: 'TLS_KEY' });
    await call(m.reg, 'backups.create', {});
    const files = filesOf(m.rt).filter((f) => !before.has(f));
    expect(files.some((f) => f.endsWith('.sqlite'))).toBe(true);
    expect(scanFiles(files, gone)).toEqual([]);
    // The secret that stays is intact.
    expect((await call<{ value: string }>(m.reg, 'secrets.reveal', { id: keep.id })).value).toBe(
      'still-here-0001',
    );
  });

  it('after a new value and after a rotation: the old ciphertexts are gone too', async () => {
    const m = await machine();
    const a = await m.set('API_TOKEN', 'tok-scrub-old-0001');
    const b = await m.set('TLS_KEY', BIG);
    const first = sealedNeedles(m.rt, a.id);
    readyDb(m.rt).pragma('wal_checkpoint(PASSIVE)');
    await m.set('API_TOKEN', 'tok-scrub-new-0002');
    expect(scanFiles(filesOf(m.rt), first)).toEqual([]);

    const beforeRotation = [...sealedNeedles(m.rt, a.id), ...sealedNeedles(m.rt, b.id)];
    readyDb(m.rt).pragma('wal_checkpoint(PASSIVE)');
    await call(m.reg, 'secrets.rotate', {});
    await call(m.reg, 'backups.create', {});
    expect(scanFiles(filesOf(m.rt), beforeRotation)).toEqual([]);
    expect((await call<{ value: string }>(m.reg, 'secrets.reveal', { id: b.id })).value).toBe(BIG);
  });

  it('the CLI unset scrubs as well', async () => {
    const m = await machine();
    const s = await m.set('DATABASE_URL', 'postgres://shop:scrub-cli@db/shop');
    const gone = sealedNeedles(m.rt, s.id);
    const dir = m.rt.layout.dir;
    m.rt.close();
    const r = await cliWithStdin([
      '--data-dir',
      dir,
      'secret',
      'unset',
      'shop/prod',
      'DATABASE_URL',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(
      scanFiles(
        [path.join(dir, 'stateward.db'), path.join(dir, 'stateward.db-wal')].filter((f) =>
          fs.existsSync(f),
        ),
        gone,
      ),
    ).toEqual([]);
  });
});
