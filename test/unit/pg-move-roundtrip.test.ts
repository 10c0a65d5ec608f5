// Going back (issue 12.6): a local data dir moved to PostgreSQL, a team backup
// of it, that backup restored into a NEW local data dir through the normal
// restore path (preflight → drill → promote): every table holds the original's
// rows, value for value (ids past 2^53, blobs, unicode, JSON by content), and
// every secret opens with this machine's key (its key file and keys/) again.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPgBackup } from '../../electron/core/pg/backup.ts';
import { parseDatabaseUrl } from '../../electron/core/pg/connect.ts';
import { moveToPostgres } from '../../electron/core/pg/move.ts';
import type { DrillReport } from '../../shared/domain.ts';
import { pgSkipReason, usePgDatabase } from '../helpers/pg.ts';
import { call, RESTORE_BOOKKEEPING_TABLES } from '../helpers/restore-util.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import {
  AWKWARD_SECRETS,
  demoDirWithSecrets,
  fullRegistry,
  useSecretsEnv,
} from '../helpers/secrets-util.ts';
import { editDatabase, sha256File, tableNames } from '../helpers/store.ts';
import { useWorld } from '../helpers/world.ts';

const skip = pgSkipReason();
const world = useWorld();
const env = useSecretsEnv();
const db = usePgDatabase();

/** A value as compared: JSON objects and arrays by content (jsonb keeps no key order), the rest as is. */
function canonical(v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (Buffer.isBuffer(v)) return `x${v.toString('hex')}`;
  if (typeof v === 'string' && /^[[{]/.test(v)) {
    try {
      return stable(JSON.parse(v));
    } catch {
      return v;
    }
  }
  return v;
}
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** Every table's rows (exact integers), in primary-key order, values canonical. */
function tablesOf(file: string): Record<string, string[]> {
  const d = new Database(file, { readonly: true });
  try {
    const out: Record<string, string[]> = {};
    for (const t of tableNames(d)) {
      if (t === 'schema_migrations' || t.startsWith('stateward_')) continue;
      const key = (d.prepare(`PRAGMA table_info("${t}")`).all() as { name: string; pk: number }[])
        .filter((c) => c.pk > 0)
        .sort((x, y) => x.pk - y.pk)
        .map((c) => `"${c.name}"`);
      const order = key.length > 0 ? key.join(', ') : 'rowid';
      const rows = d.prepare(`SELECT * FROM "${t}" ORDER BY ${order}`).safeIntegers(true).all();
      out[t] = (rows as Record<string, unknown>[]).map((r) =>
        JSON.stringify(Object.entries(r).map(([k, v]) => [k, canonical(v)])),
      );
    }
    return out;
  } finally {
    d.close();
  }
}

describe.skipIf(skip)('SQLite → PostgreSQL → team backup → a new local data dir', () => {
  it(
    'every table comes back row for row, and every secret opens with this machine key',
    { timeout: 90_000 },
    async () => {
      // The original: demo data, two secrets under a key file, awkward values.
      const { dir, file, secrets } = await demoDirWithSecrets(world, env, 200);
      editDatabase(file, (d) => {
        d.prepare(
          `INSERT INTO deployments (id, environment_id, snapshot_id, version, status, started_at, finished_at, access_url, diagnostic_summary)
         VALUES (5000000000, 1, NULL, 'v\\9', 'failed', 1700000000001, NULL, NULL, ?)`,
        ).run('line1\r\nline2\t\\N ü 🚀');
        d.prepare(
          `INSERT INTO metrics (ts, name, value, labels) VALUES (1, 'm', 0.1, '{"b":1,"a":[2,{"d":null,"c":"é"}]}')`,
        ).run();
      });
      const original = tablesOf(file);
      const originalHash = sha256File(file);

      // Move it, then take a team backup as a team-mode instance would.
      const u = new URL(db.url());
      u.searchParams.set('schema', 'roundtrip');
      const moved = await moveToPostgres({ dataDir: dir, target: u.toString(), execute: true });
      expect(moved.bound).toBe(true);
      expect(sha256File(file)).toBe(originalHash);
      // It lands in the backups folder of a new local data dir on this machine (with the keys
      // the move left in the old one), where the normal restore path takes it.
      const local = world.dir();
      fs.cpSync(path.join(dir, 'keys'), path.join(local, 'keys'), { recursive: true });
      const team = await createPgBackup({
        target: parseDatabaseUrl(u.toString()),
        schema: 'roundtrip',
        outDir: path.join(local, 'backups'),
        kind: 'manual',
        compact: false,
      });

      const rt2 = await startTestRuntime(world, local);
      const reg2 = fullRegistry(rt2);
      const pre = await call<{ restoreId: string | null; report: unknown }>(
        reg2,
        'restores.preflight',
        { source: { backupId: team.manifest.id } },
      );
      expect(pre.restoreId, JSON.stringify(pre.report)).not.toBeNull();
      const restoreId = pre.restoreId!;
      const drill = await call<DrillReport>(reg2, 'restores.drill', { restoreId });
      expect(drill.passed, JSON.stringify(drill.steps)).toBe(true);
      await call(reg2, 'restores.promote', { restoreId, confirm: true });

      // Every table: the original's rows; the restore's own bookkeeping may add rows after them.
      const restored = tablesOf(path.join(local, 'stateward.db'));
      expect(Object.keys(restored).sort()).toEqual(Object.keys(original).sort());
      const grows = new Set<string>([...RESTORE_BOOKKEEPING_TABLES, 'runs', 'change_counter']);
      for (const [t, rows] of Object.entries(original)) {
        if (grows.has(t) && t !== 'change_counter')
          expect(restored[t]!.slice(0, rows.length), t).toEqual(rows);
        else if (t !== 'change_counter') expect(restored[t], t).toEqual(rows);
      }

      // This machine's key file opens every secret again.
      for (const s of secrets) {
        const { value } = await call<{ value: string }>(reg2, 'secrets.reveal', { id: s.id });
        expect(value).toBe(AWKWARD_SECRETS[s.name as keyof typeof AWKWARD_SECRETS]);
      }
    },
  );
});
