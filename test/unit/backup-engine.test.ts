// The backup engine and its service pieces: files and modes, naming, the
// manifest (sidecar and embedded), compact mode, progress, cancellation,
// failures that must leave nothing behind, temporaries, listing, off-site.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import type { BackupProgress } from '../../electron/core/backup/engine.ts';
import { cleanupTemporaries, createBackup } from '../../electron/core/backup/engine.ts';
import { listBackupFiles } from '../../electron/core/backup/list.ts';
import {
  backupFileName,
  manifestNameFor,
  manifestSchema,
  parseBackupFileName,
} from '../../electron/core/backup/manifest.ts';
import { copyOffsite } from '../../electron/core/backup/offsite.ts';
import { COMPACT_STRIPPED_TABLES, COUNTED_TABLES } from '../../electron/core/backup/worker.ts';
import type { Runtime } from '../../electron/core/runtime.ts';
import { startRuntime } from '../../electron/core/runtime.ts';
import { seedDemo } from '../../electron/core/demo.ts';
import { listAudit } from '../../electron/core/store/resources/audit.ts';
import { listRuns } from '../../electron/core/store/resources/runs.ts';
import { APP_VERSION } from '../../electron/core/version.ts';
import { MIGRATIONS } from '../../electron/core/store/migrations/index.ts';
import type { BackupKind, DrillReport } from '../../shared/domain.ts';
import { BACKUP_FORMAT_VERSION, BACKUP_KINDS } from '../../shared/domain.ts';
import type { Events } from '../../shared/events.ts';
import {
  filesIn,
  inspectBackupFile,
  liveState,
  manifestPathOf,
  mountTmpfs,
  rejectionCode,
  seededRuntime,
  spawnLines,
} from '../helpers/backup-util.ts';
import { exitedPid, HELPERS_DIR } from '../helpers/child.ts';
import { readyDb, startTestRuntime } from '../helpers/runtime.ts';
import { sha256File } from '../helpers/store.ts';
import { isRoot, makeTempDir, modeOf, useWorld } from '../helpers/world.ts';
import { runSqlite, SQLITE } from '../../electron/core/store/sql.ts';

const world = useWorld();

/** The first folder on the way to `file` that other users cannot search, or null. */
function unreachableByOthers(file: string): string | null {
  let dir = path.dirname(path.resolve(file));
  const chain: string[] = [];
  for (;;) {
    chain.unshift(dir);
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const d of chain) if ((fs.statSync(d).mode & 0o001) === 0) return d;
  return null;
}
const SCHEMA = MIGRATIONS[MIGRATIONS.length - 1]!.version;

