// Loose permissions that already exist are repaired at start: with everything
// set to 0755/0644 beforehand (an older version, a copy, a umask), the owning
// start leaves every known sub-path owner-only. Links are never followed, files
// of another user are reported, and none of it ever stops a start.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loosePermissions } from '../helpers/restore-util.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { useSecretsEnv } from '../helpers/secrets-util.ts';
import { isRoot, makeTempDir, modeOf, useWorld } from '../helpers/world.ts';
import type { Runtime } from '../../electron/core/runtime.ts';
import { appStatus } from '../../electron/handlers/app.ts';

const world = useWorld();
useSecretsEnv();

let template: string | null = null;
afterAll(() => {
  if (template) fs.rmSync(template, { recursive: true, force: true });
});

/** A data dir with something in every known place: keyring, backups, a restore, a drill report, logs. */
async function populatedDataDir(): Promise<string> {
  if (!template) {
    // Built once (by the first test, under its secrets env), then copied for each test.
    const built = makeTempDir();
    const rt = await startTestRuntime(world, built);
    await rt.secrets.setup({ passphrase: 'correct horse battery staple' });
    const backup = await rt.backups.run({ kind: 'manual', compact: false });
    const staged = await rt.restores.stage({ backupId: backup.id });
    await rt.restores.drill(staged.restoreId!);
    rt.close();
    template = built;
  }
  const dir = world.dir();
  execFileSync('cp', ['-a', `${template}/.`, dir]); // modes as they were (fs.cpSync loosens folders)
  for (const sub of ['keys', 'backups', 'restores', 'drills', 'logs'])
    expect(fs.readdirSync(path.join(dir, sub)), `${sub} is populated`).not.toEqual([]);
  return dir;
}

/** chmod -R as a careless copy would leave it: folders 0755, files 0644. */
function loosen(dir: string): void {
  execFileSync('chmod', ['-R', 'u=rwX,go=rX', dir]);
  expect(modeOf(path.join(dir, 'keys', 'keyring.json'))).toBe(0o644);
}

function logText(rt: Runtime): string {
  return fs.readFileSync(rt.logger.file!, 'utf8');
}

describe('permission repair at start', () => {
  it('a start makes every known sub-path owner-only again, and says so in the log', async () => {
    const dir = await populatedDataDir();
    loosen(dir);
    expect(loosePermissions(dir).length).toBeGreaterThan(5);
    const rt = await startTestRuntime(world, dir);
    expect(rt.startup).toEqual({ state: 'ready' });
    expect(loosePermissions(dir)).toEqual([]);
    expect(rt.permissionRepair?.tightened).toContain('keys/keyring.json (644 → 600)');
    expect((await appStatus(rt)).permissionNotes?.join('\n')).toContain(
      'keys/keyring.json (644 → 600)',
    );
    expect(logText(rt)).toMatch(/tightened \d+ path\(s\) in the data directory/);
    expect(logText(rt)).toContain('keys/keyring.json');
  });

  it("only what others may do is taken away: an owner's read-only file stays read-only", async () => {
    const dir = await populatedDataDir();
    const backup = fs.readdirSync(path.join(dir, 'backups')).find((n) => n.endsWith('.sqlite'))!;
    const file = path.join(dir, 'backups', backup);
    fs.chmodSync(file, 0o444);
    const rt = await startTestRuntime(world, dir);
    expect(rt.startup).toEqual({ state: 'ready' });
    expect(modeOf(file)).toBe(0o400);
    expect(rt.permissionRepair?.tightened).toEqual([`backups/${backup} (444 → 400)`]);
  });

  it('all in order: nothing tightened, nothing to report', async () => {
    const dir = await populatedDataDir();
    const rt = await startTestRuntime(world, dir);
    expect(rt.permissionRepair).toEqual({ tightened: [], foreign: [], failed: [] });
    expect((await appStatus(rt)).permissionNotes).toBeUndefined();
  });

  it('a process that does not own the data dir (no lock) changes nothing', async () => {
    const dir = await populatedDataDir();
    loosen(dir);
    // (The data dir folder itself has always been tightened by every start.)
    const inside = () => loosePermissions(dir).filter((p) => !p.startsWith('.:'));
    const before = inside();
    const rt = await startTestRuntime(world, dir, { lockMode: null, store: 'none' });
    expect(rt.permissionRepair).toBeNull();
    expect(inside()).toEqual(before);
  });

  it('symbolic links are never followed: what they point at keeps its mode', async () => {
    const dir = await populatedDataDir();
    const outside = world.dir();
    fs.chmodSync(outside, 0o755);
    const outFile = path.join(outside, 'shared.txt');
    fs.writeFileSync(outFile, 'not Stateward’s');
    fs.chmodSync(outFile, 0o644);
    const outDir = path.join(outside, 'folder');
    fs.mkdirSync(outDir, { mode: 0o755 });
    fs.chmodSync(outDir, 0o755);
    fs.symlinkSync(outFile, path.join(dir, 'backups', 'link-to-file'));
    fs.symlinkSync(outDir, path.join(dir, 'restores', 'link-to-folder'));
    fs.rmSync(path.join(dir, 'drills'), { recursive: true });
    fs.symlinkSync(outside, path.join(dir, 'drills'));
    fs.symlinkSync(outFile, path.join(dir, 'stateward.db-shm.link'));
    loosen(dir);
    const rt = await startTestRuntime(world, dir);
    expect(rt.startup).toEqual({ state: 'ready' });
    expect(modeOf(outFile)).toBe(0o644);
    expect(modeOf(outDir)).toBe(0o755);
    expect(modeOf(outside)).toBe(0o755);
    expect(fs.lstatSync(path.join(dir, 'backups', 'link-to-file')).isSymbolicLink()).toBe(true);
    expect(modeOf(path.join(dir, 'keys', 'keyring.json'))).toBe(0o600);
  });

  it('a fifo or socket-like oddity in a known folder does not stop the start', async () => {
    const dir = await populatedDataDir();
    execFileSync('mkfifo', [path.join(dir, 'backups', 'odd.fifo')]);
    loosen(dir);
    const rt = await startTestRuntime(world, dir);
    expect(rt.startup).toEqual({ state: 'ready' });
    expect(modeOf(path.join(dir, 'keys', 'keyring.json'))).toBe(0o600);
  });

  it('a file that belongs to another user is reported (log and start-up) and the start goes on', async (ctx) => {
    if (!isRoot) {
      ctx.skip('chown to another user needs root');
      return;
    }
    const dir = await populatedDataDir();
    const foreign = path.join(dir, 'backups', 'planted.sqlite');
    fs.writeFileSync(foreign, 'x');
    fs.chownSync(foreign, 65534, 65534);
    loosen(dir);
    const rt = await startTestRuntime(world, dir);
    expect(rt.startup).toEqual({ state: 'ready' });
    expect(rt.permissionRepair?.foreign).toEqual(['backups/planted.sqlite']);
    expect(logText(rt)).toMatch(/1 path\(s\) in the data directory belong to another user/);
    expect(logText(rt)).toContain('backups/planted.sqlite');
    expect((await appStatus(rt)).permissionNotes?.join('\n')).toMatch(
      /belong to another user[^\n]*backups\/planted\.sqlite/,
    );
    expect(modeOf(foreign)).toBe(0o600);
  });
});
