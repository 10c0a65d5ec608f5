// Retention: which backups go. A table of cases for the pure selectForDeletion,
// then prune() on real files (backups folder and off-site copies).
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import type { RetentionItem } from '../../electron/core/backup/retention.ts';
import { _forTests, selectForDeletion } from '../../electron/core/backup/retention.ts';
import { manifestNameFor } from '../../electron/core/backup/manifest.ts';
import { listAudit } from '../../electron/core/store/resources/audit.ts';
import type { BackupKind, RetentionPolicy } from '../../shared/domain.ts';
import { seededRuntime } from '../helpers/backup-util.ts';
import { readyDb } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';
import { runSqlite, SQLITE } from '../../electron/core/store/sql.ts';

const world = useWorld();

/** `2024-02-29T13:00` (UTC) → ms. */
const at = (iso: string) => Date.parse(`${iso.length === 10 ? `${iso}T12:00` : iso}:00Z`);

function item(
  id: string,
  iso: string,
  kind: BackupKind = 'scheduled',
  verified = false,
): RetentionItem {
  return { id, kind, createdAt: at(iso), verified };
}

const policy = (keepLast: number, daily = 0, weekly = 0, monthly = 0): RetentionPolicy => ({
  keepLast,
  daily,
  weekly,
  monthly,
});

/** One backup a day, ids `d<YYYY-MM-DD>`, from `from` through `to` (inclusive). */
function daily(from: string, to: string): RetentionItem[] {
  const out: RetentionItem[] = [];
  for (let t = at(from); t <= at(to); t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    out.push({ id: `d${day}`, kind: 'scheduled', createdAt: t, verified: false });
  }
  return out;
}

const offForAYear = [...daily('2024-01-01', '2024-02-29'), item('new', '2025-03-15')];

interface Case {
  name: string;
  items: RetentionItem[];
  policy: RetentionPolicy;
  /** Exactly these are deleted… */
  deleted?: string[];
  /** …or exactly these are kept (everything else deleted). */
  kept?: string[];
}

