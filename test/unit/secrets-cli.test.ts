// `stateward secret …` and `stateward key …`: values come from stdin (never
// argv), the recovery key is shown once, rotation needs the data dir to itself,
// and a recovery key on stdin makes a restored copy's references resolve.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeRecoveryKey, keyIdOf } from '../../electron/core/secrets/crypto.ts';
import { keyringPath } from '../../electron/core/secrets/keyring.ts';
import type { SecretEntry, SecretResolution, SecretsStatus } from '../../shared/domain.ts';
import { HELPERS_DIR } from '../helpers/child.ts';
import { call } from '../helpers/restore-util.ts';
import { spawnNode } from '../helpers/restore-util.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import {
  cliOnDir,
  fullRegistry,
  makeKeyFile,
  RECOVERY_KEY_RE,
  shopDataDir,
  useSecretsEnv,
} from '../helpers/secrets-util.ts';
import type { CliResult } from '../helpers/secrets-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const env = useSecretsEnv();

/** A closed data dir holding project "shop" with environments prod and staging. */
const dataDir = () => shopDataDir(world, ['prod', 'staging']);
const sw = cliOnDir;

function json(r: CliResult): Record<string, unknown> {
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  expect(lines, r.stdout).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

const outputOf = (r: CliResult) => `${r.stdout}\n${r.stderr}`;

interface ListJson {
  secrets: (SecretEntry & { environment: string })[];
}

describe('secret set', () => {
  it('reads the value from stdin; the first time prints the recovery key on stderr, never the value', async () => {
    const dir = await dataDir();
    env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
    const value = 'postgres://shop:cli-Pw-5531@db/shop';
    const r = await sw(dir, ['secret', 'set', 'shop/prod', 'DATABASE_URL'], `${value}\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^Stored DATABASE_URL in shop\/prod \(reference sec_[0-9a-f]{20}\)\.\n$/,
    );
    const rk = RECOVERY_KEY_RE.exec(r.stderr)?.[0];
    expect(rk, r.stderr).toBeDefined();
    expect(r.stdout).not.toMatch(RECOVERY_KEY_RE);
    expect(outputOf(r)).not.toContain(value);
    expect(outputOf(r)).not.toContain('cli-Pw-5531');

    // The recovery key is the active data key; it is shown again until `key ack`, then no more.
    const st = json(await sw(dir, ['--json', 'key', 'status'])) as unknown as SecretsStatus;
    expect(st.activeKeyId).toBe(keyIdOf(decodeRecoveryKey(rk!)!));
    expect(st.recoveryPending).toEqual([st.activeKeyId]);
    const again = await sw(dir, ['secret', 'set', 'shop/prod', 'API_KEY'], 'sk_live_cli_0041');
    expect(again.code, again.stderr).toBe(0);
    expect(RECOVERY_KEY_RE.exec(again.stderr)?.[0]).toBe(rk);
    expect(again.stderr).toContain(`stateward key ack ${st.activeKeyId}`);
    const ack = await sw(dir, ['key', 'ack', st.activeKeyId!]);
    expect(ack.code, ack.stderr).toBe(0);
    const second = await sw(dir, ['secret', 'set', 'shop/prod', 'API_KEY'], 'sk_live_cli_0042');
    expect(second.code, second.stderr).toBe(0);
    expect(outputOf(second)).not.toMatch(/SWRK|recovery key/i);
    expect(outputOf(second)).not.toContain('sk_live_cli_0042');
    const acked = json(await sw(dir, ['--json', 'key', 'status'])) as unknown as SecretsStatus;
    expect(acked.recoveryPending).toEqual([]);

    // Stored exactly (one trailing newline dropped), readable by the app with the same key file.
    const rt = await startTestRuntime(world, dir);
    const reg = fullRegistry(rt);
    const list = await call<SecretEntry[]>(reg, 'secrets.list', { environmentId: 1 });
    expect(list.map((s) => [s.name, s.resolves])).toEqual([
      ['API_KEY', true],
      ['DATABASE_URL', true],
    ]);
    const db = list.find((s) => s.name === 'DATABASE_URL')!;
    expect((await call<{ value: string }>(reg, 'secrets.reveal', { id: db.id })).value).toBe(value);
  });

  it('--json: the first time the recovery key is in the JSON and on stderr; the value in neither', async () => {
    const dir = await dataDir();
    env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
    const r = await sw(
      dir,
      ['--json', 'secret', 'set', 'shop/staging', 'TOKEN'],
      'tok-json-7781\n',
    );
    expect(r.code, r.stderr).toBe(0);
    const out = json(r) as { secret: SecretEntry; recoveryKey: string };
    expect(out.recoveryKey).toMatch(new RegExp(`^${RECOVERY_KEY_RE.source}$`));
    expect(r.stderr).toContain(out.recoveryKey);
    expect(out.secret).toMatchObject({ name: 'TOKEN', resolves: true });
    expect(outputOf(r)).not.toContain('tok-json-7781');
    const keyId = keyIdOf(decodeRecoveryKey(out.recoveryKey)!);
    expect((await sw(dir, ['key', 'ack', keyId])).code).toBe(0);
    const again = await sw(dir, ['--json', 'secret', 'set', 'shop/staging', 'TOKEN'], 'tok-json-2');
    expect(again.code).toBe(0);
    expect(json(again)).not.toHaveProperty('recoveryKey');
    expect((json(again) as { secret: SecretEntry }).secret.id).toBe(out.secret.id);
  });

  it('argv never carries the value: `secret set proj/env NAME value` → exit 2, nothing stored', async () => {
    const dir = await dataDir();
    env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
    const value = 'argv-value-Qm19';
    for (const args of [
      ['secret', 'set', 'shop/prod', 'DATABASE_URL', value],
      ['--json', 'secret', 'set', 'shop/prod', 'DATABASE_URL', value],
      ['secret', 'set', 'shop/prod', 'DATABASE_URL', '--', value],
      ['secret', 'set', 'shop/prod', 'DATABASE_URL', `--value=${value}`],
      ['secret', 'unset', 'shop/prod', 'DATABASE_URL', value],
    ]) {
      const r = await sw(dir, args, 'from-stdin-ignored');
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(outputOf(r)).not.toContain(value);
    }
    expect(fs.existsSync(keyringPath(path.join(dir, 'keys')))).toBe(false);
    const list = json(await sw(dir, ['--json', 'secret', 'list'])) as unknown as ListJson;
    expect(list.secrets).toEqual([]);
  });

  it('an unknown environment, a malformed target, a bad name or an empty value → exit 2', async () => {
    const dir = await dataDir();
    env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
    for (const [args, code] of [
      [['secret', 'set', 'shop/nope', 'TOKEN'], 'NOT_FOUND'],
      [['secret', 'set', 'nope/prod', 'TOKEN'], 'NOT_FOUND'],
      [['secret', 'set', 'shopprod', 'TOKEN'], 'BAD_INPUT'],
      [['secret', 'set', 'shop/prod/x', 'TOKEN'], 'BAD_INPUT'],
      [['secret', 'set', 'shop/prod', 'bad name'], 'BAD_INPUT'],
      [['secret', 'set', 'shop/prod', '9TOKEN'], 'BAD_INPUT'],
      [['secret', 'set', 'shop/prod'], 'BAD_INPUT'],
      [['secret', 'frob', 'shop/prod', 'TOKEN'], 'BAD_INPUT'],
    ] as [string[], string][]) {
      const r = await sw(dir, ['--json', ...args], 'value-for-bad-input-1');
      expect(r.code, args.join(' ')).toBe(2);
      expect((json(r) as { error: { code: string } }).error.code, args.join(' ')).toBe(code);
      expect(outputOf(r)).not.toContain('value-for-bad-input-1');
    }
    const empty = await sw(dir, ['secret', 'set', 'shop/prod', 'TOKEN'], '\n');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/empty/);
    const tooLong = await sw(dir, ['secret', 'set', 'shop/prod', 'TOKEN'], 'L'.repeat(65537));
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).not.toContain('LLLLLLLL');
  });

  it('the recovery key is shown even when the first value is refused (empty)', async () => {
    const dir = await dataDir();
    env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
    // cli/main.ts secretCommand sets up the key before reading the value, and prints the
    // recovery key only after the value is stored: a refused first value loses it for good.
    const empty = await sw(dir, ['secret', 'set', 'shop/prod', 'TOKEN'], '');
    expect(empty.code).toBe(2);
    const ok = await sw(dir, ['secret', 'set', 'shop/prod', 'TOKEN'], 'second-try-value');
    expect(ok.code, ok.stderr).toBe(0);
    const shown = RECOVERY_KEY_RE.exec(outputOf(empty) + outputOf(ok))?.[0];
    expect(shown, 'no recovery key was ever printed').toBeDefined();
    const st = json(await sw(dir, ['--json', 'key', 'status'])) as unknown as SecretsStatus;
    expect(keyIdOf(decodeRecoveryKey(shown!)!)).toBe(st.activeKeyId);
  });
});

describe('secret list, secret unset, key status', () => {
  it('list shows names and references (resolving or not), never values; key status reports the key', async () => {
    const dir = await dataDir();
    const keyFile = makeKeyFile(world.dir());
    env.set('STATEWARD_KEY_FILE', keyFile);

    const none = await sw(dir, ['key', 'status']);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/No data key yet/);
    expect(json(await sw(dir, ['--json', 'key', 'status']))).toMatchObject({
      initialized: false,
      unlocked: false,
      secretCount: 0,
    });

    const values = ['list-value-aa11', 'list-value-bb22', 'list-value-cc33'];
    expect((await sw(dir, ['secret', 'set', 'shop/prod', 'A_ONE'], values[0])).code).toBe(0);
    expect((await sw(dir, ['secret', 'set', 'shop/prod', 'B_TWO'], values[1])).code).toBe(0);
    expect((await sw(dir, ['secret', 'set', 'shop/staging', 'C_THREE'], values[2])).code).toBe(0);

    const text = await sw(dir, ['secret', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^shop\/prod {2}A_ONE {2}sec_[0-9a-f]{20} {2}resolves$/),
      expect.stringMatching(/^shop\/prod {2}B_TWO {2}sec_[0-9a-f]{20} {2}resolves$/),
      expect.stringMatching(/^shop\/staging {2}C_THREE {2}sec_[0-9a-f]{20} {2}resolves$/),
    ]);
    const one = json(
      await sw(dir, ['--json', 'secret', 'list', 'shop/prod']),
    ) as unknown as ListJson;
    expect(one.secrets.map((s) => [s.environment, s.name, s.resolves])).toEqual([
      ['shop/prod', 'A_ONE', true],
      ['shop/prod', 'B_TWO', true],
    ]);
    for (const v of values) {
      expect(text.stdout + text.stderr).not.toContain(v);
      expect(JSON.stringify(one)).not.toContain(v);
    }

    const st = json(await sw(dir, ['--json', 'key', 'status'])) as unknown as SecretsStatus;
    expect(st).toMatchObject({
      initialized: true,
      unlocked: true,
      providers: ['keyfile'],
      keyFileConfigured: true,
      secretCount: 3,
    });
    expect(st.activeKeyId).toMatch(/^[0-9a-f]{16}$/);
    const stText = await sw(dir, ['key', 'status']);
    expect(stText.stdout).toBe(
      `Data key ${st.activeKeyId}: unlocked; protected by keyfile; 3 secret(s).\n`,
    );

    // Without the key file nothing resolves here, and the list says so (no prompt, no failure).
    env.set('STATEWARD_KEY_FILE', undefined);
    const locked = await sw(dir, ['secret', 'list']);
    expect(locked.code, locked.stderr).toBe(0);
    // The key is in this data dir's keyring, only locked: it says so (locked is not missing).
    expect(locked.stdout).toMatch(/A_ONE .*locked here: its key is on this machine/);
    expect(
      (json(await sw(dir, ['--json', 'key', 'status'])) as unknown as SecretsStatus).unlocked,
    ).toBe(false);

    env.set('STATEWARD_KEY_FILE', keyFile);
    const unset = await sw(dir, ['secret', 'unset', 'shop/prod', 'B_TWO']);
    expect(unset.code, unset.stderr).toBe(0);
    expect(unset.stdout).toBe('Removed B_TWO from shop/prod.\n');
    expect((await sw(dir, ['secret', 'unset', 'shop/prod', 'B_TWO'])).code).toBe(2);
    const after = json(await sw(dir, ['--json', 'secret', 'list'])) as unknown as ListJson;
    expect(after.secrets.map((s) => s.name)).toEqual(['A_ONE', 'C_THREE']);
  });
});

describe('key rotate', () => {
  it('needs the data dir to itself: refused (exit 3) while the HTTP host holds it, then rotates', async () => {
    const dir = await dataDir();
    const keyFile = makeKeyFile(world.dir());
    env.set('STATEWARD_KEY_FILE', keyFile);
    const first = await sw(dir, ['secret', 'set', 'shop/prod', 'TOKEN'], 'rotate-me-value-1');
    expect(first.code).toBe(0);
    const oldKey = RECOVERY_KEY_RE.exec(first.stderr)![0];
    expect((await sw(dir, ['key', 'ack', keyIdOf(decodeRecoveryKey(oldKey)!)])).code).toBe(0);
    const ring = keyringPath(path.join(dir, 'keys'));
    const before = crypto.createHash('sha256').update(fs.readFileSync(ring)).digest('hex');

    const staticDir = world.dir();
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html>');
    const host = spawnNode(world, [path.join(HELPERS_DIR, 'host-child.ts'), dir, staticDir], {
      STATEWARD_KEY_FILE: keyFile,
    });
    await host.waitLine((l) => l.startsWith('{'));

    const refused = await sw(dir, ['--json', 'key', 'rotate']);
    expect(refused.code, refused.stderr).toBe(3);
    expect((json(refused) as { error: { code: string } }).error.code).toBe('DATA_DIR_LOCKED');
    expect(crypto.createHash('sha256').update(fs.readFileSync(ring)).digest('hex')).toBe(before);
    await host.kill();

    const r = await sw(dir, ['key', 'rotate']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Rotated to data key [0-9a-f]{16}; re-encrypted 1 secret\(s\)\.\n$/);
    const newKey = RECOVERY_KEY_RE.exec(r.stderr)?.[0];
    expect(newKey).toBeDefined();
    expect(newKey).not.toBe(oldKey);
    const list = json(await sw(dir, ['--json', 'secret', 'list'])) as unknown as ListJson;
    expect(list.secrets.map((s) => [s.name, s.resolves, s.keyId])).toEqual([
      ['TOKEN', true, keyIdOf(decodeRecoveryKey(newKey!)!)],
    ]);
    expect(outputOf(r)).not.toContain('rotate-me-value-1');
  });
});

describe('key recovery', () => {
  it('with the recovery key on stdin, a second data dir holding a restored copy resolves its references', async () => {
    // Machine A: two secrets set with the CLI, then a backup.
    const dirA = await dataDir();
    env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir(), 'a.key'));
    const setA = await sw(dirA, ['secret', 'set', 'shop/prod', 'DATABASE_URL'], 'recover-me-db-1');
    const rk = RECOVERY_KEY_RE.exec(setA.stderr)![0];
    expect(
      (await sw(dirA, ['secret', 'set', 'shop/staging', 'TOKEN'], 'recover-me-tok-2')).code,
    ).toBe(0);
    const backup = json(await sw(dirA, ['--json', 'backup'])) as { path: string };

    // Machine B: its own data dir and its own key (another key file); restore A's backup and make it live.
    env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir(), 'b.key'));
    const dirB = world.dir();
    const rtB = await startTestRuntime(world, dirB);
    const regB = fullRegistry(rtB);
    const ownB = await call<{ keyId: string }>(regB, 'secrets.setup', {});
    rtB.close();
    const restored = await sw(dirB, ['--json', 'restore', backup.path]);
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    const { restoreId } = json(restored) as { restoreId: string };
    const promoted = await sw(dirB, ['promote', restoreId, '--yes']);
    expect(promoted.code, promoted.stderr).toBe(0);

    const before = json(await sw(dirB, ['--json', 'secret', 'list'])) as unknown as ListJson;
    expect(before.secrets.map((s) => [s.environment, s.name, s.resolves])).toEqual([
      ['shop/prod', 'DATABASE_URL', false],
      ['shop/staging', 'TOKEN', false],
    ]);

    const wrong = await sw(dirB, ['--json', 'key', 'recovery'], 'SWRK-AAAA-BBBB\n');
    expect(wrong.code).toBe(2);
    expect((json(wrong) as { error: { code: string } }).error.code).toBe(
      'SECRETS_RECOVERY_KEY_INVALID',
    );

    const r = await sw(dirB, ['--json', 'key', 'recovery'], `${rk}\n`);
    expect(r.code, r.stderr).toBe(0);
    const out = json(r) as { keyId: string; saved: boolean; resolution: SecretResolution };
    expect(out.saved).toBe(true);
    expect(out.keyId).toBe(keyIdOf(decodeRecoveryKey(rk)!));
    expect(out.resolution).toMatchObject({
      total: 2,
      resolved: 2,
      unresolved: [],
      tampered: [],
      keyState: 'unlocked',
    });
    expect(outputOf(r)).not.toContain('recover-me');

    // Kept: a later run (same key file) resolves them, and B's own key is still the active one.
    const after = json(await sw(dirB, ['--json', 'secret', 'list'])) as unknown as ListJson;
    expect(after.secrets.map((s) => s.resolves)).toEqual([true, true]);
    const st = json(await sw(dirB, ['--json', 'key', 'status'])) as unknown as SecretsStatus;
    expect(st.activeKeyId).toBe(ownB.keyId);
    const text = await sw(dirB, ['key', 'recovery'], rk);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/2 of 2 secret reference\(s\) resolve/);
  });
});
