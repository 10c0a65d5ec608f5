// Moving a local data dir to PostgreSQL (issue 12: `stateward postgres copy`,
// core/pg/move.ts) against a real server: the dry run leaves the target empty
// and the data dir unbound; execute takes a pre-move backup, commits and binds;
// the app then opens the team database and a new row does not collide; every
// refusal has its code and exit code and changes nothing on either side; a kill
// (SIGKILL mid-copy, strace kill-after-syscall around COMMIT and the rebind) or
// a dropped connection leaves the target empty and the source untouched, and
// a second run succeeds.
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listBackupFiles } from '../../electron/core/backup/list.ts';
import { seedDemo } from '../../electron/core/demo.ts';
import { readBinding } from '../../electron/core/pg/binding.ts';
import { describeTarget, parseDatabaseUrl } from '../../electron/core/pg/connect.ts';
import { copySqliteToPostgres } from '../../electron/core/pg/copy.ts';
import { migratePostgres } from '../../electron/core/pg/migrate.ts';
import { MOVE_JOURNAL, moveToPostgres } from '../../electron/core/pg/move.ts';
import type { WritableDB } from '../../electron/core/store/db.ts';
import { applyMigrations, planMigrations } from '../../electron/core/store/migrate.ts';
import { MIGRATIONS } from '../../electron/core/store/migrations/index.ts';
import type { PgMoveReport, Project } from '../../shared/domain.ts';
import { refusal } from '../helpers/backup-util.ts';
import { HELPERS_DIR, holdLockInChild, spawnUntilLine } from '../helpers/child.ts';
import { cli, onlyJson, postgresCopyCli } from '../helpers/cli.ts';
import {
  pgSkipReason,
  pgTargetState,
  usePgDatabase,
  withClient,
  withDatabase,
} from '../helpers/pg.ts';
import { call, folderState } from '../helpers/restore-util.ts';
import { readyDb, startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { editDatabase, sha256File } from '../helpers/store.ts';
import { HAVE_STRACE, specLabel, sweepDataDir } from '../helpers/syscall-sweep.ts';
import { useTemplateDir, useWorld } from '../helpers/world.ts';

const skip = pgSkipReason();

/** A data dir whose database an older Stateward wrote (every migration but the newest), with a project. */
function olderDataDir(): string {
  const dir = world.dir();
  const d = new Database(path.join(dir, 'stateward.db')) as unknown as WritableDB;
  try {
    d.pragma('journal_mode = WAL');
    applyMigrations(d, planMigrations(d, MIGRATIONS.slice(0, -1)));
    d.prepare(
      `INSERT INTO projects (name, description, created_at, updated_at) VALUES ('old', '', 1, 1)`,
    ).run();
  } finally {
    d.close();
  }
  return dir;
}
const world = useWorld();
const template = useTemplateDir(world);
const db = usePgDatabase();

beforeAll(async () => {
  if (skip) return;
  const rt = await startTestRuntime(world, template.dir);
  seedDemo(readyDb(rt), { projects: 2, deployments: 300, actor: 'test', now: 1_700_000_000_000 });
  rt.close();
  await rt.closed();
}, 60_000);

// The team runtime reads the password the libpq way (database.json never holds one).
const savedPassword = process.env.PGPASSWORD;
afterEach(() => {
  if (savedPassword === undefined) delete process.env.PGPASSWORD;
  else process.env.PGPASSWORD = savedPassword;
});

let schemas = 0;
/** This file's database, in a schema of its own for each call. */
function target(schema = `mv${++schemas}`, url = db.url()): { url: string; schema: string } {
  const u = new URL(url);
  u.searchParams.set('schema', schema);
  return { url: u.toString(), schema };
}

/**
 * Everything in the data dir but its log (the move logs what it did) and the
 * -wal/-shm SQLite itself makes for any reader of a WAL database.
 */
function dirState(dir: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(folderState(dir)).filter(
      ([k]) => !/^logs(\/|$)|^stateward\.db-(wal|shm)$/.test(k),
    ),
  );
}

