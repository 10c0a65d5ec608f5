import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { ResolveInput } from '../../electron/core/paths.ts';
import { dataDirLayout, resolveDataDir, resolveDataDirHere } from '../../electron/core/paths.ts';

const HOME = '/home/me';

/** Linux input with nothing set; `exists` says no marker anywhere unless told. */
function linux(over: Partial<ResolveInput> = {}): ResolveInput {
  return {
    env: {},
    platform: 'linux',
    homedir: HOME,
    exeDir: '/opt/Stateward',
    exists: () => false,
    ...over,
  };
}

describe('resolveDataDir: resolution order', () => {
  const everything = linux({
    flag: '/from/flag',
    env: {
      STATEWARD_DATA_DIR: '/from/env',
      PORTABLE_EXECUTABLE_DIR: '/portable/exe',
      XDG_CONFIG_HOME: '/xdg',
    },
    exists: (p) => p === '/opt/Stateward/portable',
  });

  it('the --data-dir flag wins over everything', () => {
    expect(resolveDataDir(everything)).toEqual({ dir: '/from/flag', source: 'flag' });
  });

  it('STATEWARD_DATA_DIR comes next', () => {
    expect(resolveDataDir({ ...everything, flag: undefined })).toEqual({
      dir: '/from/env',
      source: 'env',
    });
  });

  it('then PORTABLE_EXECUTABLE_DIR → <dir>/stateward-data', () => {
    const env = { ...everything.env, STATEWARD_DATA_DIR: undefined };
    expect(resolveDataDir({ ...everything, flag: undefined, env })).toEqual({
      dir: '/portable/exe/stateward-data',
      source: 'portable',
    });
  });

  it('then a `portable` marker file beside the executable', () => {
    const seen: string[] = [];
    const r = resolveDataDir(
      linux({
        env: { XDG_CONFIG_HOME: '/xdg' },
        exists: (p) => (seen.push(p), p === '/opt/Stateward/portable'),
      }),
    );
    expect(r).toEqual({ dir: '/opt/Stateward/stateward-data', source: 'portable' });
    expect(seen).toEqual(['/opt/Stateward/portable']);
  });

  it('then the platform default', () => {
    expect(resolveDataDir(linux({ env: { XDG_CONFIG_HOME: '/xdg' } }))).toEqual({
      dir: '/xdg/Stateward',
      source: 'default',
    });
  });

  it('no executable dir (plain Node): the marker is not looked for', () => {
    const seen: string[] = [];
    const r = resolveDataDir(linux({ exeDir: null, exists: (p) => (seen.push(p), true) }));
    expect(r.source).toBe('default');
    expect(seen).toEqual([]);
  });

  it('empty strings are ignored at every step', () => {
    const r = resolveDataDir(
      linux({
        flag: '',
        env: { STATEWARD_DATA_DIR: '', PORTABLE_EXECUTABLE_DIR: '', XDG_CONFIG_HOME: '' },
      }),
    );
    expect(r).toEqual({ dir: '/home/me/.config/Stateward', source: 'default' });
    expect(resolveDataDir(linux({ flag: '', env: { STATEWARD_DATA_DIR: '/e' } }))).toEqual({
      dir: '/e',
      source: 'env',
    });
    expect(
      resolveDataDir(linux({ env: { STATEWARD_DATA_DIR: '', PORTABLE_EXECUTABLE_DIR: '/p' } })),
    ).toEqual({ dir: '/p/stateward-data', source: 'portable' });
  });

  it('a relative flag or env value is made absolute against the working directory', () => {
    expect(resolveDataDir(linux({ flag: 'rel/data' })).dir).toBe(
      path.resolve(process.cwd(), 'rel/data'),
    );
    expect(resolveDataDir(linux({ env: { STATEWARD_DATA_DIR: './d' } })).dir).toBe(
      path.resolve('d'),
    );
  });
});

