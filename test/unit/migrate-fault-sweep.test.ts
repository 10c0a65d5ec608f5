// A crash during a migration never leaves a data dir that nothing can open.
// The data dir holds a database of the previous schema in rollback-journal mode
// (as a backup file is), so `stateward migrate` takes the pre-upgrade backup,
// switches the file to WAL (a write through a rollback journal) and applies the
// newest migration. It is SIGKILLed by strace right before each of its syscalls
// on the data dir; after every kill the database holds exactly the old schema
// or exactly the new one with the same data, `status` never answers INTERNAL
// (an unfinished write is DB_NEEDS_RECOVERY), and the next start is ready.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { createProject } from '../../electron/core/store/resources/projects.ts';
import { cli, onlyJson } from '../helpers/cli.ts';
import {
  APP_SCHEMA,
  integrityOf,
  olderSchemaBackup,
  projectNames,
} from '../helpers/restore-util.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import {
  HAVE_STRACE,
  inPool,
  specLabel,
  specsBySyscall,
  straceCli,
  sweepDataDir,
} from '../helpers/syscall-sweep.ts';
import type { World } from '../helpers/world.ts';
import { useWorld } from '../helpers/world.ts';
import { runSqlite, SQLITE } from '../../electron/core/store/sql.ts';

const world = useWorld();
const MARKERS = ['migrate-one', 'migrate-two'];

/** A data dir whose database is a previous-schema backup file (rollback-journal mode). */
async function olderDataDir(w: World): Promise<string> {
  const backup = await olderSchemaBackup(w, MARKERS);
  const dir = w.dir();
  fs.copyFileSync(backup.path, path.join(dir, 'stateward.db'));
  fs.chmodSync(path.join(dir, 'stateward.db'), 0o600);
  return dir;
}

function copyDir(template: string): string {
  const dir = world.dir();
  fs.cpSync(template, dir, { recursive: true });
  return dir;
}

/**
 * What a writable open of the database finds (on a copy, so the data dir stays
 * as the crash left it): the schema version and the project names.
 */
function stateOnCopy(dir: string): { schema: number; history: number; names: string[] } {
  const copy = world.dir();
  for (const n of fs.readdirSync(dir).filter((f) => f.startsWith('stateward.db')))
    fs.copyFileSync(path.join(dir, n), path.join(copy, n));
  const db = new Database(path.join(copy, 'stateward.db'), { fileMustExist: true });
  try {
    return {
      schema: db.pragma('user_version', { simple: true }) as number,
      history: (
        db.prepare('SELECT coalesce(max(version), 0) AS v FROM schema_migrations').get() as {
          v: number;
        }
      ).v,
      names: projectNames(db).sort(),
    };
  } finally {
    db.close();
  }
}

/** The next locking start: ready, migrated, the same data, writable, no journal left. */
async function startAfterCrash(dir: string, label: string): Promise<void> {
  const rt = await startTestRuntime(world, dir);
  try {
    expect(rt.startup, `${label}: start-up after the kill`).toEqual({ state: 'ready' });
    const db = readyDb(rt);
    expect(integrityOf(db), label).toBe('ok');
    expect(db.pragma('user_version', { simple: true }), label).toBe(APP_SCHEMA);
    expect(projectNames(db).sort(), label).toEqual([...MARKERS].sort());
    expect(fs.existsSync(`${dataDirLayout(dir).db}-journal`), `${label}: journal left`).toBe(false);
    runSqlite(
      db,
      createProject(SQLITE, { name: 'written-after-the-crash', description: '' }, Date.now()),
    );
  } finally {
    rt.close();
  }
}

describe('migrate killed while it switches the database to WAL (its rollback journal is hot)', () => {
  it.skipIf(!HAVE_STRACE)(
    'status says DB_NEEDS_RECOVERY, not INTERNAL; `stateward migrate` rolls it back and migrates',
    { timeout: 30_000 },
    async () => {
      const dir = await olderDataDir(world);
      const layout = dataDirLayout(dir);
      const run = await straceCli(
        ['-o', '/dev/null', '-P', `${layout.db}-journal`, '-e', 'inject=unlink:signal=KILL'],
        ['--data-dir', dir, 'migrate'],
      );
      expect(run.signal, run.stderr).toBe('SIGKILL');
      expect(fs.statSync(`${layout.db}-journal`).size).toBeGreaterThan(0);

      const st = await cli('--data-dir', dir, '--json', 'status');
      expect(st.code, st.stderr).toBe(3);
      expect((onlyJson(st).error as { code: string }).code).toBe('DB_NEEDS_RECOVERY');
      const dry = await cli('--data-dir', dir, 'migrate', '--dry-run');
      expect(dry.code).toBe(3);
      expect(dry.stderr).toMatch(/DB_NEEDS_RECOVERY.*rolled back at the next start/);

      const migrated = await cli('--data-dir', dir, 'migrate');
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(migrated.stdout).toMatch(/Recovered: rolled back a write a crash left unfinished/);
      expect(migrated.stdout).toMatch(/Applied 1 migration/);
      await startAfterCrash(dir, 'journal unlink');
    },
  );
});

