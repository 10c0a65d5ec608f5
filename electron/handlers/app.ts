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
import { storeOf } from './context.ts';
import type { Runtime } from '../core/runtime.ts';
import type { AppStatus } from '../../shared/domain.ts';

export function appStatus(rt: Runtime): AppStatus {
  const db = storeOf(rt);
  const lock = readLock(rt.layout.lock);
  const counts = {
    projects: countProjects(db),
    environments: countEnvironments(db),
    deployments: countDeployments(db),
    auditEntries: countAudit(db),
  };
  return {
    appVersion: APP_VERSION,
    schemaVersion: db.pragma('user_version', { simple: true }) as number,
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
