// The restore drill against the team's server (issue 11.6): the staged copy of a
// backup is loaded into a scratch schema `stateward_drill_<id>` of the team
// database and checked through the PostgreSQL store, then the schema is dropped,
// whatever happened (a drill killed on the way leaves a schema the next drill
// drops once it is an hour old).
//
// Steps, in the local drill's shape (DrillReport): preflight; load (the schema
// created by the migrations up to the backup's version, each once, then every
// table copied with COPY and compared by count and content hash, one
// transaction); migrations (the history holds as many rows as the backup's,
// pending ones apply, a second run applies nothing); boot (the store's own
// counts on the scratch schema); probes and secret references (the same checks
// as the local drill, restore/drill-checks.ts, run with runPg).
import crypto from 'node:crypto';
import os from 'node:os';
import type pg from 'pg';
import type {
  DrillReport,
  DrillStep,
  PreflightReport,
  SecretResolution,
} from '../../../shared/domain.ts';
import type { Logger } from '../log.ts';
import {
  bootOutcome,
  plural,
  probeOutcome,
  secretsOutcome,
  storeCounts,
} from '../restore/drill-checks.ts';
import { DrillRun, preflightStep } from '../restore/drill.ts';
import type { BootOptions } from '../restore/boot.ts';
import { finishDrillBoot, startDrillBoot } from '../restore/boot.ts';
import type { SecretRow } from '../store/resources/secrets.ts';
import { allSecrets, secretById } from '../store/resources/secrets.ts';
import type { Query, Sql } from '../store/sql.ts';
import { POSTGRES, runPg } from '../store/sql.ts';
import { quoteIdent } from './connect.ts';
import {
  classifyTxError,
  COPY_BATCH_ROWS,
  createAtVersion,
  openCopySource,
  planTables,
  replaceTables,
} from './copy.ts';
import { migratePostgres, planPgMigrations } from './migrate.ts';

export const DRILL_SCHEMA_PREFIX = 'stateward_drill_';
/** A scratch schema older than this was left by a drill that died: the next drill drops it. */
export const DRILL_LEFTOVER_MS = 60 * 60 * 1000;
export const PG_DRILL_STEP_COUNT = 7;

export type SecretListRow = SecretRow & { environment_name: string; project_name: string };

export interface PgDrillInput {
  /** The team pool (PG_TYPES; its search_path is never changed outside a transaction). */
  pool: pg.Pool;
  /** The staged SQLite copy of the backup (read only). */
  copy: string;
  restoreId: string | null;
  preflight: PreflightReport;
  copyMs: number;
  onStep?: (step: DrillStep, index: number, total: number) => void;
  /** Which stored secret values open with this machine's keys. */
  resolveSecrets?: (rows: SecretListRow[]) => SecretResolution;
  now?: () => number;
  /** The scratch schema's suffix (default random hex). */
  id?: string;
  batchRows?: number;
  log?: Logger;
  /** The boot step (the real app on a migrated copy of the backup): how, or false to leave it out. */
  boot?: BootOptions | false;
}

const MARK = 'stateward drill scratch, started ';

/**
 * Drop scratch schemas of drills that died more than an hour ago (never one still
 * young, and never a schema without a drill's mark: a drill creates and marks its
 * scratch schema in one transaction, so an unmarked one is somebody's data).
 */
