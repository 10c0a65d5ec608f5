// Secrets shared by a team (issue 11.7): two members — two data dirs, each with
// its own keyring — on one PostgreSQL schema. The database says which data key
// is the team's (its id, never the key); a member lacking it is told so and
// joins by entering the team's recovery key once; a second set-up is refused;
// a rotation by one member is picked up by the other (asked for the new
// recovery key, never shown it nor any value); two rotations at once: one is
// INSTANCE_BUSY. Neither key material nor a value is ever in a table of the
// team schema or in a team backup.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { BackupEntry, SecretEntry, SecretsStatus } from '../../shared/domain.ts';
import { decodeRecoveryKey } from '../../electron/core/secrets/crypto.ts';
import { keyringPath } from '../../electron/core/secrets/keyring.ts';
import type { Runtime } from '../../electron/core/runtime.ts';
import type { CommandRegistry } from '../../electron/handlers/registry.ts';
import { call, callError } from '../helpers/restore-util.ts';
import { pgSkipReason, usePgDatabase, withClient } from '../helpers/pg.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import type { Needle } from '../helpers/secrets-util.ts';
import {
  cliOnDir,
  fullRegistry,
  makeKeyFile,
  needlesFor,
  scanBuffer,
  scanFiles,
  seedEnvs,
  useSecretsEnv,
} from '../helpers/secrets-util.ts';
import { HAVE_STRACE, killAtCallArgs, straceCli } from '../helpers/syscall-sweep.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const secretsEnv = useSecretsEnv();
const VALUE = 'postgres://shop:Team-Secret-9931@db.internal/shop';
const SECOND = 'sk_live_b-member-7f3a9c2e11';
const PASS_A = 'alpha passphrase of A';
const PASS_B = 'beta passphrase of B';
const skip = pgSkipReason();

interface Member {
  rt: Runtime;
  reg: CommandRegistry;
  dir: string;
}

