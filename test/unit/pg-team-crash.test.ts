// `stateward postgres connect` killed at every step it takes in the data dir
// (strace kill-after-syscall injection): database.json is always the old
// binding or the new one, never torn, and the data dir starts; running the
// command again finishes the job.
import { describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Binding } from '../../electron/core/pg/binding.ts';
import { readBinding, writeBinding } from '../../electron/core/pg/binding.ts';
import { cli } from '../helpers/cli.ts';
import { pgSkipReason, usePgDatabase } from '../helpers/pg.ts';
import {
  DATA_SYSCALLS,
  faultSpecs,
  HAVE_STRACE,
  inPool,
  killAt,
  NAME_SYSCALLS,
  specLabel,
  specsBySyscall,
  sweptElsewhere,
  traceCli,
} from '../helpers/syscall-sweep.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const skip = pgSkipReason();

describe.skipIf(skip !== null || !HAVE_STRACE)('postgres connect killed mid-way (strace)', () => {
  const db = usePgDatabase();

  it('leaves the old binding or the new one at every name change and write, and a rerun binds', async () => {
    const newSchema = `crash_${crypto.randomBytes(4).toString('hex')}`;
    const url = `${db.url()}&schema=${newSchema}`;
    const old: Binding = {
      backend: 'postgres',
      host: 'old-host.internal',
      port: 5432,
      database: 'old',
      user: 'ann',
      sslmode: 'verify-full',
      schema: 'old_schema',
    };
    const template = world.dir();
    writeBinding(template, old);
    const copy = () => {
      const dir = world.dir();
      fs.cpSync(template, dir, { recursive: true });
      return dir;
    };
    const work = world.dir();
    const args = (dir: string) => ['--data-dir', dir, 'postgres', 'connect', url];
    const base = copy();
    const { run: traced, events } = await traceCli(
      path.join(work, 'trace.txt'),
      [...NAME_SYSCALLS, ...DATA_SYSCALLS],
      args(base),
    );
    expect(traced.code, traced.stderr).toBe(0);
    // Every name change, every sync of the data dir itself (right after a rename: killing
    // there is killing just after it), and any write to database.json in place (there is none
    // while it is replaced by a rename).
    const file = path.join(base, 'database.json');
    const { specs } = faultSpecs(events, base, {
      dataFiles: [base, file],
      pickData: (e) => e.file === file || e.syscall === 'fsync',
      skip: sweptElsewhere,
    });
    expect(specs.map((x) => x.syscall)).toEqual(expect.arrayContaining(['rename', 'fsync']));
    const outcomes = await inPool(specs, 2, async (spec, i) => {
      const dir = copy();
      const { run, hit } = await killAt(spec, dir, path.join(work, `kill-${i}.txt`), args(dir));
      const label = specLabel(spec);
      if (!hit) expect(run.code, `${label}: not killed, so it must have finished`).toBe(0);
      // Whole and valid: the old binding or the new one.
      const binding = readBinding(dir);
      const bound = binding.backend === 'postgres' ? binding.schema : 'sqlite';
      expect(['old_schema', newSchema], label).toContain(bound);
      // Running it again finishes the job (the schema was initialized by one run or another).
      const again = await cli('--data-dir', dir, '--json', 'postgres', 'connect', url);
      expect(again.code, `${label}: ${again.stderr}`).toBe(0);
      expect(readBinding(dir)).toMatchObject({ backend: 'postgres', schema: newSchema });
      return { killed: hit !== null, bound };
    });
    const kills = outcomes.filter((o) => o.killed);
    console.log(
      `postgres connect sweep: ${kills.length} kills at ${specs.length} fault points (${specsBySyscall(specs)}); ` +
        `${kills.filter((o) => o.bound === 'old_schema').length} left the old binding, ${kills.filter((o) => o.bound === newSchema).length} the new one`,
    );
    expect(kills.some((o) => o.bound === 'old_schema')).toBe(true);
    expect(kills.some((o) => o.bound === newSchema)).toBe(true);
  }, 180_000);
});
