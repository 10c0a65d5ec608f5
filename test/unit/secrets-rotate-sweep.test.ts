// Key rotation killed after each of its syscalls (strace's kill-after-syscall
// injection on `stateward key rotate`): after every kill the data dir starts,
// every secret still resolves to its value with the old or the new key, and
// the active key's recovery key is not lost (acknowledged already, or pending
// and shown at the next chance).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeRecoveryKey, keyIdOf } from '../../electron/core/secrets/crypto.ts';
import { call } from '../helpers/restore-util.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import { fullRegistry, makeKeyFile, seedEnvs, useSecretsEnv } from '../helpers/secrets-util.ts';
import { useWorld } from '../helpers/world.ts';
import { HAVE_STRACE, killAtCallArgs, straceCli } from '../helpers/syscall-sweep.ts';

const world = useWorld();
const env = useSecretsEnv();

const VALUES: Record<string, string> = {
  DATABASE_URL: 'postgres://shop:sweep-Pw-1@db/shop',
  API_TOKEN: 'tok_sweep_0002',
  SIGNING_KEY: 'sk_sweep_0003',
};

/**
 * Syscalls swept, each at every occurrence a first traced run counted. pwrite64
 * (SQLite's page and WAL writes, ~30 of them) is swept at every fourth one unless
 * STATEWARD_SWEEP_FULL=1, to keep the file fast on a 2-core machine.
 */
const SWEEP: { syscall: string; stride: number }[] = [
  { syscall: 'rename', stride: 1 },
  { syscall: 'fsync', stride: 1 },
  { syscall: 'fdatasync', stride: 1 },
  { syscall: 'ftruncate', stride: 1 },
  { syscall: 'unlink', stride: 1 },
  { syscall: 'write', stride: 1 },
  { syscall: 'pwrite64', stride: process.env.STATEWARD_SWEEP_FULL === '1' ? 1 : 4 },
];

const rotate = (dir: string, straceArgs: string[]) =>
  straceCli(straceArgs, ['--data-dir', dir, 'key', 'rotate']);

describe('key rotate killed after each syscall', () => {
  it.skipIf(!HAVE_STRACE)(
    'always leaves every secret resolving and the recovery key of the active key shown or pending',
    { timeout: 120_000 },
    async () => {
      const keyFile = makeKeyFile(world.dir());
      env.set('STATEWARD_KEY_FILE', keyFile);
      const template = world.dir();
      let rt = await startTestRuntime(world, template);
      readyDb(rt);
      const reg = fullRegistry(rt);
      const [e] = await seedEnvs(reg, 'shop', ['prod']);
      const { keyId: oldKey } = await call<{ keyId: string }>(reg, 'secrets.setup', {});
      await call(reg, 'secrets.acknowledgeRecoveryKey', { keyId: oldKey });
      for (const [name, value] of Object.entries(VALUES))
        await call(reg, 'secrets.set', { environmentId: e!.env.id, name, value });
      rt.close();

      // One traced run counts each syscall; then one run per kill point, on a fresh copy.
      const scratch = path.join(world.dir(), 'data');
      const fresh = () => {
        fs.rmSync(scratch, { recursive: true, force: true });
        fs.cpSync(template, scratch, { recursive: true });
      };
      fresh();
      const traceFile = path.join(world.dir(), 'trace.txt');
      const names = SWEEP.map((x) => x.syscall).join(',');
      expect((await rotate(scratch, ['-o', traceFile, '-e', `trace=${names}`])).code).toBe(0);
      const trace = fs.readFileSync(traceFile, 'utf8');
      const tally: Record<string, number> = {};
      let kills = 0;
      let rotated = 0;
      for (const { syscall, stride } of SWEEP) {
        tally[syscall] = 0;
        const count = trace
          .split('\n')
          .filter((l) => new RegExp(`^\\d+ +${syscall}\\(`).test(l)).length;
        for (let n = 1; n <= count; n += stride) {
          fresh();
          const run = await rotate(scratch, killAtCallArgs(syscall, { when: n }));
          const where = `${syscall} #${n} of ${count}`;
          // A libuv wake-up write may come one fewer time than in the counting run: then it completes.
          if (run.code !== 0) {
            expect(run.signal, `${where}: ${run.stderr}`).toBe('SIGKILL');
            kills++;
            tally[syscall]++;
          }

          // The data dir starts; every secret resolves to its value; the recovery key is not lost.
          rt = await startTestRuntime(world, scratch);
          const db = readyDb(rt);
          const st = await rt.secrets.status();
          expect(st.unlocked, where).toBe(true);
          expect(rt.secrets.resolveAll(db), where).toMatchObject({ total: 3, resolved: 3 });
          for (const row of db.prepare('SELECT id, name FROM secrets').all() as {
            id: string;
            name: string;
          }[])
            expect(await rt.secrets.reveal(row.id), where).toBe(VALUES[row.name]);
          if (st.activeKeyId !== oldKey) {
            rotated++;
            const pending = rt.secrets.pendingRecoveryKeys().find((p) => p.active);
            expect(pending, `${where}: the new key's recovery key is lost`).toBeDefined();
            expect(keyIdOf(decodeRecoveryKey(pending!.recoveryKey)!), where).toBe(st.activeKeyId);
          }
          rt.close();
        }
      }
      console.log(
        `key rotate sweep: ${kills} kills (${Object.entries(tally)
          .map(([s, k]) => `${s} ${k}`)
          .join(', ')}); ${rotated} runs ended on the new key`,
      );
      expect(tally.rename).toBeGreaterThan(0);
      expect(tally.fsync).toBeGreaterThan(0);
      expect(tally.write).toBeGreaterThan(0);
    },
  );
});
