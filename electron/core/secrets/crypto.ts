// The cryptography of secrets, in one place: AES-256-GCM for values and for
// wrapping the data key; scrypt (memory-hard) for passphrases; HKDF for key
// files and recovery keys, which are already high-entropy.
import crypto from 'node:crypto';
import { AppError } from '../../../shared/errors.ts';

export const KEY_BYTES = 32;

export interface Sealed {
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

export function seal(key: Buffer, plaintext: Buffer, aad: string): Sealed {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, tag: cipher.getAuthTag(), ciphertext };
}

/** Decrypt, or null when the key is wrong or the data was changed (GCM authentication fails). */
export function open(key: Buffer, sealed: Sealed, aad: string): Buffer | null {
  try {
    // A full 16-byte tag only: a shortened tag would be far easier to forge.
    if (sealed.tag.length !== 16) return null;
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: 16 });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch {
    return null;
  }
}

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  salt: string;
}

/** The scrypt cost of every new passphrase wrap: 2^17 × 8 → 128 MiB of memory, a few hundred ms. */
export const SCRYPT_N = 2 ** 17;
const SCRYPT_MIN_TEST_N = 2 ** 10;
/** Parameters read back from a keyring are capped: no file may make a derivation take more than this. */
const SCRYPT_MAX_MEMORY = 256 * 1024 * 1024;

const isPowerOfTwo = (n: number) => Number.isSafeInteger(n) && n >= 2 && (n & (n - 1)) === 0;

/**
 * The N for a new passphrase wrap. STATEWARD_SCRYPT_N (a power of two from 2^10
 * to 2^17) is obeyed only under the test runner — VITEST is set, or
 * NODE_ENV=test — so tests stay fast; anywhere else it is ignored, because a
 * cheap N set by mistake would leave the passphrase wrap easy to brute-force.
 */
export function scryptCost(env: NodeJS.ProcessEnv = process.env): number {
  const testing = Boolean(env.VITEST) || env.NODE_ENV === 'test';
  const asked = Number(env.STATEWARD_SCRYPT_N);
  return testing && isPowerOfTwo(asked) && asked >= SCRYPT_MIN_TEST_N && asked <= SCRYPT_N
    ? asked
    : SCRYPT_N;
}

export function defaultScrypt(): ScryptParams {
  return { N: scryptCost(), r: 8, p: 1, salt: crypto.randomBytes(16).toString('base64') };
}

/** Why scrypt parameters (e.g. read back from a keyring) are refused, or null when they are usable. */
export function scryptParamsProblem(params: ScryptParams): string | null {
  const { N, r, p } = params;
  if (!isPowerOfTwo(N)) return `N = ${N} is not a power of two`;
  if (!Number.isSafeInteger(r) || r < 1 || r > 32) return `r = ${r} is out of range (1–32)`;
  if (!Number.isSafeInteger(p) || p < 1 || p > 16) return `p = ${p} is out of range (1–16)`;
  if (128 * N * r > SCRYPT_MAX_MEMORY) return `N = ${N}, r = ${r} would need more than 256 MiB`;
  return null;
}

/** Derive a passphrase's key-encryption key; refuses parameters outside the caps instead of trying them. */
export function scryptKek(passphrase: string, params: ScryptParams): Buffer {
  const problem = scryptParamsProblem(params);
  if (problem)
    throw new AppError(
      'SECRETS_KEY_UNAVAILABLE',
      `The passphrase protection in keys/keyring.json has unusable scrypt parameters (${problem}).`,
      { hint: 'Unlock with the recovery key or the key file to rebuild it.' },
    );
  return crypto.scryptSync(
    passphrase.normalize('NFKC'),
    Buffer.from(params.salt, 'base64'),
    KEY_BYTES,
    {
      N: params.N,
      r: params.r,
      p: params.p,
      maxmem: 256 * params.N * params.r + 16 * 1024 * 1024,
    },
  );
}

export function hkdfKek(material: Buffer, info: string): Buffer {
  return Buffer.from(
    crypto.hkdfSync('sha256', material, Buffer.alloc(0), Buffer.from(info, 'utf8'), KEY_BYTES),
  );
}

/** A key's public id: derived, so the same key always has the same id and the id reveals nothing. */
export function keyIdOf(key: Buffer): string {
  return crypto
    .createHash('sha256')
    .update('stateward-data-key-id\0')
    .update(key)
    .digest('hex')
    .slice(0, 16);
}

const B32 = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // no I, O, 0, 1

/** Luhn mod 32 check symbol: catches every single-symbol substitution and most swaps. */
function luhn32(symbols: string): string {
  let factor = 2;
  let sum = 0;
  for (let i = symbols.length - 1; i >= 0; i--) {
    let addend = factor * B32.indexOf(symbols[i]!);
    factor = factor === 2 ? 1 : 2;
    addend = Math.floor(addend / 32) + (addend % 32);
    sum += addend;
  }
  return B32[(32 - (sum % 32)) % 32]!;
}

const hashSymbol = (key: Buffer) => B32[crypto.createHash('sha256').update(key).digest()[0]! & 31]!;

/**
 * Recovery key: the data key itself, base32 (52 symbols, the last one's 4 spare
 * bits zero), then a Luhn mod 32 check symbol and a hash symbol, in groups of
 * four: SWRK-ABCD-…. Typos are caught rather than decoded into a wrong key.
 */
export function encodeRecoveryKey(key: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of key) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  out += luhn32(out) + hashSymbol(key);
  return `SWRK-${out.match(/.{1,4}/g)!.join('-')}`;
}

export function decodeRecoveryKey(text: string): Buffer | null {
  const clean = text.toUpperCase().replace(/[\s-]/g, '').replace(/^SWRK/, '');
  if (!/^[A-HJ-NP-Z2-9]+$/.test(clean) || clean.length !== 54) return null;
  const body = clean.slice(0, 52);
  if (luhn32(body) !== clean[52]) return null;
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const ch of body) {
    value = ((value << 5) | B32.indexOf(ch)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  // 52 × 5 = 260 bits: the 4 left over must be the zero padding the encoder wrote.
  if ((value & ((1 << bits) - 1)) !== 0) return null;
  const key = Buffer.from(bytes.slice(0, KEY_BYTES));
  if (key.length !== KEY_BYTES || bytes.length !== KEY_BYTES) return null;
  return clean[53] === hashSymbol(key) ? key : null;
}
