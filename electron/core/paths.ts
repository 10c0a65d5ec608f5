// Data directory resolution, shared by the Electron app, the HTTP host and the CLI.
// Order (DESIGN.md): --data-dir flag → STATEWARD_DATA_DIR → portable mode → the
// platform's user-data folder (what Electron's app.getPath('userData') would be).
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import type { DataDirSource } from '../../shared/domain.ts';

export const APP_FOLDER_NAME = 'Stateward';
export const PORTABLE_MARKER = 'portable';
export const PORTABLE_DATA_FOLDER = 'stateward-data';

export interface ResolveInput {
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  homedir: string;
  /** Directory of the running executable (for the portable marker). */
  exeDir: string | null;
  /** Injected for tests; defaults to fs.existsSync. */
  exists?: (p: string) => boolean;
}

export interface ResolvedDataDir {
  dir: string;
  source: DataDirSource;
}

export function userDataFolder(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
  homedir: string,
): string {
  if (platform === 'win32') {
    const appData = env.APPDATA || path.win32.join(homedir, 'AppData', 'Roaming');
    return path.win32.join(appData, APP_FOLDER_NAME);
  }
  if (platform === 'darwin') {
    return path.posix.join(homedir, 'Library', 'Application Support', APP_FOLDER_NAME);
  }
  const config =
    env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME)
      ? env.XDG_CONFIG_HOME
      : path.join(homedir, '.config');
  return path.join(config, APP_FOLDER_NAME);
}

export function resolveDataDir(input: ResolveInput): ResolvedDataDir {
  const exists = input.exists ?? fs.existsSync;
  const pathApi = input.platform === 'win32' ? path.win32 : path.posix;
  if (input.flag !== undefined && input.flag !== '') {
    return { dir: pathApi.resolve(input.flag), source: 'flag' };
  }
  const fromEnv = input.env.STATEWARD_DATA_DIR;
  if (fromEnv !== undefined && fromEnv !== '') {
    return { dir: pathApi.resolve(fromEnv), source: 'env' };
  }
  const portableExeDir = input.env.PORTABLE_EXECUTABLE_DIR;
  if (portableExeDir !== undefined && portableExeDir !== '') {
    return { dir: pathApi.join(portableExeDir, PORTABLE_DATA_FOLDER), source: 'portable' };
  }
  if (input.exeDir !== null && exists(pathApi.join(input.exeDir, PORTABLE_MARKER))) {
    return { dir: pathApi.join(input.exeDir, PORTABLE_DATA_FOLDER), source: 'portable' };
  }
  return { dir: userDataFolder(input.env, input.platform, input.homedir), source: 'default' };
}

/** Resolution for this process. `exeDir` is the app's executable folder (null for plain Node). */
export function resolveDataDirHere(
  flag: string | undefined,
  exeDir: string | null,
): ResolvedDataDir {
  return resolveDataDir({
    flag,
    env: process.env,
    platform: process.platform,
    homedir: os.homedir(),
    exeDir,
  });
}

/** The fixed layout inside a data directory. */
export function dataDirLayout(dir: string) {
  return {
    dir,
    db: path.join(dir, 'stateward.db'),
    wal: path.join(dir, 'stateward.db-wal'),
    shm: path.join(dir, 'stateward.db-shm'),
    lock: path.join(dir, 'stateward.lock'),
    /** This machine's settings (backup schedule, retention, off-site folder): never in the database. */
    settings: path.join(dir, 'settings.json'),
    backups: path.join(dir, 'backups'),
    restores: path.join(dir, 'restores'),
    drills: path.join(dir, 'drills'),
    keys: path.join(dir, 'keys'),
    logs: path.join(dir, 'logs'),
  };
}
export type DataDirLayout = ReturnType<typeof dataDirLayout>;
