// `stateward backup` and `stateward backups`, in-process and as a real process
// while the HTTP host holds the data dir.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { manifestSchema, TEMP_PREFIX } from '../../electron/core/backup/manifest.ts';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { HTTP_INVOKE_PATH, HTTP_TOKEN_HEADER } from '../../shared/events.ts';
import type { BackupEntry } from '../../shared/domain.ts';
import {
  inspectBackupFile,
  manifestPathOf,
  seededRuntime,
  spawnLines,
} from '../helpers/backup-util.ts';
import { HELPERS_DIR, REPO_ROOT, spawnUntilLine } from '../helpers/child.ts';
import { cli, onlyJson } from '../helpers/cli.ts';
import { INDEX_HTML, request } from '../helpers/http.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { sha256File } from '../helpers/store.ts';
import { modeOf, useWorld } from '../helpers/world.ts';

const world = useWorld();
const run = promisify(execFile);

async function demoDir(deployments = 200): Promise<string> {
  const dir = world.dir();
  const r = await cli(
    '--data-dir',
    dir,
    'demo',
    '--projects',
    '2',
    '--deployments',
    String(deployments),
  );
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

interface BackupJson {
  path: string;
  manifest: Record<string, unknown>;
}

describe('stateward backup', () => {
  it('prints the new backup’s path and exits 0', async () => {
    const dir = await demoDir();
    const r = await cli('--data-dir', dir, 'backup');
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines).toHaveLength(1);
    const file = r.lines[0]!;
    expect(path.dirname(file)).toBe(dataDirLayout(dir).backups);
    expect(path.basename(file)).toMatch(/^\d{8}T\d{6}Z-manual-[0-9a-f]{16}\.sqlite$/);
    expect(fs.existsSync(file)).toBe(true);
    expect(fs.existsSync(manifestPathOf(file))).toBe(true);
    expect(modeOf(file)).toBe(0o600);
  });

  it('--json prints {path, manifest}; the manifest validates and matches the file', async () => {
    const dir = await demoDir();
    const r = await cli('--data-dir', dir, '--json', 'backup');
    expect(r.code, r.stderr).toBe(0);
    const out = onlyJson(r) as unknown as BackupJson;
    const manifest = manifestSchema.parse(out.manifest);
    expect(manifest.kind).toBe('manual');
    expect(manifest.compact).toBe(false);
    expect(path.basename(out.path)).toBe(manifest.fileName);
    expect(sha256File(out.path)).toBe(manifest.sha256);
    expect(JSON.parse(fs.readFileSync(manifestPathOf(out.path), 'utf8'))).toEqual(out.manifest);
    expect(manifest.rowCounts['deployments']).toBe(200);
  });

  it('--compact takes a compact backup (no metrics inside)', async () => {
    const dir = await demoDir();
    const r = await cli('--data-dir', dir, '--json', 'backup', '--compact');
    expect(r.code, r.stderr).toBe(0);
    const out = onlyJson(r) as unknown as BackupJson;
    expect(out.manifest['compact']).toBe(true);
    const facts = inspectBackupFile(out.path);
    expect(facts.integrity).toBe('ok');
    expect(facts.counts['metrics']).toBe(0);
    expect(facts.counts['deployments']).toBe(200);
  });

  it('--out DIR writes there (created 0700), not into backups/', async () => {
    const dir = await demoDir();
    const out = path.join(world.dir(), 'usb', 'stateward');
    const r = await cli('--data-dir', dir, 'backup', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const file = r.lines[0]!;
    expect(path.dirname(file)).toBe(out);
    expect(fs.existsSync(file)).toBe(true);
    expect(modeOf(out)).toBe(0o700);
    const list = await cli('--data-dir', dir, '--json', 'backups');
    expect((onlyJson(list)['backups'] as unknown[]).length).toBe(0);
  });

  it('--out under a regular file → exit 2, BACKUP_DESTINATION_UNWRITABLE, nothing written', async () => {
    const dir = await demoDir();
    const file = path.join(world.dir(), 'file');
    fs.writeFileSync(file, 'x');
    const r = await cli('--data-dir', dir, 'backup', '--out', path.join(file, 'sub'));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/BACKUP_DESTINATION_UNWRITABLE/);
    const j = await cli('--data-dir', dir, '--json', 'backup', '--out', path.join(file, 'sub'));
    expect(j.code).toBe(2);
    expect(onlyJson(j)).toMatchObject({ error: { code: 'BACKUP_DESTINATION_UNWRITABLE' } });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['file']);
  });

  it('on a data dir without a database → exit 2, nothing created', async () => {
    const dir = world.dir();
    const r = await cli('--data-dir', dir, 'backup');
    expect(r.code).toBe(2);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('stateward backups', () => {
  it('lists the backups (text and --json), newest first', async () => {
    const dir = await demoDir();
    expect((await cli('--data-dir', dir, 'backups')).stdout).toMatch(/^No backups in /);
    const a = await cli('--data-dir', dir, 'backup');
    const b = await cli('--data-dir', dir, 'backup', '--compact');
    const text = await cli('--data-dir', dir, 'backups');
    expect(text.code).toBe(0);
    expect(text.lines).toHaveLength(2);
    for (const r of [a, b]) {
      const name = path.basename(r.lines[0]!);
      expect(
        text.lines.find((l) => l.startsWith(name)),
        name,
      ).toBeDefined();
    }
    expect(text.lines.find((l) => l.startsWith(path.basename(b.lines[0]!)))).toMatch(/compact/);
    const json = onlyJson(await cli('--data-dir', dir, '--json', 'backups'));
    const list = json['backups'] as BackupEntry[];
    expect(list.map((e) => e.fileName).sort()).toEqual(
      [a, b].map((r) => path.basename(r.lines[0]!)).sort(),
    );
    expect(list[0]!.createdAt).toBeGreaterThanOrEqual(list[1]!.createdAt);
    expect(list.every((e) => e.hasManifest && e.kind === 'manual')).toBe(true);
  });
});

describe('stateward backup while the HTTP host runs on the same data dir', () => {
  it('the real CLI process backs up while the host holds the lock; the host lists it', async () => {
    const dir = await demoDir(2_000);
    const root = world.dir();
    const staticDir = path.join(root, 'static');
    fs.mkdirSync(staticDir);
    fs.writeFileSync(path.join(staticDir, 'index.html'), INDEX_HTML);
    const { child, line } = await spawnUntilLine(world, [
      path.join(HELPERS_DIR, 'host-child.ts'),
      dir,
      staticDir,
    ]);
    const { port, token } = JSON.parse(line) as { port: number; token: string };
    const invoke = async (name: string, input: unknown) => {
      const res = await request(port, {
        method: 'POST',
        path: `${HTTP_INVOKE_PATH}${name}`,
        headers: { 'content-type': 'application/json', [HTTP_TOKEN_HEADER]: token },
        body: JSON.stringify(input),
      });
      expect(res.status, res.body).toBe(200);
      return JSON.parse(res.body) as { ok: boolean; value?: unknown; error?: unknown };
    };
    expect(await invoke('backups.list', {})).toEqual({ ok: true, value: [] });
    const lock = JSON.parse(fs.readFileSync(dataDirLayout(dir).lock, 'utf8')) as { pid: number };
    expect(lock.pid).toBe(child.pid);

    const cliRun = await run(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/stateward.mjs'), '--data-dir', dir, '--json', 'backup'],
      { cwd: REPO_ROOT, timeout: 30_000 },
    ).catch((e: { code?: number; stdout?: string; stderr?: string }) => e);
    expect(
      'code' in cliRun && cliRun.code !== undefined ? cliRun.code : 0,
      `stateward backup failed: ${cliRun.stderr ?? ''}`,
    ).toBe(0);
    const out = JSON.parse(String(cliRun.stdout).trim()) as BackupJson;
    expect(fs.existsSync(out.path)).toBe(true);

    const listed = await invoke('backups.list', {});
    expect(listed.ok).toBe(true);
    const entries = listed.value as BackupEntry[];
    expect(entries.map((e) => e.id)).toEqual([out.manifest['id']]);
    expect(entries[0]).toMatchObject({ hasManifest: true, sha256: out.manifest['sha256'] });
    // The CLI recorded its backup in the live database the host has open.
    const audit = await invoke('audit.list', { action: 'backup.created' });
    const items = (audit.value as { items: { actor: string; target: string }[] }).items;
    expect(items).toHaveLength(1);
    expect(items[0]!.target).toBe(`backup:${String(out.manifest['id'])}`);
    expect(items[0]!.actor).toMatch(/^cli@/);
    // The host still holds its lock and still works.
    expect(
      (JSON.parse(fs.readFileSync(dataDirLayout(dir).lock, 'utf8')) as { pid: number }).pid,
    ).toBe(child.pid);
    expect(child.proc.exitCode).toBeNull();
  });
});

describe('a lock holder starting while a CLI backup runs', () => {
  it('does not delete the CLI’s in-progress temporary: the CLI backup still succeeds', async () => {
    const seeded = await seededRuntime(world, 60_000);
    const dir = seeded.layout.dir;
    seeded.close();
    const cliProc = spawnLines(world, [
      path.join(REPO_ROOT, 'bin/stateward.mjs'),
      '--data-dir',
      dir,
      '--json',
      'backup',
    ]);
    // Wait until the CLI's worker is copying pages into its temp file, then start the app.
    const backups = dataDirLayout(dir).backups;
    const copying = () => {
      try {
        return fs
          .readdirSync(backups)
          .some((n) => n.startsWith(TEMP_PREFIX) && fs.statSync(path.join(backups, n)).size > 0);
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 15_000;
    while (!copying() && Date.now() < deadline && cliProc.proc.exitCode === null)
      await new Promise((r) => setTimeout(r, 1));
    const sawTemp = copying();
    const app = await startTestRuntime(world, dir);
    expect(app.startup).toEqual({ state: 'ready' });
    const { code } = await cliProc.exited;
    expect(sawTemp, 'the CLI finished before the app started: make the db bigger').toBe(true);
    expect(code, `CLI backup failed: ${cliProc.stderr().slice(-500)}`).toBe(0);
    const out = JSON.parse(cliProc.lines.join('')) as BackupJson;
    expect(sha256File(out.path)).toBe(out.manifest['sha256']);
    // …and it is a whole backup of the data, not whatever the temp name pointed to afterwards.
    const facts = inspectBackupFile(out.path);
    expect(facts.integrity).toBe('ok');
    expect(facts.counts['deployments'], 'deployments in the CLI backup').toBe(60_000);
    expect(out.manifest['rowCounts']).toMatchObject({ deployments: 60_000 });
  });
});
