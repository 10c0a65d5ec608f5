// Pausing automation through the real `stateward` executable (issue 13.3):
// pause/resume in text and JSON, an automation write refused with PAUSED (exit
// 3, retryAfterMs) and changing nothing, a pause that survives a restart of the
// host and holds there for automation but not for the app's own writes, and a
// pause whose holder was killed: shown as such, and lifted by resume.
import os from 'node:os';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { AutomationStatus } from '../../shared/domain.ts';
import { automationStatus } from '../../electron/core/automation.ts';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { holdLockInChild } from '../helpers/child.ts';
import type { WritableDB } from '../../electron/core/store/db.ts';
import { applyMigrations, planMigrations } from '../../electron/core/store/migrate.ts';
import { MIGRATIONS } from '../../electron/core/store/migrations/index.ts';
import { killGroup, spawnStateward, stateward } from '../helpers/cli-bin.ts';
import { startTestHost } from '../helpers/http.ts';
import { useWorld } from '../helpers/world.ts';
import { HTTP_AUTOMATION_HEADER } from '../../shared/events.ts';

const world = useWorld();

/** A data dir with a current database. */
async function dataDir(): Promise<string> {
  const dir = world.dir();
  (await startTestRuntime(world, dir)).close();
  return dir;
}

/** automation.status as another process on the data dir sees it (in this one, without the lock: fast). */
async function status(dir: string): Promise<AutomationStatus> {
  const rt = await startTestRuntime(world, dir, { lockMode: null, transport: 'cli' });
  try {
    return await automationStatus(rt);
  } finally {
    rt.close();
  }
}

