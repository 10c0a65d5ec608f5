// NOTHING LEAKS: distinctive secret values go through every operation — backups
// (full, compact, off-site), verify and drills, restore to a copy and its
// preview, promote, report exports, the CLI, refused input, a failing backup,
// a second machine — and then every file of every data dir, every command
// result and error, and all CLI output are searched for each value in plain
// text, JSON-escaped, UTF-16, hex and base64 at every alignment.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../electron/core/runtime.ts';
import { decodeRecoveryKey } from '../../electron/core/secrets/crypto.ts';
import type { CommandRegistry } from '../../electron/handlers/registry.ts';
import type { CommandName } from '../../shared/contract.ts';
import type {
  BackupEntry,
  DrillReport,
  DrillSummary,
  PreflightReport,
  SecretEntry,
} from '../../shared/domain.ts';
import { isAppError } from '../../shared/errors.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import {
  allFiles,
  cliWithStdin,
  fullRegistry,
  makeKeyFile,
  needlesFor,
  scanFiles,
  scanTexts,
  seedEnvs,
  useSecretsEnv,
} from '../helpers/secrets-util.ts';
import type { Needle, SeededEnv } from '../helpers/secrets-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const env = useSecretsEnv();

const PASS = 'leak-test passphrase Vv83';

/** A PEM-like value of ~16 KiB of random base64 in 64-character lines. */
function longValue(): string {
  const body = crypto.randomBytes(12_000).toString('base64');
  const lines = body.match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN LEAKCANARY PRIVATE KEY-----\n${lines}\n-----END LEAKCANARY PRIVATE KEY-----`;
}

const STORED: Record<string, string> = {
  DATABASE_URL: 'postgres://admin:Zq7-LEAKCANARY-db-9f3b@db.internal:5432/prod',
  UNICODE_PASSWORD: 'пароль-LEAKCANARY-秘密の鍵-🔑-ßeta-Ω',
  TLS_KEY: longValue(),
  QUOTED: 'he said "LEAKCANARY quoted" \\ back\\slash\ttab\nnewline',
  STAGING_API_KEY: 'sk_live_LEAKCANARY_staging_51HxQ2',
};
const CLI_TOKEN = 'cli-piped-LEAKCANARY-token-8c1d';
const CLI_TOKEN_2 = 'cli-json-LEAKCANARY-token-2e7a';
/** Refused values: they were never stored, so they must be nowhere either. */
const NEVER: Record<string, string> = {
  TOO_LONG: `toolong-LEAKCANARY-${crypto.randomBytes(49_200).toString('base64')}`,
  BAD_NAME_VALUE: 'badname-LEAKCANARY-value-77x',
  ARGV_VALUE: 'argv-LEAKCANARY-value-31q',
  CLI_TOO_LONG: `clitoolong-LEAKCANARY-${crypto.randomBytes(49_200).toString('base64')}`,
};

interface Machine {
  rt: Runtime;
  reg: CommandRegistry;
}

describe('the leak scanner', () => {
  it('finds a value in every encoding it looks for (so the leak test can fail)', () => {
    const dir = world.dir();
    const v = STORED.QUOTED!;
    const u = STORED.UNICODE_PASSWORD!;
    const files: Record<string, Buffer | string> = {
      'plain.txt': `xx${u}yy`,
      'b64-offset0.txt': Buffer.from(u).toString('base64'),
      'b64-offset1.txt': `data:${Buffer.concat([Buffer.from('Q'), Buffer.from(u)]).toString('base64')}`,
      'b64url-offset2.txt': Buffer.concat([Buffer.from('QQ'), Buffer.from(u)]).toString(
        'base64url',
      ),
      'hex.txt': Buffer.from(u).toString('hex').toUpperCase(),
      'utf16.bin': Buffer.from(`..${u}..`, 'utf16le'),
      'escaped.json': JSON.stringify({ v }),
      'ascii.json': JSON.stringify({ v: u }).replace(
        /[^\x20-\x7e]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      ),
      'sub/deep/.hidden-wal': Buffer.concat([
        crypto.randomBytes(100),
        Buffer.from(u),
        crypto.randomBytes(100),
      ]),
      'truncated.log': `ERROR ${STORED.TLS_KEY!.slice(0, 80)}…`,
      'clean.txt': 'nothing to see here',
    };
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), content);
    }
    const needles = [
      ...needlesFor('QUOTED', v),
      ...needlesFor('UNICODE', u),
      ...needlesFor('TLS_KEY', STORED.TLS_KEY!),
    ];
    const hits = scanFiles([dir], needles);
    const found = new Set(hits.map((h) => path.relative(dir, h.where)));
    expect([...found].sort()).toEqual(
      Object.keys(files)
        .filter((f) => f !== 'clean.txt')
        .sort(),
    );
    expect(hits.find((h) => h.where.endsWith('b64-offset1.txt'))!.needle).toMatch(/base64@[12]/);
    expect(hits.find((h) => h.where.endsWith('escaped.json'))!.needle).toBe('QUOTED json');
    expect(scanTexts([{ where: 'out', text: `{"x":${JSON.stringify(v)}}` }], needles)).toHaveLength(
      1,
    );
  });
});

describe('nothing leaks', () => {
  it('no secret value (nor key, passphrase or key file) is in any file, result, error or CLI output', async () => {
    const texts: { where: string; text: string }[] = [];
    const record = (where: string, value: unknown) =>
      texts.push({ where, text: typeof value === 'string' ? value : JSON.stringify(value) });

    /** Dispatch, record the result or the error, and return the value (throw on failure unless allowed). */
    async function run<T>(
      m: Machine,
      name: CommandName,
      input: unknown,
      opts: { fails?: boolean; secretResult?: boolean } = {},
    ): Promise<T> {
      const r = await m.reg.dispatch(name, input);
      if (!opts.secretResult) record(`${name} ${JSON.stringify(input).slice(0, 80)}`, r);
      if (opts.fails) {
        expect(r.ok, `${name} should fail`).toBe(false);
        return undefined as T;
      }
      if (!r.ok) throw new Error(`${name} failed: ${JSON.stringify(r.error)}`);
      return r.value as T;
    }
    async function sw(dir: string, args: string[], stdin = '') {
      const r = await cliWithStdin(['--data-dir', dir, ...args], stdin);
      record(`cli ${args.join(' ')} (exit ${r.code}) stdout`, r.stdout);
      record(`cli ${args.join(' ')} stderr`, r.stderr);
      return r;
    }

    // ---- Machine A: passphrase and key file.
    const keyFileA = makeKeyFile(world.dir(), 'a.key');
    env.set('STATEWARD_KEY_FILE', keyFileA);
    const dirA = world.dir();
    const offsite = world.dir();
    const a: Machine = await (async () => {
      const rt = await startTestRuntime(world, dirA);
      readyDb(rt);
      return { rt, reg: fullRegistry(rt) };
    })();
    const setup = await run<{ recoveryKey: string }>(a, 'secrets.setup', { passphrase: PASS });
    const [prod, staging] = (await seedEnvs(a.reg, 'shop', ['prod', 'staging'])) as [
      SeededEnv,
      SeededEnv,
    ];
    const ids: string[] = [];
    for (const [name, value] of Object.entries(STORED)) {
      const e = name === 'STAGING_API_KEY' ? staging : prod;
      ids.push(
        (await run<SecretEntry>(a, 'secrets.set', { environmentId: e.env.id, name, value })).id,
      );
    }
    for (const id of ids) await run(a, 'secrets.reveal', { id }, { secretResult: true });
    await run(a, 'secrets.list', { environmentId: prod.env.id });
    await run(a, 'secrets.status', {});
    await run(a, 'snapshots.create', {
      environmentId: prod.env.id,
      content: { db: { $secret: 'DATABASE_URL' }, tls: { $secret: 'TLS_KEY' } },
    });
    for (const content of [
      { db: STORED.DATABASE_URL },
      { pw: `prefix ${STORED.UNICODE_PASSWORD} suffix` },
      { nested: { quoted: [STORED.QUOTED] } },
      { tls: STORED.TLS_KEY },
    ])
      await run(a, 'snapshots.create', { environmentId: prod.env.id, content }, { fails: true });
    await run(
      a,
      'secrets.set',
      { environmentId: prod.env.id, name: 'TOO_LONG', value: NEVER.TOO_LONG },
      { fails: true },
    );
    await run(
      a,
      'secrets.set',
      { environmentId: prod.env.id, name: 'bad name!', value: NEVER.BAD_NAME_VALUE },
      { fails: true },
    );

    // Backups: full and compact, each copied off-site.
    await run(a, 'backups.updateSettings', { offsiteDir: offsite });
    const full = await run<BackupEntry>(a, 'backups.create', {});
    const compact = await run<BackupEntry>(a, 'backups.create', { compact: true });
    await run(a, 'backups.list', {});
    await run(a, 'backups.overview', {});
    expect(fs.readdirSync(offsite).filter((f) => f.endsWith('.sqlite'))).toHaveLength(2);

    // Verify, restore to a copy, preview, compare, reports.
    for (const b of [full, compact]) {
      const report = await run<DrillReport>(a, 'restores.verify', { source: { backupId: b.id } });
      expect(report.passed, report.summary).toBe(true);
    }
    const staged = await run<{ restoreId: string; report: PreflightReport }>(
      a,
      'restores.preflight',
      { source: { backupId: full.id } },
    );
    const restoreId = staged.restoreId;
    await run(a, 'restores.drill', { restoreId });
    await run(a, 'secrets.list', { environmentId: prod.env.id, restoreId });
    await run(a, 'restores.secrets', { restoreId });
    await run(a, 'restores.compare', { restoreId });
    await run(a, 'snapshots.list', { environmentId: prod.env.id, restoreId });
    await run(a, 'audit.list', { restoreId, limit: 500 });
    for (const d of await run<DrillSummary[]>(a, 'drills.list', {})) {
      await run(a, 'drills.get', { id: d.id });
      await run(a, 'drills.export', { id: d.id, format: 'markdown' });
      await run(a, 'drills.export', { id: d.id, format: 'html' });
    }
    await run(a, 'drills.overview', {});

    // The CLI, text and --json, including refusals.
    const cliA = async (args: string[], stdin = '') => sw(dirA, args, stdin);
    expect((await cliA(['secret', 'set', 'shop/prod', 'CLI_TOKEN'], `${CLI_TOKEN}\n`)).code).toBe(
      0,
    );
    expect(
      (await cliA(['--json', 'secret', 'set', 'shop/staging', 'CLI_TOKEN'], CLI_TOKEN_2)).code,
    ).toBe(0);
    expect((await cliA(['secret', 'set', 'shop/prod', 'ARGV', NEVER.ARGV_VALUE!])).code).toBe(2);
    expect((await cliA(['secret', 'set', 'shop/prod', 'BIG'], NEVER.CLI_TOO_LONG)).code).toBe(2);
    expect(
      (await cliA(['--json', 'secret', 'set', 'shop/prod', 'BIG'], NEVER.CLI_TOO_LONG)).code,
    ).toBe(2);
    for (const args of [
      ['secret', 'list'],
      ['--json', 'secret', 'list'],
      ['secret', 'list', 'shop/prod'],
      ['key', 'status'],
      ['--json', 'key', 'status'],
      ['status'],
      ['--json', 'status'],
      ['backups'],
      ['--json', 'backups'],
    ])
      expect((await cliA(args)).code, args.join(' ')).toBe(0);
    const cliBackup = await cliA(['backup']);
    expect(cliBackup.code, cliBackup.stderr).toBe(0);
    const cliJsonBackup = await cliA(['--json', 'backup', '--compact']);
    expect(cliJsonBackup.code).toBe(0);
    const cliBackupFile = (JSON.parse(cliJsonBackup.stdout) as { path: string }).path;
    expect((await cliA(['verify', full.id])).code).toBe(0);
    expect((await cliA(['--json', 'verify', cliBackupFile])).code).toBe(0);
    const blocker = path.join(world.dir(), 'a-file');
    fs.writeFileSync(blocker, 'x');
    expect((await cliA(['backup', '--out', path.join(blocker, 'sub')])).code).toBe(2);
    expect((await cliA(['--json', 'backup', '--out', path.join(blocker, 'sub')])).code).toBe(2);

    // A failing backup in the app (destination under a regular file).
    try {
      await a.rt.backups.run({ kind: 'manual', compact: false, outDir: path.join(blocker, 'sub') });
      throw new Error('the backup should have failed');
    } catch (e) {
      expect(isAppError(e)).toBe(true);
      record('failing backup', isAppError(e) ? e.toShape() : String(e));
    }
    // A run with the wrong key file: secrets stay locked, and the log says so.
    env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir(), 'wrong.key'));
    expect((await cliA(['secret', 'list'])).code).toBe(0);
    env.set('STATEWARD_KEY_FILE', keyFileA);

    // Rotation, then promote the drilled copy (pre-restore backup, audit, drill index).
    const rotated = await run<{ recoveryKey: string }>(a, 'secrets.rotate', {});
    await run(a, 'backups.create', {});
    await run(a, 'restores.promote', { restoreId, confirm: true });
    await run(a, 'secrets.list', { environmentId: prod.env.id });
    await run(a, 'audit.list', { limit: 500 });

    // ---- Machine B: another key; the backup restored there, then the recovery key.
    const keyFileB = makeKeyFile(world.dir(), 'b.key');
    env.set('STATEWARD_KEY_FILE', keyFileB);
    const dirB = world.dir();
    const rtB = await startTestRuntime(world, dirB);
    const b: Machine = { rt: rtB, reg: fullRegistry(rtB) };
    const setupB = await run<{ recoveryKey: string }>(b, 'secrets.setup', {});
    const fullFile = path.join(dirA, 'backups', full.fileName);
    b.rt.grantedPaths.add(fullFile);
    const stagedB = await run<{ restoreId: string }>(b, 'restores.preflight', {
      source: { path: fullFile },
    });
    const drillB = await run<DrillReport>(b, 'restores.drill', { restoreId: stagedB.restoreId });
    await run(b, 'restores.secrets', { restoreId: stagedB.restoreId });
    await run(b, 'secrets.list', { environmentId: prod.env.id, restoreId: stagedB.restoreId });
    await run(b, 'secrets.unlockWithRecoveryKey', { recoveryKey: setup.recoveryKey });
    await run(b, 'restores.secrets', { restoreId: stagedB.restoreId });
    await run(b, 'restores.drill', { restoreId: stagedB.restoreId });
    await run(b, 'drills.export', { id: drillB.id, format: 'markdown' });
    await run(b, 'drills.export', { id: drillB.id, format: 'html' });

    // ---- The scan.
    const allValues = { ...STORED, CLI_TOKEN, CLI_TOKEN_2, ...NEVER };
    const valueNeedles: Needle[] = Object.entries(allValues).flatMap(([n, v]) => needlesFor(n, v));
    const keyNeedles: Needle[] = [
      ...needlesFor('data key A', decodeRecoveryKey(setup.recoveryKey)!),
      ...needlesFor('data key A (rotated)', decodeRecoveryKey(rotated.recoveryKey)!),
      ...needlesFor('data key B', decodeRecoveryKey(setupB.recoveryKey)!),
      ...[setup.recoveryKey, rotated.recoveryKey, setupB.recoveryKey].flatMap((rk, i) => [
        { label: `recovery key ${i}`, bytes: Buffer.from(rk) },
        { label: `recovery key ${i} symbols`, bytes: Buffer.from(rk.slice(5).replace(/-/g, '')) },
      ]),
      ...needlesFor('passphrase', PASS),
      ...needlesFor('key file A', fs.readFileSync(keyFileA)),
      ...needlesFor('key file B', fs.readFileSync(keyFileB)),
    ];
    const roots = [dirA, dirB, offsite];
    const scanned = allFiles(roots);
    const rel = (f: string) =>
      f.startsWith(dirA)
        ? `A${f.slice(dirA.length)}`
        : f.startsWith(dirB)
          ? `B${f.slice(dirB.length)}`
          : `offsite${f.slice(offsite.length)}`;
    // The scan covers what it should: live db and WAL, backups, off-site copies, restores, drills, keys, logs.
    const names = scanned.map(rel);
    for (const want of [
      /^A\/stateward\.db$/,
      /^A\/stateward\.db-wal$/,
      /^A\/backups\/.+\.sqlite$/,
      /^A\/backups\/.+\.manifest\.json$/,
      /^offsite\/.+\.sqlite$/,
      /^A\/drills\/[0-9a-f]{16}\.json$/,
      /^A\/restores\/[0-9a-f]{16}\/restore\.json$/,
      /^A\/keys\/keyring\.json$/,
      /^A\/logs\/stateward\.log$/,
      /^B\/restores\/[0-9a-f]{16}\/stateward\.db$/,
      /^B\/keys\/keyring\.json$/,
    ])
      expect(
        names.some((n) => want.test(n)),
        `${want} among ${names.join(', ')}`,
      ).toBe(true);
    expect(fs.readFileSync(path.join(dirA, 'logs', 'stateward.log'), 'utf8')).toMatch(
      /secrets stay locked/,
    );

    const report = (hits: { where: string; needle: string }[]) =>
      hits.map((h) => `${h.where.startsWith('/') ? rel(h.where) : h.where}: ${h.needle}`);
    expect(report(scanFiles(roots, valueNeedles)), 'values in files (open)').toEqual([]);
    expect(report(scanFiles(roots, keyNeedles)), 'keys in files (open)').toEqual([]);
    expect(report(scanTexts(texts, valueNeedles)), 'values in results and CLI output').toEqual([]);
    // Key material in outputs: only the recovery keys, where they are shown once on purpose.
    const keyOnly = keyNeedles.filter((n) => !n.label.startsWith('recovery key'));
    expect(report(scanTexts(texts, keyOnly)), 'keys in results and CLI output').toEqual([]);

    // Closed (WAL folded into the databases), nothing appears either.
    a.rt.close();
    b.rt.close();
    expect(report(scanFiles(roots, [...valueNeedles, ...keyNeedles])), 'after close').toEqual([]);
    expect(texts.length).toBeGreaterThan(80);
  }, 90_000);

  it('a value pasted into another environment’s configuration reaches no file (database, backup, off-site copy)', async () => {
    const dir = world.dir();
    const offsite = world.dir();
    const rt = await startTestRuntime(world, dir);
    const m: Machine = { rt, reg: fullRegistry(rt) };
    await m.reg.dispatch('secrets.setup', { passphrase: PASS });
    const [prod, staging] = (await seedEnvs(m.reg, 'shop', ['prod', 'staging'])) as [
      SeededEnv,
      SeededEnv,
    ];
    const value = 'postgres://admin:CrossEnv-LEAKCANARY-4d2@db/prod';
    await m.reg.dispatch('secrets.set', {
      environmentId: prod.env.id,
      name: 'DATABASE_URL',
      value,
    });
    await m.reg.dispatch('backups.updateSettings', { offsiteDir: offsite });
    // service.ts assertNoSecretValues only compares with the snapshot's own environment.
    await m.reg.dispatch('snapshots.create', {
      environmentId: staging.env.id,
      content: { db: value },
    });
    const backup = await m.reg.dispatch('backups.create', {});
    expect(backup.ok).toBe(true);
    rt.close();
    const hits = scanFiles([dir, offsite], needlesFor('DATABASE_URL', value)).map(
      (h) => `${path.relative(h.where.startsWith(dir) ? dir : offsite, h.where)}: ${h.needle}`,
    );
    expect(hits).toEqual([]);
  });
});
