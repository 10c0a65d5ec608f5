import os from 'node:os';
import type { HandlerMap } from './registry.ts';
import { APP_VERSION } from '../core/version.ts';
import { fileSize } from '../core/fsutil.ts';
import { readLock } from '../core/lock.ts';
import { describeRepair } from '../core/permissions.ts';
import { MIGRATIONS } from '../core/store/migrations/index.ts';
import { countProjects } from '../core/store/resources/projects.ts';
import { countEnvironments } from '../core/store/resources/environments.ts';
import { countDeployments } from '../core/store/resources/deployments.ts';
import { countAudit } from '../core/store/resources/audit.ts';
import { dataOf } from './context.ts';
import type { Runtime } from '../core/runtime.ts';
import type { Query, Sql } from '../core/store/sql.ts';
import { row } from '../core/store/sql.ts';
import type { AppStatus } from '../../shared/domain.ts';

function* counted(c: Sql): Query<AppStatus['counts']> {
  return {
    projects: yield* countProjects(c),
    environments: yield* countEnvironments(c),
    deployments: yield* countDeployments(c),
    auditEntries: yield* countAudit(c),
  };
}

/** The newest migration the schema's history records. */
function* recordedSchemaVersion(c: Sql): Query<number> {
  const r = yield* row(
    c.k.selectFrom('schema_migrations').select((eb) => eb.fn.max('version').as('v')),
  );
  return r?.v ?? 0;
}

export async function appStatus(rt: Runtime): Promise<AppStatus> {
  const data = dataOf(rt);
  const lock = readLock(rt.layout.lock);
  const counts = await data.read(counted);
  return {
    appVersion: APP_VERSION,
    // SQLite says it in user_version (set with each migration); PostgreSQL in its history.
    schemaVersion: rt.store
      ? (rt.store.db.pragma('user_version', { simple: true }) as number)
      : await data.read(recordedSchemaVersion),
    appSchemaVersion: MIGRATIONS[MIGRATIONS.length - 1]!.version,
    dataDir: rt.layout.dir,
    dataDirSource: rt.source,
    dbBytes: fileSize(rt.layout.db),
    walBytes: fileSize(rt.layout.wal),
    counts,
    empty: counts.projects === 0,
    lock: lock
      ? {
          pid: lock.pid,
          host: lock.host === os.hostname() ? lock.host : lock.host,
          mode: lock.mode,
          since: lock.since,
        }
      : null,
    transport: rt.transport,
    ...permissionNotes(rt),
  };
}

function permissionNotes(rt: Runtime): { permissionNotes?: string[] } {
  const notes = rt.permissionRepair ? describeRepair(rt.permissionRepair) : [];
  return notes.length ? { permissionNotes: notes } : {};
}

export const appHandlers: HandlerMap = {
  // The refusal screen needs this version's schema to tell which backups it can open.
  'app.startup': (_input, rt) => ({
    ...rt.startup,
    appVersion: APP_VERSION,
    appSchemaVersion: MIGRATIONS[MIGRATIONS.length - 1]!.version,
  }),
  'app.status': (_input, rt) => appStatus(rt),
};
