// Secrets for one running data directory: the keyring (set up, unlock, rotate,
// recovery key), and encrypted values per environment. Plain values exist only
// in memory, only for the moment they are sealed or explicitly revealed.
import fs from 'node:fs';
import crypto from 'node:crypto';
import type {
  KeyState,
  SecretEntry,
  SecretResolution,
  SecretsStatus,
} from '../../../shared/domain.ts';
import { AppError } from '../../../shared/errors.ts';
import { readSmallRegularFile } from '../fsutil.ts';
import type { Runtime } from '../runtime.ts';
import type { ReadableDB } from '../store/db.ts';
import type { DataStore } from '../store/data.ts';
import type { Query, Sql } from '../store/sql.ts';
import { runSqlite, SQLITE } from '../store/sql.ts';
import { appendAudit } from '../store/resources/audit.ts';
import { getEnvironment } from '../store/resources/environments.ts';
import {
  allSecrets,
  countSecrets,
  deleteSecret,
  secretById,
  secretByName,
  secretsOf,
  upsertSecret,
} from '../store/resources/secrets.ts';
import type { SecretRow } from '../store/resources/secrets.ts';
import type { ScryptParams } from './crypto.ts';
import {
  decodeRecoveryKey,
  defaultScrypt,
  encodeRecoveryKey,
  hkdfKek,
  KEY_BYTES,
  keyIdOf,
  open,
  scryptCost,
  scryptKek,
  seal,
} from './crypto.ts';
import type { Keyring, KeyWrapper, Wrap } from './keyring.ts';
import { fromSealed, keyringPath, readKeyring, toSealed, writeKeyring } from './keyring.ts';
import { keyAvailability, overallKeyState } from './keystate.ts';
import { advisoryKey, withTryLock } from '../pg/locks.ts';
import type { TeamKey } from './team.ts';
import { claimTeamKey, replaceTeamKey, teamKey, teamKeyNeed } from './team.ts';

const keyAad = (keyId: string) => `stateward-data-key:${keyId}`;
/** Values stored before v2 were bound to the secret id only: they still open, and are re-sealed on unlock. */
const legacyValueAad = (secretId: string) => `stateward-secret:${secretId}`;
/** v2: a value is bound to its id, environment, name and key, so a row moved or renamed no longer opens. */
const valueAad = (r: Pick<SecretRow, 'id' | 'environment_id' | 'name' | 'key_id'>) =>
  JSON.stringify(['stateward-secret', 2, r.id, r.environment_id, r.name, r.key_id]);
/**
 * The stored iv says which binding a value has, without a schema change: a v2 iv is
 * one version byte (2) and the 12-byte nonce; a legacy one is the bare nonce.
 */
const AAD_V2 = 2;

function sealValue(
  key: Buffer,
  plain: Buffer,
  r: Pick<SecretRow, 'id' | 'environment_id' | 'name' | 'key_id'>,
): Pick<SecretRow, 'iv' | 'tag' | 'ciphertext'> {
  const sealed = seal(key, plain, valueAad(r));
  return {
    iv: Buffer.concat([Buffer.from([AAD_V2]), sealed.iv]),
    tag: sealed.tag,
    ciphertext: sealed.ciphertext,
  };
}

function openValue(key: Buffer, row: SecretRow): Buffer | null {
  const v2 = row.iv.length === 13 && row.iv[0] === AAD_V2;
  if (!v2 && row.iv.length !== 12) return null;
  return open(
    key,
    { iv: v2 ? row.iv.subarray(1) : row.iv, tag: row.tag, ciphertext: row.ciphertext },
    v2 ? valueAad(row) : legacyValueAad(row.id),
  );
}

const isLegacy = (row: SecretRow) => row.iv.length === 12;

const JOIN_HINT =
  "Join with the team's recovery key: Keys & secrets → Join with the team's recovery key, or `stateward key recovery` (ask the member who set up or last rotated the key for it).";

/** A second member's set-up: the team has its key (or secrets) already. */
function teamAlreadySetUp(team: TeamKey | null): AppError {
  return new AppError(
    'SECRETS_ALREADY_SET_UP',
    team
      ? `Secrets are already set up for this team database: data key ${team.activeKeyId} (by ${team.by}). A second key is never created.`
      : 'This team database already holds secrets: a second data key is never created.',
    { hint: JOIN_HINT, details: team ? { teamKeyId: team.activeKeyId } : {} },
  );
}

/** This member lacks the team's active key: nothing is encrypted or revealed with another one. */
function teamKeyUnavailable(team: TeamKey, what: string): AppError {
  return new AppError(
    'SECRETS_KEY_UNAVAILABLE',
    `The team's secrets are encrypted with data key ${team.activeKeyId} (made active by ${team.by} on ${new Date(team.since).toISOString()}), which this machine does not have yet, so ${what}.`,
    { hint: JOIN_HINT, details: { teamKeyId: team.activeKeyId } },
  );
}

/**
 * Inside a write that seals values with `keyId` (team mode): the team's key is read
 * under a share lock — a rotation (which locks it for update first) either waits for
 * this write and re-encrypts its value, or commits first and this write sees the new
 * key and is refused. Data moved from SQLite before a team key was recorded adopts
 * this member's key, unless some secret uses a key this machine lacks.
 */