describe('the first start of an empty data dir, killed at each of its first WAL writes', () => {
  it.skipIf(!HAVE_STRACE)(
    'the next start is ready and fully migrated (never NOT_A_STATEWARD_DB for a half-stamped new database)',
    { timeout: 60_000 },
    async () => {
      // The first commits: the history table with the application_id, then the first migrations.
      const whens = [1, 2, 3, 4, 5, 6, 7, 8];
      const killed = await inPool(whens, 2, async (when) => {
        const dir = world.dir();
        const wal = dataDirLayout(dir).wal;
        const r = await straceCli(
          ['-o', '/dev/null', '-P', wal, '-e', `inject=pwrite64:signal=KILL:when=${when}`],
          ['--data-dir', dir, 'migrate'],
        );
        const label = `pwrite64 -wal #${when}`;
        const st = await cli('--data-dir', dir, 'status');
        expect(st.stdout + st.stderr, label).not.toMatch(/INTERNAL|NOT_A_STATEWARD_DB/);
        const rt = await startTestRuntime(world, dir);
        expect(rt.startup, label).toEqual({ state: 'ready' });
        expect(readyDb(rt).pragma('user_version', { simple: true }), label).toBe(APP_SCHEMA);
        rt.close();
        return r.signal === 'SIGKILL';
      });
      expect(killed.filter(Boolean).length).toBeGreaterThanOrEqual(6);
    },
  );

  it('a new database holding only an empty migration history (left by an older version) starts', async () => {
    const dir = world.dir();
    const raw = new Database(dataDirLayout(dir).db);
    raw.exec(`CREATE TABLE schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,
      applied_at INTEGER NOT NULL, app_version TEXT NOT NULL)`);
    raw.close();
    const rt = await startTestRuntime(world, dir);
    expect(rt.startup).toEqual({ state: 'ready' });
    expect(readyDb(rt).pragma('user_version', { simple: true })).toBe(APP_SCHEMA);
  });
});

describe('migrate killed before each of its syscalls on the data dir', () => {
  it.skipIf(!HAVE_STRACE)(
    'every kill: the old schema or the new one with the same data; status never INTERNAL; the next start is ready',
    { timeout: 120_000 },
    async () => {
      const template = await olderDataDir(world);
      expect(stateOnCopy(template).schema).toBe(APP_SCHEMA - 1);
      const work = world.dir();
      const base = copyDir(template);
      const { specs, unreachable, outcomes } = await sweepDataDir({
        work,
        base,
        fresh: () => copyDir(template),
        args: (dir) => ['--data-dir', dir, 'migrate'],
        onSpecs: (specs) => expect(specs.length).toBeGreaterThan(6),
        check: async ({ spec, dir, run: r, hit }) => {
          const label = specLabel(spec);
          if (!hit) expect(r.code, `${label}: not killed, so it must have finished`).toBe(0);
          const st = await cli('--data-dir', dir, 'status');
          expect(st.code, `${label}: ${st.stdout}${st.stderr}`).not.toBe(4);
          expect(st.stdout + st.stderr, label).not.toMatch(/INTERNAL/);
          const state = stateOnCopy(dir);
          expect([APP_SCHEMA - 1, APP_SCHEMA], `${label}: schema`).toContain(state.schema);
          expect(state.history, `${label}: history and user_version agree`).toBe(state.schema);
          expect(state.names, label).toEqual([...MARKERS].sort());
          await startAfterCrash(dir, label);
          return { killed: hit !== null, migrated: state.schema === APP_SCHEMA };
        },
      });
      const kills = outcomes.filter((o) => o.killed);
      console.log(
        `migrate sweep: ${kills.length} kills at ${specs.length} fault points (${specsBySyscall(specs)}); ` +
          `${kills.filter((o) => !o.migrated).length} left the old schema, ${kills.filter((o) => o.migrated).length} the new one; ` +
          `${unreachable.length} calls strace cannot single out`,
      );
      expect(kills.some((o) => o.migrated)).toBe(true);
      expect(kills.some((o) => !o.migrated)).toBe(true);
      expect(kills.length).toBeGreaterThanOrEqual(specs.length - 2);
    },
  );
});
