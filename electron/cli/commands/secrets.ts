// `stateward secret set|list|unset` and `stateward key status|rotate|recovery|ack`:
// values from stdin or a hidden prompt (never argv), recovery keys shown until confirmed.
import type { KeyState, SecretEntry, SecretsStatus } from '../../../shared/domain.ts';
import { AppError } from '../../../shared/errors.ts';
import type { ResolvedDataDir } from '../../core/paths.ts';
import type { Runtime } from '../../core/runtime.ts';
import type { Query, Sql } from '../../core/store/sql.ts';
import { row, rows, sameText } from '../../core/store/sql.ts';
import { allSecrets } from '../../core/store/resources/secrets.ts';
import type { CliCommand } from '../args.ts';
import { envTarget, usageError } from '../args.ts';
import { EXIT } from '../exit.ts';
import { databaseUrlOf, inTeamMode, openShared, openTeam, refusal, startCli } from '../open.ts';
import type { CliIo, Outcome } from '../output.ts';
import { promptHidden, readStdin } from '../prompt.ts';

async function secretsRuntime(
  where: ResolvedDataDir,
  lockMode: string | null,
  databaseUrl: string | undefined,
): Promise<Runtime> {
  // Team mode: the secrets live in the team's PostgreSQL database, the keyring here.
  if (inTeamMode(where, databaseUrl)) return openTeam(where, databaseUrl, lockMode);
  const rt = lockMode === null ? await openShared(where) : await startCli(where, lockMode);
  if (!rt) {
    throw new AppError(
      'STORE_NOT_READY',
      `There is no current Stateward database in ${where.dir}.`,
      {
        hint: 'Start the app once (or run `stateward migrate`) first.',
      },
    );
  }
  if (rt.startup.state === 'refused') {
    const err = refusal(rt);
    rt.close();
    throw err;
  }
  return rt;
}

/** Unlock with the key file, or ask for the passphrase on the terminal. */
/** Why a secret does not resolve, by its key's state: locked is not missing. */
const SECRET_STATE_TEXT: Record<KeyState, string> = {
  unlocked: 'does not verify: changed outside Stateward (set it again)',
  locked:
    'locked here: its key is on this machine (unlock with the passphrase or key file; see key status)',
  missing: 'does not resolve here: its key is not on this machine (key recovery, or set it again)',
  wrong: 'does not open: a wrong passphrase, or changed outside Stateward',
};

async function unlockSecrets(rt: Runtime): Promise<void> {
  const st = await rt.secrets.status();
  if (!st.initialized || st.unlocked) return;
  if (st.providers.includes('passphrase')) {
    await rt.secrets.unlock({ passphrase: await promptHidden('Stateward passphrase: ') });
  } else {
    await rt.secrets.unlock();
  }
}

/**
 * Recovery keys never confirmed as stored (the first one, a rotation's, or one a
 * crash kept from being printed) go to stderr after every secret or key command
 * that has their key unlocked — even one that then fails — until `key ack`.
 */
function recoveryKeyNotice(
  rt: Runtime,
  io: CliIo,
): { recoveryKey?: string; pendingRecoveryKeys?: { keyId: string; recoveryKey: string }[] } {
  const pending = rt.secrets.pendingRecoveryKeys();
  if (pending.length === 0) return {};
  for (const p of pending) {
    io.stderr(
      `\n${p.active ? 'Recovery key' : 'Recovery key of an older data key (it opens older backups)'} — key ${p.keyId}; store it somewhere safe, away from this machine:\n\n    ${p.recoveryKey}\n\nIt unlocks these secrets on another machine after a restore. It is shown again until you confirm it is stored: stateward key ack ${p.keyId}\n\n`,
    );
  }
  const active = pending.find((p) => p.active);
  return {
    ...(active ? { recoveryKey: active.recoveryKey } : {}),
    pendingRecoveryKeys: pending.map(({ keyId, recoveryKey }) => ({ keyId, recoveryKey })),
  };
}

function* environmentByNames(
  c: Sql,
  project: string,
  environment: string,
): Query<{ id: number } | undefined> {
  return yield* row(
    c.k
      .selectFrom('environments as e')
      .innerJoin('projects as p', 'p.id', 'e.project_id')
      .select('e.id')
      .where(sameText(c, 'p.name', project))
      .where(sameText(c, 'e.name', environment)),
  );
}

