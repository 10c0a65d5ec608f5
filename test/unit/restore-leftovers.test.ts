// What killed `verify` and `restore` runs leave, and who removes it. A verify's
// temporary copy is never listed as a restored copy and is removed by the next
// locking start; a restore killed before its drill finished is listed as
// "interrupted" (never "ready"), cannot be drilled, browsed or promoted, and can
// be discarded. The next start removes only names Stateward writes, only
// regular files (never through a symlink), and never fails over what it finds.
// Kills are strace's kill-after-syscall injection at every step of the runs.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDirLayout } from '../../electron/core/paths.ts';
import type { Runtime } from '../../electron/core/runtime.ts';
import { startRuntime } from '../../electron/core/runtime.ts';
import { THIS_PROCESS } from '../../electron/core/restore/records.ts';
import type { RestoreCopy } from '../../shared/domain.ts';
import { exitedPid, spawnUntilLine, HELPERS_DIR } from '../helpers/child.ts';
import { cli, onlyJson } from '../helpers/cli.ts';
import { callError } from '../helpers/restore-util.ts';
import { testRegistry } from '../helpers/runtime.ts';
import type { TraceEvent } from '../helpers/syscall-sweep.ts';
import {
  HAVE_STRACE,
  NAME_SYSCALLS,
  inPool,
  straceCli,
  traceCli,
} from '../helpers/syscall-sweep.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const COPY_SYSCALLS = ['copy_file_range', 'sendfile'];

async function demoWithBackup(): Promise<{ dir: string; id: string }> {
  const dir = world.dir();
  const demo = await cli('--data-dir', dir, 'demo', '--projects', '2', '--deployments', '30');
  expect(demo.code, demo.stderr).toBe(0);
  const b = await cli('--data-dir', dir, '--json', 'backup');
  expect(b.code, b.stderr).toBe(0);
  return { dir, id: (onlyJson(b) as { manifest: { id: string } }).manifest.id };
}

/** A runtime as a second process sees the data dir: no lock, live database not opened. */
async function lookWithoutLock(dir: string): Promise<RestoreCopy[]> {
  const rt = await startRuntime({
    dir,
    source: 'flag',
    transport: 'cli',
    lockMode: null,
    store: 'none',
  });
  try {
    return rt.restores.list();
  } finally {
    rt.close();
  }
}

async function lockingStart(dir: string): Promise<Runtime> {
  const rt = await startRuntime({ dir, source: 'flag', transport: 'http', lockMode: 'test' });
  world.defer(() => rt.close());
  expect(rt.startup).toEqual({ state: 'ready' });
  return rt;
}

interface KillPoint {
  syscall: string;
  when: number;
  label: string;
}

/**
 * Every step of a traced run in restores/ and drills/: each name change on the
 * main thread (SQLite's side files of the copy once each) and the kernel copy.
 * `when` counts the syscall on its thread, as strace's injection does.
 */