function projectCount(dir: string): number {
  const db = new Database(dataDirLayout(dir).db, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM projects').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function untilPaused(dir: string, timeoutMs = 20_000): Promise<AutomationStatus> {
  for (const end = Date.now() + timeoutMs; Date.now() < end;) {
    const s = await status(dir);
    if (s.paused) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the pause never showed');
}

describe('stateward pause / resume (the real executable)', () => {
  it('pauses with a reason; an automation write is refused with PAUSED (exit 3, retryAfterMs) and changes nothing; resume lets it through', async () => {
    const dir = await dataDir();
    const paused = await stateward(['--data-dir', dir, 'pause', '--reason', 'upgrade to 2.0']);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toMatch(
      /^Automation is paused by cli@\S+ \(user \S+, pid \d+\) since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: upgrade to 2\.0\.\nLift the pause with: stateward resume\n$/,
    );
    expect(await status(dir)).toMatchObject({
      paused: true,
      promote: null,
      retryAfterMs: 5000,
      pause: {
        reason: 'upgrade to 2.0',
        actor: `cli@${os.hostname()}`,
        user: os.userInfo().username,
        host: os.hostname(),
        until: 'resume',
        holderAlive: null,
      },
    });

    const refused = await stateward(['--data-dir', dir, '--json', 'project', 'add', 'web']);
    expect(refused.code).toBe(3);
    expect(refused.json).toMatchObject({
      error: {
        code: 'PAUSED',
        details: { retryable: true, retryAfterMs: 5000, pause: { reason: 'upgrade to 2.0' } },
      },
    });
    expect(refused.stderr).toMatch(/stateward: PAUSED: Automation is paused by cli@/);
    expect(refused.stderr).toContain('stateward resume');
    const text = await stateward(['--data-dir', dir, 'project', 'add', 'web']);
    expect(text.code).toBe(3);
    expect(text.stdout).toBe('');
    const none = await stateward(['--data-dir', dir, '--json', 'project', 'list']);
    expect(none.json).toMatchObject({ total: 0 });

    // Pausing again keeps the first pause (who, why, since).
    const again = await stateward(['--data-dir', dir, '--json', 'pause', '--reason', 'other']);
    expect(again.json).toMatchObject({ paused: true, pause: { reason: 'upgrade to 2.0' } });

    const resumed = await stateward(['--data-dir', dir, 'resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(
      /^Automation resumed \(it was paused by cli@\S+ since .* UTC\)\.\n$/,
    );
    expect(await status(dir)).toMatchObject({ paused: false, pause: null, retryAfterMs: 0 });
    const twice = await stateward(['--data-dir', dir, '--json', 'resume']);
    expect(twice.json).toMatchObject({ paused: false, lifted: null });

    const added = await stateward(['--data-dir', dir, '--json', 'project', 'add', 'web']);
    expect(added.code, added.stderr).toBe(0);
  });

  it('a pause survives a restart of the host; there it refuses automation requests but not the app page', async () => {
    const dir = await dataDir();
    expect((await stateward(['--data-dir', dir, 'pause', '--reason', 'promote'])).code).toBe(0);
    for (let start = 0; start < 2; start++) {
      const host = await startTestHost(world, { dataDir: dir });
      const st = JSON.parse((await host.invoke('automation.status', {})).body) as {
        value: { paused: boolean; pause: { reason: string } };
      };
      expect(st.value).toMatchObject({ paused: true, pause: { reason: 'promote' } });
      const automation = JSON.parse(
        (
          await host.invoke(
            'projects.create',
            { name: `ci-${start}` },
            { [HTTP_AUTOMATION_HEADER]: '1' },
          )
        ).body,
      ) as { ok: boolean; error?: { code: string; details: { retryAfterMs: number } } };
      expect(automation).toMatchObject({
        ok: false,
        error: { code: 'PAUSED', details: { retryAfterMs: 5000 } },
      });
      const page = JSON.parse(
        (await host.invoke('projects.create', { name: `ui-${start}` })).body,
      ) as {
        ok: boolean;
      };
      expect(page.ok).toBe(true);
      await host.host.close();
      host.rt.close();
    }
    expect(projectCount(dir)).toBe(2);
  });

  it('`pause -- <command>` holds the pause while the command runs and exits with its code; killed, its pause stays, shown as held by a process that is gone, and resume lifts it', async () => {
    const dir = await dataDir();
    const ran = await stateward([
      '--data-dir',
      dir,
      'pause',
      '--reason',
      'job',
      '--',
      process.execPath,
      '-e',
      'process.exit(7)',
    ]);
    expect(ran.code).toBe(7);
    expect(await status(dir)).toMatchObject({ paused: false });

    const holder = spawnStateward(world, [
      '--data-dir',
      dir,
      'pause',
      '--reason',
      'upgrade script',
      '--',
      process.execPath,
      '-e',
      'setTimeout(() => {}, 120000)',
    ]);
    const held = await untilPaused(dir);
    expect(held).toMatchObject({
      pause: { reason: 'upgrade script', until: 'process', pid: holder.pid, holderAlive: true },
    });
    await killGroup(holder);

    const after = await status(dir);
    expect(after).toMatchObject({
      paused: true,
      pause: { reason: 'upgrade script', pid: holder.pid, holderAlive: false },
    });
    const text = await stateward(['--data-dir', dir, 'pause-status']);
    expect(text.stdout).toContain(
      `The process that held it (pid ${holder.pid} on ${os.hostname()}) is no longer running.`,
    );
    expect(text.stdout).toContain('Lift the pause with: stateward resume');
    const resumed = await stateward(['--data-dir', dir, '--json', 'resume']);
    expect(resumed.json).toMatchObject({ paused: false, lifted: { reason: 'upgrade script' } });
    expect(await status(dir)).toMatchObject({ paused: false, pause: null });
  });

  it('a record command while another process holds a data dir whose database still has migrations to apply waits as for a pause (PAUSED, exit 3), not "no database"', async () => {
    const dir = world.dir();
    const layout = dataDirLayout(dir);
    const db = new Database(layout.db) as unknown as WritableDB;
    applyMigrations(db, planMigrations(db, MIGRATIONS.slice(0, -1)));
    db.close();
    const holder = await holdLockInChild(world, layout.lock, 'host');
    const upgrading = await stateward(['--data-dir', dir, '--json', 'project', 'add', 'web']);
    expect(upgrading.code).toBe(3);
    expect(upgrading.json).toMatchObject({
      error: {
        code: 'PAUSED',
        details: {
          retryable: true,
          retryAfterMs: 1000,
          upgrade: { from: MIGRATIONS.length - 1, to: MIGRATIONS.length, pid: holder.pid },
        },
      },
    });
    await holder.kill();
    const idle = await stateward(['--data-dir', dir, '--json', 'project', 'add', 'web']);
    expect(idle.json).toMatchObject({ error: { code: 'STORE_NOT_READY' } });
    expect(projectCount(dir)).toBe(0);
  });

  it('bad input changes nothing: a reason with control characters, nothing after --', async () => {
    const dir = await dataDir();
    const bad = await stateward(['--data-dir', dir, '--json', 'pause', '--reason', 'a\u0007b']);
    expect(bad.code).toBe(2);
    expect(bad.json).toMatchObject({ error: { code: 'BAD_INPUT' } });
    const empty = await stateward(['--data-dir', dir, 'pause', '--']);
    expect(empty.code).toBe(2);
    expect(await status(dir)).toMatchObject({ paused: false });
  });
});
