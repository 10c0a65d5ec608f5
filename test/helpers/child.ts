// Real child processes: one holding the data-dir lock, one that has already exited.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { World } from './world.ts';

export const HELPERS_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HELPERS_DIR, '../..');

export interface Child {
  readonly pid: number;
  readonly proc: ChildProcess;
  /** SIGKILL it and wait until it is gone. */
  kill(): Promise<void>;
}

function waitExit(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', () => resolve()));
}

/** Spawn a node script and wait for its first stdout line; killed after the test. */
export async function spawnUntilLine(
  world: World,
  args: string[],
  timeoutMs = 10_000,
): Promise<{ child: Child; line: string }> {
  const proc = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const child: Child = {
    pid: proc.pid!,
    proc,
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await waitExit(proc);
    },
  };
  world.defer(() => child.kill());
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`child gave no output in ${timeoutMs} ms: ${err}`)),
      timeoutMs,
    );
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    proc.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code ?? signal}) before its first line: ${err}`));
    });
  });
  return { child, line };
}

/** A separate process holding `lockFile` until killed. */
export async function holdLockInChild(
  world: World,
  lockFile: string,
  mode = 'test-child',
): Promise<Child> {
  const { child, line } = await spawnUntilLine(world, [
    path.join(HELPERS_DIR, 'lock-holder.ts'),
    lockFile,
    mode,
  ]);
  if (line !== `locked ${child.pid}`) throw new Error(`unexpected lock-holder output: ${line}`);
  return child;
}

/** The pid of a process that has run and exited (for stale locks). */
export async function exitedPid(): Promise<number> {
  const proc = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await waitExit(proc);
  return proc.pid!;
}
