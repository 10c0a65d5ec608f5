// Exactly one owner of a data directory: several processes starting at once on
// the same data dir (none, a stale or a torn lock present) never both hold it;
// a process killed at any step of taking it leaves a lock the next start takes.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDirLock, readLock } from '../../electron/core/lock.ts';
import type { LineChild } from '../helpers/backup-util.ts';
import { spawnLines } from '../helpers/backup-util.ts';
import { exitedPid, HELPERS_DIR } from '../helpers/child.ts';
import { HAVE_STRACE, killAtCallArgs, parseTrace, straceNode } from '../helpers/syscall-sweep.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const RACERS = 4;
const TRIALS = 15;
const LONG_AGO = new Date(Date.now() - 3_600_000);

type Before = 'no lock' | 'a stale lock' | 'a torn (empty) lock';
const CASES: Before[] = ['no lock', 'a stale lock', 'a torn (empty) lock'];

function prepare(file: string, before: Before, deadPid: number): void {
  if (before === 'a stale lock')
    fs.writeFileSync(
      file,
      JSON.stringify({ pid: deadPid, host: os.hostname(), mode: 'app', since: 1, token: 'old' }),
    );
  if (before === 'a torn (empty) lock') {
    fs.writeFileSync(file, '');
    fs.utimesSync(file, LONG_AGO, LONG_AGO); // left by a crash long ago
  }
}

async function race(before: Before): Promise<void> {
  const dir = world.dir();
  const file = path.join(dir, 'stateward.lock');
  const deadPid = await exitedPid();
  const racers: LineChild[] = [];
  for (let i = 0; i < RACERS; i++)
    racers.push(spawnLines(world, [path.join(HELPERS_DIR, 'lock-racer.ts'), file]));
  await Promise.all(racers.map((r) => r.waitLine((l) => l === 'ready')));

  const owners: number[][] = [];
  for (let trial = 1; trial <= TRIALS; trial++) {
    prepare(file, before, deadPid);
    for (const r of racers) r.proc.kill('SIGUSR1');
    const said = await Promise.all(racers.map((r) => r.waitLine((l) => l.startsWith(`${trial} `))));
    const won = racers.filter((_, i) => said[i] === `${trial} owner`).map((r) => r.pid);
    owners.push(won);
    for (const [i, line] of said.entries())
      if (line !== `${trial} owner`)
        expect(line, `trial ${trial}, racer ${i}`).toBe(`${trial} refused DATA_DIR_LOCKED`);
    // The one owner is the one the lock file names, while everyone else has given up.
    if (won.length === 1) expect(readLock(file)?.pid, `trial ${trial}`).toBe(won[0]);
    for (const r of racers) r.proc.kill('SIGUSR2');
    await Promise.all(racers.map((r) => r.waitLine((l) => l === `${trial} released`)));
    // Nothing left behind: no lock, no temp files, no takeover markers.
    expect(fs.readdirSync(dir), `trial ${trial}`).toEqual([]);
  }
  expect(
    owners.map((w) => w.length),
    `owners per trial (${before})`,
  ).toEqual(Array<number>(TRIALS).fill(1));
}

describe(`${RACERS} processes taking the same data-dir lock at once, ${TRIALS} trials each`, () => {
  it.each(CASES)(
    'with %s present: exactly one owner every time',
    async (before) => {
      await race(before);
    },
    60_000,
  );
});

/** `strace -f -qq <straceArgs> node lock-holder.ts <file> sweep release`: takes the lock, releases it, exits. */
const straceHolder = (straceArgs: string[], file: string) =>
  straceNode(straceArgs, path.join(HELPERS_DIR, 'lock-holder.ts'), [file, 'sweep', 'release']);

describe.runIf(HAVE_STRACE)(
  'killed right before each name change of taking (and releasing) the lock',
  () => {
    it.each(CASES)(
      'with %s present: the next start takes the lock, and nothing is left behind',
      async (before) => {
        const dir = world.dir();
        const file = path.join(dir, 'stateward.lock');
        const deadPid = await exitedPid();
        const traceFile = path.join(world.dir(), 'trace');
        prepare(file, before, deadPid);
        const traced = await straceHolder(['-o', traceFile, '-e', 'trace=link,unlink'], file);
        expect(traced.code, traced.stderr).toBe(0);
        const calls = parseTrace(fs.readFileSync(traceFile, 'utf8'));
        const points = calls.filter((e) => !e.failed && e.file?.startsWith(dir + '/'));
        expect(points.length).toBeGreaterThanOrEqual(before === 'no lock' ? 3 : 8);
        for (const e of points) {
          // strace counts every call of the syscall, failed ones too.
          const when = calls.filter((c) => c.syscall === e.syscall && c.index <= e.index).length;
          const label = `${e.syscall} ${path.basename(e.file!)} (#${when})`;
          for (const name of fs.readdirSync(dir)) fs.rmSync(path.join(dir, name));
          prepare(file, before, deadPid);
          const killed = await straceHolder(killAtCallArgs(e.syscall, { when }), file);
          expect(killed.signal, label).toBe('SIGKILL');
          const lock = DataDirLock.acquire(file, 'next');
          expect(readLock(file)?.pid, label).toBe(process.pid);
          expect(fs.readdirSync(dir), label).toEqual(['stateward.lock']);
          lock.release();
          expect(fs.readdirSync(dir), label).toEqual([]);
        }
      },
      60_000,
    );
  },
);