function* checkTeamKey(
  c: Sql,
  keyId: string,
  by: { actor: string; now: number; holds: (id: string) => boolean },
): Query<void> {
  const team = yield* teamKey(c, 'share');
  if (team) {
    if (team.activeKeyId !== keyId) throw teamKeyUnavailable(team, 'nothing was stored');
    return;
  }
  const foreign = (yield* allSecrets(c)).find((r) => !by.holds(r.key_id));
  if (foreign)
    throw new AppError(
      'SECRETS_KEY_UNAVAILABLE',
      `This team's secrets use data key ${foreign.key_id}, which this machine does not have, so nothing was stored.`,
      { hint: JOIN_HINT, details: { teamKeyId: foreign.key_id } },
    );
  if (!(yield* claimTeamKey(c, { activeKeyId: keyId, since: by.now, by: by.actor }, by.now))) {
    const claimed = yield* teamKey(c, 'share');
    if (claimed && claimed.activeKeyId !== keyId)
      throw teamKeyUnavailable(claimed, 'nothing was stored');
  }
}

const FIELD_WORDS = {
  content: 'configuration',
  diagnosticSummary: 'diagnostic summary',
  message: 'log message',
  detail: 'detail',
} as const;

interface Keks {
  passphrase?: { params: ScryptParams; kek: Buffer };
  keyfile?: { fingerprint: string; kek: Buffer };
}

/** Key files are small: anything larger is not one (a device, a disk image). */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * A key file's bytes: a regular file only, read without blocking. A FIFO or a
 * device (STATEWARD_KEY_FILE set by mistake) would otherwise block every
 * command for ever, or read without end.
 */
function readKeyFileMaterial(file: string): Buffer {
  try {
    return readSmallRegularFile(file, MAX_KEY_FILE_BYTES);
  } catch (e) {
    const kind = (e as { kind?: string }).kind;
    if (kind === undefined) throw e;
    throw new AppError(
      'SECRETS_KEY_UNAVAILABLE',
      `The key file named by STATEWARD_KEY_FILE is ${kind}, not a key file.`,
      { hint: 'Point STATEWARD_KEY_FILE at a regular file of at least 32 random bytes.' },
    );
  }
}

export class SecretService {
  private readonly rt: Runtime;
  private readonly keys = new Map<string, Buffer>();
  private keks: Keks = {};
  private keychain: KeyWrapper | null = null;
  /** Keys an unwrap attempt failed for (a wrong passphrase), until they are unlocked or locked again. */
  private readonly failed = new Set<string>();

  constructor(rt: Runtime) {
    this.rt = rt;
  }

  /** The live data (either backend). */
  private data(): DataStore {
    if (!this.rt.data) throw new AppError('STORE_NOT_READY', 'The data directory is not open.');
    return this.rt.data;
  }

  /**
   * Writes that drop or replace a ciphertext (unset, a new value, rotation) leave
   * nothing of the old one behind: secure_delete zeroes what SQLite frees, and
   * afterwards the WAL is checkpointed and truncated so its old frames go too.
   * (Backups taken before still hold the older, encrypted values.) On PostgreSQL
   * the row's iv, tag and ciphertext are still zeroed before a delete; freeing the
   * dead row versions is the server's VACUUM.
   */
  private async scrubbing<T>(work: () => Promise<T>): Promise<T> {
    const db = this.data().backend === 'sqlite' ? this.rt.store?.db : undefined;
    if (!db) return work();
    db.pragma('secure_delete = ON');
    const out = await work();
    try {
      const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (r?.busy)
        this.rt.logger.log(
          'warn',
          'a reader kept the WAL from being truncated after a secret changed; the next checkpoint clears it',
        );
    } catch (e) {
      this.rt.logger.log('warn', 'could not checkpoint after a secret changed', e);
    }
    return out;
  }

  private ring(): Keyring | null {
    try {
      return readKeyring(this.rt.layout.keys);
    } catch (e) {
      throw new AppError('SECRETS_KEY_UNAVAILABLE', (e as Error).message, {
        hint: 'Unlock with your recovery key to rebuild it.',
      });
    }
  }

  /** The keyring, or null when there is none or it cannot be read (then every key not in memory is missing). */
  private ringOrNull(): Keyring | null {
    try {
      return this.ring();
    } catch {
      return null;
    }
  }

  /** The state of one key here (see KeyState); `ring` as read once by the caller. */
  private keyState(keyId: string, ring: Keyring | null): KeyState {
    if (this.keys.has(keyId)) return 'unlocked';
    if (!ring?.keys.some((k) => k.id === keyId)) return 'missing';
    return this.failed.has(keyId) ? 'wrong' : 'locked';
  }

  /** The Electron shell hands in the OS keychain (safeStorage). */
  setKeychain(k: KeyWrapper | null): void {
    this.keychain = k;
  }

  /** The OS keychain the shell handed in (null: the CLI, the host, a browser). */
  get keychainWrapper(): KeyWrapper | null {
    return this.keychain;
  }

  private keyFile(): { fingerprint: string; kek: Buffer } | null {
    const file = process.env.STATEWARD_KEY_FILE;
    if (!file) return null;
    let material: Buffer;
    try {
      material = readKeyFileMaterial(file);
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw new AppError(
        'SECRETS_KEY_UNAVAILABLE',
        `Cannot read the key file named by STATEWARD_KEY_FILE (${(e as NodeJS.ErrnoException).code ?? 'error'}).`,
        {
          hint: 'Point STATEWARD_KEY_FILE at a readable file of at least 32 random bytes.',
        },
      );
    }
    if (material.length < KEY_BYTES) {
      throw new AppError(
        'SECRETS_KEY_UNAVAILABLE',
        'The key file named by STATEWARD_KEY_FILE is shorter than 32 bytes.',
        {
          hint: 'Create one with: head -c 32 /dev/urandom > stateward.key',
        },
      );
    }
    return {
      fingerprint: crypto.createHash('sha256').update(material).digest('hex').slice(0, 16),
      kek: hkdfKek(material, 'stateward key file'),
    };
  }

