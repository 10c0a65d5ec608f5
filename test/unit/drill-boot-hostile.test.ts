// The drill's boot step against a host that misbehaves: megabytes on stdout and
// stderr, its token and temporary folder in what it prints, a flood that never
// ends. The step fails with DRILL_BOOT_FAILED and a bounded excerpt (never the
// token or the temporary path), and leaves no process and no folder behind.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { bootCopy, nodeHostSpawner } from '../../electron/core/restore/boot.ts';
import type { HostSpawner } from '../../electron/core/restore/boot.ts';
import { startRuntime } from '../../electron/core/runtime.ts';
import { processAlive } from '../../electron/core/fsutil.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

async function emptyCopy(): Promise<string> {
  const dir = world.dir();
  const rt = await startRuntime({ dir, source: 'flag', transport: 'cli', lockMode: 't' });
  rt.close();
  return path.join(dir, 'stateward.db');
}

/** The host's place taken by `script` (run by node -e, in the temporary data dir). */
const scripted = (script: string): HostSpawner => ({
  kind: 'node',
  spawn: (_args, env, cwd) => nodeHostSpawner.spawn([], env, cwd, ['-e', script]),
});

const TOKEN = 'tok_' + 'Z'.repeat(30);

describe('boot step: a host that floods and leaks', () => {
  it('megabytes on both streams, its token and folder in them, then exit 1: a bounded excerpt without either', async () => {
    const copy = await emptyCopy();
    const tmpRoot = world.dir();
    const script = `
      const mb = 'x'.repeat(1024 * 1024);
      for (let i = 0; i < 4; i++) { process.stdout.write(mb); process.stderr.write(mb); }
      process.stderr.write('\\n<img src=x onerror=alert(1)> in ' + process.cwd() + '\\n');
      process.stderr.write('serve: Error: hostile at ' + process.cwd() + '\\n');
      process.exitCode = 1;`;
    let pid: number | null = null;
    const spawner: HostSpawner = {
      kind: 'node',
      spawn: (...a) => {
        const c = scripted(script).spawn(...a);
        pid = c.pid ?? null;
        return c;
      },
    };
    const r = await bootCopy(copy, {}, { tmpRoot, spawner, timeoutMs: 20_000 });
    expect(r.status).toBe('fail');
    expect(r.facts).toMatchObject({ code: 'DRILL_BOOT_FAILED', exitCode: 1 });
    const text = JSON.stringify(r);
    expect(text.length).toBeLessThan(16 * 1024);
    expect(text).not.toContain(tmpRoot);
    expect(r.detail).toContain('Error: hostile');
    expect(r.log!.length).toBeLessThanOrEqual(20);
    expect(fs.readdirSync(tmpRoot)).toEqual([]);
    expect(pid !== null && processAlive(pid)).toBe(false);
  });

  it('a host that says its token, then leaks it and its folder on stderr and stops serving: neither is in the report', async () => {
    const copy = await emptyCopy();
    const tmpRoot = world.dir();
    const leak = scripted(`
      for (let i = 0; i < 50; i++) process.stderr.write('request with ${TOKEN} in ' + process.cwd() + '\\n');
      setTimeout(() => process.stdout.write('running at http://127.0.0.1:1/#token=${TOKEN}\\n'), 100);
      setTimeout(() => process.exit(3), 200);`);
    const r = await bootCopy(copy, {}, { tmpRoot, spawner: leak, timeoutMs: 10_000 });
    expect(r.status).toBe('fail');
    expect(r.facts).toMatchObject({ code: 'DRILL_BOOT_FAILED' });
    expect(r.log!.length).toBeGreaterThan(0);
    const text = JSON.stringify(r);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(tmpRoot);
    expect(fs.readdirSync(tmpRoot)).toEqual([]);
  });

  it('a host that floods stdout without end and never listens: stopped at the timeout, nothing left', async () => {
    const copy = await emptyCopy();
    const tmpRoot = world.dir();
    let pid: number | null = null;
    const flood = scripted(
      `process.on('SIGTERM', () => {}); const mb = 'y'.repeat(1 << 20);
       const go = () => { while (process.stdout.write(mb)); process.stdout.once('drain', go); }; go();`,
    );
    const spawner: HostSpawner = {
      kind: 'node',
      spawn: (...a) => {
        const c = flood.spawn(...a);
        pid = c.pid ?? null;
        return c;
      },
    };
    const r = await bootCopy(copy, {}, { tmpRoot, spawner, timeoutMs: 3_000, graceMs: 300 });
    expect(r.status).toBe('fail');
    expect(r.facts).toMatchObject({ code: 'DRILL_BOOT_FAILED', timedOut: true });
    expect(JSON.stringify(r).length).toBeLessThan(16 * 1024);
    expect(fs.readdirSync(tmpRoot)).toEqual([]);
    expect(pid !== null && processAlive(pid)).toBe(false);
  });
});
