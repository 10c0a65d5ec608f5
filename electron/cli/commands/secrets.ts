// `stateward secret set|list|unset` and `stateward key status|rotate|recovery|ack`:
// values from stdin or a hidden prompt (never argv), recovery keys shown until confirmed.
import type { KeyState, SecretEntry } from '../../../shared/domain.ts';
import { AppError } from '../../../shared/errors.ts';
import type { ResolvedDataDir } from '../../core/paths.ts';
import type { Runtime } from '../../core/runtime.ts';
import { startRuntime } from '../../core/runtime.ts';
import type { CliCommand } from '../args.ts';
import { usageError } from '../args.ts';
import { EXIT } from '../exit.ts';
import { openShared, refusal } from '../open.ts';
import type { CliIo, Outcome } from '../output.ts';
import { promptHidden, readStdin } from '../prompt.ts';

async function secretsRuntime(where: ResolvedDataDir, lockMode: string | null): Promise<Runtime> {
  const rt =
    lockMode === null
      ? await openShared(where)
      : await startRuntime({ dir: where.dir, source: where.source, transport: 'cli', lockMode });
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

function envArg(rt: Runtime, arg: string): { environmentId: number; label: string } {
  const m = /^([^/]+)\/([^/]+)$/.exec(arg);
  if (!m) throw usageError(`"${arg}" is not <project>/<environment>.`);
  const db = rt.store!.db;
  const row = db
    .prepare(
      `SELECT e.id FROM environments e JOIN projects p ON p.id = e.project_id
       WHERE p.name = ? COLLATE NOCASE AND e.name = ? COLLATE NOCASE`,
    )
    .get(m[1], m[2]) as { id: number } | undefined;
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
): Promise<Outcome> {
  const [sub, target, name] = args;
  const rt = await secretsRuntime(where, null);
  try {
    if (sub === 'list') {
      if (args.length > 2) throw usageError('secret list takes at most <project>/<env>.');
      const envs = target
        ? [envArg(rt, target)]
        : (rt
            .store!.db.prepare(
              `SELECT DISTINCT e.id AS environmentId, p.name || '/' || e.name AS label FROM secrets s
             JOIN environments e ON e.id = s.environment_id JOIN projects p ON p.id = e.project_id ORDER BY label`,
            )
            .all() as { environmentId: number; label: string }[]);
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
    if (sub !== 'set' && sub !== 'unset') throw usageError('Use: secret set|list|unset …');
    if (!target || !name || args.length !== 3)
      throw usageError(
        `Use: secret ${sub} <project>/<env> NAME${sub === 'set' ? ' (the value comes from stdin or a prompt)' : ''}`,
      );
    if (!SECRET_NAME.test(name))
      throw usageError(`"${name}" is not a secret name like DATABASE_URL.`);
    const env = envArg(rt, target);
    if (sub === 'unset') {
      await rt.secrets.unset(env.environmentId, name);
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
      entry = await rt.secrets.set(env.environmentId, name, value);
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

async function keyCommand(
  where: ResolvedDataDir,
  args: string[],
  io: CliIo,
  stdin: NodeJS.ReadableStream,
): Promise<Outcome> {
  const [sub] = args;
  if (sub === 'ack') {
    if (args.length !== 2 || !/^[0-9a-f]{16}$/.test(args[1]!))
      throw usageError('Use: key ack <key-id> (the id printed with the recovery key).');
    const rt = await secretsRuntime(where, null);
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
  const rt = await secretsRuntime(where, sub === 'rotate' ? 'cli-key-rotate' : null);
  try {
    if (sub === 'status') {
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
            : `No data key yet: it is created when the first secret is stored. ${now.secretCount} secret(s).\n`) +
          (unseen > 0
            ? `${unseen} recovery key(s) were never confirmed as stored: unlock secrets (e.g. \`stateward secret list\` with the passphrase) to see them.\n`
            : ''),
      };
    }
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
    const resolution = rt.secrets.resolveAll(rt.store!.db);
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
    ],
    help: 'Unlocks with STATEWARD_KEY_FILE, or asks for the passphrase on the terminal.',
    args: 'any',
    run: ({ where, args, io, stdin }) => secretCommand(where, args, io, stdin),
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
    run: ({ where, args, io, stdin }) => keyCommand(where, args, io, stdin),
  },
];