  async status(): Promise<SecretsStatus> {
    const ring = this.ring();
    const active = ring?.keys.find((k) => k.id === ring.active) ?? null;
    return {
      initialized: ring !== null && ring.active !== null,
      unlocked: ring?.active ? this.keys.has(ring.active) : false,
      keyState: ring?.active ? this.keyState(ring.active, ring) : null,
      activeKeyId: ring?.active ?? null,
      providers: [...new Set((active?.wraps ?? []).map((w) => w.by))],
      keychain: this.keychain ? await this.keychain.status() : null,
      keyFileConfigured: Boolean(process.env.STATEWARD_KEY_FILE),
      recoveryPending: (ring?.keys ?? []).filter((k) => k.recoveryPending).map((k) => k.id),
      secretCount: this.rt.data ? await this.rt.data.read(countSecrets) : 0,
      // Team mode only: SQLite's status is as it always was.
      ...(this.inTeam() ? { needsTeamKey: await this.missingTeamKey(ring) } : {}),
    };
  }

  /** Team mode: this data dir's secrets live in a PostgreSQL database other members share. */
  private inTeam(): boolean {
    return this.rt.team !== null && this.rt.data?.backend === 'postgres';
  }

  /** The team's active key as the database records it (null with SQLite, or none recorded yet). */
  private async teamKey(): Promise<TeamKey | null> {
    if (!this.inTeam()) return null;
    return this.data().read((c) => teamKey(c));
  }

  /** The team's key is recorded, and neither this keyring nor this process has it. */
  private async missingTeamKey(ring: Keyring | null): Promise<SecretsStatus['needsTeamKey']> {
    const team = await this.teamKey();
    if (!team) return null;
    const id = team.activeKeyId;
    return this.keys.has(id) || ring?.keys.some((k) => k.id === id) ? null : teamKeyNeed(team);
  }

  private async wrapsFor(key: Buffer, keyId: string, passphrase?: string): Promise<Wrap[]> {
    const wraps: Wrap[] = [];
    if (passphrase !== undefined) {
      const params = defaultScrypt();
      this.keks.passphrase = { params, kek: scryptKek(passphrase, params) };
    }
    if (this.keks.passphrase) {
      wraps.push({
        by: 'passphrase',
        kdf: this.keks.passphrase.params,
        ...fromSealed(seal(this.keks.passphrase.kek, key, keyAad(keyId))),
      });
    }
    const kf = this.keks.keyfile ?? this.keyFile();
    if (kf) {
      this.keks.keyfile = kf;
      wraps.push({
        by: 'keyfile',
        fingerprint: kf.fingerprint,
        ...fromSealed(seal(kf.kek, key, keyAad(keyId))),
      });
    }
    if (this.keychain) {
      const st = await this.keychain.status();
      if (st.available && !st.weak)
        wraps.push({ by: 'os-keychain', blob: (await this.keychain.wrap(key)).toString('base64') });
    }
    return wraps;
  }

  private async requireProvider(passphrase: string | undefined): Promise<void> {
    if (passphrase !== undefined || this.keks.passphrase || this.keyFile()) return;
    const st = this.keychain ? await this.keychain.status() : null;
    if (st?.available && !st.weak) return;
    throw new AppError(
      'SECRETS_PASSPHRASE_REQUIRED',
      st?.weak
        ? `This system has no real keychain (only "${st.backend}", which merely obfuscates): choose a passphrase to protect secrets.`
        : 'Choose a passphrase to protect secrets (or set STATEWARD_KEY_FILE for automation).',
      { hint: 'The passphrase is asked when Stateward starts; it is never stored.' },
    );
  }

  /** First use: create the data key. Returns the recovery key, shown once. */
  async setup(opts: {
    passphrase?: string | undefined;
  }): Promise<{ recoveryKey: string; keyId: string }> {
    if (this.ring()?.active)
      throw new AppError(
        'SECRETS_ALREADY_SET_UP',
        'Secrets are already set up on this data directory.',
      );
    const inTeam = this.inTeam();
    if (inTeam) {
      const [team, count] = await Promise.all([this.teamKey(), this.data().read(countSecrets)]);
      if (team || count > 0) throw teamAlreadySetUp(team);
    }
    await this.requireProvider(opts.passphrase);
    const key = crypto.randomBytes(KEY_BYTES);
    const id = keyIdOf(key);
    const wraps = await this.wrapsFor(key, id, opts.passphrase);
    const previous = this.ring();
    // Keys this process holds (the keyring's file was deleted while the app ran): kept,
    // retired and protected like the new one, so the values they encrypt still open after
    // a restart; their recovery key is shown again.
    const now = this.rt.now();
    const held: Keyring['keys'] = [];
    for (const [heldId, heldKey] of this.keys)
      if (heldId !== id)
        held.push({
          id: heldId,
          createdAt: now,
          retiredAt: now,
          wraps: await this.wrapsFor(heldKey, heldId),
          recoveryPending: true,
        });
    const actor = this.rt.actor;
    await this.commitWithKeyring(
      {
        version: 1,
        active: id,
        keys: [{ id, createdAt: now, retiredAt: null, wraps, recoveryPending: true }, ...held],
      },
      previous,
      function* (c) {
        // The team's key is claimed in the same transaction: of two members setting up at
        // once, the second waits for the first's commit and is refused.
        if (inTeam) {
          const record = { activeKeyId: id, since: now, by: actor };
          if ((yield* countSecrets(c)) > 0 || !(yield* claimTeamKey(c, record, now)))
            throw teamAlreadySetUp(yield* teamKey(c));
        }
        yield* appendAudit(
          c,
          {
            actor,
            action: 'secrets.key_created',
            target: `key:${id}`,
            detail: { providers: wraps.map((w) => w.by) },
          },
          now,
        );
      },
    );
    this.keys.set(id, key);
    this.changed();
    this.rt.events.emit('data.changed', { area: 'audit' });
    return { recoveryKey: encodeRecoveryKey(key), keyId: id };
  }

