// Fault injection for the crash tests: when STATEWARD_FAULT names a point, the
// process kills itself there with SIGKILL, as a power cut or `kill -9` would.
// Unset in normal use, where this is a no-op.
export function faultPoint(name: string): void {
  if (process.env.STATEWARD_FAULT === name) process.kill(process.pid, 'SIGKILL');
}

/**
 * The hang tests: when STATEWARD_FAULT names this point, the process stops
 * there for good with its event loop blocked (so it answers nothing and
 * ignores SIGTERM, as a deadlocked process would).
 */
export function faultHang(name: string): void {
  if (process.env.STATEWARD_FAULT !== name) return;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(cell, 0, 0);
}
