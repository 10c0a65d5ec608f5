// settings.json that is not a file (a folder made in its place, or a link to one):
// the start that owns the data dir sets it aside and writes a new owner-only file
// with the defaults, so backups can be listed, taken and their settings saved.
// Before, every backup command and the Backups page failed with EISDIR.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

describe('settings.json that is not a file', () => {
  it.each(['a folder', 'a link to a folder'])('%s: set aside, backups work', async (what) => {
    const dir = world.dir();
    expect(
      (await cli('--data-dir', dir, 'demo', '--projects', '1', '--deployments', '2')).code,
    ).toBe(0);
    const settings = path.join(dir, 'settings.json');
    fs.rmSync(settings);
    const folder = what === 'a folder' ? settings : path.join(world.dir(), 'elsewhere');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'keep.txt'), 'mine');
    if (folder !== settings) fs.symlinkSync(folder, settings);

    // A backup without the lock reads the defaults (before: DATA_DIR_UNUSABLE, EISDIR).
    const backup = await cli('--data-dir', dir, 'backup');
    expect(backup.code, backup.stderr).toBe(0);

    const rt = await startTestRuntime(world, dir);
    const st = fs.lstatSync(settings);
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    // What was there is kept, beside it.
    const aside = fs.readdirSync(dir).filter((n) => n.startsWith('settings.json.not-a-file-'));
    expect(aside).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, aside[0]!, 'keep.txt'), 'utf8')).toBe('mine');
    expect(rt.backups.list()).toHaveLength(1);
    expect(rt.backups.saveSettings({ intervalMinutes: 60 }).intervalMinutes).toBe(60);
  });
});