  /**
   * Key material and the database change commit together: `work` runs in one
   * write transaction (its statements first, so a busy database fails before
   * anything is written) and the keyring is written inside it, last. A
   * crash before COMMIT leaves the keyring ahead of the database — never
   * behind it — with the new key's recovery key still pending; a COMMIT that
   * fails puts the previous keyring back.
   */
  private async commitWithKeyring(
    next: Keyring,
    previous: Keyring | null,
    work: (c: Sql) => Query<void>,
  ): Promise<void> {
    const data = this.data();
    const keysDir = this.rt.layout.keys;
    let written = false;
    try {
      await data.write(function* (c) {
        yield* work(c);
        writeKeyring(keysDir, next);
        written = true;
      });
    } catch (e) {
      if (written) {
        try {
          if (previous) writeKeyring(keysDir, previous);
          else fs.rmSync(keyringPath(keysDir), { force: true });
        } catch {
          // The keyring stays ahead of the database: every key in it still resolves, and
          // a new key's recovery key stays pending until it is shown and acknowledged.
        }
      }
      throw e;
    }
  }

  /**
   * Recovery keys never confirmed as stored (a crash before they were shown, a
   * lost output): shown again at every chance until acknowledged. Only keys
   * unlocked here can be shown; `status().recoveryPending` lists them all.
   */
  pendingRecoveryKeys(): { keyId: string; recoveryKey: string; active: boolean }[] {
    const ring = this.ring();
    if (!ring) return [];
    const out: { keyId: string; recoveryKey: string; active: boolean }[] = [];
    for (const k of ring.keys) {
      const key = this.keys.get(k.id);
      if (k.recoveryPending && key)
        out.push({
          keyId: k.id,
          recoveryKey: encodeRecoveryKey(key),
          active: k.id === ring.active,
        });
    }
    return out;
  }

  /** The user confirmed the recovery key of `keyId` is stored: it is not shown again. */
  async acknowledgeRecoveryKey(keyId: string): Promise<SecretsStatus> {
    const ring = this.ring();
    const entry = ring?.keys.find((k) => k.id === keyId);
    if (!ring || !entry)
      throw new AppError('NOT_FOUND', `There is no data key ${keyId} in this keyring.`);
    if (entry.recoveryPending) {
      delete entry.recoveryPending;
      writeKeyring(this.rt.layout.keys, ring);
      await this.audit('secrets.recovery_key_acknowledged', `key:${keyId}`, {});
      this.changed();
    }
    return this.status();
  }

  /** Unlock every key this machine can: key file and keychain on their own, or with a passphrase. */
  async unlock(opts: { passphrase?: string | undefined } = {}): Promise<SecretsStatus> {
    const ring = this.ring();
    if (!ring?.active)
      throw new AppError('SECRETS_NOT_SET_UP', 'No secrets are set up on this data directory yet.');
    const kf = this.keyFile();
    let triedPassphrase = false;
    for (const entry of ring.keys) {
      if (this.keys.has(entry.id)) continue;
      for (const w of entry.wraps) {
        let key: Buffer | null = null;
        if (w.by === 'keyfile' && kf && kf.fingerprint === w.fingerprint)
          key = open(kf.kek, toSealed(w), keyAad(entry.id));
        if (w.by === 'passphrase' && opts.passphrase !== undefined) {
          triedPassphrase = true;
          const kek = scryptKek(opts.passphrase, w.kdf);
          key = open(kek, toSealed(w), keyAad(entry.id));
          if (key) this.keks.passphrase = { params: w.kdf, kek };
        }
        if (w.by === 'os-keychain' && this.keychain) {
          try {
            key = (await this.keychain.unwrap(Buffer.from(w.blob, 'base64'))).key;
          } catch {
            key = null; // another machine's keychain: that wrap is not for here
          }
        }
        if (key && keyIdOf(key) === entry.id) {
          this.keys.set(entry.id, key);
          this.failed.delete(entry.id);
          if (w.by === 'keyfile') this.keks.keyfile = kf ?? undefined;
          break;
        }
      }
      // A passphrase was given and this key has a passphrase wrap, yet it stays locked: wrong.
      if (
        opts.passphrase !== undefined &&
        !this.keys.has(entry.id) &&
        entry.wraps.some((w) => w.by === 'passphrase')
      )
        this.failed.add(entry.id);
    }
    if (!this.keys.has(ring.active)) {
      if (triedPassphrase) {
        this.changed(); // the key's state is 'wrong' now: every view says so
        await this.audit('secrets.unlock_failed', 'keys', {});
        throw new AppError(
          'SECRETS_WRONG_PASSPHRASE',
          'That passphrase does not unlock the secrets.',
          { hint: 'Check it, or use the recovery key.' },
        );
      }
      throw new AppError(
        'SECRETS_LOCKED',
        'Secrets are locked: enter the passphrase (or use the key file or recovery key).',
      );
    }
    if (opts.passphrase !== undefined) await this.strengthenPassphraseWraps(opts.passphrase);
    await this.followTeamKey();
    await this.upgradeLegacyValuesSafely();
    this.changed();
    return this.status();
  }

