// Restore from a file the browser uploads (POST /api/upload/restore): the bytes
// are streamed to a Stateward-named temporary in restores/, then go through the
// same preflight and copy as a file chosen in the desktop app, and the temporary
// is removed whatever happens. Too large (announced or streamed), a full disk, a
// client that goes away, no token, a symlink at the temporary's name: nothing of
// the upload is left in restores/ and nothing outside it is touched.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import {
  HTTP_OP_ID_HEADER,
  HTTP_TOKEN_HEADER,
  HTTP_UPLOAD_NAME_HEADER,
  HTTP_UPLOAD_RESTORE_PATH,
} from '../../shared/events.ts';
import type { Events } from '../../shared/events.ts';
import type { PreflightReport, RestoreCopy, DrillReport } from '../../shared/domain.ts';
import { createBackup } from '../../electron/core/backup/engine.ts';
import { cleanupRestoreLeftovers } from '../../electron/core/restore/records.ts';
import type { RawResponse, TestHost } from '../helpers/http.ts';
import { INDEX_HTML, request, startTestHost } from '../helpers/http.ts';
import { HELPERS_DIR } from '../helpers/child.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { mountTmpfs, spawnLines } from '../helpers/backup-util.ts';
import { isRoot, useWorld } from '../helpers/world.ts';
import type { World } from '../helpers/world.ts';

const world = useWorld();
const KiB = 1024;
const UPLOAD_NAME = /^\.stateward-upload-/;

interface Uploaded {
  restoreId: string | null;
  report: PreflightReport;
  upload: { bytes: number; sha256: string };
}

function upload(
  h: TestHost,
  body: Buffer,
  opts: { name?: string; token?: string | null; chunkBytes?: number; opId?: string } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = {
    'content-type': 'application/octet-stream',
    [HTTP_UPLOAD_NAME_HEADER]: encodeURIComponent(opts.name ?? 'backup.sqlite'),
  };
  if (opts.token !== null) headers[HTTP_TOKEN_HEADER] = opts.token ?? h.token;
  if (opts.opId) headers[HTTP_OP_ID_HEADER] = opts.opId;
  return request(h.port, {
    method: 'POST',
    path: HTTP_UPLOAD_RESTORE_PATH,
    headers,
    body,
    ...(opts.chunkBytes === undefined ? {} : { chunkBytes: opts.chunkBytes }),
  });
}

/** A real backup of a data dir holding `projects`, taken into a folder outside it. */
async function backupFile(w: World, h: TestHost, projects: string[]): Promise<string> {
  for (const name of projects)
    expect((await h.invoke('projects.create', { name })).status).toBe(200);
  const r = await createBackup({
    source: h.rt.layout.db,
    outDir: w.dir(),
    kind: 'manual',
    compact: false,
  });
  return r.path;
}

const uploadsIn = (dir: string) =>
  fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => UPLOAD_NAME.test(n)) : [];
const restoresOf = (h: TestHost) =>
  fs.existsSync(h.rt.layout.restores) ? fs.readdirSync(h.rt.layout.restores) : [];

function body(r: RawResponse): {
  ok: boolean;
  value?: Uploaded;
  error?: { code: string; message: string };
} {
  return JSON.parse(r.body) as ReturnType<typeof body>;
}

/** An upload of a 4 MiB big.sqlite of which only the first 512 KiB are sent (errors ignored). */
function startBigUpload(port: number, token: string): http.ClientRequest {
  const req = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: HTTP_UPLOAD_RESTORE_PATH,
    agent: false,
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(4 * 1024 * KiB),
      [HTTP_TOKEN_HEADER]: token,
      [HTTP_UPLOAD_NAME_HEADER]: 'big.sqlite',
    },
  });
  req.on('error', () => {});
  req.write(Buffer.alloc(512 * KiB));
  return req;
}

async function eventually(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check(), what).toBe(true);
}