/** The environments that hold secrets, as "project/environment". */
function* environmentsWithSecrets(c: Sql): Query<{ environmentId: number; label: string }[]> {
  const found = yield* rows(
    c.k
      .selectFrom('secrets as s')
      .innerJoin('environments as e', 'e.id', 's.environment_id')
      .innerJoin('projects as p', 'p.id', 'e.project_id')
      .select(['e.id as environmentId', 'p.name as project', 'e.name as environment'])
      .distinct(),
  );
  // In the byte order of the label, as it always was listed.
  return found
    .map((f) => ({ environmentId: f.environmentId, label: `${f.project}/${f.environment}` }))
    .sort((x, y) => Buffer.compare(Buffer.from(x.label), Buffer.from(y.label)));
}

/** The live data (either backend) of a runtime secretsRuntime opened. */
function dataOf(rt: Runtime) {
  if (!rt.data) throw new AppError('STORE_NOT_READY', 'The data directory is not open.');
  return rt.data;
}

async function envArg(rt: Runtime, arg: string): Promise<{ environmentId: number; label: string }> {
  const names = envTarget(arg);
  const row = await dataOf(rt).read((c) => environmentByNames(c, names.project, names.environment));
  if (!row)
    throw new AppError('NOT_FOUND', `There is no environment ${arg}.`, {
      hint: 'Check the names with `stateward secret list`.',
    });
  return { environmentId: row.id, label: arg };
}

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

async function secretCommand(
  where: ResolvedDataDir,
  args: string[],
  io: CliIo,
  stdin: NodeJS.ReadableStream,
  databaseUrl: string | undefined,
): Promise<Outcome> {
  const [sub, target, name] = args;
  if (sub === 'status') {
    if (args.length !== 1) throw usageError('secret status takes no arguments.');
    return keyStatus(await secretsRuntime(where, null, databaseUrl), io);
  }
  // The arguments are checked before anything is opened: bad input is exit 2 on any data dir.
  if (sub === 'list') {
    if (args.length > 2) throw usageError('secret list takes at most <project>/<env>.');
    if (target !== undefined) envTarget(target);
  } else {
    if (sub !== 'set' && sub !== 'unset') throw usageError('Use: secret set|list|unset|status …');
    if (!target || !name || args.length !== 3)
      throw usageError(
        `Use: secret ${sub} <project>/<env> NAME${sub === 'set' ? ' (the value comes from stdin or a prompt)' : ''}`,
      );
    envTarget(target);
    if (!SECRET_NAME.test(name))
      throw usageError(`"${name}" is not a secret name like DATABASE_URL.`);
  }
  const rt = await secretsRuntime(where, null, databaseUrl);
  try {
    if (sub === 'list') {
      const envs = target
        ? [await envArg(rt, target)]
        : await dataOf(rt).read(environmentsWithSecrets);
      await unlockSecrets(rt).catch(() => undefined);
      const rows: (SecretEntry & { environment: string })[] = [];
      for (const e of envs)
        for (const s of await rt.secrets.list(e.environmentId))
          rows.push({ ...s, environment: e.label });
      const shown = recoveryKeyNotice(rt, io);
      return {
        exit: EXIT.ok,
        json: { secrets: rows, ...shown },
        text: rows.length
          ? `${rows.map((r) => `${r.environment}  ${r.name}  ${r.id}  ${r.resolves ? 'resolves' : SECRET_STATE_TEXT[r.keyState]}`).join('\n')}\n`
          : 'No secrets.\n',
      };
    }
    const env = await envArg(rt, target!);
    if (sub === 'unset') {
      await rt.secrets.unset(env.environmentId, name!);
      return {
        exit: EXIT.ok,
        json: { removed: name, environment: env.label },
        text: `Removed ${name} from ${env.label}.\n`,
      };
    }
    const st = await rt.secrets.status();
    // The value first: a bad one must not leave a key set up whose recovery key nobody saw.
    const value = (stdin as { isTTY?: boolean }).isTTY
      ? await promptHidden(`Value of ${name}: `, 'BAD_INPUT')
      : // 64 Ki characters are at most 4 bytes each in UTF-8, and a newline.
        await readStdin(stdin, 4 * 65536 + 2, 'The value is longer than 64 KiB.');
    if (value === '')
      throw new AppError(
        'BAD_INPUT',
        'The value is empty: pipe it in on stdin or type it at the prompt.',
      );
    if (value.length > 65536) throw new AppError('BAD_INPUT', 'The value is longer than 64 KiB.');
    if (!st.initialized) {
      let passphrase: string | undefined;
      if (!st.keyFileConfigured) {
        passphrase = await promptHidden(
          'New passphrase to protect secrets (8+ characters): ',
          'SECRETS_PASSPHRASE_REQUIRED',
        );
        if (passphrase.length < 8)
          throw new AppError('BAD_INPUT', 'The passphrase must be at least 8 characters.');
        if ((await promptHidden('Repeat it: ', 'SECRETS_PASSPHRASE_REQUIRED')) !== passphrase)
          throw new AppError('BAD_INPUT', 'The passphrases differ.');
      }
      await rt.secrets.setup({ passphrase });
    } else {
      await unlockSecrets(rt);
    }
    let entry: SecretEntry;
    try {
      entry = await rt.secrets.set(env.environmentId, name!, value);
    } catch (e) {
      recoveryKeyNotice(rt, io); // the key may exist by now: its recovery key is not lost with the value
      throw e;
    }
    const shown = recoveryKeyNotice(rt, io);
    return {
      exit: EXIT.ok,
      json: { secret: entry, ...shown },
      text: `Stored ${name} in ${env.label} (reference ${entry.id}).\n`,
    };
  } finally {
    rt.close();
  }
}