  /**
   * Team mode: this keyring's active key is the team's whenever it holds it. It can
   * differ after a rotation killed before its COMMIT (the keyring was written, the
   * database kept the old key) or a promote that brought back an older key: the
   * team's key becomes active here again, the other one stays, retired (it may open
   * newer backups), its recovery key no longer offered as the active one's.
   */
  private async followTeamKey(): Promise<void> {
    const team = await this.teamKey();
    const ring = this.ringOrNull();
    if (!team || !ring || ring.active === team.activeKeyId) return;
    if (!this.keys.has(team.activeKeyId)) return;
    const entry = ring.keys.find((k) => k.id === team.activeKeyId);
    if (!entry) return;
    const now = this.rt.now();
    for (const k of ring.keys) if (k.id === ring.active && k.retiredAt === null) k.retiredAt = now;
    entry.retiredAt = null;
    const from = ring.active;
    ring.active = team.activeKeyId;
    writeKeyring(this.rt.layout.keys, ring);
    this.rt.logger.log(
      'info',
      `secrets: this keyring's active key ${from ?? '(none)'} is not the team's; the team's key ${team.activeKeyId} is active here again`,
    );
  }

  /**
   * A passphrase wrap made with a cheaper scrypt cost than today's (e.g. a keyring
   * written while STATEWARD_SCRYPT_N was obeyed everywhere) is made again with
   * today's cost, for every key unlocked here, once the passphrase is known.
   */
  private async strengthenPassphraseWraps(passphrase: string): Promise<void> {
    const current = this.keks.passphrase;
    if (!current || current.params.N >= scryptCost()) return;
    const ring = this.ring();
    if (!ring) return;
    const params = defaultScrypt();
    const kek = scryptKek(passphrase, params);
    for (const entry of ring.keys) {
      const key = this.keys.get(entry.id);
      if (!key) continue;
      entry.wraps = entry.wraps.map((w) =>
        w.by === 'passphrase'
          ? { by: 'passphrase', kdf: params, ...fromSealed(seal(kek, key, keyAad(entry.id))) }
          : w,
      );
    }
    writeKeyring(this.rt.layout.keys, ring);
    this.keks.passphrase = { params, kek };
    await this.audit('secrets.passphrase_rewrapped', 'keys', { N: params.N });
  }

  /** Unlock with a recovery key (e.g. a backup restored on another machine) and keep it in this keyring. */
  async unlockWithRecoveryKey(
    recoveryKey: string,
    opts: { passphrase?: string | undefined } = {},
  ): Promise<{ keyId: string; saved: boolean }> {
    const key = decodeRecoveryKey(recoveryKey);
    if (!key)
      throw new AppError(
        'SECRETS_RECOVERY_KEY_INVALID',
        'That is not a valid recovery key (it should look like SWRK-XXXX-…; the last group is a checksum).',
      );
    const id = keyIdOf(key);
    const team = await this.teamKey();
    await this.refuseUnrelatedKey(id, team);
    this.keys.set(id, key);
    this.failed.delete(id);
    await this.upgradeLegacyValuesSafely();
    let ring: Keyring;
    try {
      ring = readKeyring(this.rt.layout.keys) ?? { version: 1, active: null, keys: [] };
    } catch {
      // A damaged keyring is kept aside and rebuilt from the recovery key.
      const file = keyringPath(this.rt.layout.keys);
      fs.renameSync(file, `${file}.damaged-${this.rt.now()}`);
      ring = { version: 1, active: null, keys: [] };
    }
    const known = ring.keys.find((k) => k.id === id);
    // A team member joining (or catching up after a rotation): the team's key becomes this
    // keyring's active one, the one it had before is retired (kept for older backups).
    const makeActive = !ring.active || team?.activeKeyId === id;
    const wraps = await this.wrapsFor(key, id, opts.passphrase);
    if (wraps.length === 0) {
      this.changed();
      await this.audit('secrets.recovery_used', `key:${id}`, { saved: false });
      return { keyId: id, saved: false };
    }
    if (known) {
      known.wraps = wraps;
      delete known.recoveryPending; // whoever typed it has it stored
    } else
      ring.keys.push({
        id,
        createdAt: this.rt.now(),
        retiredAt: makeActive ? null : this.rt.now(),
        wraps,
      });
    if (makeActive && ring.active !== id) {
      const now = this.rt.now();
      for (const k of ring.keys)
        if (k.id === ring.active && k.retiredAt === null) k.retiredAt = now;
        else if (k.id === id) k.retiredAt = null;
      ring.active = id;
    }
    writeKeyring(this.rt.layout.keys, ring);
    // Only now: a view refreshing on this event reads the keyring as it is from here on.
    this.changed();
    await this.audit('secrets.recovery_used', `key:${id}`, { saved: true });
    return { keyId: id, saved: true };
  }

  /**
   * A well-formed recovery key that opens none of this data dir's secrets (another
   * machine's, an older install's) is refused before anything changes: keeping it
   * would add a stranger to the keyring and "recover" nothing. A key this keyring
   * already knows, or any key while there are no secrets yet, is accepted as before.
   */
  private async refuseUnrelatedKey(id: string, team: TeamKey | null): Promise<void> {
    const rows = this.rt.data ? await this.rt.data.read(allSecrets) : [];
    if (team?.activeKeyId === id || rows.some((r) => r.key_id === id)) return;
    if (this.ringOrNull()?.keys.some((k) => k.id === id)) return;
    // In a team only the team's key (or one its secrets use) is taken: a stranger would
    // never make this member able to read the team's secrets.
    if (team)
      throw new AppError(
        'SECRETS_RECOVERY_KEY_INVALID',
        `That recovery key (key ${id}) is not this team's: the team's data key is ${team.activeKeyId} (made active by ${team.by}); nothing was changed.`,
        {
          hint: 'Ask the member who set up secrets (or last rotated the key) for the team’s current recovery key.',
        },
      );
    if (rows.length === 0) return;
    const used = [...new Set(rows.map((r) => r.key_id))];
    throw new AppError(
      'SECRETS_RECOVERY_KEY_INVALID',
      `That recovery key (key ${id}) belongs to none of the ${rows.length} secret(s) in this data directory (they use key ${used.join(', ')}); nothing was changed.`,
      {
        hint: 'Use the recovery key that was shown when these secrets were stored (or after the last key rotation).',
      },
    );
  }