// Live data dirs shared by the tests that only read them through createBackup:
// a big one (~10 MB, extra metrics so compact has something to strip) and a small one.
let shared: Runtime;
let sharedDir: string;
let small: Runtime;
let smallDir: string;
const SMALL_DEPLOYMENTS = 300;
beforeAll(async () => {
  smallDir = makeTempDir();
  small = await startRuntime({
    dir: smallDir,
    source: 'flag',
    transport: 'http',
    lockMode: 'test',
  });
  seedDemo(readyDb(small), {
    projects: 2,
    deployments: SMALL_DEPLOYMENTS,
    actor: 'test',
    now: Date.now(),
  });
  sharedDir = makeTempDir();
  shared = await startRuntime({
    dir: sharedDir,
    source: 'flag',
    transport: 'http',
    lockMode: 'test',
  });
  const db = readyDb(shared);
  seedDemo(db, { projects: 4, deployments: 30_000, actor: 'test', now: Date.now() });
  const ins = db.prepare(`INSERT INTO metrics (ts, name, value, labels) VALUES (?, ?, ?, ?)`);
  db.transaction(() => {
    for (let i = 0; i < 20_000; i++) ins.run(i, 'cpu.load', i % 7, '{"host":"demo"}');
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
}, 60_000);
afterAll(() => {
  shared?.close();
  small?.close();
  fs.rmSync(sharedDir, { recursive: true, force: true });
  fs.rmSync(smallDir, { recursive: true, force: true });
});

function audit(rt: Runtime, action: string) {
  return runSqlite(readyDb(rt), listAudit(SQLITE, { offset: 0, limit: 100, action })).items;
}

describe('files, names and manifests', () => {
  it('a new backups folder is 0700 and the backup and its manifest 0600, whatever the umask', async () => {
    const out = path.join(world.dir(), 'a', 'b', 'backups');
    const old = process.umask(0);
    let r;
    try {
      r = await createBackup({
        source: small.layout.db,
        outDir: out,
        kind: 'manual',
        compact: false,
      });
    } finally {
      process.umask(old);
    }
    expect(modeOf(out)).toBe(0o700);
    expect(modeOf(path.dirname(out))).toBe(0o700);
    expect(modeOf(r.path)).toBe(0o600);
    expect(modeOf(r.manifestPath)).toBe(0o600);
    expect(filesIn(out)).toEqual([path.basename(r.path), path.basename(r.manifestPath)].sort());
  });

  it('the service keeps <data>/backups 0700 even if it was loosened', async () => {
    const rt = await seededRuntime(world, 20);
    fs.mkdirSync(rt.layout.backups, { mode: 0o755 });
    fs.chmodSync(rt.layout.backups, 0o755);
    const e = await rt.backups.run({ kind: 'manual', compact: false });
    expect(modeOf(rt.layout.backups)).toBe(0o700);
    expect(modeOf(path.join(rt.layout.backups, e.fileName))).toBe(0o600);
    expect(modeOf(path.join(rt.layout.backups, manifestNameFor(e.fileName)))).toBe(0o600);
  });

  it.each(BACKUP_KINDS)('a %s backup is named <UTC stamp>-<kind>-<id>.sqlite', async (kind) => {
    const out = world.dir();
    const at = Date.UTC(2026, 10, 21, 21, 30, 5, 789);
    const r = await createBackup({
      source: small.layout.db,
      outDir: out,
      kind: kind as BackupKind,
      compact: false,
      now: () => at,
    });
    const m = r.manifest;
    expect(m.id).toMatch(/^[0-9a-f]{16}$/);
    expect(m.fileName).toBe(`20261121T213005Z-${kind}-${m.id}.sqlite`);
    expect(m.fileName).toBe(backupFileName(at, kind as BackupKind, m.id));
    expect(path.basename(r.path)).toBe(m.fileName);
    expect(path.basename(r.manifestPath)).toBe(`20261121T213005Z-${kind}-${m.id}.manifest.json`);
    expect(parseBackupFileName(m.fileName)).toEqual({ kind, id: m.id, createdAt: at - 789 });
    expect(m.createdAt).toBe(at);
  });

  it('two backups in the same second get different names', async () => {
    const out = world.dir();
    const now = () => Date.UTC(2026, 0, 1);
    const a = await createBackup({
      source: small.layout.db,
      outDir: out,
      kind: 'manual',
      compact: false,
      now,
    });
    const b = await createBackup({
      source: small.layout.db,
      outDir: out,
      kind: 'manual',
      compact: false,
      now,
    });
    expect(a.manifest.fileName).not.toBe(b.manifest.fileName);
    expect(listBackupFiles(out, null)).toHaveLength(2);
  });

  it('the sidecar validates and the file embeds the same facts', async () => {
    const out = world.dir();
    const r = await createBackup({
      source: small.layout.db,
      outDir: out,
      kind: 'scheduled',
      compact: false,
      dataKeyId: 'key-1',
    });
    const sidecar = manifestSchema.parse(JSON.parse(fs.readFileSync(r.manifestPath, 'utf8')));
    expect(sidecar).toEqual(r.manifest);
    expect(sidecar).toMatchObject({
      format: BACKUP_FORMAT_VERSION,
      kind: 'scheduled',
      appVersion: APP_VERSION,
      schemaVersion: SCHEMA,
      method: 'sqlite-backup-api',
      compact: false,
      bytes: fs.statSync(r.path).size,
      sha256: sha256File(r.path),
      quickCheck: 'ok',
      dataKeyId: 'key-1',
    });
    const facts = inspectBackupFile(r.path);
    expect(facts.integrity).toBe('ok');
    expect(facts.userVersion).toBe(SCHEMA);
    expect(sidecar.pageSize * sidecar.pageCount).toBe(sidecar.bytes);
    expect(facts.embedded).not.toBeNull();
    const embedded = facts.embedded!;
    for (const key of [
      'format',
      'id',
      'kind',
      'createdAt',
      'appVersion',
      'schemaVersion',
      'method',
      'compact',
      'newestDeploymentAt',
      'dataKeyId',
      'changeSeq',
    ] as const) {
      expect(embedded[key], `embedded ${key}`).toEqual(sidecar[key]);
    }
    // Row counts are the file's own content; they are counted in parallel with the check and
    // hash (off the snapshot's critical path), so only the sidecar records them.
    expect(embedded.rowCounts).toBeUndefined();
    const expectedCounts = Object.fromEntries(COUNTED_TABLES.map((t) => [t, facts.counts[t]]));
    expect(sidecar.rowCounts).toEqual(expectedCounts);
    expect(sidecar.rowCounts['deployments']).toBe(SMALL_DEPLOYMENTS);
    const newest = readyDb(small).prepare(`SELECT max(started_at) AS t FROM deployments`).get() as {
      t: number;
    };
    expect(sidecar.newestDeploymentAt).toBe(newest.t);
  });

  it('compact strips metrics and resource_status, keeps the rest, is smaller; the live db keeps them', async () => {
    const before = liveState(shared);
    const out = world.dir();
    const full = await createBackup({
      source: shared.layout.db,
      outDir: out,
      kind: 'manual',
      compact: false,
    });
    const compact = await createBackup({
      source: shared.layout.db,
      outDir: out,
      kind: 'manual',
      compact: true,
    });
    expect(compact.manifest.compact).toBe(true);
    expect(compact.manifest.bytes).toBeLessThan(full.manifest.bytes);
    const f = inspectBackupFile(full.path, { integrity: false });
    const c = inspectBackupFile(compact.path);
    expect(c.integrity).toBe('ok');
    expect(f.counts['metrics']).toBeGreaterThan(20_000);
    expect(f.counts['resource_status']).toBeGreaterThan(0);
    for (const t of COMPACT_STRIPPED_TABLES) expect(c.counts[t], t).toBe(0);
    for (const t of Object.keys(f.counts).filter(
      (t) => !COMPACT_STRIPPED_TABLES.includes(t) && t !== 'stateward_backup',
    ))
      expect(c.counts[t], t).toBe(f.counts[t]);
    expect(compact.manifest.rowCounts['metrics']).toBe(0);
    expect(c.embedded?.['compact']).toBe(true);
    expect(liveState(shared)).toEqual(before);
  });
});

describe('progress', () => {
  it.each([false, true])(
    'phases run snapshot → verify → finalize (compact %s)',
    async (compact) => {
      const events: BackupProgress[] = [];
      const r = await createBackup({
        source: shared.layout.db,
        outDir: world.dir(),
        kind: 'manual',
        compact,
        onProgress: (p) => events.push(p),
      });
      const order = events.map((e) => e.phase).filter((p, i, all) => i === 0 || all[i - 1] !== p);
      expect(order).toEqual(['snapshot', 'verify', 'finalize']);
      for (const e of events) {
        expect(e.done, JSON.stringify(e)).toBeLessThanOrEqual(e.total);
        expect(e.done).toBeGreaterThanOrEqual(0);
        if (e.etaMs !== null) expect(e.etaMs).toBeGreaterThanOrEqual(0);
      }
      const verify = events.filter((e) => e.phase === 'verify');
      expect(verify.at(-1)!.done).toBe(fs.statSync(r.path).size);
      expect(verify.at(-1)!.total).toBe(r.manifest.bytes);
      for (let i = 1; i < verify.length; i++)
        expect(verify[i]!.done).toBeGreaterThanOrEqual(verify[i - 1]!.done);
      expect(events.at(-1)).toMatchObject({ phase: 'finalize', done: 1, total: 1 });
    },
  );

  it('the service forwards progress as events with the opId', async () => {
    const rt = await seededRuntime(world, 50);
    const seen: Events['progress'][] = [];
    rt.events.on('progress', (p) => seen.push(p));
    await rt.backups.run({ kind: 'manual', compact: false, opId: 'op-1' });
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen.map((p) => p.opId))).toEqual(new Set(['op-1']));
    expect(new Set(seen.map((p) => p.op))).toEqual(new Set(['backup']));
  });
});

