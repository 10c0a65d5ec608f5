// The real `stateward` executable (bin/stateward.mjs) as a user runs it, in a child process.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './child.ts';
import type { World } from './world.ts';

export const BIN = path.join(REPO_ROOT, 'bin', 'stateward.mjs');
/** A timeout for tests that start the real executable several times (slow on a loaded machine). */
export const SPAWNS_TIMEOUT = 120_000;
const run = promisify(execFile);

export interface BinRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The one JSON object a `--json` run printed on stdout (undefined without one). */
  json: Record<string, unknown> | undefined;
}

/** Run `stateward <args…>` to its end; never rejects for a non-zero exit. */
export async function stateward(args: string[], env: NodeJS.ProcessEnv = {}): Promise<BinRun> {
  const r = await run(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
  }).then(
    (ok) => ({ code: 0, stdout: ok.stdout, stderr: ok.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  const lines = r.stdout.split('\n').filter(Boolean);
  const json =
    args.includes('--json') && lines.length === 1
      ? (JSON.parse(lines[0]!) as Record<string, unknown>)
      : undefined;
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, json };
}

/**
 * Start `stateward <args…>` in its own process group (so a test can SIGKILL it with
 * whatever it runs); killed after the test.
 */
export function spawnStateward(world: World, args: string[]): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  world.defer(() => killGroup(child));
  return child;
}

/** SIGKILL a spawned process and its group, and wait until it has exited. */
export async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
  await exited;
}
