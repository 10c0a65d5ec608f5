// Retention as a pure function: which backups to delete. Keeps the last N plus
// the newest backup of each of the most recent D days, W weeks and M months
// *that have backups* — buckets are counted back from the backups themselves,
// never from the clock, so a machine that was off for months keeps its old
// backups (kopia#3758 is the cautionary tale). Never deletes manual backups,
// the newest verified backup, the newest pre-upgrade backup, or the newest
// pre-move backup (the local state a move to PostgreSQL started from).
import type { BackupKind, RetentionPolicy } from '../../../shared/domain.ts';

export interface RetentionItem {
  id: string;
  kind: BackupKind;
  createdAt: number;
  verified: boolean;
}

const dayKey = (t: number) => new Date(t).toISOString().slice(0, 10);
const monthKey = (t: number) => new Date(t).toISOString().slice(0, 7);
function weekKey(t: number): string {
  // ISO week: weeks start on Monday; the week's Thursday decides the year.
  const d = new Date(t);
  const weekday = (d.getUTCDay() + 6) % 7;
  const thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - weekday + 3);
  const year = new Date(thursday).getUTCFullYear();
  const jan4 = Date.UTC(year, 0, 4);
  const week1Monday = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * 86_400_000;
  const week = Math.floor((thursday - week1Monday) / (7 * 86_400_000)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

function keepNewestPerBucket(
  sorted: RetentionItem[],
  count: number,
  key: (t: number) => string,
  keep: Set<string>,
): void {
  if (count <= 0) return;
  const seen = new Set<string>();
  for (const item of sorted) {
    const k = key(item.createdAt);
    if (seen.has(k)) continue;
    seen.add(k);
    keep.add(item.id);
    if (seen.size >= count) return;
  }
}

export function selectForDeletion(
  items: readonly RetentionItem[],
  policy: RetentionPolicy,
): string[] {
  const sorted = [...items].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  const candidates = sorted.filter((i) => i.kind !== 'manual');
  if (candidates.length === 0) return [];
  const keep = new Set<string>();
  // Whatever the policy says, the newest backup stays.
  for (const item of candidates.slice(0, Math.max(1, policy.keepLast))) keep.add(item.id);
  keepNewestPerBucket(candidates, policy.daily, dayKey, keep);
  keepNewestPerBucket(candidates, policy.weekly, weekKey, keep);
  keepNewestPerBucket(candidates, policy.monthly, monthKey, keep);
  const newestVerified = sorted.find((i) => i.verified);
  if (newestVerified) keep.add(newestVerified.id);
  // The rollback points: before the newest upgrade, and the local state before the move to PostgreSQL.
  for (const kind of ['pre-upgrade', 'pre-move'] as const) {
    const newest = sorted.find((i) => i.kind === kind);
    if (newest) keep.add(newest.id);
  }
  return candidates.filter((i) => !keep.has(i.id)).map((i) => i.id);
}

export const _forTests = { weekKey };