describe('cancellation', () => {
  const points: [string, (p: BackupProgress, abort: () => void) => void, boolean][] = [
    ['before it starts', () => {}, true],
    ['at the first snapshot report', (p, abort) => p.phase === 'snapshot' && abort(), false],
    ['at the first verify report', (p, abort) => p.phase === 'verify' && abort(), false],
    ['at the finalize report', (p, abort) => p.phase === 'finalize' && abort(), false],
  ];
  it.each(points)(
    'cancelled %s → CANCELLED, nothing left, live db untouched',
    async (_name, at, early) => {
      const before = liveState(shared);
      const out = world.dir();
      const ctl = new AbortController();
      if (early) ctl.abort();
      const code = await rejectionCode(
        createBackup({
          source: shared.layout.db,
          outDir: out,
          kind: 'manual',
          compact: false,
          signal: ctl.signal,
          onProgress: (p) => at(p, () => ctl.abort()),
        }),
      );
      expect(code).toBe('CANCELLED');
      expect(filesIn(out)).toEqual([]);
      // Nothing reappears once the worker is gone.
      await new Promise((r) => setTimeout(r, 150));
      expect(filesIn(out)).toEqual([]);
      expect(liveState(shared)).toEqual(before);
    },
  );

  it('cancelled a few ms into the snapshot (worker busy) → CANCELLED, nothing left', async () => {
    const before = liveState(shared);
    const out = world.dir();
    const ctl = new AbortController();
    const p = createBackup({
      source: shared.layout.db,
      outDir: out,
      kind: 'manual',
      compact: true,
      signal: ctl.signal,
    });
    setTimeout(() => ctl.abort(), 15);
    expect(await rejectionCode(p)).toBe('CANCELLED');
    await new Promise((r) => setTimeout(r, 150));
    expect(filesIn(out)).toEqual([]);
    expect(liveState(shared)).toEqual(before);
  });

  it('rt.backups.cancel(opId) during a run → CANCELLED, run row cancelled, audit backup.cancelled, no file', async () => {
    const rt = await seededRuntime(world, 5_000);
    const user = ['projects', 'environments', 'deployments', 'deployment_logs', 'config_snapshots'];
    const counts = () => user.map((t) => liveState(rt).counts[t]);
    const before = counts();
    const unsub = rt.events.on('progress', (p) => {
      if (p.phase === 'verify') rt.backups.cancel('op-cancel');
    });
    const code = await rejectionCode(
      rt.backups.run({ kind: 'manual', compact: false, opId: 'op-cancel' }),
    );
    unsub();
    expect(code).toBe('CANCELLED');
    expect(rt.backups.cancel('op-cancel')).toBe(false);
    expect(filesIn(rt.layout.backups)).toEqual([]);
    expect(runSqlite(readyDb(rt), listRuns(SQLITE, { kind: 'backup', limit: 5 }))[0]).toMatchObject(
      {
        status: 'cancelled',
      },
    );
    expect(audit(rt, 'backup.cancelled')).toHaveLength(1);
    expect(audit(rt, 'backup.failed')).toHaveLength(0);
    expect(counts()).toEqual(before);
    expect(rt.backups.overview().running).toBeNull();
  });
});

