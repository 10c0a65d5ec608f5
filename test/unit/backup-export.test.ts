// "Save a copy…" in the desktop app: backups.export writes only to a path the
// user picked in the native Save dialog (rt.grantedPaths), once.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { seedDemo } from '../../electron/core/demo.ts';
import { readyDb, startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { sha256File } from '../helpers/store.ts';
import { modeOf, useWorld } from '../helpers/world.ts';

const world = useWorld();

async function withBackup() {
  const rt = await startTestRuntime(world);
  seedDemo(readyDb(rt), { projects: 2, deployments: 20, actor: 'test', now: Date.now() });
  const registry = testRegistry(rt);
  const entry = await rt.backups.run({ kind: 'manual', compact: false });
  return { rt, registry, entry };
}

describe('backups.export', () => {
  it('refuses a path the user did not choose in the Save dialog, and writes nothing', async () => {
    const { registry, entry } = await withBackup();
    const dest = path.join(world.dir(), 'elsewhere.sqlite');
    const r = await registry.dispatch('backups.export', { id: entry.id, path: dest });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('BAD_INPUT');
    expect(fs.existsSync(dest)).toBe(false);
  });

  it('copies the backup and its manifest to the chosen path, owner-only, once per choice', async () => {
    const { rt, registry, entry } = await withBackup();
    const dest = path.join(world.dir(), 'my-copy.sqlite');
    rt.grantedPaths.add(dest);
    const r = await registry.dispatch('backups.export', { id: entry.id, path: dest });
    expect(r).toEqual({ ok: true, value: { path: dest } });
    expect(sha256File(dest)).toBe(entry.sha256);
    const manifest = JSON.parse(
      fs.readFileSync(path.join(path.dirname(dest), 'my-copy.manifest.json'), 'utf8'),
    ) as {
      id: string;
      sha256: string;
    };
    expect(manifest).toMatchObject({ id: entry.id, sha256: entry.sha256 });
    expect(modeOf(dest)).toBe(0o600);
    // The grant was for one save: a second write to the same path needs a new choice.
    const again = await registry.dispatch('backups.export', { id: entry.id, path: dest });
    expect(again.ok ? 'ok' : again.error.code).toBe('BAD_INPUT');
  });

  it('an unknown backup id is NOT_FOUND and consumes nothing on disk', async () => {
    const { rt, registry } = await withBackup();
    const dest = path.join(world.dir(), 'x.sqlite');
    rt.grantedPaths.add(dest);
    const r = await registry.dispatch('backups.export', { id: 'ffffffffffffffff', path: dest });
    expect(r.ok ? 'ok' : r.error.code).toBe('NOT_FOUND');
    expect(fs.existsSync(dest)).toBe(false);
  });
});