describe('upload a backup to restore it', () => {
  it('a real backup becomes a staged copy under its own name; the drill passes and the copy is listed', async () => {
    const h = await startTestHost(world);
    const file = await backupFile(world, h, ['alpha', 'beta']);
    const name = path.basename(file);
    const progress: Events['progress'][] = [];
    h.rt.events.on('progress', (p) => progress.push(p));

    const r = await upload(h, fs.readFileSync(file), { name, opId: 'op-upload-1' });
    expect(r.status).toBe(200);
    const value = body(r).value!;
    expect(value.report).toMatchObject({ ok: true, code: null });
    expect(value.report.facts.fileName).toBe(name);
    expect(value.report.facts.manifest).toBe('embedded');
    const sha = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    expect(value.upload).toEqual({ bytes: fs.statSync(file).size, sha256: sha });
    expect(value.report.facts.sha256).toBe(sha);
    expect(progress.some((p) => p.opId === 'op-upload-1' && p.phase === 'copy')).toBe(true);
    // The temporary is gone; the copy lives in its own folder.
    expect(restoresOf(h)).toEqual([value.restoreId]);

    const drill = body(
      await h.invoke('restores.drill', { restoreId: value.restoreId }),
    ) as unknown as { ok: true; value: DrillReport };
    expect(drill.value.passed).toBe(true);
    const list = JSON.parse((await h.invoke('restores.list', {})).body) as {
      value: RestoreCopy[];
    };
    expect(list.value).toMatchObject([
      { id: value.restoreId, status: 'ready', passed: true, source: { fileName: name } },
    ]);
    // The uploaded name is checked against the facts inside, as for a chosen file.
    const renamed = await upload(h, fs.readFileSync(file), {
      name: name.replace('manual', 'scheduled'),
    });
    expect(body(renamed).value!.report).toMatchObject({ ok: false, code: 'BACKUP_FACTS_MISMATCH' });
  });

  it('a file that is not a database, or not Stateward’s, is refused by name and leaves nothing in restores/', async () => {
    const h = await startTestHost(world);
    const garbage = crypto.randomBytes(64 * KiB);
    const r = await upload(h, garbage, { name: 'holiday.jpg' });
    expect(r.status).toBe(200);
    const refused = body(r).value!.report;
    expect(refused).toMatchObject({ ok: false, code: 'NOT_SQLITE' });
    expect(refused.reason).toContain('holiday.jpg');
    expect(refused.reason).not.toMatch(UPLOAD_NAME);
    expect(refused.facts).toMatchObject({ fileName: 'holiday.jpg', bytes: 64 * KiB });

    const foreign = path.join(world.dir(), 'other.sqlite');
    const db = new Database(foreign);
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    db.close();
    const other = body(await upload(h, fs.readFileSync(foreign), { name: 'other.sqlite' }));
    expect(other.value!.report).toMatchObject({ ok: false, code: 'NOT_A_STATEWARD_DB' });
    expect(restoresOf(h)).toEqual([]);
  });
});