describe('destinations that cannot take the backup', () => {
  it('a folder under a regular file → BACKUP_DESTINATION_UNWRITABLE, nothing created, live untouched', async () => {
    const before = liveState(shared);
    const root = world.dir();
    const file = path.join(root, 'plain-file');
    fs.writeFileSync(file, 'not a folder');
    const code = await rejectionCode(
      createBackup({
        source: shared.layout.db,
        outDir: path.join(file, 'sub'),
        kind: 'manual',
        compact: false,
      }),
    );
    expect(code).toBe('BACKUP_DESTINATION_UNWRITABLE');
    expect(filesIn(root)).toEqual(['plain-file']);
    expect(liveState(shared)).toEqual(before);
  });

  it('a read-only folder (chmod 0500) → BACKUP_DESTINATION_UNWRITABLE, no temp left', async (ctx) => {
    if (isRoot) {
      const why =
        'running as root: root writes into a chmod 0500 folder, so this case cannot be produced';
      console.warn(`skipped read-only destination (chmod): ${why}`);
      ctx.skip(why);
      return;
    }
    const before = liveState(shared);
    const out = world.dir();
    fs.chmodSync(out, 0o500);
    world.defer(() => fs.chmodSync(out, 0o700));
    const code = await rejectionCode(
      createBackup({ source: shared.layout.db, outDir: out, kind: 'manual', compact: false }),
    );
    expect(code).toBe('BACKUP_DESTINATION_UNWRITABLE');
    expect(filesIn(out)).toEqual([]);
    expect(liveState(shared)).toEqual(before);
  });

  it('a read-only folder (chmod 0500) of an unprivileged user → BACKUP_DESTINATION_UNWRITABLE, left read-only', async (ctx) => {
    if (!isRoot) {
      ctx.skip('covered by the chmod case above when not running as root');
      return;
    }
    // As root, run the backup in a child that drops to uid 65534 (nobody). That user
    // must be able to reach the repository's code: a checkout inside a 0700 folder
    // (e.g. under `mktemp -d`) cannot be read by it, and then the case cannot be produced.
    const blocked = unreachableByOthers(
      path.join(HELPERS_DIR, '..', '..', 'electron', 'core', 'backup', 'engine.ts'),
    );
    if (blocked) {
      const reason = `other users cannot reach the code (${blocked} is not searchable by others), so uid 65534 cannot run it`;
      console.warn(`skipped read-only destination (unprivileged user): ${reason}`);
      ctx.skip(reason);
      return;
    }
    const NOBODY = 65534;
    const d = world.dir();
    fs.chmodSync(d, 0o755);
    const src = await createBackup({
      source: small.layout.db,
      outDir: path.join(d, 'src'),
      kind: 'manual',
      compact: false,
    });
    fs.chmodSync(path.join(d, 'src'), 0o755);
    fs.chownSync(src.path, NOBODY, NOBODY);
    const out = path.join(d, 'out');
    fs.mkdirSync(out);
    fs.chownSync(out, NOBODY, NOBODY);
    fs.chmodSync(out, 0o500);
    const child = spawnLines(world, [
      path.join(HELPERS_DIR, 'backup-as-user.ts'),
      String(NOBODY),
      src.path,
      out,
    ]);
    const line = await child.waitLine((l) => l.startsWith('{'));
    const r = JSON.parse(line) as {
      ok: boolean;
      code: string | null;
      files: string[];
      modeAfter: number;
    };
    expect(
      { code: r.code, files: r.files, mode: r.modeAfter.toString(8) },
      'the read-only folder was made writable and written to',
    ).toEqual({ code: 'BACKUP_DESTINATION_UNWRITABLE', files: [], mode: '500' });
  });

  it('a read-only file system (tmpfs mounted ro) → BACKUP_DESTINATION_UNWRITABLE', async (ctx) => {
    const out = world.dir();
    const why = mountTmpfs(world, out, 'ro,size=1m,mode=0700');
    if (why) {
      console.warn(`skipped read-only file system: ${why}`);
      ctx.skip(why);
      return;
    }
    const before = liveState(shared);
    const code = await rejectionCode(
      createBackup({ source: shared.layout.db, outDir: out, kind: 'manual', compact: false }),
    );
    expect(code).toBe('BACKUP_DESTINATION_UNWRITABLE');
    expect(filesIn(out)).toEqual([]);
    expect(liveState(shared)).toEqual(before);
  });

  it('a full disk (2 MiB tmpfs, ~10 MB db) → BACKUP_DISK_FULL, the space is given back, live untouched', async (ctx) => {
    const out = world.dir();
    const why = mountTmpfs(world, out, 'size=2m,mode=0700');
    if (why) {
      console.warn(`skipped disk full: ${why}`);
      ctx.skip(why);
      return;
    }
    const before = liveState(shared);
    expect(fs.statSync(shared.layout.db).size).toBeGreaterThan(8_000_000);
    for (const compact of [false, true]) {
      const code = await rejectionCode(
        createBackup({ source: shared.layout.db, outDir: out, kind: 'manual', compact }),
      );
      expect(code, `compact ${compact}`).toBe('BACKUP_DISK_FULL');
      expect(filesIn(out), `compact ${compact}`).toEqual([]);
    }
    const free = fs.statfsSync(out);
    expect(free.bfree * free.bsize).toBeGreaterThan(1_900_000);
    expect(liveState(shared)).toEqual(before);
  });

  it('a full disk with no room even for the temp file (no free inodes) → BACKUP_DISK_FULL', async (ctx) => {
    const out = world.dir();
    const why = mountTmpfs(world, out, 'size=2m,nr_inodes=1,mode=0700');
    if (why) {
      console.warn(`skipped disk without inodes: ${why}`);
      ctx.skip(why);
      return;
    }
    const before = liveState(small);
    const code = await rejectionCode(
      createBackup({ source: small.layout.db, outDir: out, kind: 'manual', compact: false }),
    );
    expect(code).toBe('BACKUP_DISK_FULL');
    expect(filesIn(out)).toEqual([]);
    expect(liveState(small)).toEqual(before);
  });

  it('a failing rt.backups.run records the failure and leaves user data as it was', async () => {
    const rt = await seededRuntime(world, 200);
    const user = ['projects', 'environments', 'deployments', 'deployment_logs', 'config_snapshots'];
    const before = user.map((t) => liveState(rt).counts[t]);
    const file = path.join(world.dir(), 'file');
    fs.writeFileSync(file, 'x');
    const failed: Events['backup.failed'][] = [];
    rt.events.on('backup.failed', (e) => failed.push(e));
    const code = await rejectionCode(
      rt.backups.run({ kind: 'manual', compact: false, outDir: path.join(file, 'sub') }),
    );
    expect(code).toBe('BACKUP_DESTINATION_UNWRITABLE');
    expect(failed).toMatchObject([{ kind: 'manual', code: 'BACKUP_DESTINATION_UNWRITABLE' }]);
    expect(runSqlite(readyDb(rt), listRuns(SQLITE, { kind: 'backup', limit: 5 }))[0]).toMatchObject(
      {
        status: 'failed',
      },
    );
    expect(audit(rt, 'backup.failed')).toHaveLength(1);
    expect(user.map((t) => liveState(rt).counts[t])).toEqual(before);
    expect(rt.backups.overview().running).toBeNull();
  });
});