  /**
   * The key new values are sealed with. In team mode that is the team's active key
   * (as the database records it), never this keyring's own choice: a member that
   * lacks it is refused (`what` says what did not happen).
   */
  private async activeKey(what: string): Promise<{ id: string; key: Buffer }> {
    const team = await this.teamKey();
    if (team) {
      const key = this.keys.get(team.activeKeyId);
      if (key) return { id: team.activeKeyId, key };
      if (!this.ring()?.keys.some((k) => k.id === team.activeKeyId))
        throw teamKeyUnavailable(team, what);
    }
    const ring = this.ring();
    if (!ring?.active)
      throw new AppError(
        'SECRETS_NOT_SET_UP',
        'Set up secrets first (a passphrase or key file protects them).',
      );
    const id = team?.activeKeyId ?? ring.active;
    const key = this.keys.get(id);
    if (!key) throw new AppError('SECRETS_LOCKED', 'Secrets are locked: unlock them first.');
    return { id, key };
  }

  /** Status changed (set up, unlocked, locked, rotated): every window refreshes its view of it. */
  private changed(): void {
    this.rt.events.emit('data.changed', { area: 'secrets' });
  }

  private async audit(
    action: string,
    target: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    if (!this.rt.data) return;
    const entry = { actor: this.rt.actor, action, target, detail };
    const now = this.rt.now();
    await this.rt.data.write((c) => appendAudit(c, entry, now));
    this.rt.events.emit('data.changed', { area: 'audit' });
  }

  private entry(row: SecretRow, ring: Keyring | null = this.ringOrNull()): SecretEntry {
    const resolves = this.decrypt(row) !== null;
    const state = this.keyState(row.key_id, ring);
    return {
      id: row.id,
      environmentId: row.environment_id,
      name: row.name,
      keyId: row.key_id,
      resolves,
      // The key is here, yet the value does not verify with it: changed outside Stateward.
      keyState: state === 'unlocked' && !resolves ? 'wrong' : state,
      updatedAt: row.updated_at,
    };
  }

  private decrypt(row: SecretRow): Buffer | null {
    const key = this.keys.get(row.key_id);
    return key ? openValue(key, row) : null;
  }

  /** The secrets of an environment, live or in `data` (a previewed copy). */
  async list(environmentId: number, data: DataStore = this.data()): Promise<SecretEntry[]> {
    const found = await data.read(function* (c) {
      yield* getEnvironment(c, environmentId);
      return yield* secretsOf(c, environmentId);
    });
    const ring = this.ringOrNull();
    return found.map((r) => this.entry(r, ring));
  }

  async set(environmentId: number, name: string, value: string): Promise<SecretEntry> {
    const data = this.data();
    const { id: keyId, key } = await this.activeKey('nothing was stored');
    const actor = this.rt.actor;
    const now = this.rt.now();
    const newId = `sec_${crypto.randomBytes(10).toString('hex')}`;
    const inTeam = this.inTeam();
    const holds = (id: string) => this.keys.has(id);
    // Read and written in one transaction: a value set at the same time elsewhere
    // (another instance of a team) is either seen here as existing, or conflicts.
    const saved = await this.scrubbing(() =>
      data.write(function* (c) {
        if (inTeam) yield* checkTeamKey(c, keyId, { actor, now, holds });
        yield* getEnvironment(c, environmentId);
        const existing = yield* secretByName(c, environmentId, name);
        const id = existing?.id ?? newId;
        const sealed = sealValue(key, Buffer.from(value, 'utf8'), {
          id,
          environment_id: environmentId,
          name,
          key_id: keyId,
        });
        yield* upsertSecret(c, {
          id,
          environment_id: environmentId,
          name,
          key_id: keyId,
          iv: sealed.iv,
          tag: sealed.tag,
          ciphertext: sealed.ciphertext,
          created_at: existing?.created_at ?? now,
          updated_at: now,
        });
        yield* appendAudit(
          c,
          {
            actor,
            action: existing ? 'secret.updated' : 'secret.created',
            target: `environment:${environmentId}`,
            detail: { name, ref: id },
          },
          now,
        );
        return (yield* secretById(c, id))!;
      }),
    );
    this.rt.events.emit('data.changed', { area: 'environments' });
    return this.entry(saved);
  }

  async unset(environmentId: number, name: string): Promise<void> {
    const data = this.data();
    const actor = this.rt.actor;
    const now = this.rt.now();
    await this.scrubbing(() =>
      data.write(function* (c) {
        const row = yield* secretByName(c, environmentId, name);
        if (!row)
          throw new AppError('NOT_FOUND', `This environment has no secret named "${name}".`);
        yield* deleteSecret(c, row.id);
        yield* appendAudit(
          c,
          {
            actor,
            action: 'secret.deleted',
            target: `environment:${environmentId}`,
            detail: { name, ref: row.id },
          },
          now,
        );
      }),
    );
    this.rt.events.emit('data.changed', { area: 'environments' });
  }

  /** The one way a value leaves: explicit, audited. */
  async reveal(secretId: string): Promise<string> {
    const data = this.data();
    const row = await data.read((c) => secretById(c, secretId));
    if (!row) throw new AppError('NOT_FOUND', `There is no secret ${secretId}.`);
    if (!this.keys.has(row.key_id)) {
      const team = await this.teamKey();
      if (
        team?.activeKeyId === row.key_id &&
        !this.ringOrNull()?.keys.some((k) => k.id === row.key_id)
      )
        throw teamKeyUnavailable(team, 'this secret cannot be revealed here');
      throw new AppError(
        'SECRETS_LOCKED',
        'The key for this secret is not unlocked on this machine.',
        {
          hint: 'Unlock secrets, or use the recovery key of the machine that stored it.',
        },
      );
    }
    const plain = this.decrypt(row);
    if (!plain)
      throw new AppError(
        'SECRET_TAMPERED',
        'This secret does not verify with the key that stored it: it was changed, moved or renamed outside Stateward.',
        { hint: 'Set its value again (or restore a backup from before the change).' },
      );
    await this.audit('secret.revealed', `environment:${row.environment_id}`, {
      name: row.name,
      ref: row.id,
    });
    return plain.toString('utf8');
  }

