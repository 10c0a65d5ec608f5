// Promote into PostgreSQL (issue 11.6) against a real server: one transaction
// under the promote advisory lock; the pre-restore backup holds every write
// acknowledged before it; writes during it are refused; a killed promote
// leaves the old state.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPgBackup } from '../../electron/core/pg/backup.ts';
import { advisoryKey } from '../../electron/core/pg/locks.ts';
import { promoteIntoPostgres } from '../../electron/core/pg/promote.ts';
import type { PromoteProgress } from '../../electron/core/pg/promote.ts';
import { TEMP_PREFIX } from '../../electron/core/fsutil.ts';
import { rejectionCode, spawnLines } from '../helpers/backup-util.ts';
import { HELPERS_DIR } from '../helpers/child.ts';
import { pgSkipReason, usePgDatabase, withClient } from '../helpers/pg.ts';
import { schemaDigest, seedTeam, teamWrite } from '../helpers/pg-team.ts';
import { killNodeAtRename } from '../helpers/syscall-sweep.ts';
import { useWorld } from '../helpers/world.ts';

const skip = pgSkipReason();

/** Until the server has ended the killed promoter's session (pg-promote-child.ts's application_name). */
async function promoterGone(c: pg.Client): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const left = await c.query(
      `SELECT 1 FROM pg_stat_activity WHERE application_name = 'stateward-test-promote'`,
    );
    if (left.rows.length === 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}
const LIVE = 'team';
const SOURCE = 'source';

