// The cryptography of secrets on its own: AES-256-GCM seal/open (any change to
// key, AAD, IV, ciphertext or tag is refused), the recovery key format and its
// checksum, and key ids.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeRecoveryKey,
  encodeRecoveryKey,
  KEY_BYTES,
  keyIdOf,
  open,
  seal,
} from '../../electron/core/secrets/crypto.ts';
import type { Sealed } from '../../electron/core/secrets/crypto.ts';
import { RECOVERY_KEY_RE } from '../helpers/secrets-util.ts';

const B32 = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const key = () => crypto.randomBytes(KEY_BYTES);
const flip = (b: Buffer, bit: number): Buffer => {
  const c = Buffer.from(b);
  c[bit >> 3] = c[bit >> 3]! ^ (1 << (bit & 7));
  return c;
};
/** The 54 symbols of a recovery key (52 data + 2 checksum), without prefix and dashes. */
const symbolsOf = (rk: string) => rk.slice('SWRK-'.length).replace(/-/g, '');

describe('seal / open (AES-256-GCM)', () => {
  const plaintexts = [
    Buffer.alloc(0),
    Buffer.from('x'),
    Buffer.from('postgres://user:pa55@db:5432/app', 'utf8'),
    Buffer.from('пароль 秘密 🔑', 'utf8'),
    crypto.randomBytes(65536),
  ];

  it('round-trips any plaintext, with a fresh 12-byte IV and 16-byte tag every time', () => {
    const k = key();
    for (const p of plaintexts) {
      const a = seal(k, p, 'aad:1');
      const b = seal(k, p, 'aad:1');
      expect(a.iv).toHaveLength(12);
      expect(a.tag).toHaveLength(16);
      expect(a.ciphertext).toHaveLength(p.length);
      expect(a.iv.equals(b.iv)).toBe(false);
      if (p.length >= 8) {
        expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
        expect(a.ciphertext.includes(p.subarray(0, 8))).toBe(false);
      }
      expect(open(k, a, 'aad:1')?.equals(p)).toBe(true);
      expect(open(k, b, 'aad:1')?.equals(p)).toBe(true);
    }
  });

  it('a wrong key returns null', () => {
    const k = key();
    const s = seal(k, Buffer.from('value'), 'aad');
    expect(open(key(), s, 'aad')).toBeNull();
    expect(open(flip(k, 0), s, 'aad')).toBeNull();
    expect(open(flip(k, 255), s, 'aad')).toBeNull();
  });

  it('a changed AAD returns null (a value cannot be moved to another secret id)', () => {
    const k = key();
    const s = seal(k, Buffer.from('value'), 'stateward-secret:sec_a');
    for (const aad of [
      'stateward-secret:sec_b',
      'stateward-secret:sec_',
      '',
      'stateward-secret:sec_a ',
    ])
      expect(open(k, s, aad)).toBeNull();
  });

  it('every flipped bit of ciphertext, tag or IV returns null', () => {
    const k = key();
    const p = Buffer.from('a secret value of some length', 'utf8');
    const s = seal(k, p, 'aad');
    const variants: [string, Sealed][] = [];
    for (let bit = 0; bit < s.ciphertext.length * 8; bit++)
      variants.push([`ct bit ${bit}`, { ...s, ciphertext: flip(s.ciphertext, bit) }]);
    for (let bit = 0; bit < 128; bit++)
      variants.push([`tag bit ${bit}`, { ...s, tag: flip(s.tag, bit) }]);
    for (let bit = 0; bit < 96; bit++)
      variants.push([`iv bit ${bit}`, { ...s, iv: flip(s.iv, bit) }]);
    variants.push(['empty tag', { ...s, tag: Buffer.alloc(0) }]);
    variants.push(['truncated ct', { ...s, ciphertext: s.ciphertext.subarray(1) }]);
    const opened = variants.filter(([, v]) => open(k, v, 'aad') !== null).map(([n]) => n);
    expect(opened).toEqual([]);
    expect(open(k, s, 'aad')?.equals(p)).toBe(true);
  });

  it('a truncated tag is refused (only the full 16-byte tag authenticates)', () => {
    // GCM in Node accepts 4..15-byte tags unless authTagLength is given: a prefix of the
    // real tag then "verifies", and a 4-byte tag can be forged with ~2^32 tries.
    const k = key();
    const s = seal(k, Buffer.from('value'), 'aad');
    const accepted = [4, 8, 12, 13, 14, 15].filter(
      (n) => open(k, { ...s, tag: s.tag.subarray(0, n) }, 'aad') !== null,
    );
    expect(accepted, `tags of ${accepted.join(', ')} bytes were accepted`).toEqual([]);
  });
});