describe('resolveDataDir: platform defaults', () => {
  it.each([
    ['linux, XDG_CONFIG_HOME set', linux({ env: { XDG_CONFIG_HOME: '/cfg' } }), '/cfg/Stateward'],
    ['linux, XDG_CONFIG_HOME unset', linux(), '/home/me/.config/Stateward'],
    [
      'linux, relative XDG_CONFIG_HOME (ignored)',
      linux({ env: { XDG_CONFIG_HOME: 'cfg' } }),
      '/home/me/.config/Stateward',
    ],
    [
      'win32, %APPDATA%',
      {
        env: { APPDATA: 'D:\\Profiles\\me\\AppData\\Roaming' },
        platform: 'win32',
        homedir: 'C:\\Users\\me',
        exeDir: null,
      },
      'D:\\Profiles\\me\\AppData\\Roaming\\Stateward',
    ],
    [
      'win32, no %APPDATA% (fallback under the home folder)',
      { env: {}, platform: 'win32', homedir: 'C:\\Users\\me', exeDir: null },
      'C:\\Users\\me\\AppData\\Roaming\\Stateward',
    ],
    [
      'win32, empty %APPDATA% (fallback)',
      { env: { APPDATA: '' }, platform: 'win32', homedir: 'C:\\Users\\me', exeDir: null },
      'C:\\Users\\me\\AppData\\Roaming\\Stateward',
    ],
    [
      'darwin (XDG_CONFIG_HOME does not apply)',
      { env: { XDG_CONFIG_HOME: '/cfg' }, platform: 'darwin', homedir: '/Users/me', exeDir: null },
      '/Users/me/Library/Application Support/Stateward',
    ],
  ] as [string, ResolveInput, string][])('%s', (_name, input, expected) => {
    expect(resolveDataDir({ exists: () => false, ...input })).toEqual({
      dir: expected,
      source: 'default',
    });
  });

  it('win32 uses Windows paths for the flag, env, portable dir and marker', () => {
    const win = (over: Partial<ResolveInput>): ResolveInput => ({
      env: {},
      platform: 'win32',
      homedir: 'C:\\Users\\me',
      exeDir: 'E:\\Stateward',
      exists: () => false,
      ...over,
    });
    expect(resolveDataDir(win({ flag: 'D:\\data' }))).toEqual({ dir: 'D:\\data', source: 'flag' });
    expect(resolveDataDir(win({ env: { STATEWARD_DATA_DIR: 'D:\\sw' } }))).toEqual({
      dir: 'D:\\sw',
      source: 'env',
    });
    expect(resolveDataDir(win({ env: { PORTABLE_EXECUTABLE_DIR: 'F:\\Apps' } }))).toEqual({
      dir: 'F:\\Apps\\stateward-data',
      source: 'portable',
    });
    expect(resolveDataDir(win({ exists: (p) => p === 'E:\\Stateward\\portable' }))).toEqual({
      dir: 'E:\\Stateward\\stateward-data',
      source: 'portable',
    });
  });
});

describe('resolveDataDirHere', () => {
  it('reads this process environment (restored afterwards)', () => {
    const saved = process.env.STATEWARD_DATA_DIR;
    try {
      process.env.STATEWARD_DATA_DIR = '/tmp/sw-from-env';
      expect(resolveDataDirHere(undefined, null)).toEqual({
        dir: '/tmp/sw-from-env',
        source: 'env',
      });
      expect(resolveDataDirHere('/tmp/sw-flag', null)).toEqual({
        dir: '/tmp/sw-flag',
        source: 'flag',
      });
    } finally {
      if (saved === undefined) delete process.env.STATEWARD_DATA_DIR;
      else process.env.STATEWARD_DATA_DIR = saved;
    }
  });
});

describe('dataDirLayout', () => {
  it('puts the database, lock and folders inside the data dir', () => {
    const l = dataDirLayout('/data');
    expect(l).toMatchObject({
      db: '/data/stateward.db',
      wal: '/data/stateward.db-wal',
      shm: '/data/stateward.db-shm',
      lock: '/data/stateward.lock',
      logs: '/data/logs',
      backups: '/data/backups',
    });
  });
});