describe.skipIf(skip !== null)('promote into PostgreSQL', () => {
  const world = useWorld();
  const pgdb = usePgDatabase();
  /** A backup of SOURCE: the copy every promote here makes live (the file a restore drilled). */
  let copyFile = '';
  let copyDigest: Record<string, string> = {};
  let copyDir = '';

  const open = async () => {
    const c = new pg.Client({ connectionString: pgdb.url() });
    await c.connect();
    world.defer(() => c.end());
    return c;
  };
  const backupOf = (schema: string, outDir: string) =>
    createPgBackup({ url: pgdb.url(), schema, outDir, kind: 'pre-restore', compact: false });
  const projectNames = (file: string) => {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare(`SELECT name FROM projects ORDER BY name`).pluck().all() as string[];
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    copyDir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'sw-promote-'));
    await withClient(pgdb.url(), async (c) => {
      await seedTeam(c, SOURCE, 'copy', 40, 5);
      copyDigest = await schemaDigest(c, SOURCE);
    });
    copyFile = (await backupOf(SOURCE, copyDir)).path;
    return () => fs.rmSync(copyDir, { recursive: true, force: true });
  }, 60_000);

  /** LIVE dropped and seeded afresh with its own state. */
  const freshLive = async (c: pg.Client) => {
    await c.query(`DROP SCHEMA IF EXISTS ${LIVE} CASCADE`);
    await seedTeam(c, LIVE, 'live', 7, 2);
  };

  it('replaces every table in one transaction after waiting for a write in flight; the pre-restore backup holds it; identities move past the copy', async () => {
    const c = await open();
    await freshLive(c);
    expect(
      await teamWrite(
        c,
        LIVE,
        `INSERT INTO ${LIVE}.projects (name, created_at, updated_at) VALUES ('acked', 1, 1)`,
      ),
    ).toBe('committed');
    const liveMaxBefore = Number(
      (await c.query(`SELECT max(id) AS m FROM ${LIVE}.deployments`)).rows[0].m,
    );

    // A write in flight: it holds the promote key shared and has not committed yet.
    const inFlight = await open();
    await inFlight.query('BEGIN');
    await inFlight.query(`SELECT pg_try_advisory_xact_lock_shared($1::bigint)`, [
      advisoryKey('promote', LIVE),
    ]);
    await inFlight.query(
      `INSERT INTO ${LIVE}.projects (name, created_at, updated_at) VALUES ('in-flight', 1, 1)`,
    );

    const outDir = path.join(world.dir(), 'backups');
    const phases: string[] = [];
    const promoter = await open();
    const done = promoteIntoPostgres({
      client: promoter,
      schema: LIVE,
      backupFile: copyFile,
      preRestoreBackup: () => backupOf(LIVE, outDir),
      onProgress: (p: PromoteProgress) => {
        if (phases[phases.length - 1] !== p.phase) phases.push(p.phase);
      },
    });
    // The promote waits for the write in flight; a new write is refused meanwhile.
    for (let i = 0; i < 200; i++) {
      const waiting = await c.query(
        `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
      );
      if (waiting.rows.length > 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(phases).toEqual([]);
    expect(
      await teamWrite(
        c,
        LIVE,
        `INSERT INTO ${LIVE}.projects (name, created_at, updated_at) VALUES ('refused', 1, 1)`,
      ),
    ).toBe('refused');
    await inFlight.query('COMMIT');

    const r = await done;
    expect(phases).toEqual(['locked', 'pre-restore', 'backed-up', 'copy', 'verify', 'committing']);
    // Every table is the copy's, row for row (derived tables and the change counter too).
    expect(await schemaDigest(c, LIVE)).toEqual(copyDigest);
    expect(r.tables.map((t) => t.name)).toContain('deployment_logs');
    // The pre-restore backup is the state just before: both acknowledged writes are in it.
    const before = projectNames(r.preRestoreBackup.path);
    expect(before).toContain('acked');
    expect(before).toContain('in-flight');
    expect(before).not.toContain('refused');
    expect(before.filter((n) => n.startsWith('live-'))).toHaveLength(7);

    // New rows get fresh ids past every id the copy holds (and never an id handed out before).
    const copyMax = Number(
      (await c.query(`SELECT max(id) AS m FROM ${LIVE}.deployments`)).rows[0].m,
    );
    expect(
      await teamWrite(
        c,
        LIVE,
        `INSERT INTO ${LIVE}.projects (name, created_at, updated_at) VALUES ('after', 1, 1)`,
      ),
    ).toBe('committed');
    const env = (await c.query(`SELECT id FROM ${LIVE}.environments LIMIT 1`)).rows[0].id as string;
    const ins = await c.query(
      `INSERT INTO ${LIVE}.deployments (environment_id, version, status, started_at) VALUES ($1, 'new', 'queued', 1) RETURNING id`,
      [env],
    );
    expect(Number(ins.rows[0].id)).toBeGreaterThan(Math.max(copyMax, liveMaxBefore));
  }, 60_000);

  it('under a writer committing flat out through the promote barrier, no acknowledged write is lost: each is in the pre-restore backup or in the new state', async () => {
    const c = await open();
    await freshLive(c);
    const writes = async () =>
      Number(
        (await c.query(`SELECT count(*) AS n FROM ${LIVE}.deployments WHERE version LIKE 'w-%'`))
          .rows[0].n,
      );
    const until = async (ok: (n: number) => boolean) => {
      for (let i = 0; i < 2000 && !ok(await writes()); i++)
        await new Promise((r) => setTimeout(r, 10));
    };
    const writer = spawnLines(world, [
      path.join(HELPERS_DIR, 'pg-writer-child.ts'),
      pgdb.url(),
      LIVE,
      '0',
      'barrier',
    ]);
    await writer.waitLine((l) => l === 'ready');
    await until((n) => n >= 20);
    const promoter = await open();
    const r = await promoteIntoPostgres({
      client: promoter,
      schema: LIVE,
      backupFile: copyFile,
      preRestoreBackup: () => backupOf(LIVE, path.join(world.dir(), 'backups')),
    });
    // The copy holds no writer rows: what is there now came after the promote.
    await until((n) => n >= 20);
    writer.proc.kill('SIGTERM');
    const stats = JSON.parse(await writer.waitLine((l) => l.startsWith('{'), 30_000)) as {
      commits: number;
      refused: number;
    };
    const after = await writes();
    const db = new Database(r.preRestoreBackup.path, { readonly: true });
    let before: number;
    try {
      before = db
        .prepare(`SELECT count(*) FROM deployments WHERE version LIKE 'w-%'`)
        .pluck()
        .get() as number;
      // One point in time: the writer's own record of its count agrees.
      expect(
        JSON.parse(
          db.prepare(`SELECT value FROM settings WHERE key = 'writer'`).pluck().get() as string,
        ),
      ).toBe(before);
    } finally {
      db.close();
    }
    console.log(
      `promote under load: ${stats.commits} commits (${before} before, ${after} after), ${stats.refused} refused`,
    );
    expect(before).toBeGreaterThanOrEqual(20);
    expect(after).toBeGreaterThanOrEqual(20);
    expect(before + after).toBe(stats.commits);
  }, 90_000);

  it('the promoting connection dropped mid-copy (pg_terminate_backend): PG_CONNECTION_LOST, the old state stays, writes go on', async () => {
    const c = await open();
    await freshLive(c);
    const before = await schemaDigest(c, LIVE);
    const promoter = await open();
    promoter.on('error', () => undefined);
    const pid = (await promoter.query(`SELECT pg_backend_pid() AS pid`)).rows[0].pid as number;
    let terminated: Promise<unknown> | null = null;
    const err = await promoteIntoPostgres({
      client: promoter,
      schema: LIVE,
      backupFile: copyFile,
      batchRows: 20,
      preRestoreBackup: () => backupOf(LIVE, path.join(world.dir(), 'backups')),
      onProgress: (p) => {
        if (p.phase === 'copy' && terminated === null)
          terminated = c.query(`SELECT pg_terminate_backend($1)`, [pid]);
      },
    }).then(
      () => null,
      (e: unknown) => e as { code?: string; message: string },
    );
    await terminated;
    expect(err?.code).toBe('PG_CONNECTION_LOST');
    expect(err?.message).toMatch(/lost during the promote; nothing was committed/);
    expect(await schemaDigest(c, LIVE)).toEqual(before);
    expect(
      await teamWrite(
        c,
        LIVE,
        `INSERT INTO ${LIVE}.projects (name, created_at, updated_at) VALUES ('after-drop', 1, 1)`,
      ),
    ).toBe('committed');
  }, 60_000);

  it('refuses a copy at another schema version (PG_SCHEMA_VERSION_MISMATCH) before any backup, changing nothing', async () => {
    const c = await open();
    await freshLive(c);
    const before = await schemaDigest(c, LIVE);
    const older = path.join(world.dir(), 'older.sqlite');
    fs.copyFileSync(copyFile, older);
    const db = new Database(older);
    db.exec(
      `DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`,
    );
    db.close();
    let backups = 0;
    const pool = new pg.Pool({ connectionString: pgdb.url(), max: 1 });
    world.defer(() => pool.end());
    const code = await rejectionCode(
      promoteIntoPostgres({
        pool,
        schema: LIVE,
        backupFile: older,
        preRestoreBackup: () => Promise.resolve(backups++),
      }),
    );
    expect(code).toBe('PG_SCHEMA_VERSION_MISMATCH');
    expect(backups).toBe(0);
    expect(await schemaDigest(c, LIVE)).toEqual(before);
  }, 30_000);

  it('a promote killed at any point leaves the old state, releases the lock, and writes go on', async () => {
    const c = await open();
    await freshLive(c);
    const before = await schemaDigest(c, LIVE);
    const stopAts = ['locked', 'backup', 'copy', 'verify', 'committing'];
    for (const stopAt of stopAts) {
      const outDir = path.join(world.dir(), `killed-${stopAt}`);
      fs.mkdirSync(outDir, { mode: 0o700 });
      const child = spawnLines(world, [
        path.join(HELPERS_DIR, 'pg-promote-child.ts'),
        pgdb.url(),
        LIVE,
        copyFile,
        outDir,
        stopAt,
        '20',
      ]);
      await child.waitLine((l) => l === `at ${stopAt}`, 30_000);
      // While it runs: writes are refused, readers see the old rows.
      expect(
        await teamWrite(
          c,
          LIVE,
          `INSERT INTO ${LIVE}.projects (name, created_at, updated_at) VALUES ('during', 1, 1)`,
        ),
        stopAt,
      ).toBe('refused');
      expect(await schemaDigest(c, LIVE), stopAt).toEqual(before);
      await child.kill();
      // The server ends the dead client's transaction: rolled back, lock released.
      await promoterGone(c);
      expect(await schemaDigest(c, LIVE), stopAt).toEqual(before);
      expect(
        fs.readdirSync(outDir).filter((n) => !n.startsWith(TEMP_PREFIX) && n.endsWith('.sqlite')),
        stopAt,
      ).toEqual(
        stopAt === 'locked' || stopAt === 'backup' ? [] : [expect.stringMatching(/pre-restore/)],
      );
    }
    // Kill-after-syscall: killed right after the pre-restore backup's second rename (the manifest is in, the file is not).
    const outDir = path.join(world.dir(), 'strace');
    fs.mkdirSync(outDir, { mode: 0o700 });
    await killNodeAtRename(
      path.join(HELPERS_DIR, 'pg-promote-child.ts'),
      [pgdb.url(), LIVE, copyFile, outDir, 'none'],
      2,
      world,
    );
    await promoterGone(c);
    expect(await schemaDigest(c, LIVE)).toEqual(before);
    expect(
      await teamWrite(
        c,
        LIVE,
        `INSERT INTO ${LIVE}.projects (name, created_at, updated_at) VALUES ('after-kill', 1, 1)`,
      ),
    ).toBe('committed');

    // And a promote run to the end from the child makes the copy live.
    const child = spawnLines(world, [
      path.join(HELPERS_DIR, 'pg-promote-child.ts'),
      pgdb.url(),
      LIVE,
      copyFile,
      path.join(world.dir(), 'full'),
      'none',
    ]);
    const result = JSON.parse(await child.waitLine((l) => l.startsWith('{'), 30_000)) as {
      ok?: boolean;
    };
    expect(result.ok).toBe(true);
    expect(await schemaDigest(c, LIVE)).toEqual(copyDigest);
  }, 120_000);
});
