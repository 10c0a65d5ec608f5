// Locked is not missing: which data keys a set of secrets needs, whether this
// machine can use each (unlocked / locked / missing / wrong), and what the
// drill's secrets step says about references that do not resolve — the
// passphrase first for a key that is only locked, the recovery key for one
// this machine does not have.
import type {
  KeyAvailability,
  KeyProvider,
  KeyState,
  SecretResolution,
} from '../../../shared/domain.ts';

const PROVIDER_ORDER: readonly KeyProvider[] = ['passphrase', 'keyfile', 'os-keychain'];

/** One entry per key id in `keyIds` (in first-seen order), with its state and how to unlock it. */
export function keyAvailability(
  keyIds: readonly string[],
  stateOf: (keyId: string) => KeyState,
  wrapsOf: (keyId: string) => readonly KeyProvider[],
): KeyAvailability[] {
  const counts = new Map<string, number>();
  for (const id of keyIds) counts.set(id, (counts.get(id) ?? 0) + 1);
  return [...counts].map(([keyId, references]) => {
    const state = stateOf(keyId);
    const wraps = wrapsOf(keyId);
    return {
      keyId,
      state,
      unlockWith: state === 'missing' ? [] : PROVIDER_ORDER.filter((p) => wraps.includes(p)),
      references,
    };
  });
}

/** What decides the next step: wrong over locked over missing over unlocked; null without keys. */
export function overallKeyState(
  keys: readonly KeyAvailability[],
  tampered: number,
): KeyState | null {
  if (keys.length === 0) return null;
  if (tampered > 0) return 'wrong';
  for (const s of ['wrong', 'locked', 'missing'] as const)
    if (keys.some((k) => k.state === s)) return s;
  return 'unlocked';
}

const count = (n: number, word: string) =>
  `${n.toLocaleString('en-US')} secret ${word}${n === 1 ? '' : 's'}`;

const UNLOCK_WORDS: Record<KeyProvider, string> = {
  passphrase: 'the passphrase',
  keyfile: 'the key file (STATEWARD_KEY_FILE)',
  'os-keychain': 'the OS keychain',
};

function unlockHow(keys: readonly KeyAvailability[]): string {
  const ways = PROVIDER_ORDER.filter((p) => keys.some((k) => k.unlockWith.includes(p)));
  return ways.length ? ways.map((p) => UNLOCK_WORDS[p]).join(' or ') : 'the recovery key';
}

const ids = (keys: readonly KeyAvailability[]) => keys.map((k) => k.keyId).join(', ');
const refs = (keys: readonly KeyAvailability[]) => keys.reduce((n, k) => n + k.references, 0);
const verb = (keys: readonly KeyAvailability[], one: string, many: string) =>
  keys.length === 1 ? one : many;

/**
 * The secrets step for references that do not resolve and were not tampered with:
 * a sentence per key state, in the order a person should act (wrong, locked, missing).
 */
export function unresolvedSecretsStep(r: SecretResolution): {
  status: 'warn';
  detail: string;
  facts: Record<string, unknown>;
} {
  const by = (s: KeyState) => r.keys.filter((k) => k.state === s);
  const wrong = by('wrong');
  const locked = by('locked');
  const missing = by('missing');
  const parts: string[] = [];
  if (wrong.length)
    parts.push(
      `${count(refs(wrong), 'reference')} use${refs(wrong) === 1 ? 's' : ''} key ${ids(wrong)}, which this machine holds, but the passphrase tried last did not unlock ${verb(wrong, 'it', 'them')}: enter the right passphrase and run the drill again (or use the recovery key). Not checked yet.`,
    );
  if (locked.length)
    parts.push(
      `${count(refs(locked), 'reference')} use${refs(locked) === 1 ? 's' : ''} key ${ids(locked)}, which this machine holds but ${verb(locked, 'is', 'are')} locked: unlock with ${unlockHow(locked)} and run the drill again (the recovery key works too). Not checked yet.`,
    );
  if (missing.length) {
    const needed = r.unresolved.filter((u) => missing.some((k) => k.keyId === u.keyId));
    const names = needed
      .slice(0, 5)
      .map((u) => `${u.project}/${u.environment} ${u.name}`)
      .join(', ');
    parts.push(
      `${needed.length} of ${count(r.total, 'reference')} must be re-bound (${names}${needed.length > 5 ? ', …' : ''}): this machine does not have key ${ids(missing)} that encrypted ${needed.length === 1 ? 'it' : 'them'}; unlock with the recovery key of the machine that stored ${needed.length === 1 ? 'it' : 'them'}, or enter the values again.`,
    );
  }
  return { status: 'warn', detail: parts.join(' '), facts: { ...r } };
}
