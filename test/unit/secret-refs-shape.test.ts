// {"$secret": …} references of every shape: one whose value is not a name is
// refused as such (before: 'refers to a secret … does not have: "[object Object]"'
// or "null"), and the drill finds a dangling reference however the JSON spells
// the key (before: a key written as "\u0024secret" slipped past its text filter
// and the drill said the backup holds no secrets).
import { describe, expect, it } from 'vitest';
import { drillWithRawSnapshot } from '../helpers/backup-util.ts';
import { call, callError } from '../helpers/restore-util.ts';
import { startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { seedEnvs } from '../helpers/secrets-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

describe('secret references', () => {
  it.each([
    ['null', { list: [1, { $secret: null }] }, 'list[1]'],
    ['a number', { port: { $secret: 5432 } }, 'port'],
    ['an object', { db: { $secret: { nested: { $secret: 'INNER' } } } }, 'db'],
  ])('a $secret of %s is refused as not a name', async (_what, content, where) => {
    const rt = await startTestRuntime(world);
    const reg = testRegistry(rt);
    const [e] = await seedEnvs(reg, 'billing', ['production']);
    const err = await callError(reg, 'snapshots.create', { environmentId: e!.env.id, content });
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toContain(where);
    expect(err.message).toMatch(/must be the name of a secret/);
    expect(err.message).not.toContain('[object Object]');
    expect(await call<unknown[]>(reg, 'snapshots.list', { environmentId: e!.env.id })).toEqual([]);
  });

  it('the drill names a dangling reference whose key is written with an escape', async () => {
    const { step } = await drillWithRawSnapshot(world, '{"db":{"\\u0024secret":"GHOST_TOKEN"}}');
    expect(step.detail).toContain('"GHOST_TOKEN"');
    expect(step.detail).not.toContain('holds no secrets');
  });
});
