// The team database's password remembered with the OS keychain (core/pg/password.ts),
// with a fake KeyWrapper: stored wrapped (0600 in a 0700 keys/), never in plain text;
// read back only for the same server, database and user, only with a real keychain
// that unwraps it, and only when libpq's ways (PGPASSWORD, the password file) give none.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../electron/core/pg/connect.ts';
import {
  forgetPgPassword,
  pgPasswordPath,
  readPgPassword,
  storeWrappedPgPassword,
  withRememberedPassword,
  wrapPgPassword,
} from '../../electron/core/pg/password.ts';
import { strongKeychain, weakKeychain } from '../helpers/secrets-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const target = parseDatabaseUrl('postgres://ann@db.example.org:5432/team?schema=ops');
const PASSWORD = 'correct horse battery staple';

describe('the remembered PostgreSQL password', () => {
  it('is stored wrapped (0600, keys/ 0700) and read back for the same target with the same keychain only', async () => {
    const keys = path.join(world.dir(), 'keys');
    const kc = strongKeychain();
    storeWrappedPgPassword(keys, await wrapPgPassword(kc, target, PASSWORD));
    const file = pgPasswordPath(keys);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(keys).mode & 0o777).toBe(0o700);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(Buffer.from(PASSWORD).toString('base64'));

    expect(await readPgPassword(keys, kc, target)).toBe(PASSWORD);
    // Another server, database or user never gets it; nor does another keychain or a weak one.
    for (const other of [
      { ...target, host: 'elsewhere.example.org' },
      { ...target, port: 5433 },
      { ...target, database: 'other' },
      { ...target, user: 'bob' },
    ])
      expect(await readPgPassword(keys, kc, other)).toBeNull();
    expect(await readPgPassword(keys, strongKeychain(), target)).toBeNull();
    expect(await readPgPassword(keys, weakKeychain(), target)).toBeNull();
    expect(await readPgPassword(keys, null, target)).toBeNull();

    expect(forgetPgPassword(keys)).toBe(true);
    expect(await readPgPassword(keys, kc, target)).toBeNull();
    expect(forgetPgPassword(keys)).toBe(false);
  });

  it('without a real keychain nothing is wrapped: BAD_INPUT on rememberPassword', async () => {
    for (const kc of [null, weakKeychain()])
      await expect(wrapPgPassword(kc, target, PASSWORD)).rejects.toMatchObject({
        code: 'BAD_INPUT',
        details: { field: 'rememberPassword' },
      });
  });

  it('is used only when the URL, PGPASSWORD and the password file give none', async () => {
    const dir = world.dir();
    const keys = path.join(dir, 'keys');
    const kc = strongKeychain();
    storeWrappedPgPassword(keys, await wrapPgPassword(kc, target, PASSWORD));
    const noFile = { PGPASSFILE: path.join(dir, 'none') };
    expect((await withRememberedPassword(keys, kc, target, noFile)).password).toBe(PASSWORD);
    expect((await withRememberedPassword(keys, null, target, noFile)).password).toBeNull();
    expect(
      (await withRememberedPassword(keys, kc, { ...target, password: 'typed' }, noFile)).password,
    ).toBe('typed');
    expect(
      (await withRememberedPassword(keys, kc, target, { ...noFile, PGPASSWORD: 'env' })).password,
    ).toBeNull();
    const pgpass = path.join(dir, 'pgpass');
    fs.writeFileSync(pgpass, 'db.example.org:5432:team:ann:from-file\n', { mode: 0o600 });
    expect(
      (await withRememberedPassword(keys, kc, target, { PGPASSFILE: pgpass })).password,
    ).toBeNull();
  });
});
