// A backup process SIGKILLed at random moments: what it leaves behind is either
// a `.tmp-*` temporary (removed by the next lock holder) or a complete, checked
// backup — never a half backup under a real name — and the live database and
// its lock survive it.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  manifestSchema,
  parseBackupFileName,
  TEMP_PREFIX,
} from '../../electron/core/backup/manifest.ts';
import { EMBEDDED_MANIFEST_TABLE } from '../../electron/core/backup/worker.ts';
import { rng } from '../../electron/core/demo.ts';
import { readLock } from '../../electron/core/lock.ts';
import { startRuntime } from '../../electron/core/runtime.ts';
import { readHeader } from '../../electron/core/store/db.ts';
import { manifestPathOf, seededRuntime, spawnLines, tableCounts } from '../helpers/backup-util.ts';
import { HELPERS_DIR } from '../helpers/child.ts';
import { readyDb } from '../helpers/runtime.ts';
import { sha256File } from '../helpers/store.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const KILLS = 16;
const DEPLOYMENTS = 66_000; // ≈ 20 MB with the demo seeder

function quickCheck(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('PRAGMA quick_check').raw().all() as unknown[][])
      .map((r) => String(r[0]))
      .join('; ');
  } finally {
    db.close();
  }
}

function embeddedId(file: string): string | null {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare(`SELECT value FROM ${EMBEDDED_MANIFEST_TABLE} WHERE key = 'id'`)
      .get() as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as string) : null;
  } finally {
    db.close();
  }
}

/** Check every file in backups/ after a kill; returns what it found. */
function checkBackupsFolder(
  dir: string,
  label: string,
): { temps: string[]; whole: number; withoutManifest: number } {
  const temps: string[] = [];
  let whole = 0;
  let withoutManifest = 0;
  if (!fs.existsSync(dir)) return { temps, whole, withoutManifest };
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    if (name.startsWith(TEMP_PREFIX) || (name.startsWith('.') && name.endsWith('.tmp'))) {
      temps.push(name);
      continue;
    }
    if (name.endsWith('.manifest.json')) {
      // The manifest is renamed in just before its backup: alone, it is a leftover for the next start.
      const backup = path.join(dir, name.replace(/\.manifest\.json$/, '.sqlite'));
      if (!fs.existsSync(backup)) temps.push(name);
      continue;
    }
    expect(name, `${label}: unexpected file in backups/`).toMatch(/\.sqlite$/);
    // Whatever carries a real backup name must be a whole backup.
    const parsed = parseBackupFileName(name);
    expect(parsed, `${label}: ${name} is not a backup name`).not.toBeNull();
    const h = readHeader(file);
    expect(h.isSqlite, `${label}: ${name} is not SQLite`).toBe(true);
    expect(h.size, `${label}: ${name} is shorter than its pages (half written)`).toBe(
      h.pageSize * h.pageCount,
    );
    expect(quickCheck(file), `${label}: ${name} quick_check`).toBe('ok');
    expect(embeddedId(file), `${label}: ${name} embedded id`).toBe(parsed!.id);
    const mf = manifestPathOf(file);
    if (fs.existsSync(mf)) {
      const manifest = manifestSchema.parse(JSON.parse(fs.readFileSync(mf, 'utf8')));
      expect(manifest.fileName, `${label}: ${name} manifest names another file`).toBe(name);
      expect(sha256File(file), `${label}: ${name} sha256 vs manifest`).toBe(manifest.sha256);
      expect(h.size, `${label}: ${name} bytes vs manifest`).toBe(manifest.bytes);
      whole++;
    } else {
      withoutManifest++;
    }
    expect(withoutManifest, `${label}: ${name} is listed without its manifest`).toBe(0);
  }
  return { temps, whole, withoutManifest };
}

