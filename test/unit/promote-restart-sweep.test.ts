// A crash of the start that recovers an interrupted promote is recovered too.
// From two crashed states — the promoted copy in place with its rollback journal
// hot (the start finishes the promote), and the live database moved aside before
// the copy came in (the start rolls back) — the recovering start (`stateward
// migrate`, which takes the data dir) is SIGKILLed by strace right before each
// of its syscalls on the data dir; the start after that still ends with the
// state the first one was heading for, and status announced it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { usePromoteFixture } from '../helpers/promote-sweep.ts';
import { HAVE_STRACE, straceCli, sweepDataDir } from '../helpers/syscall-sweep.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const fx = usePromoteFixture(world);

describe('the recovering start killed before each of its syscalls', () => {
  const cases = [
    { what: 'finishing a promote (hot journal)', crashAt: 'journal-unlink', outcome: 'new' },
    { what: 'rolling back a promote (live aside)', crashAt: 'copy-rename', outcome: 'old' },
  ] as const;
  for (const c of cases) {
    it.skipIf(!HAVE_STRACE)(
      `${c.what}: the next start still ends with the ${c.outcome} state`,
      { timeout: 90_000 },
      async () => {
        const crashed = fx.freshDataDir();
        const layout = dataDirLayout(crashed);
        const inject =
          c.crashAt === 'journal-unlink'
            ? ['-P', `${layout.db}-journal`, '-e', 'inject=unlink:signal=KILL']
            : [
                ...['-P', path.join(layout.restores, fx.restoreId, 'stateward.db')],
                ...['-e', 'inject=rename:signal=KILL'],
              ];
        expect(
          (await straceCli(['-o', '/dev/null', ...inject], fx.promoteArgs(crashed))).signal,
        ).toBe('SIGKILL');
        const copyOfCrash = () => {
          const d = world.dir();
          fs.cpSync(crashed, d, { recursive: true });
          return d;
        };
        // The recovering start: `stateward migrate` takes the data dir and recovers.
        const work = world.dir();
        const base = copyOfCrash();
        const { specs, outcomes: kills } = await sweepDataDir({
          work,
          base,
          fresh: copyOfCrash,
          args: (dir) => ['--data-dir', dir, 'migrate'],
          check: async ({ spec, dir, hit }) => {
            const label = `recovery ${spec.label} [when=${spec.when}]`;
            const st = await fx.statusOf(dir);
            expect(st.code, `${label}: ${st.text}`).not.toBe(4);
            if (st.json.promote)
              expect(st.json.promote.nextStart, label).toBe(
                c.outcome === 'new' ? 'finished' : 'rolled-back',
              );
            expect(await fx.startAfterCrash(dir, label), label).toBe(c.outcome);
            return hit === null ? label : null;
          },
        });
        const missed = kills.filter((k) => k !== null);
        console.log(
          `recovery sweep (${c.what}): ${specs.length - missed.length} kills at ${specs.length} fault points${missed.length ? `; not killed (the call did not come): ${missed.join('; ')}` : ''}`,
        );
        expect(missed.length).toBeLessThanOrEqual(specs.length / 2);
      },
    );
  }
});
