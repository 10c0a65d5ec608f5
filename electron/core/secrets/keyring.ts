// The keyring in keys/keyring.json (0600): data keys, each stored only wrapped —
// by a passphrase (scrypt), a key file, or the OS keychain — never in plain
// text and never in the database or a backup. Retired keys stay so that older
// backups restored on this machine still resolve.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ensureOwnerDir, writeFileAtomic } from '../fsutil.ts';
import type { ScryptParams, Sealed } from './crypto.ts';

/** The OS keychain, as the Electron shell provides it (safeStorage). Core never imports electron. */
export interface KeyWrapper {
  readonly kind: 'os-keychain';
  status(): Promise<{ available: boolean; weak: boolean; backend: string }>;
  wrap(key: Uint8Array): Promise<Buffer>;
  unwrap(wrapped: Buffer): Promise<{ key: Buffer; rewrap: boolean }>;
}

const b64 = z.string().regex(/^[A-Za-z0-9+/=]*$/);
const sealedSchema = { iv: b64, tag: b64, ct: b64 };
const wrapSchema = z.discriminatedUnion('by', [
  z.object({
    by: z.literal('passphrase'),
    kdf: z.object({ N: z.number(), r: z.number(), p: z.number(), salt: b64 }),
    ...sealedSchema,
  }),
  z.object({ by: z.literal('keyfile'), fingerprint: z.string(), ...sealedSchema }),
  z.object({ by: z.literal('os-keychain'), blob: b64 }),
]);
export type Wrap = z.infer<typeof wrapSchema>;

const keyringSchema = z.object({
  version: z.literal(1),
  active: z.string().nullable(),
  keys: z.array(
    z.object({
      id: z.string(),
      createdAt: z.number(),
      retiredAt: z.number().nullable(),
      wraps: z.array(wrapSchema),
      /**
       * True until the user confirms the recovery key is stored: a key whose
       * recovery key was never shown (a crash, a lost output) is shown again
       * at the next chance. Absent in keyrings written before this existed.
       */
      recoveryPending: z.boolean().optional(),
    }),
  ),
});
export type Keyring = z.infer<typeof keyringSchema>;

export const KEYRING_FILE = 'keyring.json';

export function keyringPath(keysDir: string): string {
  return path.join(keysDir, KEYRING_FILE);
}

export function readKeyring(keysDir: string): Keyring | null {
  let text: string;
  try {
    text = fs.readFileSync(keyringPath(keysDir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const parsed = keyringSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new Error(`keys/${KEYRING_FILE} is damaged: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

export function writeKeyring(keysDir: string, ring: Keyring): void {
  ensureOwnerDir(keysDir);
  writeFileAtomic(keyringPath(keysDir), JSON.stringify(ring, null, 2));
}

export const toSealed = (w: { iv: string; tag: string; ct: string }): Sealed => ({
  iv: Buffer.from(w.iv, 'base64'),
  tag: Buffer.from(w.tag, 'base64'),
  ciphertext: Buffer.from(w.ct, 'base64'),
});

export const fromSealed = (s: Sealed) => ({
  iv: s.iv.toString('base64'),
  tag: s.tag.toString('base64'),
  ct: s.ciphertext.toString('base64'),
});

export type { ScryptParams };