describe('a backup process killed at random moments', () => {
  it(`${KILLS} SIGKILLs across snapshot/verify/finalize leave no half backup and a healthy live db`, async () => {
    const seeded = await seededRuntime(world, DEPLOYMENTS);
    const dir = seeded.layout.dir;
    const baseline = tableCounts(readyDb(seeded));
    seeded.close();
    const userTables = ['projects', 'environments', 'config_snapshots', 'deployments'];
    const dbMb = (fs.statSync(seeded.layout.db).size / 1e6).toFixed(1);

    const script = path.join(HELPERS_DIR, 'backup-crash-child.ts');
    // Calibrate: when each phase starts and how long one uninterrupted backup takes in the child.
    const timing = {
      full: { snapshot: 0, verify: 0, finalize: 0, done: 0 },
      compact: { snapshot: 0, verify: 0, finalize: 0, done: 0 },
    };
    for (const mode of ['full', 'compact'] as const) {
      const calib = spawnLines(world, [script, dir, ...(mode === 'compact' ? ['--compact'] : [])]);
      await calib.waitLine((l) => l.startsWith('done'), 30_000);
      await calib.exited;
      const at = (prefix: string) =>
        Number(
          calib.lines.find((l) => l.startsWith(prefix))?.split(' ')[prefix === 'done' ? 1 : 2],
        );
      timing[mode] = {
        snapshot: at('phase snapshot'),
        verify: at('phase verify'),
        finalize: at('phase finalize'),
        done: at('done'),
      };
    }

    const seed = Number(process.env.BACKUP_CRASH_SEED ?? Date.now() % 1_000_000);
    // mulberry32 (the demo's): reproducible "random" kill delays; the seed is printed.
    const random = rng(seed);
    const report: string[] = [];
    const phasesHit = new Set<string>();
    for (let i = 0; i < KILLS; i++) {
      const compact = i % 3 === 1;
      const t = timing[compact ? 'compact' : 'full'];
      // Kills anywhere in the whole run (a little past its end too), and kills aimed at
      // each phase, counted from its first report, so every phase is hit whatever the
      // machine's load does to the timings.
      const aim =
        i % 8 === 0
          ? 'snapshot'
          : i % 4 === 2
            ? 'verify'
            : i % 4 === 3 || i % 8 === 1
              ? 'finalize'
              : 'anywhere';
      const window =
        aim === 'snapshot'
          ? Math.max(2, (t.verify - t.snapshot) / 2)
          : aim === 'verify'
            ? Math.max(2, t.finalize - t.verify)
            : aim === 'finalize'
              ? Math.max(2, (t.done - t.finalize) / 2) // a few ms: fsync, rename, manifest
              : t.done * 1.15;
      const delay = Math.round(random() * window);
      const child = spawnLines(world, [script, dir, ...(compact ? ['--compact'] : [])]);
      await child.waitLine((l) => l.startsWith('ready'));
      if (aim !== 'anywhere')
        await child.waitLine((l) => l.startsWith(`phase ${aim}`) || l.startsWith('done'));
      await new Promise((r) => setTimeout(r, delay));
      await child.kill();
      const phases = child.lines.filter((l) => l.startsWith('phase ')).map((l) => l.split(' ')[1]);
      const finished = child.lines.some((l) => l.startsWith('done'));
      const at = finished ? 'after done' : (phases[phases.length - 1] ?? 'before snapshot');
      phasesHit.add(at);
      const label = `kill ${i} (${compact ? 'compact' : 'full'}, ${aim} +${delay} ms, in ${at})`;

      // The killed child's lock is still there, naming a dead process.
      if (!finished) {
        expect(readLock(path.join(dir, 'stateward.lock'))?.pid, `${label}: lock file`).toBe(
          child.pid,
        );
      }
      const found = checkBackupsFolder(path.join(dir, 'backups'), label);
      report.push(
        `${label}: ${found.temps.length} temporaries, ${found.whole} whole backups, ${found.withoutManifest} checked backups without manifest`,
      );

      // The next lock holder takes over the stale lock and removes the temporaries.
      const rt = await startRuntime({
        dir,
        source: 'flag',
        transport: 'cli',
        lockMode: 'after-kill',
      });
      try {
        expect(rt.startup, `${label}: start after the kill`).toEqual({ state: 'ready' });
        expect(readLock(rt.layout.lock)?.pid, `${label}: stale lock not taken over`).toBe(
          process.pid,
        );
        const left = fs
          .readdirSync(rt.layout.backups)
          .filter(
            (n) =>
              n.startsWith(TEMP_PREFIX) ||
              n.endsWith('.tmp') ||
              n.endsWith('-journal') ||
              (n.endsWith('.manifest.json') &&
                !fs.existsSync(
                  path.join(rt.layout.backups, n.replace(/\.manifest\.json$/, '.sqlite')),
                )),
          );
        expect(left, `${label}: temporaries after the next start`).toEqual([]);
        const db = readyDb(rt);
        const integrity = (db.prepare('PRAGMA integrity_check').raw().all() as unknown[][])
          .map((r) => String(r[0]))
          .join('; ');
        expect(integrity, `${label}: live integrity_check`).toBe('ok');
        const counts = tableCounts(db);
        for (const t of userTables) expect(counts[t], `${label}: live ${t} rows`).toBe(baseline[t]);
        // Free the disk: the checked backups are not needed any more.
        for (const name of fs.readdirSync(rt.layout.backups))
          fs.rmSync(path.join(rt.layout.backups, name), { force: true });
      } finally {
        rt.close();
      }
    }
    console.log(
      `[backup-crash] db ${dbMb} MB, seed ${seed}, phase starts/done in ms ${JSON.stringify(timing)}; ` +
        `killed in: ${[...phasesHit].join(', ')}\n  ${report.join('\n  ')}`,
    );
    // The kills must actually have landed inside the backup, not only before or after it.
    const inside = ['snapshot', 'verify', 'finalize'].filter((p) => phasesHit.has(p));
    expect(inside, `kills landed only in ${[...phasesHit].join(', ')}`).toEqual([
      'snapshot',
      'verify',
      'finalize',
    ]);
  }, 120_000);
});