function killPoints(events: readonly TraceEvent[], dir: string): KillPoint[] {
  const main = events[0]!.tid;
  const counts = new Map<string, number>();
  const seen = new Set<string>();
  const out: KillPoint[] = [];
  const restores = path.join(dir, 'restores');
  for (const e of events) {
    const key = `${e.tid} ${e.syscall}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    if (e.failed || e.file === null) continue;
    const copy = COPY_SYSCALLS.includes(e.syscall);
    const rel = path.relative(dir, e.file);
    if (copy ? !e.flags.includes(restores) || n !== 1 : e.tid !== main) continue;
    if (!copy && !/^(restores|drills)\//.test(rel)) continue;
    const label = `${e.syscall} ${rel
      .replace(/\.stateward-tmp-\d+-[0-9a-f]{8}-/, '<tmp>')
      .replace(/[0-9a-f]{16}/g, '<id>')
      .replace(/\.\d+\.tmp$/, '.<pid>.tmp')}`;
    if (/-(journal|wal|shm)$/.test(rel) && seen.has(label)) continue;
    seen.add(label);
    out.push({ syscall: e.syscall, when: n, label });
  }
  return out;
}

/** The traced run's kill points, then one killed run per point, each on its own copy of the data dir. */
async function sweep(
  dir: string,
  args: string[],
  check: (copy: string, point: KillPoint) => Promise<void>,
): Promise<string[]> {
  const trace = path.join(world.dir(), 'trace.txt');
  const syscalls = [...NAME_SYSCALLS, ...COPY_SYSCALLS];
  const traced = await traceCli(trace, syscalls, ['--data-dir', dir, ...args]);
  expect(traced.run.code, traced.run.stderr).toBe(0);
  const points = killPoints(traced.events, dir);
  const labels = points.map((p) => p.label);
  // The traced run itself left nothing behind but its report.
  expect(fs.readdirSync(path.join(dir, 'restores')).length).toBeLessThanOrEqual(1);
  await inPool(points, 3, async (point) => {
    const copy = world.dir();
    fs.cpSync(dir, copy, { recursive: true });
    // As the traced run found it: restores/ there and empty.
    fs.rmSync(path.join(copy, 'restores'), { recursive: true, force: true });
    fs.mkdirSync(path.join(copy, 'restores'), { mode: 0o700 });
    const run = await straceCli(
      [
        '-o',
        '/dev/null',
        '-e',
        `trace=${point.syscall}`,
        '-e',
        `inject=${point.syscall}:signal=KILL:when=${point.when}`,
      ],
      ['--data-dir', copy, ...args],
    );
    expect(run.signal, `${point.label}: ${run.stderr}`).toBe('SIGKILL');
    await check(copy, point);
  });
  return labels;
}

describe.skipIf(!HAVE_STRACE)('killed at every step (strace kill-after-syscall)', () => {
  it('verify: never listed as ready; the next locking start removes its copy and temporaries', async () => {
    const { dir, id } = await demoWithBackup();
    const labels = await sweep(dir, ['verify', id], async (copy, point) => {
      const listed = await lookWithoutLock(copy);
      expect(
        listed.filter((c) => c.status !== 'interrupted'),
        point.label,
      ).toEqual([]);
      const rt = await lockingStart(copy);
      expect(fs.readdirSync(rt.layout.restores), point.label).toEqual([]);
      expect(
        fs.readdirSync(rt.layout.drills).filter((n) => n.startsWith('.')),
        point.label,
      ).toEqual([]);
      expect(rt.restores.list()).toEqual([]);
      rt.close();
    });
    // The whole protocol was swept: made, copied, drilled (SQLite's files), reported, discarded.
    expect(labels).toEqual(
      expect.arrayContaining([
        'mkdir restores/<tmp><id>',
        'rename restores/<tmp><id>',
        'rename restores/<id>/.restore.json.<pid>.tmp',
        'rename drills/.<id>.json.<pid>.tmp',
        'rename restores/<id>',
        'unlink restores/<tmp><id>/stateward.db',
        'rmdir restores/<tmp><id>',
      ]),
    );
    expect(labels.some((l) => COPY_SYSCALLS.some((s) => l.startsWith(s)))).toBe(true);
    expect(labels.some((l) => /stateward\.db-(journal|wal|shm)$/.test(l))).toBe(true);
    // The boot step's moves of the copy into its folder and back are swept too.
    expect(labels).toContain('rename restores/<id>/stateward.db');
    expect(
      labels.some((l) => /^rename restores\/<id>\/stateward-boot-[^/]+\/stateward\.db$/.test(l)),
    ).toBe(true);
    console.log(`verify: ${labels.length} kill points: ${labels.join('; ')}`);
    // The drill's boot step moves the copy into a folder beside it and back: ~10 more points.
  }, 120_000);

  it('restore: an interrupted copy, never ready; it cannot be drilled, browsed or promoted, and discard removes it', async () => {
    const { dir, id } = await demoWithBackup();
    let refusalsChecked = false;
    const labels = await sweep(dir, ['restore', id], async (copy, point) => {
      const listed = await lookWithoutLock(copy);
      expect(listed.length, point.label).toBeLessThanOrEqual(1);
      expect(
        listed.filter((c) => c.status !== 'interrupted'),
        point.label,
      ).toEqual([]);
      const rt = await lockingStart(copy);
      // The next start keeps the user's copy (interrupted) and removes only temporaries.
      const names = fs.readdirSync(rt.layout.restores);
      expect(names, point.label).toEqual(listed.map((c) => c.id));
      const [c] = rt.restores.list();
      if (c) {
        expect(c, point.label).toMatchObject({ status: 'interrupted', passed: false });
        const reg = testRegistry(rt);
        if (!refusalsChecked) {
          refusalsChecked = true;
          expect((await callError(reg, 'restores.drill', { restoreId: c.id })).code).toBe(
            'CONFLICT',
          );
          expect((await callError(reg, 'restores.compare', { restoreId: c.id })).code).toBe(
            'RESTORE_NOT_VERIFIED',
          );
          expect(
            (await callError(reg, 'restores.promote', { restoreId: c.id, confirm: true })).code,
          ).toBe('RESTORE_NOT_VERIFIED');
        }
        const r = await reg.dispatch('restores.discard', { restoreId: c.id });
        expect(r.ok, JSON.stringify(r)).toBe(true);
        expect(fs.readdirSync(rt.layout.restores)).toEqual([]);
        expect(rt.restores.list()).toEqual([]);
      }
      rt.close();
    });
    expect(refusalsChecked).toBe(true);
    expect(labels.filter((l) => l === 'rename restores/<id>/.restore.json.<pid>.tmp').length).toBe(
      3, // staged, drilling, ready
    );
    console.log(`restore: ${labels.length} kill points: ${labels.join('; ')}`);
    // The drill's boot step moves the copy into a folder beside it and back: ~10 more points.
  }, 120_000);
});

/** A copy's folder as a crashed process leaves it: a record, the copy, maybe more. */
function fakeCopy(
  restores: string,
  name: string,
  record: Record<string, unknown> | null,
  extra: Record<string, string> = {},
): string {
  const dir = path.join(restores, name);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, 'stateward.db'), 'copy');
  if (record) fs.writeFileSync(path.join(dir, 'restore.json'), JSON.stringify(record));
  for (const [n, text] of Object.entries(extra)) fs.writeFileSync(path.join(dir, n), text);
  return dir;
}

function record(
  id: string,
  status: string,
  owner: { pid: number; token: string } | null,
  temporary = false,
) {
  return {
    id,
    createdAt: 1,
    status,
    source: { fileName: 'x.sqlite' },
    drillId: null,
    passed: false,
    schemaVersion: 8,
    owner,
    ...(temporary ? { temporary } : {}),
  };
}

describe('the next locking start cleans up only what is Stateward’s', () => {
  it('removes dead verifies’ copies and half-made folders; keeps user copies, foreign files, symlinks; never fails', async () => {
    const dir = world.dir();
    const layout = dataDirLayout(dir);
    const dead = await exitedPid();
    const ghost = { pid: dead, token: 'ffffffffffffffff' };
    const outside = world.dir();
    fs.writeFileSync(path.join(outside, 'precious.txt'), 'not Stateward’s');
    const r = layout.restores;
    fakeCopy(r, 'aaaaaaaaaaaaaaa1', record('aaaaaaaaaaaaaaa1', 'drilling', ghost, true));
    fakeCopy(
      r,
      `.stateward-tmp-${dead}-0badc0de-aaaaaaaaaaaaaaa2`,
      record('aaaaaaaaaaaaaaa2', 'copying', ghost),
      {
        'preflight.json': '{}',
      },
    );
    fakeCopy(r, 'aaaaaaaaaaaaaaa3', null); // an older version's copy that died before its record
    fakeCopy(r, 'aaaaaaaaaaaaaaa4', record('aaaaaaaaaaaaaaa4', 'staged', ghost)); // a user's restore
    fakeCopy(r, 'aaaaaaaaaaaaaaa5', record('aaaaaaaaaaaaaaa5', 'copying', ghost, true), {
      'notes.txt': 'the user put this here',
    });
    // A verify copy of this (live) process, a temporary folder of a live process.
    fakeCopy(r, 'aaaaaaaaaaaaaaa6', record('aaaaaaaaaaaaaaa6', 'drilling', THIS_PROCESS, true));
    fakeCopy(r, `.stateward-tmp-${process.pid}-0badc0de-aaaaaaaaaaaaaaa7`, null);
    // Symlinks: one named like a dead verify's copy, one in place of a copy's database.
    const linked = path.join(outside, 'linked');
    fakeCopy(outside, 'linked', record('aaaaaaaaaaaaaaa8', 'copying', ghost, true));
    fs.symlinkSync(linked, path.join(r, 'aaaaaaaaaaaaaaa8'));
    const withLink = fakeCopy(
      r,
      'aaaaaaaaaaaaaaa9',
      record('aaaaaaaaaaaaaaa9', 'copying', ghost, true),
    );
    fs.rmSync(path.join(withLink, 'stateward.db'));
    fs.symlinkSync(path.join(outside, 'precious.txt'), path.join(withLink, 'stateward.db'));
    // Names Stateward never writes.
    fs.mkdirSync(path.join(r, 'x.tmp'));
    fs.writeFileSync(path.join(r, '.tmp-123-notes'), 'not ours');
    fs.mkdirSync(layout.drills, { recursive: true });
    fs.writeFileSync(path.join(layout.drills, `.0123456789abcdef.json.${dead}.tmp`), '{');
    fs.writeFileSync(path.join(layout.drills, `.0123456789abcdef.json.${process.pid}.tmp`), '{');
    fs.writeFileSync(path.join(layout.drills, 'my-notes.tmp'), 'mine');

    const rt = await lockingStart(dir);
    expect(fs.readdirSync(r).sort()).toEqual(
      [
        '.tmp-123-notes',
        `.stateward-tmp-${process.pid}-0badc0de-aaaaaaaaaaaaaaa7`,
        'aaaaaaaaaaaaaaa4',
        'aaaaaaaaaaaaaaa5',
        'aaaaaaaaaaaaaaa6',
        'aaaaaaaaaaaaaaa8',
        'aaaaaaaaaaaaaaa9',
        'x.tmp',
      ].sort(),
    );
    // Only the foreign file stays in the dead verify's folder; the symlinks were not followed.
    expect(fs.readdirSync(path.join(r, 'aaaaaaaaaaaaaaa5'))).toEqual(['notes.txt']);
    expect(fs.readdirSync(path.join(r, 'aaaaaaaaaaaaaaa9'))).toEqual(['stateward.db']);
    expect(fs.lstatSync(path.join(r, 'aaaaaaaaaaaaaaa9', 'stateward.db')).isSymbolicLink()).toBe(
      true,
    );
    expect(fs.readFileSync(path.join(outside, 'precious.txt'), 'utf8')).toBe('not Stateward’s');
    expect(fs.readdirSync(linked).sort()).toEqual(['restore.json', 'stateward.db']);
    expect(fs.readdirSync(layout.drills).sort()).toEqual(
      [`.0123456789abcdef.json.${process.pid}.tmp`, 'my-notes.tmp'].sort(),
    );
    // The user's restore is listed as interrupted (this process's verify copy is not listed).
    const listed = rt.restores.list().map((c) => [c.id, c.status]);
    expect(listed).toContainEqual(['aaaaaaaaaaaaaaa4', 'interrupted']);
    expect(listed.map(([id]) => id)).not.toContain('aaaaaaaaaaaaaaa6');
    rt.close();

    // A restores "folder" that is a file: the start still succeeds.
    const other = world.dir();
    fs.writeFileSync(dataDirLayout(other).restores, 'not a folder');
    await lockingStart(other);
  });

  it('a copy another live process is drilling shows as in progress and cannot be discarded; once it dies, it can', async () => {
    const dir = world.dir();
    const rt = await lockingStart(dir);
    const { child, line } = await spawnUntilLine(world, [
      path.join(HELPERS_DIR, 'lock-holder.ts'),
      path.join(world.dir(), 'some.lock'),
    ]);
    expect(line).toBe(`locked ${child.pid}`);
    const id = 'bbbbbbbbbbbbbbb1';
    fakeCopy(rt.layout.restores, id, record(id, 'drilling', { pid: child.pid, token: 'x' }));
    const reg = testRegistry(rt);
    expect(rt.restores.list().map((c) => c.status)).toEqual(['in-progress']);
    expect((await callError(reg, 'restores.discard', { restoreId: id })).code).toBe('CONFLICT');
    expect(fs.existsSync(path.join(rt.layout.restores, id, 'stateward.db'))).toBe(true);
    await child.kill();
    expect(rt.restores.list().map((c) => c.status)).toEqual(['interrupted']);
    const r = await reg.dispatch('restores.discard', { restoreId: id });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(fs.readdirSync(rt.layout.restores)).toEqual([]);
  });
});
