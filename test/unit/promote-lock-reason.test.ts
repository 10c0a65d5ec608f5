// A promote needs the data-dir lock. When this process could not take it, the
// refusal says why: another process holds it (DATA_DIR_LOCKED, naming it), or the
// lock file could not be written at all (DATA_DIR_UNUSABLE, DISK_FULL), never
// "another process holds it" when nobody does.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const SOME_COPY = '0123456789abcdef';

async function promoteError(dir: string) {
  const rt = await startTestRuntime(world, dir);
  expect(rt.lock).toBeNull();
  const r = await testRegistry(rt).dispatch('restores.promote', {
    restoreId: SOME_COPY,
    confirm: true,
  });
  if (r.ok) throw new Error('promote went through without the lock');
  return r.error;
}

describe('promote without the lock', () => {
  it('an unusable lock file: the real reason, not "another process holds it"', async () => {
    const dir = world.dir();
    // A folder where the lock file goes: nobody holds the lock, it just cannot be taken.
    fs.mkdirSync(path.join(dir, 'stateward.lock'));
    const e = await promoteError(dir);
    expect(e.code).toBe('DATA_DIR_UNUSABLE');
    expect(e.message).not.toContain('another process holds it');
    expect(e.message).toContain('stateward.lock');
  });

  it('held by another live process: DATA_DIR_LOCKED naming it', async () => {
    const dir = world.dir();
    await startTestRuntime(world, dir);
    const e = await promoteError(dir);
    expect(e.code).toBe('DATA_DIR_LOCKED');
    expect(e.message).toContain(`pid ${process.pid}`);
  });
});