describe('limits and failures leave nothing behind', () => {
  it('over the limit by Content-Length: 413 before anything is written', async () => {
    const h = await startTestHost(world, { maxUploadBytes: 256 * KiB });
    const r = await upload(h, Buffer.alloc(256 * KiB + 1));
    expect(r.status).toBe(413);
    expect(body(r).error).toMatchObject({ code: 'UPLOAD_TOO_LARGE' });
    expect(body(r).error!.message).toContain('256 KiB');
    expect(restoresOf(h).filter((n) => UPLOAD_NAME.test(n))).toEqual([]);
    // Exactly the limit is accepted (and refused by the preflight as what it is).
    const at = await upload(h, Buffer.alloc(256 * KiB));
    expect(body(at).value!.report).toMatchObject({ ok: false, code: 'NOT_SQLITE' });
  });

  it('over the limit while streaming (chunked, no Content-Length): 413 and the partial file removed', async () => {
    const h = await startTestHost(world, { maxUploadBytes: 256 * KiB });
    const r = await upload(h, Buffer.alloc(1024 * KiB), { chunkBytes: 16 * KiB });
    expect(r.status).toBe(413);
    expect(body(r).error).toMatchObject({ code: 'UPLOAD_TOO_LARGE' });
    expect(restoresOf(h)).toEqual([]);
    expect((await h.invoke('restores.list', {})).status).toBe(200);
  });

  it('a client that goes away mid-upload leaves no partial file', async () => {
    const h = await startTestHost(world);
    const req = startBigUpload(h.port, h.token);
    await eventually(
      'the upload is being received',
      () => uploadsIn(h.rt.layout.restores).length === 1,
    );
    req.destroy();
    await eventually(
      'the partial upload is removed',
      () => uploadsIn(h.rt.layout.restores).length === 0,
    );
    expect((await h.invoke('restores.list', {})).status).toBe(200);
  });

  it('no token: 401 and nothing is written', async () => {
    const h = await startTestHost(world);
    for (const token of [null, 'wrong']) {
      const r = await upload(h, Buffer.alloc(64 * KiB), { token });
      expect(r.status).toBe(401);
      expect(body(r).error).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    expect(restoresOf(h)).toEqual([]);
  });

  it('a name that is not a plain file name is refused', async () => {
    const h = await startTestHost(world);
    for (const name of ['', '%E0%A4%A', '..', 'a%00b'])
      expect(
        (
          await request(h.port, {
            method: 'POST',
            path: HTTP_UPLOAD_RESTORE_PATH,
            headers: {
              'content-type': 'application/octet-stream',
              [HTTP_TOKEN_HEADER]: h.token,
              [HTTP_UPLOAD_NAME_HEADER]: name,
            },
            body: Buffer.alloc(10),
          })
        ).status,
      ).toBe(400);
    expect(restoresOf(h)).toEqual([]);
  });

  it('a symlink planted at the temporary’s name is never followed', async () => {
    const h = await startTestHost(world);
    const file = await backupFile(world, h, ['alpha']);
    const target = path.join(world.dir(), 'victim.txt');
    fs.writeFileSync(target, 'untouched');
    fs.mkdirSync(h.rt.layout.restores, { recursive: true });
    // The random part of the first name is made predictable; the symlink waits there.
    const fixed = Buffer.from('c0ffee00', 'hex');
    const real = crypto.randomBytes.bind(crypto);
    let planted = false;
    const spy = vi.spyOn(crypto, 'randomBytes').mockImplementation(((n: number) => {
      if (n === 4 && !planted) {
        planted = true;
        return Buffer.from(fixed);
      }
      return real(n);
    }) as typeof crypto.randomBytes);
    const trap = path.join(h.rt.layout.restores, `.stateward-upload-${process.pid}-c0ffee00.part`);
    fs.symlinkSync(target, trap);
    try {
      const r = await upload(h, fs.readFileSync(file), { name: path.basename(file) });
      expect(planted).toBe(true);
      expect(body(r).value!.report).toMatchObject({ ok: true });
    } finally {
      spy.mockRestore();
    }
    expect(fs.readFileSync(target, 'utf8')).toBe('untouched');
    expect(fs.lstatSync(trap).isSymbolicLink()).toBe(true);
    expect(uploadsIn(h.rt.layout.restores)).toEqual([path.basename(trap)]);
  });

  it.skipIf(!isRoot)(
    'a full disk: DISK_FULL, up front by Content-Length or while streaming, and nothing left',
    async () => {
      const dataDir = world.dir();
      const restores = path.join(dataDir, 'restores');
      fs.mkdirSync(restores, { mode: 0o700 });
      const reason = mountTmpfs(world, restores, 'size=1m');
      if (reason) throw new Error(reason);
      const h = await startTestHost(world, { dataDir });
      const announced = await upload(h, Buffer.alloc(2 * 1024 * KiB));
      expect(announced.status).toBe(507);
      expect(body(announced).error).toMatchObject({ code: 'DISK_FULL' });
      const streamed = await upload(h, Buffer.alloc(2 * 1024 * KiB), { chunkBytes: 64 * KiB });
      expect(streamed.status).toBe(507);
      expect(body(streamed).error).toMatchObject({ code: 'DISK_FULL' });
      expect(restoresOf(h)).toEqual([]);
    },
  );

  it.skipIf(!isRoot)(
    'a disk with room for the upload but not its copy: DISK_FULL and nothing left',
    async () => {
      const dataDir = world.dir();
      const restores = path.join(dataDir, 'restores');
      fs.mkdirSync(restores, { mode: 0o700 });
      const h0 = await startTestHost(world);
      const file = await backupFile(world, h0, ['alpha', 'beta']);
      const size = fs.statSync(file).size;
      const reason = mountTmpfs(world, restores, `size=${Math.ceil((size * 1.5) / 4096) * 4}k`);
      if (reason) throw new Error(reason);
      const h = await startTestHost(world, { dataDir });
      const r = await upload(h, fs.readFileSync(file), { name: path.basename(file) });
      // The same refusal as a chosen file's preflight on a full disk.
      expect(body(r).value).toMatchObject({
        restoreId: null,
        report: { ok: false, code: 'DISK_FULL' },
      });
      expect(restoresOf(h)).toEqual([]);
    },
  );
});

describe('crash leftovers', () => {
  it('a host killed (SIGKILL) mid-upload leaves a partial file that the next locking start removes', async () => {
    const dataDir = world.dir();
    const staticDir = world.dir();
    fs.writeFileSync(path.join(staticDir, 'index.html'), INDEX_HTML);
    const child = spawnLines(world, [path.join(HELPERS_DIR, 'host-child.ts'), dataDir, staticDir]);
    const { port, token } = JSON.parse(await child.waitLine((l) => l.startsWith('{'))) as {
      port: number;
      token: string;
    };
    const req = startBigUpload(port, token);
    const restores = path.join(dataDir, 'restores');
    await eventually('the upload is being received', () => uploadsIn(restores).length === 1);
    await child.kill();
    req.destroy();
    const left = uploadsIn(restores);
    expect(left).toHaveLength(1);
    expect(left[0]).toContain(`-${child.pid}-`);

    const rt = await startTestRuntime(world, dataDir);
    expect(rt.lock).not.toBeNull();
    expect(uploadsIn(restores)).toEqual([]);
  });

  it('the locking start removes uploads of dead processes only, and never through a symlink', () => {
    const restores = world.dir();
    const drills = world.dir();
    const dead = `.stateward-upload-999999999-0123abcd.part`;
    const live = `.stateward-upload-${process.pid}-0123abcd.part`;
    const link = `.stateward-upload-999999998-0123abcd.part`;
    const target = path.join(world.dir(), 'victim');
    fs.writeFileSync(target, 'x');
    fs.writeFileSync(path.join(restores, dead), 'partial');
    fs.writeFileSync(path.join(restores, live), 'partial');
    fs.symlinkSync(target, path.join(restores, link));
    const removed = cleanupRestoreLeftovers(restores, drills, () => {});
    expect(removed).toEqual([`restores/${dead}`]);
    expect(fs.readdirSync(restores).sort()).toEqual([link, live].sort());
    expect(fs.readFileSync(target, 'utf8')).toBe('x');
  });
});
