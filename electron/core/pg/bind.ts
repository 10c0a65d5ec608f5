// Binding a data directory to a Stateward database on PostgreSQL after
// checking it (issue 11.1): `stateward postgres connect URL` and the app's
// "Connect to a team database" both come here. The server is reached and its
// version checked (connectPostgres's refusals: PG_UNREACHABLE, PG_AUTH_FAILED,
// PG_SERVER_TOO_OLD, PG_TLS_*…), then the schema: empty or absent → initialized;
// Stateward's → its history checked (a newer version's, an out-of-sync or edited
// one refused); someone else's tables → PG_SCHEMA_FOREIGN. database.json is
// written only when every check passed, never with the password. The caller
// holds the data-dir lock (the binding never changes under another process).
import fs from 'node:fs';
import type { Logger } from '../log.ts';
import { dataDirLayout } from '../paths.ts';
import { MIGRATIONS } from '../store/migrations/index.ts';
import type { Binding } from './binding.ts';
import { bindingFromTarget, bindingPath, writeBinding } from './binding.ts';
import type { PgTarget, PgTransport } from './connect.ts';
import { connectPostgres, describeTarget } from './connect.ts';
import { migratePostgres, planPgMigrations } from './migrate.ts';

/** The schema version this build's migrations end at. */
export const APP_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export interface BindResult {
  dataDir: string;
  file: string;
  binding: Binding;
  target: string;
  serverVersion: string;
  /** What the schema was: 'initialized' (it was empty or absent), 'existing' (Stateward's). */
  schemaState: 'initialized' | 'existing';
  schemaVersion: number;
  appSchemaVersion: number;
  /** Migrations applied now (initializing an empty schema). */
  applied: string[];
  /** Migrations the next start applies (after a pre-upgrade backup). */
  pending: string[];
  /** A password given with the URL is used for this check only, never stored in a file of ours. */
  passwordNotStored: boolean;
  /** The data dir's own SQLite database, left as it is (not copied: that is the move). */
  localDatabaseKept: boolean;
}

/** Check `target` and bind `dataDir` to it (see the file comment). Nothing is written on a refusal. */
export async function bindToPostgres(
  dataDir: string,
  target: PgTarget,
  opts: {
    transport: PgTransport;
    log?: Logger;
    env?: NodeJS.ProcessEnv;
    /** Runs once every check passed, just before database.json is written (the app's remembered password). */
    beforeBinding?: () => void;
  },
): Promise<BindResult> {
  const layout = dataDirLayout(dataDir);
  const conn = await connectPostgres(target, opts);
  try {
    const plan = await planPgMigrations(conn.client, target.schema, MIGRATIONS, target.database);
    let applied: string[] = [];
    let schemaVersion = plan.current;
    if (plan.fresh) {
      const r = await migratePostgres(conn.client, {
        schema: target.schema,
        ...(opts.log ? { log: opts.log } : {}),
      });
      applied = r.applied;
      schemaVersion = APP_SCHEMA_VERSION;
    }
    const binding = bindingFromTarget(target);
    opts.beforeBinding?.();
    writeBinding(layout.dir, binding);
    return {
      dataDir: layout.dir,
      file: bindingPath(layout.dir),
      binding,
      target: describeTarget(target),
      serverVersion: conn.serverVersion,
      schemaState: plan.fresh ? 'initialized' : 'existing',
      schemaVersion,
      appSchemaVersion: APP_SCHEMA_VERSION,
      applied,
      pending: plan.fresh ? [] : plan.pending.map((m) => m.name),
      passwordNotStored: target.password !== null,
      localDatabaseKept: fs.existsSync(layout.db),
    };
  } finally {
    await conn.client.end().catch(() => undefined);
  }
}