const schemaExists = async (schema: string) =>
  withClient(db.url(), async (c) => {
    const r = await c.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema]);
    return r.rowCount === 1;
  });

describe.skipIf(skip)(
  'stateward postgres copy: the move of a data dir',
  { timeout: 60_000 },
  () => {
    it('dry run: per-table report, progress with rows/s and ETA, target empty, data dir unbound; --execute: pre-move backup, committed, bound; the team app inserts without collisions', async () => {
      const dir = template.fresh();
      const { url, schema } = target();
      const before = dirState(dir);
      const dbHash = sha256File(path.join(dir, 'stateward.db'));

      const dry = await cli('--data-dir', dir, 'postgres', 'copy', '--to', url);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(/^Dry run \(rolled back, nothing written\): \d+ tables/);
      expect(
        dry.lines.some((l) => /^\s+deployments\s+300\s+300\s+[0-9a-f]{16}\s+[0-9a-f]{16}/.test(l)),
      ).toBe(true);
      expect(dry.stdout).toContain('Run again with --execute');
      // Progress per table on stderr, with its rate and time left.
      expect(dry.stderr).toMatch(/copy \d+\/\d+ deployments: [\d,]+\/300 rows, [\d,]+ rows\/s/);
      expect(dry.stderr).toMatch(/verify \d+\/\d+ \w+: /);
      expect(await schemaExists(schema)).toBe(false);
      expect(dirState(dir)).toEqual(before);
      expect(readBinding(dir)).toEqual({ backend: 'sqlite' });

      const run = await postgresCopyCli(dir, url, '--execute');
      expect(run.code, run.stderr).toBe(0);
      const report = onlyJson(run) as unknown as PgMoveReport;
      expect(report).toMatchObject({ executed: true, bound: true, adopted: false, schema });
      expect(report.target).not.toContain(new URL(db.url()).password);
      for (const t of report.tables) expect(t.targetHash).toBe(t.sourceHash);
      // The same tables and rows as the dry run said.
      const dryRows = dry.lines.filter((l) => /^\s+\w+\s+\d/.test(l)).length;
      expect(report.tables).toHaveLength(dryRows);

      // The pre-move backup holds the SQLite state; the SQLite file itself is untouched.
      expect(sha256File(path.join(dir, 'stateward.db'))).toBe(dbHash);
      const pre = listBackupFiles(path.join(dir, 'backups'), null).filter(
        (b) => b.kind === 'pre-move',
      );
      expect(pre.map((b) => b.fileName)).toEqual([report.preMoveBackup!.fileName]);
      expect(readBinding(dir)).toMatchObject({ backend: 'postgres', schema });
      expect(JSON.stringify(readBinding(dir))).not.toContain(new URL(db.url()).password);
      expect(fs.existsSync(path.join(dir, MOVE_JOURNAL))).toBe(false);

      // The data dir now opens the team database; a new row continues past the highest id.
      process.env.PGPASSWORD = decodeURIComponent(new URL(db.url()).password);
      const rt = await startTestRuntime(world, dir);
      expect(rt.startup.state).toBe('ready');
      expect(rt.store).toBeNull();
      const reg = testRegistry(rt);
      const maxId = await withClient(db.url(), async (c) =>
        Number(
          (await c.query<{ m: string }>(`SELECT max(id) AS m FROM ${schema}.projects`)).rows[0]!.m,
        ),
      );
      const p = await call<Project>(reg, 'projects.create', { name: 'after-the-move' });
      expect(p.id).toBe(maxId + 1);

      // A second move of the (now bound) data dir is refused.
      const again = await postgresCopyCli(dir, url);
      expect([again.code, (onlyJson(again).error as { code: string }).code]).toEqual([
        2,
        'NOT_IN_TEAM_MODE',
      ]);
    });

    describe('refusals: a stable code and exit code, nothing changed on either side', () => {
      async function expectRefused(
        dir: string,
        url: string,
        code: string,
        exit: number,
      ): Promise<{ message: string; hint?: string }> {
        const before = dirState(dir);
        const server = await pgTargetState(db.url());
        const run = await postgresCopyCli(dir, url, '--execute');
        const err = onlyJson(run).error as { code: string; message: string; hint?: string };
        expect([err.code, run.code], err.message).toEqual([code, exit]);
        expect(dirState(dir)).toEqual(before);
        expect(await pgTargetState(db.url())).toEqual(server);
        return err;
      }

      it('the data dir in use by another process: DATA_DIR_LOCKED names it', async () => {
        const dir = template.fresh();
        const holder = await holdLockInChild(world, path.join(dir, 'stateward.lock'), 'host');
        const err = await expectRefused(dir, target().url, 'DATA_DIR_LOCKED', 3);
        expect(err.message).toContain(`pid ${holder.pid}`);
      });

      it('a source failing quick_check: DB_CORRUPT', async () => {
        const dir = template.fresh();
        const file = path.join(dir, 'stateward.db');
        const pages = fs.statSync(file).size / 4096;
        const fd = fs.openSync(file, 'r+');
        for (const p of [Math.floor(pages / 2), Math.floor(pages / 3)])
          fs.writeSync(fd, Buffer.alloc(64, 0xa5), 0, 64, p * 4096);
        fs.closeSync(fd);
        await expectRefused(dir, target().url, 'DB_CORRUPT', 1);
      });

      it('a target holding data: PG_TARGET_NOT_EMPTY', async () => {
        const dir = template.fresh();
        const { url, schema } = target();
        await copySqliteToPostgres({
          sourceDb: path.join(template.dir, 'stateward.db'),
          target: url,
          schema,
          execute: true,
        });
        await expectRefused(dir, url, 'PG_TARGET_NOT_EMPTY', 2);
      });

      it('a target at another migration: PG_SCHEMA_VERSION_MISMATCH, offering to migrate the source first when it is older', async () => {
        const dir = template.fresh();
        const older = target();
        await withClient(db.url(), (c) =>
          migratePostgres(c, { schema: older.schema, migrations: MIGRATIONS.slice(0, 8) }),
        );
        const e1 = await expectRefused(dir, older.url, 'PG_SCHEMA_VERSION_MISMATCH', 3);
        expect(e1.hint).toMatch(/migrate the target first/i);
        // A source behind the target (an older app wrote it): the hint offers to migrate the source.
        const old = olderDataDir();
        const newer = target();
        await withClient(db.url(), (c) => migratePostgres(c, { schema: newer.schema }));
        const e2 = await expectRefused(old, newer.url, 'PG_SCHEMA_VERSION_MISMATCH', 3);
        expect(e2.hint).toMatch(/migrate the source first/i);
      });

      it('an unreachable server: PG_UNREACHABLE; a read-only database: PG_READ_ONLY', async () => {
        const dir = template.fresh();
        const u = new URL(target().url);
        u.port = '1';
        await expectRefused(dir, u.toString(), 'PG_UNREACHABLE', 2);
        const ro = `${db.name()}_mvro`;
        await withClient(db.serverUrl(), async (c) => {
          await c.query(`CREATE DATABASE ${ro}`);
          await c.query(`ALTER DATABASE ${ro} SET default_transaction_read_only = on`);
        });
        try {
          await expectRefused(
            dir,
            target('stateward', withDatabase(db.serverUrl(), ro)).url,
            'PG_READ_ONLY',
            2,
          );
        } finally {
          await withClient(db.serverUrl(), (c) =>
            c.query(`DROP DATABASE IF EXISTS ${ro} WITH (FORCE)`),
          );
        }
      });

      it('no --to, or a URL that is not postgres://: BAD_INPUT (exit 2)', async () => {
        const dir = template.fresh();
        await expectRefused(dir, 'mysql://u@h/db', 'BAD_INPUT', 2);
        const run = await cli('--data-dir', dir, '--json', 'postgres', 'copy');
        expect([run.code, (onlyJson(run).error as { code: string }).code]).toEqual([
          2,
          'BAD_INPUT',
        ]);
      });
    });

    describe('interrupted moves: target empty, source untouched, a second run succeeds', () => {
      /** After an interrupted run: nothing committed, not bound, the SQLite file as it was. */
      async function expectNothingMoved(dir: string, schema: string, dbHash: string) {
        expect(await schemaExists(schema)).toBe(false);
        expect(readBinding(dir)).toEqual({ backend: 'sqlite' });
        expect(sha256File(path.join(dir, 'stateward.db'))).toBe(dbHash);
      }

      async function secondRunMoves(dir: string, url: string) {
        const r = await moveToPostgres({ dataDir: dir, target: url, execute: true });
        expect([r.executed, r.bound]).toEqual([true, true]);
        expect(readBinding(dir)).toMatchObject({ backend: 'postgres' });
        return r;
      }

      it.each(['copy', 'backup'])(
        'SIGKILL of the moving process during its %s: the next run takes over the stale lock and moves',
        async (phase) => {
          const dir = template.fresh();
          const { url, schema } = target();
          const dbHash = sha256File(path.join(dir, 'stateward.db'));
          const { child, line } = await spawnUntilLine(
            world,
            [path.join(HELPERS_DIR, 'pg-move-child.ts'), dir, url, phase, '50'],
            30_000,
          );
          expect(line).toBe('progress');
          await child.kill();
          await expectNothingMoved(dir, schema, dbHash);
          await secondRunMoves(dir, url);
          expect(sha256File(path.join(dir, 'stateward.db'))).toBe(dbHash);
        },
      );

      it('a write by another process while the copy runs: DATA_DIR_BUSY before COMMIT, nothing moved; the next run takes the write along', async () => {
        const dir = template.fresh();
        const { url, schema } = target();
        let wrote = false;
        const code = await refusal(
          moveToPostgres({
            dataDir: dir,
            target: url,
            execute: true,
            onProgress: (p) => {
              if (wrote || p.phase !== 'verify') return;
              wrote = true;
              editDatabase(path.join(dir, 'stateward.db'), (d) =>
                d.exec(
                  `INSERT INTO projects (name, description, created_at, updated_at) VALUES ('written-meanwhile', '', 1, 1)`,
                ),
              );
            },
          }),
        );
        expect([wrote, code]).toEqual([true, 'DATA_DIR_BUSY']);
        expect(await schemaExists(schema)).toBe(false);
        expect(readBinding(dir)).toEqual({ backend: 'sqlite' });
        await secondRunMoves(dir, url);
        const names = await withClient(db.url(), async (c) =>
          (await c.query<{ name: string }>(`SELECT name FROM ${schema}.projects`)).rows.map(
            (r) => r.name,
          ),
        );
        expect(names).toContain('written-meanwhile');
      });

      it('the connection dropped mid-copy (pg_terminate_backend from another session): PG_CONNECTION_LOST', async () => {
        const dir = template.fresh();
        const { url, schema } = target();
        const dbHash = sha256File(path.join(dir, 'stateward.db'));
        let terminated = false;
        const code = await refusal(
          moveToPostgres({
            dataDir: dir,
            target: url,
            execute: true,
            batchRows: 50,
            onProgress: (p) => {
              if (terminated || p.phase !== 'copy' || p.table !== 'deployments') return;
              terminated = true;
              execFileSync('psql', [
                db.url(),
                '-qAtc',
                `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND application_name LIKE 'stateward/%'`,
              ]);
            },
          }),
        );
        expect([terminated, code]).toEqual([true, 'PG_CONNECTION_LOST']);
        await expectNothingMoved(dir, schema, dbHash);
        expect(fs.existsSync(path.join(dir, 'stateward.lock'))).toBe(false);
        await secondRunMoves(dir, url);
      });

      it.skipIf(!HAVE_STRACE)(
        'killed by strace right before each name change in the data dir (pre-move backup, journal, database.json): old state or committed-and-adopted, never half; the next run binds',
        async () => {
          const work = world.dir();
          const schemaOf = new Map<string, string>();
          const urlFor = (dir: string) => {
            if (!schemaOf.has(dir)) schemaOf.set(dir, target().schema);
            return target(schemaOf.get(dir)!).url;
          };
          const dbHash = sha256File(path.join(template.dir, 'stateward.db'));
          const outcome = await sweepDataDir({
            work,
            base: template.fresh(),
            fresh: () => template.fresh(),
            args: (dir) => [
              '--data-dir',
              dir,
              'postgres',
              'copy',
              '--to',
              urlFor(dir),
              '--execute',
            ],
            onSpecs: (specs) => {
              const labels = specs.map((s) => s.label).join('\n');
              // The protocol's steps are all among them.
              expect(labels).toMatch(/pre-move/);
              expect(labels).toMatch(/move\.json/);
              expect(labels).toMatch(/database\.json/);
            },
            check: async ({ spec, dir, run }) => {
              const label = specLabel(spec);
              expect(run.signal, `${label}: ${run.stderr}`).toBe('SIGKILL');
              const schema = schemaOf.get(dir)!;
              expect(sha256File(path.join(dir, 'stateward.db')), label).toBe(dbHash);
              const bound = readBinding(dir).backend === 'postgres';
              const journal = fs.existsSync(path.join(dir, MOVE_JOURNAL));
              const committed = await schemaExists(schema);
              // Before COMMIT nothing is there; after it the journal (or the binding) says so.
              expect(committed ? bound || journal : !bound, label).toBe(true);
              if (!bound) {
                const r = await moveToPostgres({
                  dataDir: dir,
                  target: urlFor(dir),
                  execute: true,
                });
                expect([r.bound, r.adopted], label).toEqual([true, committed]);
              }
              expect(readBinding(dir), label).toMatchObject({ backend: 'postgres', schema });
              // No temp file stays; the journal only when killed after the rebind (then it is inert).
              const leftovers = fs.readdirSync(dir).filter((n) => /\.tmp$|^move\.json$/.test(n));
              expect(leftovers, label).toEqual(bound && journal ? [MOVE_JOURNAL] : []);
              return committed ? 'committed' : 'rolled back';
            },
          });
          // Only the backup's rename of its file (a thread-pool call strace cannot single out).
          expect(outcome.unreachable.map((e) => e.file)).toEqual([
            expect.stringMatching(/\/backups\/\.stateward-tmp-[^/]*\.sqlite$/),
          ]);
          // Both sides of COMMIT were hit.
          expect(new Set(outcome.outcomes)).toEqual(new Set(['committed', 'rolled back']));
        },
        120_000,
      );

      it('a journal naming the target never lets other data into its filled schema: PG_TARGET_NOT_EMPTY', async () => {
        const { url, schema } = target();
        await moveToPostgres({ dataDir: template.fresh(), target: url, execute: true });
        const other = template.fresh();
        editDatabase(path.join(other, 'stateward.db'), (d) =>
          d.exec(
            `INSERT INTO projects (name, description, created_at, updated_at) VALUES ('x', '', 1, 1)`,
          ),
        );
        const journal = {
          target: describeTarget(parseDatabaseUrl(url)),
          schema,
          at: 1,
          preMoveBackup: null,
        };
        fs.writeFileSync(path.join(other, MOVE_JOURNAL), JSON.stringify(journal));
        const state = await pgTargetState(db.url());
        expect(await refusal(moveToPostgres({ dataDir: other, target: url, execute: true }))).toBe(
          'PG_TARGET_NOT_EMPTY',
        );
        expect(await pgTargetState(db.url())).toEqual(state);
        expect(readBinding(other)).toEqual({ backend: 'sqlite' });
      });
    });
  },
);
