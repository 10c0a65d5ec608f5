// Fault injection for the crash tests: when STATEWARD_FAULT names a point, the
// process kills itself there with SIGKILL, as a power cut or `kill -9` would.
// Unset in normal use, where this is a no-op.
export function faultPoint(name: string): void {
  if (process.env.STATEWARD_FAULT === name) process.kill(process.pid, 'SIGKILL');
}