/** What `key status` / `secret status` print about a team key this machine lacks. */
function teamKeyText(st: SecretsStatus): string {
  const need = st.needsTeamKey;
  if (!need) return '';
  return `The team's data key is ${need.keyId} (made active by ${need.rotatedBy} at ${new Date(need.since).toISOString()}), and this machine does not have it: enter the team's recovery key once with \`stateward key recovery\` (ask ${need.rotatedBy} for it). Until then secrets cannot be set or revealed here.\n`;
}

/** `key status` (and `secret status`): the data key, how it is protected, and the team's key. */
async function keyStatus(rt: Runtime, io: CliIo): Promise<Outcome> {
  try {
    const st = await rt.secrets.status();
    if (st.initialized && !st.unlocked && process.env.STATEWARD_KEY_FILE)
      await rt.secrets.unlock().catch(() => undefined);
    const now = await rt.secrets.status();
    const shown = recoveryKeyNotice(rt, io);
    const unseen = now.recoveryPending.length - (shown.pendingRecoveryKeys?.length ?? 0);
    return {
      exit: EXIT.ok,
      json: { ...now, ...shown },
      text:
        (now.initialized
          ? `Data key ${now.activeKeyId}: ${now.unlocked ? 'unlocked' : 'locked'}; protected by ${now.providers.join(', ') || 'nothing on this machine'}; ${now.secretCount} secret(s).\n`
          : now.needsTeamKey
            ? `No data key on this machine yet. ${now.secretCount} secret(s).\n`
            : `No data key yet: it is created when the first secret is stored. ${now.secretCount} secret(s).\n`) +
        teamKeyText(now) +
        (unseen > 0
          ? `${unseen} recovery key(s) were never confirmed as stored: unlock secrets (e.g. \`stateward secret list\` with the passphrase) to see them.\n`
          : ''),
    };
  } finally {
    rt.close();
  }
}

