// Text that cannot be stored as UTF-8 (a lone surrogate) is refused for every
// transport, not only HTTP bodies: IPC and the CLI reach the registry directly,
// with JS strings that may hold half a surrogate pair. BAD_INPUT, nothing changed.
import { describe, expect, it } from 'vitest';
import { readyDb, startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { fingerprint } from '../helpers/store.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

describe('registry dispatch: lone surrogates', () => {
  it('a lone surrogate in a value, a key or a nested string is BAD_INPUT and writes nothing', async () => {
    const rt = await startTestRuntime(world);
    const db = readyDb(rt);
    const reg = testRegistry(rt);
    const before = fingerprint(db);
    const inputs: [string, unknown][] = [
      ['projects.create', { name: 'half \uD800 a pair' }],
      ['projects.create', { name: 'low \uDFFF only' }],
      ['projects.create', { name: 'ok', ['\uD83D']: 1 }],
      ['projects.create', { name: 'ok', description: 'cut 🚀'.slice(0, 5) }],
      ['deployments.list', { filter: { text: ['\uDC00'] } }],
    ];
    for (const [name, input] of inputs) {
      const r = await reg.dispatch(name, input);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('BAD_INPUT');
        expect(r.error.message).toContain('not valid Unicode');
      }
    }
    expect(fingerprint(db)).toEqual(before);
  });

  it('a whole surrogate pair (an emoji) is accepted unchanged', async () => {
    const rt = await startTestRuntime(world);
    const reg = testRegistry(rt);
    const r = await reg.dispatch('projects.create', { name: 'rocket-🚀' });
    expect(r.ok).toBe(true);
    expect(readyDb(rt).prepare('SELECT name FROM projects').get()).toEqual({ name: 'rocket-🚀' });
  });

  it('a NUL character (PostgreSQL text cannot hold it) is BAD_INPUT on every backend and writes nothing', async () => {
    const rt = await startTestRuntime(world);
    const db = readyDb(rt);
    const reg = testRegistry(rt);
    const before = fingerprint(db);
    for (const input of [
      { name: 'nul\u0000name' },
      { name: 'ok', description: 'binary \u0000 output' },
    ]) {
      const r = await reg.dispatch('projects.create', input);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('BAD_INPUT');
        expect(r.error.message).toContain('NUL character');
      }
    }
    expect(fingerprint(db)).toEqual(before);
  });
});
