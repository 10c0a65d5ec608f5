// GET /ready: 200 with exactly { ready, schema, version } only when the data is
// open, migrated and not refused; 503 with the refusal's code (and nothing else)
// otherwise; no token; Host and Origin checked like the rest of the host.
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import { HTTP_READY_PATH, HTTP_TOKEN_HEADER } from '../../shared/events.ts';
import { APP_VERSION } from '../../electron/core/version.ts';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { holdLockInChild } from '../helpers/child.ts';
import { request, startTestHost } from '../helpers/http.ts';
import { APP_SCHEMA, editFile, makeNewerSchema } from '../helpers/restore-util.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

/** A data dir whose database a closed runtime made, then `edit` changed from outside. */
async function dataDirWith(edit: (file: string) => void): Promise<string> {
  const dir = world.dir();
  const rt = await startTestRuntime(world, dir);
  rt.close();
  edit(dataDirLayout(dir).db);
  return dir;
}

async function ready(port: number, opts: Parameters<typeof request>[1] = {}) {
  const r = await request(port, { path: HTTP_READY_PATH, ...opts });
  return { status: r.status, body: JSON.parse(r.body) as Record<string, unknown>, raw: r };
}

describe('GET /ready', () => {
  it('a started host: 200 with exactly ready, schema and version, without a token', async () => {
    const h = await startTestHost(world);
    const r = await ready(h.port);
    expect(r.status).toBe(200);
    expect(r.body).toStrictEqual({ ready: true, schema: APP_SCHEMA, version: APP_VERSION });
    expect(r.raw.headers['cache-control']).toBe('no-store');
    // A token changes nothing (it is not needed, and not echoed).
    const withToken = await ready(h.port, { headers: { [HTTP_TOKEN_HEADER]: h.token } });
    expect(withToken.body).toStrictEqual(r.body);
    expect(withToken.raw.body).not.toContain(h.token);
  });

  it('keeps the host checks: a foreign Host is 421, a foreign Origin 403, a POST 405', async () => {
    const h = await startTestHost(world);
    for (const host of ['evil.example', `evil.example:${h.port}`, '127.0.0.1:1']) {
      const foreignHost = await request(h.port, { path: HTTP_READY_PATH, headers: { host } });
      expect(foreignHost.status, host).toBe(421);
      expect(foreignHost.body).not.toContain('ready');
    }
    const foreignOrigin = await ready(h.port, { headers: { origin: 'http://evil.example' } });
    expect(foreignOrigin.status).toBe(403);
    expect(foreignOrigin.body).toStrictEqual({ ready: false, code: 'FORBIDDEN' });
    const sameOrigin = await ready(h.port, { headers: { origin: `http://127.0.0.1:${h.port}` } });
    expect(sameOrigin.status).toBe(200);
    const post = await ready(h.port, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.body.ready).toBe(false);
  });

  const refusals: [string, (file: string) => void, string][] = [
    ['a database from a newer schema', (f) => makeNewerSchema(f), 'SCHEMA_FROM_NEWER_VERSION'],
    [
      'an applied migration whose text was edited',
      (f) =>
        editFile(f, (db) =>
          db
            .prepare(`UPDATE schema_migrations SET checksum = ? WHERE version = 1`)
            .run('0'.repeat(64)),
        ),
      'MIGRATION_CHECKSUM_MISMATCH',
    ],
    [
      'a SQLite database that is not Stateward’s',
      (f) => {
        for (const s of ['', '-wal', '-shm']) fs.rmSync(f + s, { force: true });
        const db = new Database(f);
        db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)');
        db.close();
      },
      'NOT_A_STATEWARD_DB',
    ],
  ];

  it.each(refusals)(
    '%s: 503 with the refusal code, no path or message',
    async (_what, edit, code) => {
      const dir = await dataDirWith(edit);
      const h = await startTestHost(world, { dataDir: dir });
      expect(h.rt.startup).toMatchObject({ state: 'refused', code });
      const r = await ready(h.port);
      expect(r.status).toBe(503);
      expect(r.body).toStrictEqual({ ready: false, code });
      expect(r.raw.body).not.toContain(dir);
    },
  );

  it('a data dir locked by another process: 503 DATA_DIR_LOCKED', async () => {
    const dir = world.dir();
    await holdLockInChild(world, dataDirLayout(dir).lock, 'host');
    const h = await startTestHost(world, { dataDir: dir });
    const r = await ready(h.port);
    expect(r.status).toBe(503);
    expect(r.body).toStrictEqual({ ready: false, code: 'DATA_DIR_LOCKED' });
  });

  it('no open store (a promote swapping the database): 503 STORE_NOT_READY', async () => {
    const h = await startTestHost(world);
    const store = h.rt.store;
    h.rt.setStore(null);
    try {
      const r = await ready(h.port);
      expect(r.status).toBe(503);
      expect(r.body).toStrictEqual({ ready: false, code: 'STORE_NOT_READY' });
    } finally {
      h.rt.setStore(store);
    }
    expect((await ready(h.port)).status).toBe(200);
  });

  it('while this host promotes a copy (writes refused): 503 PROMOTE_IN_PROGRESS, 200 after', async () => {
    const h = await startTestHost(world);
    let promoting = true;
    Object.defineProperty(h.rt.restores, 'promoting', { get: () => promoting, configurable: true });
    const r = await ready(h.port);
    expect(r.status).toBe(503);
    expect(r.body).toStrictEqual({ ready: false, code: 'PROMOTE_IN_PROGRESS' });
    promoting = false;
    expect((await ready(h.port)).status).toBe(200);
  });
});

describe('GET /ready: the data gone under a running host', () => {
  it('the database file deleted: 503 DB_UNREADABLE (writes would go to a file nobody opens again)', async () => {
    const h = await startTestHost(world);
    expect((await ready(h.port)).status).toBe(200);
    const { db, wal, shm } = h.rt.layout;
    for (const f of [db, wal, shm]) fs.rmSync(f, { force: true });
    const r = await ready(h.port);
    expect(r.status).toBe(503);
    expect(r.body).toStrictEqual({ ready: false, code: 'DB_UNREADABLE' });
    const head = await request(h.port, { method: 'HEAD', path: HTTP_READY_PATH });
    expect(head.status).toBe(503);
    expect(head.body).toBe('');
  });

  it('the database file replaced by another: 503 DB_UNREADABLE', async () => {
    const h = await startTestHost(world);
    const { db } = h.rt.layout;
    fs.copyFileSync(db, `${db}.other`);
    fs.renameSync(`${db}.other`, db);
    const r = await ready(h.port);
    expect(r.status).toBe(503);
    expect(r.body).toStrictEqual({ ready: false, code: 'DB_UNREADABLE' });
  });

  it('HEAD, a query string: the same answer; /ready/ is not readiness', async () => {
    const h = await startTestHost(world);
    const head = await request(h.port, { method: 'HEAD', path: HTTP_READY_PATH });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await ready(h.port, { path: `${HTTP_READY_PATH}?probe=1` })).status).toBe(200);
    const slash = await request(h.port, { path: `${HTTP_READY_PATH}/` });
    expect(slash.status).toBe(404);
  });
});
