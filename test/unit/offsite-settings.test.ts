// The off-site folder is not "any path": saving one refuses system folders, the
// home folder, the data dir (inside, containing, or through a symlink) and
// missing parents, proves the folder with a probe file, and says whether it is
// on another drive. The desktop app takes it only from the folder dialog, and
// backups never create a missing off-site folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OffsiteCheck } from '../../shared/domain.ts';
import type { Runtime, StartOptions } from '../../electron/core/runtime.ts';
import { filesIn, mountTmpfs } from '../helpers/backup-util.ts';
import { readyDb, startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { modeOf, useWorld } from '../helpers/world.ts';
import { seedDemo } from '../../electron/core/demo.ts';

const world = useWorld();

async function app(opts: Partial<StartOptions> = {}) {
  const rt = await startTestRuntime(world, world.dir(), opts);
  seedDemo(readyDb(rt), { projects: 1, deployments: 5, actor: 'test', now: Date.now() });
  return { rt, reg: testRegistry(rt) };
}

async function save(
  m: { rt: Runtime; reg: ReturnType<typeof testRegistry> },
  offsiteDir: string | null,
) {
  const r = await m.reg.dispatch('backups.updateSettings', { offsiteDir });
  return r.ok
    ? { ok: true as const, check: (r.value as { offsiteCheck: OffsiteCheck | null }).offsiteCheck }
    : {
        ok: false as const,
        code: r.error.code,
        message: r.error.message,
        field: r.error.details?.['field'],
      };
}

describe('backups.updateSettings offsiteDir', () => {
  it('a path whose parents do not exist is refused and nothing is created (was: saved, whole chain created)', async () => {
    const m = await app();
    const base = world.dir();
    for (const dir of ['/nonexistent/usb/stateward', path.join(base, 'a', 'b', 'c')]) {
      const r = await save(m, dir);
      expect(r, dir).toMatchObject({ ok: false, code: 'OFFSITE_DIR_REFUSED', field: 'offsiteDir' });
    }
    expect(fs.existsSync('/nonexistent')).toBe(false);
    expect(filesIn(base)).toEqual([]);
    expect(m.rt.backups.settings().offsiteDir).toBeNull();
  });

  it.each([
    ['the data dir itself', (rt: Runtime) => rt.layout.dir],
    ['a folder inside it', (rt: Runtime) => path.join(rt.layout.dir, 'offsite')],
    ['the folder containing it', (rt: Runtime) => path.dirname(rt.layout.dir)],
    ['the home folder', () => os.homedir()],
    ['/', () => '/'],
    ['/etc', () => '/etc'],
    ['a folder under /usr', () => '/usr/share/stateward-backups'],
    ['/proc', () => '/proc/self'],
  ])('%s is refused with OFFSITE_DIR_REFUSED on the field', async (_what, dirOf) => {
    const m = await app();
    const r = await save(m, dirOf(m.rt));
    expect(r).toMatchObject({ ok: false, code: 'OFFSITE_DIR_REFUSED', field: 'offsiteDir' });
    expect(m.rt.backups.settings().offsiteDir).toBeNull();
  });

  it('a symlink that leads into the data dir is refused', async () => {
    const m = await app();
    const link = path.join(world.dir(), 'looks-elsewhere');
    fs.symlinkSync(m.rt.layout.backups, link);
    expect(await save(m, link)).toMatchObject({ ok: false, code: 'OFFSITE_DIR_REFUSED' });
  });

  it('an existing folder is proved (probe written, read back, removed) and said to be on the same drive', async () => {
    const m = await app();
    const dir = world.dir();
    const r = await save(m, dir);
    expect(r).toMatchObject({ ok: true, check: { dir, created: false, sameDrive: true } });
    expect(filesIn(dir), 'the probe file is removed').toEqual([]);
    expect(m.rt.backups.settings().offsiteDir).toBe(dir);
  });

  it('a missing last folder (its parent exists) is created owner-only', async () => {
    const m = await app();
    const dir = path.join(world.dir(), 'stateward-offsite');
    expect(await save(m, dir)).toMatchObject({ ok: true, check: { created: true } });
    expect(modeOf(dir)).toBe(0o700);
  });

  it('a folder on another file system is said to be on another drive', async (ctx) => {
    const m = await app();
    const dir = world.dir();
    const why = mountTmpfs(world, dir, 'size=1m,mode=0700');
    if (why) return ctx.skip(why);
    expect(await save(m, dir)).toMatchObject({ ok: true, check: { sameDrive: false } });
  });

  it('a folder that cannot take the probe (read-only, full) is refused, with the reason', async (ctx) => {
    const m = await app();
    const ro = world.dir();
    const whyRo = mountTmpfs(world, ro, 'ro,size=1m,mode=0700');
    if (whyRo) return ctx.skip(whyRo);
    const full = world.dir();
    mountTmpfs(world, full, 'size=64k,mode=0700');
    fs.writeFileSync(path.join(full, 'filler'), Buffer.alloc(64 * 1024));
    for (const dir of [ro, full]) {
      const r = await save(m, dir);
      expect(r, dir).toMatchObject({ ok: false, code: 'OFFSITE_DIR_REFUSED' });
      expect(r.ok ? '' : r.message).toMatch(/could not write, sync, read back and remove/);
    }
    expect(filesIn(full)).toEqual(['filler']);
    expect(m.rt.backups.settings().offsiteDir).toBeNull();
  });

  it('in the desktop app, only a folder picked in the folder dialog (granted) is accepted, once', async () => {
    const m = await app({ transport: 'electron' });
    const dir = world.dir();
    expect(await save(m, dir)).toMatchObject({ ok: false, code: 'BAD_INPUT', field: 'offsiteDir' });
    m.rt.grantedPaths.add(dir);
    expect(await save(m, dir)).toMatchObject({ ok: true });
    expect(m.rt.grantedPaths.has(dir)).toBe(false);
    // Saving other settings keeps the folder without a new grant.
    const other = await m.reg.dispatch('backups.updateSettings', {
      offsiteDir: dir,
      onlyIfChanged: false,
    });
    expect(other.ok).toBe(true);
  });
});

describe('copying off-site', () => {
  it('a saved folder that went away (drive unplugged) is not created again: the copy fails with the reason', async () => {
    const m = await app();
    const dir = path.join(world.dir(), 'usb');
    fs.mkdirSync(dir);
    expect(await save(m, dir)).toMatchObject({ ok: true });
    fs.rmSync(dir, { recursive: true });
    const created = await m.reg.dispatch('backups.create', { compact: false });
    expect(created.ok).toBe(true);
    expect(fs.existsSync(dir)).toBe(false);
    const warning = m.rt.backups.overview().warnings.find((w) => w.code === 'OFFSITE_COPY_FAILED');
    expect(warning?.message).toContain(dir);
  });
});
