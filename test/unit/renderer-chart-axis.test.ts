// The backup chart's time axis (issue 10.11): one backup, or a few seconds apart, get one
// tick at their time, not a row of ticks over a made-up 45 seconds.
import { describe, expect, it } from 'vitest';
import { byteTicks, timeAxis } from '../../renderer/src/chartAxis.ts';

const T = Date.UTC(2026, 10, 27, 13, 52, 14);

describe('timeAxis', () => {
  it('one backup: one tick, at its time, inside the range', () => {
    const a = timeAxis([T], 6);
    expect(a.ticks).toEqual([T]);
    expect(a.from).toBeLessThan(T);
    expect(a.to).toBeGreaterThan(T);
  });
  it('backups seconds apart: still one tick', () => {
    expect(timeAxis([T, T + 20_000, T + 45_000], 6).ticks).toHaveLength(1);
  });
  it('backups hours apart: round ticks across the span, at most the maximum', () => {
    const a = timeAxis([T, T + 5 * 3_600_000], 6);
    expect(a.ticks.length).toBeGreaterThan(1);
    expect(a.ticks.length).toBeLessThanOrEqual(6);
    for (const t of a.ticks) {
      expect(t).toBeGreaterThanOrEqual(a.from);
      expect(t).toBeLessThanOrEqual(a.to);
    }
  });
  it('no backups: no ticks', () => {
    expect(timeAxis([], 6).ticks).toEqual([]);
  });
});

describe('byteTicks', () => {
  it('starts at 0 and covers the largest backup', () => {
    const ticks = byteTicks(320 * 1024);
    expect(ticks[0]).toBe(0);
    expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(320 * 1024);
  });
});