describe('temporaries', () => {
  it('cleanupTemporaries removes only Stateward’s own temporaries of processes that are gone', async () => {
    const out = world.dir();
    const r = await createBackup({
      source: small.layout.db,
      outDir: out,
      kind: 'manual',
      compact: false,
    });
    const dead = await exitedPid();
    const temps = [
      `.stateward-tmp-${dead}-0a1b2c3d-0123456789abcdef.sqlite`,
      `.stateward-tmp-${dead}-0a1b2c3d-0123456789abcdef.sqlite-journal`,
      `.stateward-tmp-${dead}-0a1b2c3e-20261121T213000Z-manual-0123456789abcdef.manifest.json`,
    ];
    // Names Stateward never writes, and a temporary of this (live) process.
    const kept = ['.tmp-0123456789abcdef.sqlite', '.notes.tmp', 'notes.txt'];
    const live = `.stateward-tmp-${process.pid}-0a1b2c3d-fedcba9876543210.sqlite`;
    for (const t of [...temps, ...kept, live]) fs.writeFileSync(path.join(out, t), 'half');
    expect(cleanupTemporaries(out).sort()).toEqual([...temps].sort());
    expect(filesIn(out)).toEqual(
      [path.basename(r.path), path.basename(r.manifestPath), ...kept, live].sort(),
    );
    expect(cleanupTemporaries(path.join(out, 'missing'))).toEqual([]);
  });

  it('only a runtime holding the lock removes temporaries at start (backups and off-site)', async () => {
    const rt = await seededRuntime(world, 10);
    const offsite = world.dir();
    rt.backups.saveSettings({ offsiteDir: offsite });
    await rt.backups.run({ kind: 'manual', compact: false });
    const dir = rt.layout.dir;
    rt.close();
    const dead = await exitedPid();
    const mine = `.stateward-tmp-${dead}-0a1b2c3d-aaaaaaaaaaaaaaaa.sqlite`;
    fs.writeFileSync(path.join(rt.layout.backups, mine), 'half');
    fs.writeFileSync(path.join(offsite, mine), 'half');
    const shared2 = await startTestRuntime(world, dir, { lockMode: null });
    expect(fs.existsSync(path.join(rt.layout.backups, mine))).toBe(true);
    shared2.close();
    await startTestRuntime(world, dir);
    expect(filesIn(rt.layout.backups).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(filesIn(offsite).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});

describe('listBackupFiles', () => {
  async function folderWithOne() {
    const out = world.dir();
    const r = await createBackup({
      source: small.layout.db,
      outDir: out,
      kind: 'scheduled',
      compact: false,
    });
    return { out, r };
  }

  it('lists a backup with its manifest', async () => {
    const { out, r } = await folderWithOne();
    // A passed drill of exactly this file (its id, size and hash) makes it verified, as of the drill's end.
    const drill = {
      id: 'd'.repeat(16),
      passed: true,
      finishedAt: 123,
      source: { backupId: r.manifest.id, bytes: r.manifest.bytes, sha256: r.manifest.sha256 },
      steps: [],
    } as unknown as DrillReport;
    const list = listBackupFiles(out, null, [drill]);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      id: r.manifest.id,
      kind: 'scheduled',
      createdAt: r.manifest.createdAt,
      bytes: r.manifest.bytes,
      schemaVersion: SCHEMA,
      sha256: r.manifest.sha256,
      fileName: r.manifest.fileName,
      hasManifest: true,
      verifiedAt: 123,
      offsite: { copied: false, verifiedAt: null },
    });
    expect(list[0]!.manifest).toEqual(r.manifest);
  });

  it('a lone .sqlite without manifest is listed with hasManifest false (facts from its name)', async () => {
    const { out, r } = await folderWithOne();
    fs.rmSync(r.manifestPath);
    fs.copyFileSync(r.path, path.join(out, 'my-copy.sqlite'));
    const list = listBackupFiles(out, null);
    expect(list).toHaveLength(2);
    const named = list.find((e) => e.fileName === r.manifest.fileName)!;
    expect(named).toMatchObject({
      id: r.manifest.id,
      kind: 'scheduled',
      createdAt: Math.floor(r.manifest.createdAt / 1000) * 1000,
      hasManifest: false,
      sha256: null,
      manifest: null,
    });
    expect(list.find((e) => e.fileName === 'my-copy.sqlite')).toMatchObject({
      id: 'my-copy',
      hasManifest: false,
    });
  });

  it.each([
    ['not JSON', '{"format": 1, "id": '],
    ['empty (torn write)', ''],
    ['null', 'null'],
    ['an array', '[1,2,3]'],
    ['another program’s JSON', '{"name":"photos","version":"2.0"}'],
    ['a manifest from a newer format', '{"format": 99, "id": "abcdef0123456789"}'],
  ])('a manifest that is %s is ignored, not a crash', async (_what, text) => {
    const { out, r } = await folderWithOne();
    fs.writeFileSync(r.manifestPath, text);
    const list = listBackupFiles(out, null);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: r.manifest.id, hasManifest: false, manifest: null });
  });

  it('a valid manifest describing a different backup file is not trusted for this one', async () => {
    const { out, r } = await folderWithOne();
    const other = await createBackup({
      source: small.layout.db,
      outDir: world.dir(),
      kind: 'manual',
      compact: false,
    });
    fs.copyFileSync(other.manifestPath, r.manifestPath);
    const list = listBackupFiles(out, null);
    expect(list).toHaveLength(1);
    // The entry must describe the file that is there, not the one the stray manifest names.
    expect(list[0]!.id).toBe(r.manifest.id);
    expect(list[0]!.sha256 === null || list[0]!.sha256 === r.manifest.sha256).toBe(true);
  });

  it('temporaries, journals, folders and other files are not listed', async () => {
    const { out, r } = await folderWithOne();
    fs.writeFileSync(path.join(out, '.tmp-0123456789abcdef.sqlite'), 'half');
    fs.writeFileSync(path.join(out, `${r.manifest.fileName}-journal`), 'j');
    fs.writeFileSync(path.join(out, 'readme.txt'), 'hi');
    fs.mkdirSync(path.join(out, 'folder.sqlite'));
    expect(listBackupFiles(out, null).map((e) => e.fileName)).toEqual([r.manifest.fileName]);
    expect(listBackupFiles(path.join(out, 'missing'), null)).toEqual([]);
  });

  it('is sorted newest first', async () => {
    const out = world.dir();
    const times = [Date.UTC(2026, 0, 2), Date.UTC(2026, 0, 3), Date.UTC(2026, 0, 1)];
    for (const t of times)
      await createBackup({
        source: small.layout.db,
        outDir: out,
        kind: 'manual',
        compact: false,
        now: () => t,
      });
    expect(listBackupFiles(out, null).map((e) => e.createdAt)).toEqual(
      [...times].sort((a, b) => b - a),
    );
  });
});

