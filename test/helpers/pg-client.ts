// Plain PostgreSQL client helpers (no vitest), shared by the tests (pg.ts
// re-exports them) and the benchmarks.
import pg from 'pg';

/** `url` with its database replaced. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Run `fn` with a client on `url`, closed after. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** What the server's database at `url` holds: its schemas and every table's row count (equal ⇒ unchanged). */
export async function pgTargetState(url: string): Promise<Record<string, number>> {
  return withClient(url, async (c) => {
    const out: Record<string, number> = {};
    const ns = await c.query<{ nspname: string }>(
      `SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' AND nspname <> 'information_schema'`,
    );
    for (const n of ns.rows) out[`schema ${n.nspname}`] = 1;
    const t = await c.query<{ table_schema: string; table_name: string }>(
      `SELECT table_schema, table_name FROM information_schema.tables
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'`,
    );
    for (const r of t.rows) {
      const n = await c.query<{ n: string }>(
        `SELECT count(*) AS n FROM "${r.table_schema}"."${r.table_name}"`,
      );
      out[`${r.table_schema}.${r.table_name}`] = Number(n.rows[0]!.n);
    }
    return out;
  });
}