const CASES: Case[] = [
  {
    name: 'empty input',
    items: [],
    policy: policy(1),
    deleted: [],
  },
  {
    name: 'keepLast only: the newest N stay',
    items: [
      item('a', '2026-01-01'),
      item('b', '2026-01-02'),
      item('c', '2026-01-03'),
      item('d', '2026-01-04'),
      item('e', '2026-01-05'),
    ],
    policy: policy(3),
    deleted: ['a', 'b'],
  },
  {
    name: 'keepLast larger than the number of backups deletes nothing',
    items: [item('a', '2026-01-01'), item('b', '2026-01-02')],
    policy: policy(10),
    deleted: [],
  },
  {
    name: 'input order does not matter',
    items: [item('c', '2026-01-03'), item('a', '2026-01-01'), item('b', '2026-01-02')],
    policy: policy(1),
    deleted: ['a', 'b'],
  },
  {
    name: 'daily: the newest of each of the last D days that have backups',
    items: [
      item('d1-early', '2026-03-01T01:00'),
      item('d1-late', '2026-03-01T13:00'),
      item('d2-early', '2026-03-02T02:00'),
      item('d2-late', '2026-03-02T20:00'),
      item('d3', '2026-03-03T05:00'),
      item('d5', '2026-03-05T06:00'),
    ],
    policy: policy(1, 3),
    kept: ['d5', 'd3', 'd2-late'],
  },
  {
    name: 'weekly: ISO weeks across a year boundary (2020-W53 spans Dec 28 – Jan 3)',
    items: [
      item('2020-12-28 (2020-W53)', '2020-12-28'),
      item('2021-01-03 (2020-W53)', '2021-01-03'),
      item('2021-01-04 (2021-W01)', '2021-01-04'),
      item('2021-01-10 (2021-W01)', '2021-01-10'),
      item('2021-01-11 (2021-W02)', '2021-01-11'),
    ],
    policy: policy(1, 0, 3),
    kept: ['2021-01-11 (2021-W02)', '2021-01-10 (2021-W01)', '2021-01-03 (2020-W53)'],
  },
  {
    name: 'weekly: 2024-12-30 belongs to 2025-W01 together with 2025-01-05',
    items: [
      item('2024-12-29 (2024-W52)', '2024-12-29'),
      item('2024-12-30 (2025-W01)', '2024-12-30'),
      item('2025-01-05 (2025-W01)', '2025-01-05'),
      item('2025-01-06 (2025-W02)', '2025-01-06'),
    ],
    policy: policy(1, 0, 3),
    kept: ['2025-01-06 (2025-W02)', '2025-01-05 (2025-W01)', '2024-12-29 (2024-W52)'],
  },
  {
    name: 'monthly: the newest of each of the last M months that have backups',
    items: [
      item('jan-05', '2026-01-05'),
      item('jan-20', '2026-01-20'),
      item('feb-03', '2026-02-03'),
      item('feb-25', '2026-02-25'),
      item('apr-01', '2026-04-01'),
    ],
    policy: policy(1, 0, 0, 2),
    kept: ['apr-01', 'feb-25'],
  },
  {
    name: 'daily + weekly + monthly together keep the union',
    items: daily('2026-01-01', '2026-03-31'),
    policy: policy(2, 3, 3, 3),
    kept: [
      'd2026-03-31', // keepLast, daily, weekly (2026-W14), monthly
      'd2026-03-30', // keepLast, daily
      'd2026-03-29', // daily, and a Sunday: the newest of 2026-W13
      'd2026-03-22', // weekly: 2026-W12
      'd2026-02-28', // monthly
      'd2026-01-31', // monthly
    ],
  },
  {
    name: 'manual backups are never deleted and do not use up keepLast',
    items: [
      item('m-old', '2020-01-01', 'manual'),
      item('s1', '2026-01-01'),
      item('s2', '2026-01-02'),
      item('m-new', '2026-01-03', 'manual'),
    ],
    policy: policy(1),
    deleted: ['s1'],
  },
  {
    name: 'only manual backups: nothing to delete',
    items: [item('m1', '2026-01-01', 'manual'), item('m2', '2026-01-02', 'manual')],
    policy: policy(1),
    deleted: [],
  },
  {
    name: 'the newest verified backup stays even when old',
    items: [
      item('v-older', '2025-01-01', 'scheduled', true),
      item('v-newest', '2025-06-01', 'scheduled', true),
      item('s1', '2026-01-01'),
      item('s2', '2026-01-02'),
    ],
    policy: policy(1),
    deleted: ['v-older', 's1'],
  },
  {
    name: 'the newest pre-upgrade backup stays even when old',
    items: [
      item('pu-old', '2025-01-01', 'pre-upgrade'),
      item('pu-new', '2025-06-01', 'pre-upgrade'),
      item('s1', '2026-01-01'),
      item('s2', '2026-01-02'),
    ],
    policy: policy(1),
    deleted: ['pu-old', 's1'],
  },
  {
    name: 'the newest pre-move backup (the local state before the move to PostgreSQL) stays',
    items: [
      item('pm-old', '2025-01-01', 'pre-move'),
      item('pm', '2025-02-01', 'pre-move'),
      item('s1', '2026-01-01'),
      item('s2', '2026-01-02'),
    ],
    policy: policy(1),
    deleted: ['pm-old', 's1'],
  },
  {
    name: 'pre-restore backups are pruned like scheduled ones',
    items: [item('pr', '2026-01-01', 'pre-restore'), item('s', '2026-01-02')],
    policy: policy(1),
    deleted: ['pr'],
  },
  {
    name: 'policy all zeros still keeps the newest',
    items: [item('a', '2026-01-01'), item('b', '2026-01-02'), item('c', '2026-01-03')],
    policy: policy(0, 0, 0, 0),
    deleted: ['a', 'b'],
  },
  {
    // Off for a year: the old daily/weekly/monthly keepers are not thrown away for being old.
    // The one new backup takes one slot of each count (it is the newest day, week and
    // month), so exactly the oldest keeper of keepLast/daily (Feb 23) and of weekly
    // (Feb 11, 2024-W06) fall out; everything else that was kept stays kept.
    name: 'machine off for months, then one new backup: old keepers are not deleted for being old',
    items: offForAYear,
    policy: policy(7, 7, 4, 6),
    kept: [
      'new',
      'd2024-02-29',
      'd2024-02-28',
      'd2024-02-27',
      'd2024-02-26',
      'd2024-02-25',
      'd2024-02-24',
      'd2024-02-18', // weekly: 2024-W07
      'd2024-01-31', // monthly: January 2024
    ],
  },
];

