// electron-builder.yml as electron-builder itself reads and validates it: a
// misspelt fuse would otherwise be caught only by a packaging run (which needs network).
import { describe, expect, it } from 'vitest';
import type { Configuration } from 'app-builder-lib';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger } from 'builder-util';
import { REPO_ROOT } from '../helpers/child.ts';

const load = (): Promise<Configuration> => getConfig(REPO_ROOT, null, null);

describe('electron-builder.yml', () => {
  it('passes electron-builder schema validation', async () => {
    const config = await load();
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('flips the hardening fuses: no file: privileges, asar integrity checked', async () => {
    const config = await load();
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    // The integrity fuse needs the app packed into app.asar.
    expect(config.asar).toBe(true);
  });

  it('the validation used above does refuse a misspelt fuse', async () => {
    const config = await load();
    const typo = {
      ...config,
      electronFuses: { ...config.electronFuses, grantFileProtocolExtraPrivilege: false },
    } as Configuration;
    await expect(validateConfiguration(typo, new DebugLogger(false))).rejects.toThrow(
      /configuration\.electronFuses/,
    );
  });
});