describe('off-site copies', () => {
  it('copyOffsite copies the backup and its manifest, owner-only, hash checked', async () => {
    const r = await createBackup({
      source: small.layout.db,
      outDir: world.dir(),
      kind: 'manual',
      compact: false,
    });
    // The folder exists (saving it proved it); a copy never creates it (see offsite-settings).
    const offsite = path.join(world.dir(), 'drive', 'stateward');
    fs.mkdirSync(offsite, { recursive: true, mode: 0o700 });
    const dest = await copyOffsite(r.path, r.manifest.sha256, offsite);
    expect(dest).toBe(path.join(offsite, r.manifest.fileName));
    expect(sha256File(dest)).toBe(r.manifest.sha256);
    expect(fs.readFileSync(manifestPathOf(dest), 'utf8')).toBe(
      fs.readFileSync(r.manifestPath, 'utf8'),
    );
    expect(modeOf(dest)).toBe(0o600);
    expect(modeOf(manifestPathOf(dest))).toBe(0o600);
    expect(filesIn(offsite)).toEqual(
      [r.manifest.fileName, manifestNameFor(r.manifest.fileName)].sort(),
    );
  });

  it('a copy whose bytes differ from the sha256 → OFFSITE_COPY_FAILED, no partial file', async () => {
    const out = world.dir();
    const r = await createBackup({
      source: small.layout.db,
      outDir: out,
      kind: 'manual',
      compact: false,
    });
    // The backup changed after it was hashed (or the copy was damaged on the way).
    const fd = fs.openSync(r.path, 'r+');
    fs.writeSync(fd, Buffer.from('X'), 0, 1, 5000);
    fs.closeSync(fd);
    const offsite = world.dir();
    const code = await rejectionCode(copyOffsite(r.path, r.manifest.sha256, offsite));
    expect(code).toBe('OFFSITE_COPY_FAILED');
    expect(filesIn(offsite)).toEqual([]);
  });

  it.for(['under a regular file', 'on a read-only file system'])(
    'an off-site folder %s → OFFSITE_COPY_FAILED (not a raw or data-dir error)',
    async (where, ctx) => {
      const r = await createBackup({
        source: small.layout.db,
        outDir: world.dir(),
        kind: 'manual',
        compact: false,
      });
      let offsite: string;
      if (where === 'under a regular file') {
        const file = path.join(world.dir(), 'not-a-drive');
        fs.writeFileSync(file, 'x');
        offsite = path.join(file, 'sub');
      } else {
        offsite = world.dir();
        const why = mountTmpfs(world, offsite, 'ro,size=1m,mode=0700');
        if (why) {
          console.warn(`skipped off-site on a read-only file system: ${why}`);
          ctx.skip(why);
          return;
        }
      }
      const code = await rejectionCode(copyOffsite(r.path, r.manifest.sha256, offsite));
      expect(code).toBe('OFFSITE_COPY_FAILED');
    },
  );

  it('rt.backups.run copies each new backup to the off-site folder', async () => {
    const rt = await seededRuntime(world, 100);
    const offsite = world.dir();
    rt.backups.saveSettings({ offsiteDir: offsite });
    const a = await rt.backups.run({ kind: 'manual', compact: false });
    const b = await rt.backups.run({ kind: 'scheduled', compact: true });
    for (const e of [a, b]) {
      expect(e.offsite.copied, e.fileName).toBe(true);
      expect(sha256File(path.join(offsite, e.fileName))).toBe(e.sha256);
      expect(fs.existsSync(path.join(offsite, manifestNameFor(e.fileName)))).toBe(true);
    }
    expect(
      audit(rt, 'backup.offsite_copied')
        .map((x) => x.target)
        .sort(),
    ).toEqual([`backup:${a.id}`, `backup:${b.id}`].sort());
    // A backup written elsewhere (CLI --out) is not copied.
    const c = await rt.backups.run({ kind: 'manual', compact: false, outDir: world.dir() });
    expect(fs.existsSync(path.join(offsite, c.fileName))).toBe(false);
  });

  it('an off-site failure keeps the backup and reports backup.offsite_failed + backup.failed', async () => {
    const rt = await seededRuntime(world, 100);
    const offsite = path.join(world.dir(), 'usb');
    rt.backups.saveSettings({ offsiteDir: offsite });
    fs.writeFileSync(offsite, 'the drive is gone and a file took its place');
    const failed: Events['backup.failed'][] = [];
    const finished: Events['backup.finished'][] = [];
    rt.events.on('backup.failed', (e) => failed.push(e));
    rt.events.on('backup.finished', (e) => finished.push(e));
    const entry = await rt.backups.run({ kind: 'manual', compact: false });
    const file = path.join(rt.layout.backups, entry.fileName);
    expect(sha256File(file)).toBe(entry.sha256);
    expect(entry.offsite.copied).toBe(false);
    expect(rt.backups.list().map((e) => e.id)).toEqual([entry.id]);
    expect(finished).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.kind).toBe('manual');
    expect(audit(rt, 'backup.offsite_failed')).toMatchObject([{ target: `backup:${entry.id}` }]);
    expect(audit(rt, 'backup.failed')).toHaveLength(1);
    expect(audit(rt, 'backup.created')).toMatchObject([{ target: `backup:${entry.id}` }]);
  });
});
