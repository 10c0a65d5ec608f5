// The OS keychain for Secrets (DESIGN.md): the app wraps the data key with
// safeStorage; the CLI and host use a passphrase or key file instead. Core takes
// an object of this shape (rt.secrets.setKeychain). Use after app ready.
import { safeStorage } from 'electron';
import type { KeyWrapper as CoreKeyWrapper } from '../core/secrets/keyring.ts';

export interface KeychainStatus {
  available: boolean;
  /**
   * Linux without a secret service falls back to a hard-coded key ("basic_text"):
   * the wrapped key is then only obfuscated, and the UI should say so.
   */
  weak: boolean;
  backend: string;
}

export interface KeyWrapper {
  readonly kind: 'os-keychain';
  status(): Promise<KeychainStatus>;
  wrap(key: Uint8Array): Promise<Buffer>;
  /** `rewrap` is true when the keychain rotated its key: store `wrap(key)` again. */
  unwrap(wrapped: Buffer): Promise<{ key: Buffer; rewrap: boolean }>;
}

export const osKeychain: KeyWrapper & CoreKeyWrapper = {
  kind: 'os-keychain',
  async status() {
    const available = await safeStorage.isAsyncEncryptionAvailable();
    const backend =
      process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : process.platform;
    return { available, weak: backend === 'basic_text', backend };
  },
  async wrap(key) {
    return safeStorage.encryptStringAsync(Buffer.from(key).toString('base64'));
  },
  async unwrap(wrapped) {
    const r = await safeStorage.decryptStringAsync(wrapped);
    return { key: Buffer.from(r.result, 'base64'), rewrap: r.shouldReEncrypt };
  },
};
