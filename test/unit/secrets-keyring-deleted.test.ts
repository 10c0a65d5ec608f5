// keys/keyring.json deleted while the app runs: the app still holds the data key
// in memory, and "Set up secrets" is offered again. Setting up keeps the keys this
// process holds (retired, protected like the new one, their recovery key shown
// again), so the values they encrypt still open after a restart. Before, the new
// keyring held only the new key: after a restart every existing secret needed a
// recovery key the user may never have stored.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRuntime } from '../helpers/backup-util.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const PASSPHRASE = 'correct horse battery';

describe('keyring deleted while the app runs', () => {
  it('set up again: existing secrets still open after a restart', async () => {
    const rt = await seededRuntime(world, 2, { projects: 1 });
    const first = await rt.secrets.setup({ passphrase: PASSPHRASE });
    const entry = await rt.secrets.set(1, 'API_TOKEN', 'value-before-the-deletion');
    fs.rmSync(path.join(rt.layout.keys, 'keyring.json'));

    const again = await rt.secrets.setup({ passphrase: PASSPHRASE });
    expect(again.keyId).not.toBe(first.keyId);
    // The old key's recovery key is offered again, since it was not stored anywhere.
    expect(rt.secrets.pendingRecoveryKeys().map((k) => k.keyId)).toContain(first.keyId);
    await rt.secrets.set(1, 'OTHER', 'value-after-the-deletion');
    const dir = rt.layout.dir;
    rt.close();

    const next = await startTestRuntime(world, dir);
    await next.secrets.unlock({ passphrase: PASSPHRASE });
    const res = next.secrets.resolveAll(next.store!.db);
    expect(res).toMatchObject({ total: 2, resolved: 2 });
    expect(await next.secrets.reveal(entry.id)).toBe('value-before-the-deletion');
  });
});