describe.skipIf(skip !== null)('secrets shared by a team (PostgreSQL)', () => {
  const db = usePgDatabase();

  const newSchema = () => `team_${crypto.randomBytes(5).toString('hex')}`;

  function urlFor(schema: string): string {
    const u = new URL(db.url());
    u.searchParams.set('schema', schema);
    return u.toString();
  }

  async function member(schema: string, dir = world.dir()): Promise<Member> {
    const rt = await startTestRuntime(world, dir, { databaseUrl: urlFor(schema) });
    if (rt.startup.state !== 'ready') throw new Error(JSON.stringify(rt.startup));
    return { rt, reg: fullRegistry(rt), dir };
  }

  /** Two members on a new team schema, which holds project "shop" with environment prod. */
  async function twoMembers() {
    const schema = newSchema();
    const a = await member(schema);
    const b = await member(schema);
    const [prod] = await seedEnvs(a.reg, 'shop', ['prod']);
    return { schema, a, b, environmentId: prod!.env.id };
  }

  /** A stores TOKEN (VALUE) in `environmentId`; then B joins with `recoveryKey` (passphrase PASS_B). */
  async function tokenThenJoin(
    a: Member,
    b: Member,
    environmentId: number,
    recoveryKey: string,
  ): Promise<SecretEntry> {
    const token = await call<SecretEntry>(a.reg, 'secrets.set', {
      environmentId,
      name: 'TOKEN',
      value: VALUE,
    });
    await call(b.reg, 'secrets.unlockWithRecoveryKey', { recoveryKey, passphrase: PASS_B });
    return token;
  }

  const status = (m: Member) => call<SecretsStatus>(m.reg, 'secrets.status', {});

  async function teamRecord(schema: string): Promise<unknown> {
    return withClient(db.url(), async (c) => {
      const r = await c.query<{ value: unknown }>(
        `SELECT value FROM "${schema}".settings WHERE key = 'secrets.team'`,
      );
      const v = r.rows[0]?.value;
      return typeof v === 'string' ? (JSON.parse(v) as unknown) : (v ?? null);
    });
  }

  async function keyIds(schema: string): Promise<string[]> {
    return withClient(db.url(), async (c) => {
      const r = await c.query<{ key_id: string }>(
        `SELECT key_id FROM "${schema}".secrets ORDER BY name`,
      );
      return r.rows.map((x) => x.key_id);
    });
  }

  /** Whether a statement of `rt`'s connections is waiting for a lock (polled up to ~10 s). */
  async function waitingOnLock(c: pg.ClientBase, rt: Runtime): Promise<boolean> {
    for (let i = 0; i < 500; i++) {
      const r = await c.query(
        `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [rt.team!.applicationName],
      );
      if (r.rows.length > 0) return true;
      await new Promise((res) => setTimeout(res, 20));
    }
    return false;
  }

  async function snapshotCount(schema: string): Promise<number> {
    return withClient(db.url(), async (c) => {
      const r = await c.query<{ n: string }>(
        `SELECT count(*) AS n FROM "${schema}".config_snapshots`,
      );
      return Number(r.rows[0]!.n);
    });
  }

  /** Every row of every table of the schema: each value's bytes as stored, and each row as text. */
  async function scanSchema(schema: string, needles: readonly Needle[]) {
    return withClient(db.url(), async (c) => {
      const tables = await c.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables
          WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`,
        [schema],
      );
      expect(tables.rows.map((t) => t.table_name)).toEqual(
        expect.arrayContaining(['secrets', 'settings', 'audit_log']),
      );
      const hits = [];
      for (const { table_name: t } of tables.rows) {
        const r = await c.query<Record<string, unknown>>(
          `SELECT x.*, x::text AS "__row" FROM "${schema}"."${t}" x`,
        );
        const parts = r.rows.flatMap((row) =>
          Object.values(row).map((v) =>
            Buffer.isBuffer(v) ? v : Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)),
          ),
        );
        hits.push(...scanBuffer(`${schema}.${t}`, Buffer.concat(parts), needles));
      }
      return hits;
    });
  }

  it('A sets up; B needs the team key, cannot set up a second one, joins with the recovery key; A rotates and B is asked again; no key or value in the database or a team backup', async () => {
    const { schema, a, b, environmentId } = await twoMembers();

    // A sets up: the team's key is recorded by id, with who and when.
    const setup = await call<{ recoveryKey: string; keyId: string }>(a.reg, 'secrets.setup', {
      passphrase: PASS_A,
    });
    const k1 = setup.keyId;
    expect(await teamRecord(schema)).toEqual({
      activeKeyId: k1,
      since: expect.any(Number),
      by: a.rt.actor,
    });
    const entry = await call<SecretEntry>(a.reg, 'secrets.set', {
      environmentId,
      name: 'DATABASE_URL',
      value: VALUE,
    });
    expect((await status(a)).needsTeamKey).toBeNull();

    // B has no keyring: its status says which key the team uses and who made it active.
    expect(await status(b)).toMatchObject({
      initialized: false,
      secretCount: 1,
      needsTeamKey: { keyId: k1, rotatedBy: a.rt.actor, since: expect.any(Number) },
    });
    // A second set-up is refused: never two keys in one team. Nothing changes.
    const refused = await callError(b.reg, 'secrets.setup', { passphrase: PASS_B });
    expect(refused.code).toBe('SECRETS_ALREADY_SET_UP');
    expect(refused.hint).toMatch(/recovery key/);
    expect(fs.existsSync(keyringPath(b.rt.layout.keys))).toBe(false);
    expect(await teamRecord(schema)).toMatchObject({ activeKeyId: k1 });
    // Neither a value set nor a reveal works without the team's key; both say what to do.
    for (const [name, input] of [
      ['secrets.set', { environmentId, name: 'OTHER', value: SECOND }],
      ['secrets.reveal', { id: entry.id }],
    ] as const) {
      const e = await callError(b.reg, name, input);
      expect(e.code).toBe('SECRETS_KEY_UNAVAILABLE');
      expect(e.message).toContain(k1);
      expect(e.hint).toMatch(/Join with the team.s recovery key/);
    }
    expect(await keyIds(schema)).toEqual([k1]);
    // Text B would store cannot be checked for the team's values: it waits for the key too.
    const unchecked = await callError(b.reg, 'snapshots.create', {
      environmentId,
      content: { db: VALUE },
    });
    expect(unchecked.code).toBe('SECRETS_KEY_UNAVAILABLE');
    expect(await snapshotCount(schema)).toBe(0);

    // B joins: the recovery key once, wrapped on B's machine under B's own passphrase.
    expect(
      await call(b.reg, 'secrets.unlockWithRecoveryKey', {
        recoveryKey: setup.recoveryKey,
        passphrase: PASS_B,
      }),
    ).toEqual({ keyId: k1, saved: true });
    expect(await status(b)).toMatchObject({ needsTeamKey: null, unlocked: true, activeKeyId: k1 });
    expect(await call(b.reg, 'secrets.reveal', { id: entry.id })).toEqual({ value: VALUE });
    const refusedText = await callError(b.reg, 'snapshots.create', {
      environmentId,
      content: { db: VALUE },
    });
    expect(refusedText.code).toBe('SECRET_VALUE_REFUSED');
    expect(await snapshotCount(schema)).toBe(0);
    // B was never shown a recovery key: it is A's to keep.
    expect(b.rt.secrets.pendingRecoveryKeys()).toEqual([]);

    // Kept on B's machine: after a restart B unlocks with its own passphrase.
    b.rt.close();
    await b.rt.closed();
    const b2 = await member(schema, b.dir);
    expect(await status(b2)).toMatchObject({ needsTeamKey: null, unlocked: false });
    await call(b2.reg, 'secrets.unlock', { passphrase: PASS_B });
    expect(await call(b2.reg, 'secrets.reveal', { id: entry.id })).toEqual({ value: VALUE });

    // A rotates: the new key is the team's, in the same transaction as the re-encryption.
    const rotated = await call<{ recoveryKey: string; keyId: string; reencrypted: number }>(
      a.reg,
      'secrets.rotate',
      {},
    );
    const k2 = rotated.keyId;
    expect(rotated.reencrypted).toBe(1);
    expect(await keyIds(schema)).toEqual([k2]);
    expect(await teamRecord(schema)).toEqual({
      activeKeyId: k2,
      since: expect.any(Number),
      by: a.rt.actor,
    });

    // B is asked for the new recovery key — and shown neither it nor any value.
    const asked = await status(b2);
    expect(asked.needsTeamKey).toEqual({
      keyId: k2,
      rotatedBy: a.rt.actor,
      since: expect.any(Number),
    });
    expect(JSON.stringify(asked)).not.toContain(rotated.recoveryKey);
    expect(JSON.stringify(asked)).not.toContain(VALUE);
    expect(b2.rt.secrets.pendingRecoveryKeys()).toEqual([]);
    for (const [name, input] of [
      ['secrets.reveal', { id: entry.id }],
      ['secrets.set', { environmentId, name: 'OTHER', value: SECOND }],
    ] as const) {
      const e = await callError(b2.reg, name, input);
      expect(e.code).toBe('SECRETS_KEY_UNAVAILABLE');
      expect(e.message).toContain(k2);
      expect(`${e.message} ${e.hint}`).not.toContain(VALUE);
    }
    // B's refused set sealed nothing with the old key.
    expect(await keyIds(schema)).toEqual([k2]);
    // Only the team's recovery key is taken: an old one does not make B current.
    await call(b2.reg, 'secrets.unlockWithRecoveryKey', { recoveryKey: setup.recoveryKey });
    expect((await status(b2)).needsTeamKey).toMatchObject({ keyId: k2 });

    // B enters the new recovery key: everything resolves again, and B's own writes use it.
    expect(
      await call(b2.reg, 'secrets.unlockWithRecoveryKey', { recoveryKey: rotated.recoveryKey }),
    ).toEqual({ keyId: k2, saved: true });
    expect(await status(b2)).toMatchObject({ needsTeamKey: null, unlocked: true, activeKeyId: k2 });
    expect(await call(b2.reg, 'secrets.reveal', { id: entry.id })).toEqual({ value: VALUE });
    const other = await call<SecretEntry>(b2.reg, 'secrets.set', {
      environmentId,
      name: 'OTHER',
      value: SECOND,
    });
    expect(other.keyId).toBe(k2);
    expect(await call(a.reg, 'secrets.reveal', { id: other.id })).toEqual({ value: SECOND });

    // No key material, recovery key or value anywhere in the team schema, nor in a team backup.
    const needles = [
      ...needlesFor('data key 1', decodeRecoveryKey(setup.recoveryKey)!),
      ...needlesFor('data key 2', decodeRecoveryKey(rotated.recoveryKey)!),
      ...needlesFor('recovery key 1', setup.recoveryKey),
      ...needlesFor('recovery key 2', rotated.recoveryKey),
      ...needlesFor('value', VALUE),
      ...needlesFor('second value', SECOND),
    ];
    expect(await scanSchema(schema, needles)).toEqual([]);
    const backup = await call<BackupEntry>(a.reg, 'backups.create', {});
    const backupFile = path.join(a.rt.layout.backups, backup.fileName);
    expect(fs.statSync(backupFile).size).toBeGreaterThan(0);
    expect(scanFiles([a.rt.layout.backups], needles)).toEqual([]);
    // The scan finds what it looks for: the ciphertext columns are there, and a key would show.
    expect(scanBuffer('self-check', Buffer.from(VALUE), needles)).not.toEqual([]);
  }, 90_000);

  it('two members rotating at once: the second is INSTANCE_BUSY and changes nothing; the first completes', async () => {
    const { schema, a, b, environmentId } = await twoMembers();
    const setup = await call<{ recoveryKey: string; keyId: string }>(a.reg, 'secrets.setup', {
      passphrase: PASS_A,
    });
    await tokenThenJoin(a, b, environmentId, setup.recoveryKey);
    const bRing = fs.readFileSync(keyringPath(b.rt.layout.keys));

    await withClient(db.url(), async (c) => {
      // The team's key row is held by another transaction: A's rotation takes the
      // rotation lock, then waits for the row.
      await c.query('BEGIN');
      await c.query(`SELECT 1 FROM "${schema}".settings WHERE key = 'secrets.team' FOR UPDATE`);
      const first = a.rt.secrets.rotate({});
      first.catch(() => undefined);
      expect(await waitingOnLock(c, a.rt)).toBe(true);

      const busy = await callError(b.reg, 'secrets.rotate', {});
      expect(busy.code).toBe('INSTANCE_BUSY');
      expect(fs.readFileSync(keyringPath(b.rt.layout.keys))).toEqual(bRing);
      expect(b.rt.secrets.pendingRecoveryKeys()).toEqual([]);

      await c.query('ROLLBACK');
      const done = await first;
      expect(await teamRecord(schema)).toMatchObject({ activeKeyId: done.keyId, by: a.rt.actor });
      expect(await keyIds(schema)).toEqual([done.keyId]);
    });
    expect((await status(b)).needsTeamKey).toMatchObject({ rotatedBy: a.rt.actor });
  }, 60_000);

  it('a value set by one member while another rotates: it never commits under the old key', async () => {
    const { schema, a, b, environmentId } = await twoMembers();
    const setup = await call<{ recoveryKey: string; keyId: string }>(a.reg, 'secrets.setup', {
      passphrase: PASS_A,
    });
    const held = await tokenThenJoin(a, b, environmentId, setup.recoveryKey);

    await withClient(db.url(), async (c) => {
      // A's rotation holds the team's key row, then waits on a secret row the test holds.
      await c.query('BEGIN');
      await c.query(`SELECT 1 FROM "${schema}".secrets WHERE id = $1 FOR UPDATE`, [held.id]);
      const rotation = a.rt.secrets.rotate({});
      rotation.catch(() => undefined);
      expect(await waitingOnLock(c, a.rt)).toBe(true);
      // B sets a new value meanwhile (its key is still the team's key as B last read it).
      const setting = callError(b.reg, 'secrets.set', {
        environmentId,
        name: 'NEW',
        value: SECOND,
      });
      expect(await waitingOnLock(c, b.rt)).toBe(true);
      await c.query('ROLLBACK');
      const rotated = await rotation;
      // B's write waited for the rotation, then saw the new key: refused, nothing stored.
      const refused = await setting;
      expect(refused.code).toBe('SECRETS_KEY_UNAVAILABLE');
      expect(refused.message).toContain(rotated.keyId);
      expect(await keyIds(schema)).toEqual([rotated.keyId]);
    });
  }, 60_000);

  it('two members setting up at once on a new team: exactly one key is created', async () => {
    const schema = newSchema();
    const a = await member(schema);
    const b = await member(schema);
    const results = await Promise.allSettled([
      a.rt.secrets.setup({ passphrase: PASS_A }),
      b.rt.secrets.setup({ passphrase: PASS_B }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((r) => (r.reason as { code?: string }).code)).toEqual([
      'SECRETS_ALREADY_SET_UP',
    ]);
    const winner = (won[0] as PromiseFulfilledResult<{ keyId: string }>).value;
    expect(await teamRecord(schema)).toMatchObject({ activeKeyId: winner.keyId });
    // The loser is left as it was before (no keyring), asked to join.
    const loser = results[0]!.status === 'rejected' ? a : b;
    expect(fs.existsSync(keyringPath(loser.rt.layout.keys))).toBe(false);
    expect((await status(loser)).needsTeamKey).toMatchObject({ keyId: winner.keyId });
  }, 60_000);

  it('the CLI of a member without the team key: `secret status` says so and how to join; `key recovery` joins; its list then resolves', async () => {
    const schema = newSchema();
    const a = await member(schema);
    const [prod] = await seedEnvs(a.reg, 'shop', ['prod']);
    const setup = await call<{ recoveryKey: string; keyId: string }>(a.reg, 'secrets.setup', {
      passphrase: PASS_A,
    });
    await call(a.reg, 'secrets.set', {
      environmentId: prod!.env.id,
      name: 'DATABASE_URL',
      value: VALUE,
    });
    const bDir = world.dir();
    const url = urlFor(schema);

    const text = await cliOnDir(bDir, ['--database-url', url, 'secret', 'status']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`The team's data key is ${setup.keyId}`);
    expect(text.stdout).toContain('stateward key recovery');
    expect(text.stdout + text.stderr).not.toContain(setup.recoveryKey);
    const json = await cliOnDir(bDir, ['--json', '--database-url', url, 'secret', 'status']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      needsTeamKey: { keyId: setup.keyId, rotatedBy: a.rt.actor },
      secretCount: 1,
    });

    secretsEnv.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
    const joined = await cliOnDir(
      bDir,
      ['--database-url', url, 'key', 'recovery'],
      `${setup.recoveryKey}\n`,
    );
    expect(joined.code, joined.stderr).toBe(0);
    expect(joined.stdout).toContain(`Recovered data key ${setup.keyId} and kept it`);
    expect(joined.stdout).toContain('1 of 1 secret reference(s) resolve');

    const after = await cliOnDir(bDir, ['--database-url', url, 'key', 'status']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toContain(`Data key ${setup.keyId}: unlocked`);
    expect(after.stdout).not.toContain("team's data key");
    const list = await cliOnDir(bDir, ['--database-url', url, 'secret', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^shop\/prod {2}DATABASE_URL {2}sec_\w+ {2}resolves$/m);
  }, 60_000);

  it.skipIf(!HAVE_STRACE)(
    'a rotation killed after its keyring is written, before COMMIT: the team keeps its key, and the rotating member seals new values with it, not with its own newer key',
    async () => {
      secretsEnv.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
      const { schema, a, b, environmentId } = await twoMembers();
      const setup = await call<{ recoveryKey: string; keyId: string }>(a.reg, 'secrets.setup', {});
      await call(a.reg, 'secrets.acknowledgeRecoveryKey', { keyId: setup.keyId });
      const first = await tokenThenJoin(a, b, environmentId, setup.recoveryKey);
      a.rt.close();
      await a.rt.closed();

      // `key rotate` dies right after renaming its new keyring into place: at the fsync of
      // keys/ that follows (strace's -P matches only the old name of a rename, a temp name).
      const ring = keyringPath(a.rt.layout.keys);
      const run = await straceCli(
        killAtCallArgs('fsync', { onPath: a.rt.layout.keys }),
        ['--data-dir', a.dir, '--database-url', urlFor(schema), 'key', 'rotate'],
        { world },
      );
      expect(run.signal ?? run.code, run.stderr + run.stdout).not.toBe(0);
      // The keyring is ahead (a new key, pending), the database is not: the team keeps its key.
      expect(fs.readFileSync(ring, 'utf8')).not.toContain(`"active": "${setup.keyId}"`);
      expect(await teamRecord(schema)).toMatchObject({ activeKeyId: setup.keyId });
      expect(await keyIds(schema)).toEqual([setup.keyId]);

      const a2 = await member(schema, a.dir);
      // Unlocked at start (key file): the team's key is this keyring's active one again; the
      // key that never committed stays, retired, and is not offered as the active key's.
      expect(await status(a2)).toMatchObject({
        needsTeamKey: null,
        unlocked: true,
        activeKeyId: setup.keyId,
      });
      expect(a2.rt.secrets.pendingRecoveryKeys().filter((p) => p.active)).toEqual([]);
      // A's new values use the team's key (B can read them), never the key that did not commit.
      const second = await call<SecretEntry>(a2.reg, 'secrets.set', {
        environmentId,
        name: 'OTHER',
        value: SECOND,
      });
      expect(second.keyId).toBe(setup.keyId);
      expect(await call(b.reg, 'secrets.reveal', { id: second.id })).toEqual({ value: SECOND });
      expect(await call(b.reg, 'secrets.reveal', { id: first.id })).toEqual({ value: VALUE });
      // The killed session's rotation lock went with it: the next rotation runs.
      const rotated = await call<{ keyId: string; reencrypted: number }>(
        a2.reg,
        'secrets.rotate',
        {},
      );
      expect(rotated.reencrypted).toBe(2);
      expect(await keyIds(schema)).toEqual([rotated.keyId, rotated.keyId]);
      expect((await status(b)).needsTeamKey).toMatchObject({ keyId: rotated.keyId });
    },
    60_000,
  );
});
