// A drill report file in drills/ that is valid JSON but not a report (emptied,
// edited by hand, written by something else) is skipped like an unreadable one:
// before, `{}` or `null` made the backups list, `status`, the drill history and
// the Dashboard fail with INTERNAL (TypeError on .source / .finishedAt).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRuntime } from '../helpers/backup-util.ts';
import { cli } from '../helpers/cli.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

describe('a drill report file that is not a report', () => {
  it.each(['{}', 'null', '[]', '{"id":"0123456789abcdef","finishedAt":5,"source":null}'])(
    '%s: skipped everywhere, the real reports still count',
    async (text) => {
      const rt = await seededRuntime(world, 3, { projects: 1 });
      const b = await rt.backups.run({ kind: 'manual', compact: false });
      const good = await rt.restores.verify({ backupId: b.id });
      expect(good.passed).toBe(true);
      fs.writeFileSync(path.join(rt.layout.drills, '0123456789abcdef.json'), text);

      expect(rt.backups.list()[0]!.verification.state).toBe('verified');
      expect(rt.restores.drills().map((d) => d.id)).toEqual([good.id]);
      expect(rt.restores.overview().lastPassed?.id).toBe(good.id);
      for (const args of [['backups'], ['status']]) {
        const run = await cli('--data-dir', rt.layout.dir, ...args);
        expect(run.code, run.stderr).toBe(0);
      }
    },
  );
});
