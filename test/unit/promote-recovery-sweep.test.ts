// A crash during promote never leaves a data dir that nothing can open, and
// until the next locking start the read-only commands say what happened.
// `stateward promote` is SIGKILLed by strace right before each syscall it makes
// on the data dir's files (its name changes, and the journal, WAL and database
// writes of SQLite); after every kill, `status` reports the interrupted promote
// and what the next start does with it, and that start comes up ready, writable,
// with exactly the old state or exactly the new one — the one status announced.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { PROMOTE_JOURNAL } from '../../electron/core/restore/promote.ts';
import { addPromoteGuard } from '../../electron/core/restore/guard.ts';
import { openReadOnly } from '../../electron/core/store/db.ts';
import { holdLockInChild } from '../helpers/child.ts';
import { cli } from '../helpers/cli.ts';
import { usePromoteFixture } from '../helpers/promote-sweep.ts';
import { editFile } from '../helpers/restore-util.ts';
import {
  HAVE_STRACE,
  specLabel,
  specsBySyscall,
  straceCli,
  sweepDataDir,
} from '../helpers/syscall-sweep.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

const fx = usePromoteFixture(world);
const { freshDataDir, promoteArgs, statusOf, startAfterCrash } = fx;

function codeOf(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    return String((e as { code?: unknown }).code);
  }
}

describe('killed while the promoted copy switches to WAL (its rollback journal is hot)', () => {
  it.skipIf(!HAVE_STRACE)(
    'status and backup say a promote was interrupted; the next start rolls the journal back and finishes the promote',
    { timeout: 30_000 },
    async () => {
      const dir = freshDataDir();
      const layout = dataDirLayout(dir);
      // The command: SIGKILL at the unlink that would commit the WAL switch.
      const run = await straceCli(
        [
          '-o',
          '/dev/null',
          '-P',
          `${layout.db}-journal`,
          '-e',
          'inject=unlink,unlinkat:signal=KILL',
        ],
        promoteArgs(dir),
      );
      expect(run.signal, run.stderr).toBe('SIGKILL');
      expect(fs.statSync(`${layout.db}-journal`).size).toBeGreaterThan(0);
      // A read-only open says why it cannot read, instead of "attempt to write a readonly database".
      expect(codeOf(() => openReadOnly(layout.db).close())).toBe('DB_NEEDS_RECOVERY');

      const st = await statusOf(dir);
      expect(st.code, st.text).toBe(3);
      expect(st.json.error?.code).toBe('PROMOTE_INTERRUPTED');
      expect(st.json.promote).toMatchObject({
        state: 'interrupted',
        nextStart: 'finished',
        restoreId: fx.restoreId,
      });
      expect(st.text).toMatch(/interrupted.*finishes the promote/);
      expect(st.text).not.toMatch(/not created yet|INTERNAL/);

      const backup = await cli('--data-dir', dir, 'backup');
      expect(backup.code, backup.stderr).toBe(3);
      expect(backup.stderr).toMatch(/PROMOTE_INTERRUPTED/);
      expect(backup.stderr).not.toMatch(/stateward demo/);

      expect(await startAfterCrash(dir, 'journal unlink')).toBe('new');
    },
  );
});

describe('killed before the restored copy is renamed in (the live database is aside)', () => {
  it.skipIf(!HAVE_STRACE)(
    'status shows the aside database and a rollback; lockless commands refuse and create nothing; the next start rolls back',
    { timeout: 30_000 },
    async () => {
      const dir = freshDataDir();
      const layout = dataDirLayout(dir);
      const copy = path.join(layout.restores, fx.restoreId, 'stateward.db');
      const run = await straceCli(
        ['-o', '/dev/null', '-P', copy, '-e', 'inject=rename:signal=KILL'],
        promoteArgs(dir),
      );
      expect(run.signal, run.stderr).toBe('SIGKILL');
      expect(fs.existsSync(layout.db)).toBe(false);

      const st = await statusOf(dir);
      expect(st.json.error?.code).toBe('PROMOTE_INTERRUPTED');
      expect(st.json.promote).toMatchObject({ state: 'interrupted', nextStart: 'rolled-back' });
      expect(st.json.initialized).toBe(true);
      expect(st.text).toMatch(/rolls the promote back/);
      expect(st.text).toMatch(/moved aside to .*promote-aside-/);
      expect(st.text).toMatch(new RegExp(`Contents +${fx.oldNames.length} projects`));
      expect(st.text).not.toMatch(/not created yet/);

      const backup = await cli('--data-dir', dir, 'backup');
      expect(backup.stderr).toMatch(/PROMOTE_INTERRUPTED/);
      expect(backup.stderr).not.toMatch(/stateward demo/);
      // A runtime without the lock neither recovers nor opens (or creates) a database.
      const lockless = await startTestRuntime(world, dir, { lockMode: null });
      expect(lockless.startup).toMatchObject({ state: 'refused', code: 'PROMOTE_INTERRUPTED' });
      lockless.close();
      expect(fs.existsSync(layout.db)).toBe(false);

      expect(await startAfterCrash(dir, 'copy rename')).toBe('old');
    },
  );

  it('while the promoting process is alive, status says the promote is in progress', async () => {
    const dir = freshDataDir();
    const layout = dataDirLayout(dir);
    fs.writeFileSync(
      path.join(dir, PROMOTE_JOURNAL),
      JSON.stringify({
        restoreId: fx.restoreId,
        copy: path.join(layout.restores, fx.restoreId, 'stateward.db'),
        copyIno: fs.statSync(path.join(layout.restores, fx.restoreId, 'stateward.db')).ino,
        liveIno: fs.statSync(layout.db).ino,
        aside: path.join(dir, `promote-aside-${fx.restoreId}`),
        startedAt: Date.now(),
        preRestoreBackup: null,
      }),
    );
    const holder = await holdLockInChild(world, layout.lock, 'promote-test');
    const st = await statusOf(dir);
    expect(st.json.error?.code).toBe('PROMOTE_IN_PROGRESS');
    expect(st.json.promote).toMatchObject({ state: 'in-progress', nextStart: 'rolled-back' });
    expect(st.text).toMatch(new RegExp(`being made live by process ${holder.pid}`));
  });
});

