// The drill's boot step in the desktop app: the host entry (dist-electron/serve.js)
// runs as an Electron utility process instead of a second Electron binary.
import { utilityProcess } from 'electron';
import type { BootChild, HostSpawner } from '../core/restore/boot.ts';
import { UTILITY_ARGS_ENV } from '../core/restore/boot.ts';

export function utilityHostSpawner(entry: string): HostSpawner {
  return {
    kind: 'electron-utility',
    spawn(args, env, cwd) {
      const child = utilityProcess.fork(entry, [], {
        env: { ...env, [UTILITY_ARGS_ENV]: JSON.stringify(args) },
        cwd,
        stdio: 'pipe',
        serviceName: 'Stateward restore drill',
      });
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.once('exit', (code) => resolve({ code, signal: null })),
      );
      let gone = false;
      void exited.then(() => (gone = true));
      const booted: BootChild = {
        get pid() {
          return child.pid;
        },
        stdout: child.stdout,
        stderr: child.stderr,
        exited,
        kill(signal) {
          if (gone) return;
          // utilityProcess.kill() is SIGTERM on POSIX; a process that ignores it is killed outright.
          if (signal === 'SIGTERM' || child.pid === undefined) child.kill();
          else process.kill(child.pid, 'SIGKILL');
        },
      };
      return booted;
    },
  };
}
