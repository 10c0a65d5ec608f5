// The cryptography of secrets, in one place: AES-256-GCM for values and for
// wrapping the data key; scrypt (memory-hard) for passphrases; HKDF for key
// files and recovery keys, which are already high-entropy.
import crypto from 'node:crypto';

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
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, sealed.iv);
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

/** Default scrypt cost: 2^17 × 8 → 128 MiB of memory, a few hundred ms. Tests may lower N. */
export function defaultScrypt(): ScryptParams {
  const N = Number(process.env.STATEWARD_SCRYPT_N ?? 131072);
  return { N, r: 8, p: 1, salt: crypto.randomBytes(16).toString('base64') };
}

export function scryptKek(passphrase: string, params: ScryptParams): Buffer {
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

/** Recovery key: the data key itself, base32 in groups of 4 with a 2-symbol checksum, e.g. SWRK-ABCD-…. */
export function encodeRecoveryKey(key: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of key) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  const sum = crypto.createHash('sha256').update(key).digest();
  out += B32[sum[0]! & 31]! + B32[sum[1]! & 31]!;
  return `SWRK-${out.match(/.{1,4}/g)!.join('-')}`;
}

export function decodeRecoveryKey(text: string): Buffer | null {
  const clean = text
    .trim()
    .toUpperCase()
    .replace(/^SWRK-/, '')
    .replace(/[\s-]/g, '');
  if (!/^[A-HJ-NP-Z2-9]+$/.test(clean) || clean.length !== 54) return null;
  const body = clean.slice(0, 52);
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const ch of body) {
    value = (value << 5) | B32.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  const key = Buffer.from(bytes.slice(0, KEY_BYTES));
  if (key.length !== KEY_BYTES) return null;
  const sum = crypto.createHash('sha256').update(key).digest();
  return clean.slice(52) === B32[sum[0]! & 31]! + B32[sum[1]! & 31]! ? key : null;
}