export async function dropDrillLeftovers(pool: pg.Pool, now: number): Promise<string[]> {
  const r = await pool.query<{ nspname: string; note: string | null }>(
    `SELECT n.nspname, obj_description(n.oid, 'pg_namespace') AS note
       FROM pg_namespace n WHERE n.nspname LIKE $1`,
    [`${DRILL_SCHEMA_PREFIX.replace(/_/g, '\\_')}%`],
  );
  const dropped: string[] = [];
  for (const s of r.rows) {
    if (!s.note?.startsWith(MARK)) continue;
    const started = Number(s.note.slice(MARK.length).split(' ')[0]);
    if (Number.isFinite(started) && now - started < DRILL_LEFTOVER_MS) continue;
    await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(s.nspname)} CASCADE`);
    dropped.push(s.nspname);
  }
  return dropped;
}

/** Run store work on the scratch schema, in a read-only transaction (the pool's own search_path stays). */
async function onScratch<R>(pool: pg.Pool, schema: string, work: (c: Sql) => Query<R>): Promise<R> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN READ ONLY');
    try {
      await client.query(`SELECT set_config('search_path', $1, true)`, [quoteIdent(schema)]);
      return await runPg(client, work(POSTGRES));
    } finally {
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = e as Error;
      });
    }
  } finally {
    client.release(broken);
  }
}

/** Every stored secret found again by its id, byte for byte (what a reference resolves through). */
function* secretsById(c: Sql): Query<{ rows: SecretListRow[]; missing: string[] }> {
  const rows = yield* allSecrets(c);
  const missing: string[] = [];
  for (const r of rows) {
    const again = yield* secretById(c, r.id);
    if (
      !again ||
      again.key_id !== r.key_id ||
      again.environment_id !== r.environment_id ||
      !again.ciphertext.equals(r.ciphertext) ||
      !again.iv.equals(r.iv) ||
      !again.tag.equals(r.tag)
    )
      missing.push(r.id);
  }
  return { rows, missing };
}

export async function runPgDrill(input: PgDrillInput): Promise<DrillReport> {
  const now = input.now ?? Date.now;
  const startedAt = now();
  const { pool } = input;
  const facts = input.preflight.facts;
  const schema = `${DRILL_SCHEMA_PREFIX}${input.id ?? crypto.randomBytes(8).toString('hex')}`;
  const run = new DrillRun(
    input.preflight,
    PG_DRILL_STEP_COUNT - (input.boot === false ? 1 : 0),
    input.onStep,
  );
  const { push, take, timed } = run;

  push(preflightStep(input.preflight));
  // The real app started on a copy of the backup (its own SQLite store, in a temporary
  // folder, migrated there: the staged copy is only read), signed in and read over HTTP,
  // beside the server's steps; reported last, when they passed.
  const booting = startDrillBoot(input.copy, facts, input.boot);
  let historyRows = 0;
  let version = 0;
  let ok: boolean;
  try {
    try {
      const dropped = await dropDrillLeftovers(pool, now());
      if (dropped.length > 0)
        input.log?.log(
          'info',
          `dropped drill schemas left by drills that died: ${dropped.join(', ')}`,
        );
    } catch (e) {
      input.log?.log('warn', 'could not drop old drill schemas', e);
    }

    ok = await timed('copy', 'Load into a scratch schema on the server', async () => {
      const t0 = performance.now();
      const source = openCopySource(input.copy);
      try {
        historyRows = (
          source.db.prepare(`SELECT count(*) AS n FROM schema_migrations`).get() as { n: number }
        ).n;
        version = source.version;
        const client = await pool.connect();
        let broken: Error | undefined;
        try {
          await client.query('BEGIN');
          try {
            await client.query(`SET LOCAL extra_float_digits = 1`);
            await createAtVersion(client, schema, 'absent', source.version, now);
            await client.query(
              `COMMENT ON SCHEMA ${quoteIdent(schema)} IS '${MARK}${startedAt} on ${os.hostname().replace(/'/g, '')}'`,
            );
            const tables = await planTables(client, source, schema);
            const reports = await replaceTables(client, source, schema, tables, {
              batchRows: input.batchRows ?? COPY_BATCH_ROWS,
            });
            await client.query('COMMIT');
            const rows = reports.reduce((n, r) => n + r.rowsRead, 0);
            return {
              status: 'pass',
              detail: `Loaded ${plural(rows, 'row')} of ${plural(tables.length, 'table')} into schema ${schema} (created by the migrations up to schema ${source.version}); every table's row count and content hash match the file.`,
              facts: {
                schema,
                rows,
                tables: tables.length,
                ms: Math.round(performance.now() - t0),
              },
            };
          } catch (e) {
            await client.query('ROLLBACK').catch((r: unknown) => {
              broken = r as Error;
            });
            throw classifyTxError(e, `schema ${schema}`, input.copy, 'drill');
          }
        } finally {
          client.release(broken);
        }
      } finally {
        source.db.close();
      }
    });

    if (ok) {
      ok = await timed('migrations', 'Migrations', async () => {
        const counted = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${quoteIdent(schema)}.schema_migrations`,
        );
        const loaded = counted.rows[0]!.n;
        if (loaded !== historyRows)
          return {
            status: 'fail',
            detail: `The scratch schema's history holds ${plural(loaded, 'migration')}, the backup's ${historyRows}: a migration ran twice or not at all.`,
            facts: { code: 'MIGRATION_FAILED', loaded, backup: historyRows },
          };
        const client = await pool.connect();
        try {
          const first = await migratePostgres(client, { schema, now });
          const second = await planPgMigrations(client, schema);
          if (second.pending.length > 0)
            return {
              status: 'fail',
              detail: `A second run would apply ${second.pending.map((m) => m.name).join(', ')} again.`,
              facts: { code: 'MIGRATION_FAILED' },
            };
          return {
            status: 'pass',
            detail: first.applied.length
              ? `History matches the backup (${plural(historyRows, 'migration')}, each once); applied ${first.applied.join(', ')} (schema ${version} → ${second.current}); a second run applied nothing.`
              : `History matches the backup (${plural(historyRows, 'migration')}, each once, schema ${version}); nothing to apply, and a second run applied nothing.`,
            facts: { from: version, to: second.current, applied: first.applied, history: loaded },
          };
        } finally {
          client.release();
        }
      });
    }

    if (ok) {
      ok = await timed('boot', 'Opens through the PostgreSQL store', async () =>
        bootOutcome(
          await onScratch(pool, schema, storeCounts),
          'Opened through the PostgreSQL store',
        ),
      );
    }

    if (ok) {
      ok = await timed('probes', 'Your data reads back', async () =>
        take(await onScratch(pool, schema, (c) => probeOutcome(c, facts))),
      );
    }

    if (ok && input.resolveSecrets) {
      ok = await timed('secrets', 'Secret references', async () => {
        const found = await onScratch(pool, schema, secretsById);
        if (found.missing.length > 0)
          return {
            status: 'fail',
            detail: `${plural(found.missing.length, 'secret')} could not be found again by id on the server (first: ${found.missing[0]}).`,
            facts: { code: 'SECRET_REFERENCE_UNKNOWN', missing: found.missing.slice(0, 20) },
          };
        const r = input.resolveSecrets!(found.rows);
        return take(await onScratch(pool, schema, (c) => secretsOutcome(c, r)));
      });
    }
  } finally {
    // Always: the scratch schema never outlives its drill.
    await pool
      .query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`)
      .catch((e: unknown) =>
        input.log?.log(
          'warn',
          `could not drop drill schema ${schema} (the next drill drops it)`,
          e,
        ),
      );
  }

  ok = await finishDrillBoot(booting, ok, push);

  return run.report(input.restoreId, startedAt, now(), ok, {
    data: 'loads into PostgreSQL and shows its data through the server store',
    empty: 'loads into PostgreSQL',
  });
}