describe('a data dir copied elsewhere while a promote is interrupted (a restored file-level backup)', () => {
  for (const c of [
    { at: 'before the copy is renamed in', syscall: 'rename', outcome: 'old' },
    { at: 'at the promoted copy journal', syscall: 'unlink', outcome: 'new' },
  ] as const) {
    it.skipIf(!HAVE_STRACE)(
      `killed ${c.at}: the copy recovers from its own files (names, not the old paths or inodes)`,
      { timeout: 30_000 },
      async () => {
        const dir = fx.freshDataDir();
        const layout = dataDirLayout(dir);
        const target =
          c.syscall === 'rename'
            ? path.join(layout.restores, fx.restoreId, 'stateward.db')
            : `${layout.db}-journal`;
        const run = await straceCli(
          ['-o', '/dev/null', '-P', target, '-e', `inject=${c.syscall}:signal=KILL`],
          fx.promoteArgs(dir),
        );
        expect(run.signal, run.stderr).toBe('SIGKILL');
        const moved = world.dir();
        fs.cpSync(dir, moved, { recursive: true });
        fs.rmSync(dir, { recursive: true });
        fs.mkdirSync(dir, { mode: 0o700 }); // the old place is empty now
        const st = await fx.statusOf(moved);
        expect(st.json.promote?.nextStart).toBe(c.outcome === 'new' ? 'finished' : 'rolled-back');
        expect(await fx.startAfterCrash(moved, c.at)).toBe(c.outcome);
      },
    );
  }
});

describe('a copy carrying the write guard (restored from a backup taken mid-promote)', () => {
  it.skipIf(!HAVE_STRACE)(
    'killed after it is renamed in, before the promote drops the guard: the finishing start drops it, live is writable',
    { timeout: 30_000 },
    async () => {
      const dir = freshDataDir();
      const layout = dataDirLayout(dir);
      const copy = path.join(layout.restores, fx.restoreId, 'stateward.db');
      editFile(copy, (db) => addPromoteGuard(db));
      // Killed at the sync of the copy's old folder, right after the rename: in place, never opened.
      const run = await straceCli(
        ['-o', '/dev/null', '-P', path.dirname(copy), '-e', 'inject=fsync:signal=KILL'],
        promoteArgs(dir),
      );
      expect(run.signal, run.stderr).toBe('SIGKILL');
      expect(await startAfterCrash(dir, 'guarded copy')).toBe('new');
    },
  );
});

describe('promote killed before each of its syscalls on the data dir', () => {
  it.skipIf(!HAVE_STRACE)(
    'every kill: status tells the truth, the next start is ready with the old or the new state',
    { timeout: 150_000 },
    async () => {
      const work = world.dir();
      const base = freshDataDir();
      const { specs, unreachable, outcomes } = await sweepDataDir({
        work,
        base,
        fresh: freshDataDir,
        args: promoteArgs,
        onSpecs: (specs) => {
          expect(specs.length).toBeGreaterThan(10);
          expect(specs.length).toBeLessThanOrEqual(40);
        },
        check: async ({ spec, dir, run: r, hit }) => {
          const label = specLabel(spec);
          if (!hit) {
            // A call the traced run made but this run did not (timing of a worker thread): it finished.
            expect(r.code, `${label}: ${r.stderr}`).toBe(0);
            return { label, killed: false, outcome: await startAfterCrash(dir, label) };
          }
          const st = await statusOf(dir);
          expect(st.code, `${label}: status ${st.text}`).not.toBe(4);
          expect(st.text, label).not.toMatch(/not created yet|INTERNAL/);
          const announced = st.json.promote?.nextStart ?? null;
          if (fs.existsSync(path.join(dir, PROMOTE_JOURNAL))) {
            expect(st.json.error?.code, `${label}: ${st.text}`).toBe('PROMOTE_INTERRUPTED');
            expect(announced, label).not.toBeNull();
          }
          const outcome = await startAfterCrash(dir, label);
          if (announced)
            expect(outcome, `${label}: status announced ${announced}`).toBe(
              announced === 'finished' ? 'new' : 'old',
            );
          return {
            label,
            killed: true,
            outcome,
            hit: `${hit.syscall} ${path.relative(dir, hit.file ?? '')}`,
          };
        },
      });
      const kills = outcomes.filter((o) => o.killed);
      const missed = outcomes.filter((o) => !o.killed).map((o) => o.label);
      if (missed.length) console.log(`not killed (the call did not come): ${missed.join('; ')}`);
      console.log(
        `promote sweep: ${kills.length} kills at ${specs.length} fault points (${specsBySyscall(specs)}); ` +
          `${kills.filter((o) => o.outcome === 'old').length} rolled back, ${kills.filter((o) => o.outcome === 'new').length} finished; ` +
          `${unreachable.length} calls strace cannot single out`,
      );
      // Both sides of the commit point were hit, and most points killed.
      expect(kills.some((o) => o.outcome === 'old')).toBe(true);
      expect(kills.some((o) => o.outcome === 'new')).toBe(true);
      expect(kills.length).toBeGreaterThanOrEqual(specs.length - 2);
    },
  );
});