  /**
   * Refuse text about to be stored — a configuration snapshot, a deployment's
   * diagnostic summary, a log line — that carries any secret's value (of any
   * environment) instead of its reference. The refusal never says which secret
   * matched, and every match is audited (so guessing values through it leaves a
   * trail). Call it outside a transaction: the audit entry must outlive the
   * refusal. While locked nothing can be compared, so the text is refused until
   * secrets are unlocked (only when secrets exist).
   */
  async assertNoSecretValues(field: keyof typeof FIELD_WORDS, content: unknown): Promise<void> {
    const rows = await this.data().read(allSecrets);
    if (rows.length === 0 || content === null || content === undefined) return;
    const text = typeof content === 'string' ? content : JSON.stringify(content);
    const ours = new Set(this.ring()?.keys.map((k) => k.id) ?? []);
    const what = FIELD_WORDS[field];
    // In a team the team's key is never "another machine's": a member that lacks it cannot
    // compare the team's values, so the text waits until it joins (as while locked).
    // (Read only when some value's key is missing here: the common case costs no query.)
    let team: TeamKey | null | undefined;
    for (const row of rows) {
      const plain = this.decrypt(row);
      if (!plain && !ours.has(row.key_id)) team ??= await this.teamKey();
      if (!plain && team?.activeKeyId === row.key_id && !ours.has(row.key_id))
        throw teamKeyUnavailable(
          team,
          `this ${what} could not be checked for secret values and was not stored`,
        );
      // A reference under another machine's key (a restored backup not yet re-bound) cannot be compared.
      if (!plain && !ours.has(row.key_id)) continue;
      if (!plain) {
        throw new AppError(
          'SECRETS_LOCKED',
          `Unlock secrets first: ${what} is checked for secret values before it is stored.`,
          { hint: 'Unlock with the passphrase (Keys & secrets), then try again.' },
        );
      }
      const value = plain.toString('utf8');
      plain.fill(0);
      if (value.length < 4) continue;
      const escaped = JSON.stringify(value).slice(1, -1);
      if (!text.includes(value) && !text.includes(escaped)) continue;
      await this.audit('secret.value_refused', 'data-dir', { field });
      throw new AppError(
        'SECRET_VALUE_REFUSED',
        `This ${what} contains the value of a secret stored in Stateward, so it was not stored. ${field === 'content' ? 'Snapshots keep references, never values.' : 'Values never go into deployment records.'}`,
        {
          hint:
            field === 'content'
              ? 'Use {"$secret": "NAME"} where the value should go.'
              : 'Leave the value out (mention the secret by name instead).',
          details: { field },
        },
      );
    }
  }

  /**
   * Which secret references in a database resolve with the keys this machine has
   * unlocked. A reference whose key is here but that does not verify was changed
   * outside Stateward (moved to another environment, renamed, edited): tampered.
   */
  resolveAll(db: ReadableDB): SecretResolution {
    // A copy being drilled or previewed: a SQLite file.
    return this.resolveRows(runSqlite(db, allSecrets(SQLITE)));
  }

  /** resolveAll on rows already read (the server drill reads them from its scratch schema). */
  resolveRows(
    rows: (SecretRow & { environment_name: string; project_name: string })[],
  ): SecretResolution {
    const ref = (r: (typeof rows)[number]) => ({
      id: r.id,
      project: r.project_name,
      environment: r.environment_name,
      name: r.name,
      keyId: r.key_id,
    });
    const failing = rows.filter((r) => this.decrypt(r) === null);
    const tampered = failing.filter((r) => this.keys.has(r.key_id)).map(ref);
    const ring = this.ringOrNull();
    const keys = keyAvailability(
      rows.map((r) => r.key_id),
      (id) => this.keyState(id, ring),
      (id) => ring?.keys.find((k) => k.id === id)?.wraps.map((w) => w.by) ?? [],
    );
    return {
      total: rows.length,
      resolved: rows.length - failing.length,
      unresolved: failing.map(ref),
      tampered,
      keys,
      keyState: overallKeyState(keys, tampered.length),
    };
  }

  /**
   * Values stored before they were bound to environment, name and key are sealed
   * again with that binding (same key), once their key is unlocked here.
   */
  private async upgradeLegacyValuesSafely(): Promise<void> {
    try {
      await this.upgradeLegacyValues();
    } catch (e) {
      // They still resolve under the old binding; the next unlock tries again.
      this.rt.logger.log('warn', 'could not re-seal older secret values with their binding', e);
    }
  }

  private async upgradeLegacyValues(): Promise<void> {
    const data = this.rt.data;
    if (!data) return;
    const keys = this.keys;
    const upgradable = (r: SecretRow) => isLegacy(r) && keys.has(r.key_id);
    if (!(await data.read(allSecrets)).some(upgradable)) return;
    const decrypt = (r: SecretRow) => this.decrypt(r);
    await this.scrubbing(() =>
      // Read again inside the write: only values still stored the old way are sealed again.
      data.write(function* (c) {
        for (const row of yield* allSecrets(c)) {
          if (!upgradable(row)) continue;
          const plain = decrypt(row);
          if (!plain) continue; // does not verify even under the old binding: left for the drill to report
          yield* upsertSecret(c, { ...row, ...sealValue(keys.get(row.key_id)!, plain, row) });
        }
      }),
    );
  }