describe('recovery key', () => {
  it('encodes and decodes 500 random keys (and the all-zero / all-one keys)', () => {
    const keys = [Buffer.alloc(32), Buffer.alloc(32, 0xff), ...Array.from({ length: 500 }, key)];
    for (const k of keys) {
      const rk = encodeRecoveryKey(k);
      expect(rk).toMatch(new RegExp(`^${RECOVERY_KEY_RE.source}$`));
      expect(decodeRecoveryKey(rk)?.equals(k)).toBe(true);
    }
  });

  it('format: SWRK- then 13 groups of 4 data symbols and a 2-symbol checksum group, no I/O/0/1', () => {
    const rk = encodeRecoveryKey(key());
    const groups = rk.split('-');
    expect(groups[0]).toBe('SWRK');
    expect(groups.slice(1, -1).every((g) => g.length === 4)).toBe(true);
    expect(groups.slice(1)).toHaveLength(14);
    expect(groups.at(-1)).toHaveLength(2);
    expect(symbolsOf(rk)).toMatch(/^[A-HJ-NP-Z2-9]{54}$/);
  });

  it('lowercase, surrounding whitespace and a missing prefix are tolerated', () => {
    for (let i = 0; i < 20; i++) {
      const k = key();
      const rk = encodeRecoveryKey(k);
      for (const typed of [
        rk.toLowerCase(),
        `  ${rk}\n`,
        `\t${rk.toLowerCase()}\r\n`,
        rk.slice('SWRK-'.length),
        `SWRK-${symbolsOf(rk)}`,
        rk.replace(/-/g, '- '),
      ])
        expect(decodeRecoveryKey(typed)?.equals(k), JSON.stringify(typed)).toBe(true);
    }
  });

  it('spaces instead of dashes are tolerated (as written down from the screen: "SWRK ABCD EFGH …")', () => {
    // decodeRecoveryKey strips /^SWRK-/ before removing spaces: "SWRK " stays and the length is wrong.
    const k = key();
    const rk = encodeRecoveryKey(k);
    const spaced = rk.replace(/-/g, ' ');
    expect(decodeRecoveryKey(spaced)?.equals(k), spaced).toBe(true);
    expect(decodeRecoveryKey(spaced.toLowerCase())?.equals(k)).toBe(true);
  });

  it('garbage, truncated and over-long keys are rejected', () => {
    const rk = encodeRecoveryKey(key());
    for (const bad of [
      '',
      'SWRK-',
      rk.slice(0, -1),
      rk.slice(0, -3),
      `${rk}A`,
      `${rk}-AAAA`,
      rk.replace(/[A-Z2-9]$/, '0'),
      rk.replace(/-([A-Z2-9])/, '-1'),
      rk.replace(/-([A-Z2-9])/, '-I'),
      rk.replace(/-([A-Z2-9])/, '-O'),
      `XXXX-${symbolsOf(rk)}`,
      Buffer.from(symbolsOf(rk)).toString('base64'),
    ])
      expect(decodeRecoveryKey(bad), bad).toBeNull();
  });

  it('a changed checksum symbol is rejected', () => {
    for (let i = 0; i < 50; i++) {
      const syms = symbolsOf(encodeRecoveryKey(key()));
      for (const pos of [52, 53])
        for (const c of B32) {
          if (c === syms[pos]) continue;
          const typo = syms.slice(0, pos) + c + syms.slice(pos + 1);
          expect(decodeRecoveryKey(typo)).toBeNull();
        }
    }
  });

  it('a changed last data symbol is rejected (its 4 padding bits are checked too)', () => {
    // 32 bytes = 256 bits = 51 symbols + 1 bit: symbol 52 carries 1 data bit and 4 padding
    // bits that decodeRecoveryKey ignores, so 15 of its 31 typos decode to the same key.
    const accepted: string[] = [];
    for (let i = 0; i < 10; i++) {
      const syms = symbolsOf(encodeRecoveryKey(key()));
      for (const c of B32) {
        if (c === syms[51]) continue;
        const typo = syms.slice(0, 51) + c + syms.slice(52);
        if (decodeRecoveryKey(typo) !== null) accepted.push(`${syms[51]}→${c}`);
      }
    }
    expect(accepted.length, `typos accepted: ${accepted.slice(0, 10).join(' ')} …`).toBe(0);
  });

  it('any single changed symbol anywhere is rejected by the checksum', () => {
    // Exhaustive: every position × every other symbol, for 20 keys (33,480 typos).
    const accepted: { pos: number; from: string; to: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const syms = symbolsOf(encodeRecoveryKey(key()));
      for (let pos = 0; pos < syms.length; pos++)
        for (const c of B32) {
          if (c === syms[pos]) continue;
          const typo = syms.slice(0, pos) + c + syms.slice(pos + 1);
          if (decodeRecoveryKey(`SWRK-${typo}`) !== null)
            accepted.push({ pos, from: syms[pos]!, to: c });
        }
    }
    const notPadding = accepted.filter((a) => a.pos !== 51).length;
    expect(
      accepted.length,
      `of 33,480 typos ${accepted.length} were accepted: ${accepted.length - notPadding} in the padding symbol, ${notPadding} elsewhere (10-bit hash checksum collisions)`,
    ).toBe(0);
  });
});

describe('keyIdOf', () => {
  it('is stable for a key, 16 hex digits, and reveals none of the key', () => {
    const k = key();
    const id = keyIdOf(k);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(keyIdOf(Buffer.from(k))).toBe(id);
    expect(keyIdOf(k)).toBe(id);
    expect(k.toString('hex')).not.toContain(id);
    expect(id).not.toBe(crypto.createHash('sha256').update(k).digest('hex').slice(0, 16));
  });

  it('differs for different keys (1000 random keys, and keys one bit apart)', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) ids.add(keyIdOf(key()));
    expect(ids.size).toBe(1000);
    const k = key();
    const near = new Set([
      keyIdOf(k),
      ...Array.from({ length: 256 }, (_, b) => keyIdOf(flip(k, b))),
    ]);
    expect(near.size).toBe(257);
  });
});
