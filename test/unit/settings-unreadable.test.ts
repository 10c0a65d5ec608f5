// settings.json that cannot be read (not JSON, not an object, backup settings that
// are not valid): the user's file is kept aside (owner-only), the defaults are in
// use, the log says so, and the backup overview (the Safety panel, the Backups
// settings screen) warns until backup settings are saved again. Before, it was
// reset to the defaults silently and the next write replaced it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { setMachineSettings } from '../../electron/core/machine-settings.ts';
import { DEFAULT_BACKUP_SETTINGS } from '../../shared/domain.ts';
import { HELPERS_DIR } from '../helpers/child.ts';
import { cli } from '../helpers/cli.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { HAVE_STRACE, killAtCallArgs, straceNode } from '../helpers/syscall-sweep.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

/** A data dir (closed) whose settings.json holds `text`. */
async function dirWithSettings(text: string): Promise<string> {
  const dir = world.dir();
  expect((await cli('--data-dir', dir, 'demo', '--projects', '1')).code).toBe(0);
  fs.writeFileSync(path.join(dir, 'settings.json'), text);
  return dir;
}

const asideIn = (dir: string) =>
  fs.readdirSync(dir).filter((n) => n.startsWith('settings.json.unreadable-'));

const logsOf = (dir: string) =>
  fs
    .readdirSync(path.join(dir, 'logs'))
    .map((n) => fs.readFileSync(path.join(dir, 'logs', n), 'utf8'))
    .join('');

describe('settings.json that cannot be read', () => {
  it.each([
    ['garbage', 'this is not json {'],
    ['an array', '[1, 2]'],
    ['backup settings of the wrong type', '{"version":1,"backup.settings":"weekly please"}'],
  ])('%s: kept aside owner-only, defaults in use, a warning until saved', async (_what, text) => {
    const dir = await dirWithSettings(text);
    const rt = await startTestRuntime(world, dir);
    try {
      const aside = asideIn(dir);
      expect(aside).toHaveLength(1);
      const kept = path.join(dir, aside[0]!);
      expect(fs.readFileSync(kept, 'utf8')).toBe(text);
      expect(fs.statSync(kept).mode & 0o777).toBe(0o600);
      expect(rt.backups.settings()).toEqual(DEFAULT_BACKUP_SETTINGS);
      expect(logsOf(dir)).toContain(`old file is kept at ${kept}`);

      const warning = rt.backups
        .overview()
        .warnings.find((w) => w.code === 'SETTINGS_FILE_UNREADABLE');
      expect(warning?.message).toContain('could not be read; defaults are in use');
      expect(warning?.message).toContain(kept);
      // A later write (the scheduler's record) keeps the warning; saving the settings ends it.
      setMachineSettings(rt.layout, { 'backup.lastScheduledRunAt': 1 }, null);
      expect(rt.backups.overview().warnings.map((w) => w.code)).toContain(
        'SETTINGS_FILE_UNREADABLE',
      );
      expect(rt.backups.saveSettings({ intervalMinutes: 60 }).intervalMinutes).toBe(60);
      expect(rt.backups.overview().warnings.map((w) => w.code)).not.toContain(
        'SETTINGS_FILE_UNREADABLE',
      );
      expect(fs.readFileSync(kept, 'utf8')).toBe(text);
    } finally {
      rt.close();
    }
  });
});

describe('settings.json with one invalid backup setting', () => {
  it.each([-3, 'ten'])(
    'retention.keepLast = %j: every other setting kept, only that one at its default, a warning naming it',
    async (keepLast) => {
      const mine = {
        scheduleEnabled: false,
        intervalMinutes: 240,
        onlyIfChanged: false,
        compactScheduled: true,
        retention: { keepLast, daily: 3, weekly: 2, monthly: 1 },
        offsiteDir: path.join(world.dir(), 'offsite'),
      };
      const text = JSON.stringify({ version: 1, 'backup.settings': mine });
      const dir = await dirWithSettings(text);
      const expected = {
        ...mine,
        retention: { ...mine.retention, keepLast: DEFAULT_BACKUP_SETTINGS.retention.keepLast },
      };
      const rt = await startTestRuntime(world, dir);
      try {
        expect(rt.backups.settings()).toEqual(expected);
        const aside = asideIn(dir);
        expect(aside).toHaveLength(1);
        const kept = path.join(dir, aside[0]!);
        expect(fs.readFileSync(kept, 'utf8')).toBe(text);
        expect(fs.statSync(kept).mode & 0o777).toBe(0o600);
        const warning = rt.backups
          .overview()
          .warnings.find((w) => w.code === 'SETTINGS_FILE_UNREADABLE');
        expect(warning?.message).toContain('invalid value for retention.keepLast');
        expect(warning?.message).toContain(kept);
        expect(logsOf(dir)).toContain('retention.keepLast');
      } finally {
        rt.close();
      }
      // The good values are in the file now: a restart keeps them (and the warning).
      const again = await startTestRuntime(world, dir);
      try {
        expect(again.backups.settings()).toEqual(expected);
        expect(again.backups.overview().warnings.map((w) => w.code)).toContain(
          'SETTINGS_FILE_UNREADABLE',
        );
      } finally {
        again.close();
      }
    },
  );
});

describe.skipIf(!HAVE_STRACE)('a write killed while it keeps an unreadable file aside', () => {
  it.each([
    ['its first fsync (the kept copy half-written)', 'fsync', 1],
    ['its first rename (the kept copy not in place)', 'rename', 1],
    ['its second rename (settings.json not replaced yet)', 'rename', 2],
  ])(
    'killed at %s: the user’s file is never lost, the next start warns and names a copy of it',
    async (_what, syscall, when) => {
      const text = 'not json, killed {';
      const dir = await dirWithSettings(text);
      const killed = await straceNode(
        killAtCallArgs(syscall, { when }),
        path.join(HELPERS_DIR, 'machine-settings-writer.ts'),
        [dir, 'backup.lastScheduledRunAt', '1'],
        { world },
      );
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      const rt = await startTestRuntime(world, dir);
      try {
        const warning = rt.backups
          .overview()
          .warnings.find((w) => w.code === 'SETTINGS_FILE_UNREADABLE');
        const kept = /kept at (\S+unreadable-\d+)/.exec(warning?.message ?? '')?.[1];
        expect(kept, warning?.message).toBeDefined();
        expect(fs.readFileSync(kept!, 'utf8')).toBe(text);
        expect(JSON.parse(fs.readFileSync(rt.layout.settings, 'utf8'))).toBeTypeOf('object');
        expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
      } finally {
        rt.close();
      }
    },
  );
});
