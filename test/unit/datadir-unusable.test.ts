// A data dir path that cannot be one (a file, a device, a dangling link, a path
// through a file, the home folder, a system folder, a backups folder) is refused
// by every command with DATA_DIR_UNUSABLE (exit 2) and a plain message, before
// anything is created or tightened next to it; the app start says the same.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { assertDataDirUsable } from '../../electron/core/datadir-check.ts';
import { mountTmpfs } from '../helpers/backup-util.ts';
import { cli } from '../helpers/cli.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { isRoot, useWorld } from '../helpers/world.ts';

const world = useWorld();

const COMMANDS: string[][] = [
  ['status'],
  ['backups'],
  ['backup'],
  ['migrate'],
  ['secret', 'list'],
  ['verify', 'x.sqlite'],
  ['restore', 'x.sqlite'],
  ['promote', 'abc', '--yes'],
  ['demo', '--deployments', '1'],
];

/** Every name and mode under `dir`, to show nothing changed. */
function snapshot(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true })
    .map(String)
    .sort()
    .map((n) => {
      const s = fs.lstatSync(path.join(dir, n));
      return `${n} ${(s.mode & 0o7777).toString(8)} ${s.size}`;
    });
}

async function expectRefusedEverywhere(parent: string, dataDir: string, says: RegExp) {
  const before = snapshot(parent);
  for (const argv of COMMANDS) {
    const r = await cli('--data-dir', dataDir, ...argv);
    expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(2);
    expect(r.stderr).toContain('DATA_DIR_UNUSABLE');
    expect(r.stderr).toMatch(says);
    expect(r.stderr, 'no stack trace').not.toMatch(/\n\s+at /);
    const json = await cli('--data-dir', dataDir, '--json', ...argv);
    expect(JSON.parse(json.stdout).error.code).toBe('DATA_DIR_UNUSABLE');
  }
  const rt = await startTestRuntime(world, dataDir);
  expect(rt.startup).toMatchObject({ state: 'refused', code: 'DATA_DIR_UNUSABLE' });
  expect(snapshot(parent)).toEqual(before);
}

describe('a data dir that is not a folder', () => {
  it('a regular file', async () => {
    const parent = world.dir();
    const f = path.join(parent, 'file');
    fs.writeFileSync(f, 'mine', { mode: 0o644 });
    await expectRefusedEverywhere(parent, f, /is a file, not a folder/);
    expect(fs.readFileSync(f, 'utf8')).toBe('mine');
  });

  it.runIf(isRoot)('a character device', async () => {
    const parent = world.dir();
    const dev = path.join(parent, 'dn');
    execFileSync('mknod', [dev, 'c', '1', '3']);
    await expectRefusedEverywhere(parent, dev, /is a device, not a folder/);
  });

  it('a dangling symlink, and a path through it', async () => {
    const parent = world.dir();
    const link = path.join(parent, 'link');
    fs.symlinkSync(path.join(parent, 'unmounted-drive'), link);
    await expectRefusedEverywhere(
      parent,
      link,
      /is a link to .*unmounted-drive, which does not exist/,
    );
    await expectRefusedEverywhere(parent, path.join(link, 'data'), /through the link/);
  });

  it('a path below a regular file', async () => {
    const parent = world.dir();
    fs.writeFileSync(path.join(parent, 'file'), '');
    await expectRefusedEverywhere(parent, path.join(parent, 'file', 'data'), /not a folder/);
  });
});

describe('a folder that must not become a data dir', () => {
  it('a backups folder given as the data dir', async () => {
    const data = world.dir();
    expect((await cli('--data-dir', data, 'demo', '--deployments', '3')).code).toBe(0);
    expect((await cli('--data-dir', data, 'backup')).code).toBe(0);
    const backups = path.join(data, 'backups');
    await expectRefusedEverywhere(backups, backups, /looks like a backups folder/);
  });

  it('the home folder and system folders (checked, nothing touched)', () => {
    const home = world.dir();
    fs.chmodSync(home, 0o755);
    expect(() => assertDataDirUsable(home, home)).toThrow(
      expect.objectContaining({
        code: 'DATA_DIR_UNUSABLE',
        message: expect.stringMatching(/home folder/),
      }),
    );
    expect(fs.statSync(home).mode & 0o777).toBe(0o755);
    for (const sys of ['/', '/etc', '/usr/lib'])
      expect(() => assertDataDirUsable(sys, home)).toThrow(
        expect.objectContaining({
          code: 'DATA_DIR_UNUSABLE',
          message: expect.stringMatching(/system folder/),
        }),
      );
  });

  it('a missing folder, an empty one and a data dir are fine', () => {
    const parent = world.dir();
    expect(() => assertDataDirUsable(path.join(parent, 'new', 'data'))).not.toThrow();
    expect(() => assertDataDirUsable(parent)).not.toThrow();
    fs.writeFileSync(path.join(parent, 'stateward.db'), '');
    fs.writeFileSync(path.join(parent, 'x.manifest.json'), '{}');
    expect(() => assertDataDirUsable(parent)).not.toThrow();
  });
});

describe('a data dir on a read-only mount', () => {
  it('says the disk is read-only (not just "unable to open database file") and changes nothing', async (ctx) => {
    const dir = world.dir();
    const why = mountTmpfs(world, dir, 'size=8m,mode=0700');
    if (why) return ctx.skip(why);
    expect((await cli('--data-dir', dir, 'demo', '--deployments', '3')).code).toBe(0);
    execFileSync('mount', ['-o', 'remount,ro', dir]);
    const before = snapshot(dir);
    for (const argv of [['status'], ['backup'], ['secret', 'list'], ['migrate']]) {
      const r = await cli('--data-dir', dir, ...argv);
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(2);
      // Either wording names the cause: `backup` adds how to take a rescue backup elsewhere.
      expect(`${r.stdout}${r.stderr}`).toMatch(/mounted read-only|on a read-only file system/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('backup --out inside the data dir', () => {
  it('is refused (the data dir itself, restores/, keys/, a link into it); its backups folder and outside are fine', async () => {
    const dir = world.dir();
    expect((await cli('--data-dir', dir, 'demo', '--deployments', '3')).code).toBe(0);
    fs.mkdirSync(path.join(dir, 'restores'), { mode: 0o700 });
    const link = path.join(world.dir(), 'link');
    fs.symlinkSync(path.join(dir, 'restores'), link);
    const before = snapshot(dir);
    for (const out of [dir, path.join(dir, 'restores'), path.join(dir, 'keys', 'x'), link]) {
      const r = await cli('--data-dir', dir, 'backup', '--out', out);
      expect(r.code, `${out}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('inside the data directory');
    }
    expect(snapshot(dir)).toEqual(before);
    expect((await cli('--data-dir', dir, 'backup', '--out', path.join(dir, 'backups'))).code).toBe(
      0,
    );
    const outside = world.dir();
    expect((await cli('--data-dir', dir, 'backup', '--out', outside)).code).toBe(0);
    expect(fs.readdirSync(outside).filter((n) => n.endsWith('.sqlite'))).toHaveLength(1);
  });
});

describe('a home folder that already is the data dir', () => {
  it('(a service user whose home is its data dir) keeps working; a home with only a "backups" folder does not count', () => {
    const home = world.dir();
    fs.mkdirSync(path.join(home, 'backups'));
    expect(() => assertDataDirUsable(home, home)).toThrow(
      expect.objectContaining({ code: 'DATA_DIR_UNUSABLE' }),
    );
    fs.writeFileSync(path.join(home, 'stateward.db'), '');
    expect(() => assertDataDirUsable(home, home)).not.toThrow();
  });
});
