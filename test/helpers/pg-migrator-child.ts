// A separate process migrating one PostgreSQL schema: `node pg-migrator-child.ts URL SCHEMA HOST`.
// Prints one JSON line: { applied } on success, { code, message } on a refusal.
import { connectPostgres, parseDatabaseUrl } from '../../electron/core/pg/connect.ts';
import { migratePostgres } from '../../electron/core/pg/migrate.ts';

const [url, schema, host] = process.argv.slice(2);
const conn = await connectPostgres(parseDatabaseUrl(url!, 'env'), { transport: 'cli' });
try {
  const r = await migratePostgres(conn.client, { schema: schema!, host: host! });
  process.stdout.write(`${JSON.stringify({ applied: r.applied })}\n`);
} catch (e) {
  const err = e as { code?: string; message: string };
  process.stdout.write(
    `${JSON.stringify({ code: err.code ?? 'INTERNAL', message: err.message })}\n`,
  );
} finally {
  await conn.client.end();
}
