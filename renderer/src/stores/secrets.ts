// Whether secrets are set up and unlocked on this data directory, shared by the
// environment's Secrets panel and the Keys & secrets screen. Only the status
// lives here: secret values and recovery keys never enter a store — they stay
// in the one component that shows them, and only while it does.
import { useEffect } from 'react';
import { create } from 'zustand';
import type { SecretsStatus } from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { invoke } from '../api.ts';
import { useRevision } from './data.ts';

/** How the active data key is protected, in the words the UI uses. */
export const PROVIDER_LABEL: Record<SecretsStatus['providers'][number], string> = {
  passphrase: 'Passphrase',
  keyfile: 'Key file (STATEWARD_KEY_FILE)',
  'os-keychain': 'OS keychain',
};

interface SecretsState {
  status: SecretsStatus | null;
  error: AppErrorShape | null;
  refresh(): Promise<void>;
  /** A command that answered with a fresh status (unlock) hands it in directly. */
  apply(status: SecretsStatus): void;
}

let sequence = 0;

export const useSecrets = create<SecretsState>((set) => ({
  status: null,
  error: null,
  async refresh() {
    const mine = ++sequence;
    const r = await invoke('secrets.status', {});
    // A slower, older answer must not overwrite a newer one.
    if (mine !== sequence) return;
    if (r.ok) set({ status: r.value, error: null });
    else set({ error: r.error });
  },
  apply(status) {
    sequence++;
    set({ status, error: null });
  },
}));

/** The status, refreshed on mount and whenever the keys, secrets or the audit log change. */
export function useSecretsStatus(): Pick<SecretsState, 'status' | 'error' | 'refresh'> {
  const status = useSecrets((s) => s.status);
  const error = useSecrets((s) => s.error);
  const refresh = useSecrets((s) => s.refresh);
  // Set up, unlocked (or a wrong passphrase tried), locked, rotated: `secrets`; setting,
  // removing and rotating emit `environments`; setup and recovery write the audit log.
  const rev = useRevision('secrets', 'environments', 'audit');
  useEffect(() => {
    void refresh();
  }, [refresh, rev]);
  return { status, error, refresh };
}

/** Protection the key has (or would get at setup) without a passphrase. */
export function protectedWithoutPassphrase(s: SecretsStatus): 'keyfile' | 'os-keychain' | null {
  if (s.keyFileConfigured) return 'keyfile';
  if (s.keychain?.available && !s.keychain.weak) return 'os-keychain';
  return null;
}