describe('selectForDeletion', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const got = selectForDeletion(c.items, c.policy);
    const all = c.items.filter((i) => i.kind !== 'manual').map((i) => i.id);
    const expected = c.deleted ?? all.filter((id) => !new Set(c.kept).has(id));
    expect([...got].sort()).toEqual([...expected].sort());
    expect(new Set(got).size, 'an id listed twice').toBe(got.length);
  });

  it('off for a year: before and after the one new backup, at most one keeper per count falls out', () => {
    const p = policy(7, 7, 4, 6);
    const old = daily('2024-01-01', '2024-02-29');
    const keptBefore = new Set(old.map((i) => i.id));
    for (const id of selectForDeletion(old, p)) keptBefore.delete(id);
    const deletedAfter = new Set(selectForDeletion(offForAYear, p));
    const lost = [...keptBefore].filter((id) => deletedAfter.has(id)).sort();
    expect(lost).toEqual(['d2024-02-11', 'd2024-02-23']);
    // A year and more later, still: the newest backup of Jan 2024 is kept (monthly).
    expect(deletedAfter.has('d2024-01-31')).toBe(false);
  });

  it('never deletes the newest backup, whatever the policy (sampled policies)', () => {
    const items = daily('2025-11-01', '2026-02-15');
    for (const p of [
      policy(0),
      policy(1),
      policy(1, 1, 1, 1),
      policy(0, 0, 5, 0),
      policy(3, 0, 0, 1),
    ])
      expect(selectForDeletion(items, p)).not.toContain('d2026-02-15');
  });

  it.each([
    ['2020-12-31', '2020-W53'],
    ['2021-01-03', '2020-W53'],
    ['2021-01-04', '2021-W01'],
    ['2024-12-30', '2025-W01'],
    ['2026-01-01', '2026-W01'],
    ['2027-01-01', '2026-W53'],
    ['2026-06-15', '2026-W25'],
  ])('weekKey(%s) = %s (ISO 8601)', (day, week) => {
    expect(_forTests.weekKey(at(day))).toBe(week);
  });
});

describe('BackupService.prune on real files', () => {
  it('deletes exactly what it reports, in backups/ and off-site, with a backup.pruned audit entry each', async () => {
    let fake = Date.UTC(2026, 2, 1, 3, 0);
    const rt = await seededRuntime(world, 30, { now: () => fake });
    const offsite = world.dir();
    // Nothing is pruned while the backups are being made.
    rt.backups.saveSettings({
      offsiteDir: offsite,
      retention: { keepLast: 1000, daily: 0, weekly: 0, monthly: 0 },
    });
    const kinds: BackupKind[] = [
      'scheduled',
      'pre-upgrade',
      'scheduled',
      'scheduled',
      'manual',
      'scheduled',
    ];
    const made: { id: string; kind: BackupKind; fileName: string }[] = [];
    for (const kind of kinds) {
      fake += 86_400_000;
      const e = await rt.backups.run({ kind, compact: false });
      made.push({ id: e.id, kind, fileName: e.fileName });
    }
    const files = (dir: string) => fs.readdirSync(dir).sort();
    expect(files(offsite)).toHaveLength(made.length * 2);

    rt.backups.saveSettings({ retention: { keepLast: 2, daily: 0, weekly: 0, monthly: 0 } });
    const removed = await rt.backups.prune();
    // Newest two scheduled (days 6 and 4) stay, the pre-upgrade stays, manual stays.
    expect([...removed].sort()).toEqual([made[0]!.id, made[2]!.id].sort());
    for (const m of made) {
      const gone = removed.includes(m.id);
      for (const dir of [rt.layout.backups, offsite]) {
        expect(fs.existsSync(path.join(dir, m.fileName)), `${m.kind} ${dir}`).toBe(!gone);
        expect(fs.existsSync(path.join(dir, manifestNameFor(m.fileName))), `${m.kind} ${dir}`).toBe(
          !gone,
        );
      }
    }
    expect(files(rt.layout.backups)).toHaveLength((made.length - removed.length) * 2);
    expect(
      rt.backups
        .list()
        .map((e) => e.id)
        .sort(),
    ).toEqual(
      made
        .filter((m) => !removed.includes(m.id))
        .map((m) => m.id)
        .sort(),
    );
    const pruned = runSqlite(
      readyDb(rt),
      listAudit(SQLITE, { offset: 0, limit: 50, action: 'backup.pruned' }),
    ).items;
    expect(pruned.map((a) => a.target).sort()).toEqual(removed.map((id) => `backup:${id}`).sort());
    // Idempotent: nothing more to prune.
    expect(await rt.backups.prune()).toEqual([]);
  });

  it('a scheduled run prunes by the settings; manual runs never prune', async () => {
    let fake = Date.UTC(2026, 4, 1);
    const rt = await seededRuntime(world, 10, { now: () => fake });
    rt.backups.saveSettings({ retention: { keepLast: 1, daily: 0, weekly: 0, monthly: 0 } });
    for (let i = 0; i < 3; i++) {
      fake += 3_600_000;
      await rt.backups.run({ kind: 'manual', compact: false });
    }
    expect(rt.backups.list()).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      fake += 3_600_000;
      await rt.backups.run({ kind: 'scheduled', compact: false });
    }
    const left = rt.backups.list();
    expect(left.filter((e) => e.kind === 'manual')).toHaveLength(3);
    expect(left.filter((e) => e.kind === 'scheduled')).toHaveLength(1);
    expect(left.find((e) => e.kind === 'scheduled')!.createdAt).toBe(fake);
  });
});