  /**
   * New data key; every value re-encrypted in one transaction; the old key is kept
   * (retired) for old backups. In team mode one member rotates at a time (the
   * keyRotation advisory lock: a second gets INSTANCE_BUSY), and the same
   * transaction makes the new key the team's: the other members are asked for the
   * new recovery key (which only this member is shown).
   */
  async rotate(
    opts: { passphrase?: string | undefined } = {},
  ): Promise<{ recoveryKey: string; keyId: string; reencrypted: number }> {
    const team = this.inTeam() ? this.rt.team : null;
    if (!team) return this.rotateHere(opts);
    const client = await team.pool.connect();
    try {
      const r = await withTryLock(client, advisoryKey('keyRotation', team.schema), () =>
        this.rotateHere(opts),
      );
      if (r.locked) return r.value;
      throw new AppError(
        'INSTANCE_BUSY',
        'Another member of the team is rotating the data key right now; nothing was changed.',
        {
          hint: 'Wait for it to finish: then this machine needs the new recovery key from that member (Join with the team’s recovery key).',
          details: { schema: team.schema, retryable: true },
        },
      );
    } finally {
      client.release();
    }
  }

  private async rotateHere(opts: {
    passphrase?: string | undefined;
  }): Promise<{ recoveryKey: string; keyId: string; reencrypted: number }> {
    const old = await this.activeKey('it cannot be rotated here');
    const ring = this.ring()!;
    const oldEntry = ring.keys.find((k) => k.id === old.id)!;
    // The new key is protected exactly as the old one was: each provider must be at hand.
    if (oldEntry.wraps.some((w) => w.by === 'passphrase') && !this.keks.passphrase) {
      if (opts.passphrase === undefined) {
        throw new AppError(
          'SECRETS_PASSPHRASE_REQUIRED',
          'Enter the passphrase to rotate the key: the new key is protected by it too.',
        );
      }
      const w = oldEntry.wraps.find(
        (x): x is Extract<Wrap, { by: 'passphrase' }> => x.by === 'passphrase',
      )!;
      const kek = scryptKek(opts.passphrase, w.kdf);
      if (!open(kek, toSealed(w), keyAad(old.id))) {
        throw new AppError(
          'SECRETS_WRONG_PASSPHRASE',
          'That passphrase does not unlock the secrets.',
        );
      }
      this.keks.passphrase = { params: w.kdf, kek };
    }
    const key = crypto.randomBytes(KEY_BYTES);
    const id = keyIdOf(key);
    const wraps = await this.wrapsFor(key, id);
    const missing = [...new Set(oldEntry.wraps.map((w) => w.by))].filter(
      (by) => !wraps.some((w) => w.by === by),
    );
    if (missing.length > 0 || wraps.length === 0) {
      throw new AppError(
        'SECRETS_KEY_UNAVAILABLE',
        `The new key cannot be protected by ${missing.join(', ') || 'anything'} here, so nothing was rotated.`,
        {
          hint: 'Unlock with every way the key is protected (passphrase, key file, keychain), then rotate.',
        },
      );
    }
    const now = this.rt.now();
    this.keys.set(id, key);
    // The values are re-encrypted and the new key made active in one transaction; the
    // keyring (new key active and its recovery key pending, the old one retired but kept
    // for older backups) is written inside it before COMMIT.
    const previous = structuredClone(ring);
    oldEntry.retiredAt = now;
    ring.keys.push({ id, createdAt: now, retiredAt: null, wraps, recoveryPending: true });
    ring.active = id;
    let count = 0;
    const actor = this.rt.actor;
    const decrypt = (r: SecretRow) => this.decrypt(r);
    const inTeam = this.inTeam();
    try {
      await this.scrubbing(() =>
        this.commitWithKeyring(ring, previous, function* (c) {
          if (inTeam) {
            // First: a value being set now commits before this reads the rows, or waits and
            // then sees the new key.
            const current = yield* teamKey(c, 'update');
            if (current && current.activeKeyId !== old.id)
              throw teamKeyUnavailable(current, 'nothing was rotated');
            yield* replaceTeamKey(c, { activeKeyId: id, since: now, by: actor }, now);
          }
          for (const row of yield* allSecrets(c)) {
            const plain = decrypt(row);
            if (!plain) continue; // a reference from another machine's key stays as it is
            const sealed = sealValue(key, plain, { ...row, key_id: id });
            yield* upsertSecret(c, {
              ...row,
              key_id: id,
              iv: sealed.iv,
              tag: sealed.tag,
              ciphertext: sealed.ciphertext,
              updated_at: now,
            });
            count++;
          }
          yield* appendAudit(
            c,
            {
              actor,
              action: 'secrets.key_rotated',
              target: `key:${id}`,
              detail: { from: old.id, reencrypted: count },
            },
            now,
          );
        }),
      );
    } catch (e) {
      this.keys.delete(id);
      throw e;
    }
    this.changed();
    this.rt.events.emit('data.changed', { area: 'audit' });
    return { recoveryKey: encodeRecoveryKey(key), keyId: id, reencrypted: count };
  }

  /** The id of the active data key (for backup manifests), never the key. */
  activeKeyId(): string | null {
    try {
      return this.ring()?.active ?? null;
    } catch {
      return null;
    }
  }

  lock(): void {
    for (const k of this.keys.values()) k.fill(0);
    this.keys.clear();
    this.failed.clear();
    for (const k of Object.values(this.keks) as { kek: Buffer }[]) k.kek.fill(0);
    this.keks = {};
    this.changed();
  }
}