async function keyCommand(
  where: ResolvedDataDir,
  args: string[],
  io: CliIo,
  stdin: NodeJS.ReadableStream,
  databaseUrl: string | undefined,
): Promise<Outcome> {
  const [sub] = args;
  if (sub === 'ack') {
    if (args.length !== 2 || !/^[0-9a-f]{16}$/.test(args[1]!))
      throw usageError('Use: key ack <key-id> (the id printed with the recovery key).');
    const rt = await secretsRuntime(where, null, databaseUrl);
    try {
      const st = await rt.secrets.acknowledgeRecoveryKey(args[1]!);
      return {
        exit: EXIT.ok,
        json: st,
        text: `Recovery key of data key ${args[1]} confirmed as stored; it is not shown again.\n`,
      };
    } finally {
      rt.close();
    }
  }
  if (args.length !== 1 || !['status', 'rotate', 'recovery'].includes(sub ?? ''))
    throw usageError('Use: key status|rotate|recovery|ack');
  // Rotation rewrites every secret and the keyring: it needs the data directory to itself.
  const rt = await secretsRuntime(where, sub === 'rotate' ? 'cli-key-rotate' : null, databaseUrl);
  if (sub === 'status') return keyStatus(rt, io);
  try {
    if (sub === 'rotate') {
      await unlockSecrets(rt);
      const st = await rt.secrets.status();
      const needsPassphrase = st.providers.includes('passphrase') && !st.keyFileConfigured;
      const passphrase = needsPassphrase
        ? await promptHidden('Stateward passphrase: ', 'SECRETS_PASSPHRASE_REQUIRED')
        : undefined;
      let r: { recoveryKey: string; keyId: string; reencrypted: number };
      try {
        r = await rt.secrets.rotate(passphrase === undefined ? {} : { passphrase });
      } catch (e) {
        recoveryKeyNotice(rt, io);
        throw e;
      }
      // The new key's recovery key is pending (shown again until `key ack`); the old one
      // still opens older backups (the notice says so when it is pending too).
      const shown = recoveryKeyNotice(rt, io);
      return {
        exit: EXIT.ok,
        json: { ...r, ...shown, recoveryKey: r.recoveryKey },
        text: `Rotated to data key ${r.keyId}; re-encrypted ${r.reencrypted} secret(s).\n`,
      };
    }
    const text = (stdin as { isTTY?: boolean }).isTTY
      ? await promptHidden('Recovery key: ', 'BAD_INPUT')
      : await readStdin(stdin, 4096, 'That is not a recovery key: far too long.');
    const st = await rt.secrets.status();
    let passphrase: string | undefined;
    if (!st.keyFileConfigured && !st.unlocked) {
      passphrase = st.initialized
        ? await promptHidden(
            'This machine’s passphrase (to keep the recovered key): ',
            'SECRETS_PASSPHRASE_REQUIRED',
          )
        : await promptHidden(
            'New passphrase for this machine (8+ characters): ',
            'SECRETS_PASSPHRASE_REQUIRED',
          );
      if (st.initialized) await rt.secrets.unlock({ passphrase });
    }
    const r = await rt.secrets.unlockWithRecoveryKey(text, {
      passphrase: st.initialized ? undefined : passphrase,
    });
    const resolution = rt.secrets.resolveRows(await dataOf(rt).read(allSecrets));
    const shown = recoveryKeyNotice(rt, io);
    return {
      exit: EXIT.ok,
      json: { ...r, resolution, ...shown },
      text: `Recovered data key ${r.keyId}${r.saved ? ' and kept it in this machine’s keyring' : ' for this run only'}; ${resolution.resolved} of ${resolution.total} secret reference(s) resolve.\n`,
    };
  } finally {
    rt.close();
  }
}

export const secretCommands: CliCommand[] = [
  {
    name: 'secret',
    usage: [
      [
        'secret set <project>/<env> NAME',
        'store a secret (value from stdin or a prompt, never argv)',
      ],
      ['secret list [<project>/<env>]', 'names and references (never values)'],
      ['secret unset <project>/<env> NAME', 'remove a secret'],
      ['secret status', 'as key status (in a team: whether this machine has the team’s key)'],
    ],
    help: 'Unlocks with STATEWARD_KEY_FILE, or asks for the passphrase on the terminal.',
    args: 'any',
    run: ({ where, args, io, stdin, values }) =>
      secretCommand(where, args, io, stdin, databaseUrlOf(values)),
  },
  {
    name: 'key',
    usage: [
      ['key status', 'is the data key set up, unlocked, and how it is protected'],
      ['key rotate', 'new data key; every value re-encrypted in one transaction'],
      ['key recovery', 'unlock with a recovery key (read from stdin or a prompt)'],
      ['key ack <key-id>', 'confirm a shown recovery key is stored (else it is shown again)'],
    ],
    help: 'Recovery keys are printed on stderr until confirmed with `stateward key ack <key-id>`.',
    args: 'any',
    run: ({ where, args, io, stdin, values }) =>
      keyCommand(where, args, io, stdin, databaseUrlOf(values)),
  },
];
