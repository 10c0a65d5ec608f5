// A throwaway PostgreSQL cluster for tests and CI: initdb into a temp dir as an
// unprivileged user (initdb refuses root; as root we run it as `nobody`), on a
// free loopback port with its socket in that dir, fsync off. The superuser
// `postgres` logs in with a random password over TCP (scram-sha-256), so a
// wrong password really fails; local socket connections are trusted.
//
// Also a command line for .ci/run (plain Node built-ins only):
//   node test/helpers/pg-cluster.ts start STATE_FILE   prints the URL, writes STATE_FILE
//   node test/helpers/pg-cluster.ts stop STATE_FILE    stops it, removes its dir
//   node test/helpers/pg-cluster.ts watch STATE_FILE PID   stops it when PID is gone
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Environment variables shared by the global setup and the tests (pg.ts). */
export const PG_URL_ENV = 'STATEWARD_TEST_PG_URL';
export const PG_RUN_ENV = 'STATEWARD_TEST_PG_RUN';
export const PG_SKIP_ENV = 'STATEWARD_TEST_PG_SKIP';

export interface ClusterState {
  dir: string;
  dataDir: string;
  bin: string;
  port: number;
  password: string;
  url: string;
  /** The uid/gid the server runs as (null: this process's own). */
  uid: number | null;
  gid: number | null;
}

export interface ClusterOptions {
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
  /** Replaces pg_hba.conf after initdb. */
  hba?: string;
  /** Files written into the cluster dir before start (owned by the server's user, 0600). */
  files?: Record<string, string>;
}

/** The newest /usr/lib/postgresql/<n>/bin that has initdb, pg_ctl and postgres; null when none. */
export function findPgBin(root = '/usr/lib/postgresql'): string | null {
  let versions: string[];
  try {
    versions = fs.readdirSync(root).filter((v) => /^\d+$/.test(v));
  } catch {
    return null;
  }
  versions.sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = path.join(root, v, 'bin');
    if (['initdb', 'pg_ctl', 'postgres'].every((b) => fs.existsSync(path.join(bin, b)))) return bin;
  }
  return null;
}

function nobody(): { uid: number; gid: number } {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('nobody:'));
  const f = line?.split(':');
  return { uid: Number(f?.[2] ?? 65534), gid: Number(f?.[3] ?? 65534) };
}

function run(
  cmd: string,
  args: string[],
  as: { uid: number | null; gid: number | null },
  cwd: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Locale and PG* variables of the caller must not leak into initdb / the server.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
      ...(as.uid === null ? {} : { uid: as.uid, gid: as.gid! }),
    });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (out += c.toString()));
    p.on('error', reject);
    p.on('exit', (code, signal) =>
      code === 0
        ? resolve(out)
        : reject(
            new Error(`${path.basename(cmd)} ${args[0] ?? ''} failed (${code ?? signal}): ${out}`),
          ),
    );
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function ownAs(file: string, uid: number | null, gid: number | null): void {
  if (uid !== null) fs.chownSync(file, uid, gid!);
}

/** initdb + start. Throws with the server's log when it cannot start. */
export async function startCluster(opts: ClusterOptions = {}): Promise<ClusterState> {
  const bin = findPgBin();
  if (bin === null) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  const isRoot = process.getuid?.() === 0;
  const { uid, gid } = isRoot ? nobody() : { uid: null, gid: null };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-pg-'));
  ownAs(dir, uid, gid);
  fs.chmodSync(dir, 0o700);
  const as = { uid, gid };
  try {
    const password = crypto.randomBytes(12).toString('hex');
    const pwfile = path.join(dir, 'pwfile');
    fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    ownAs(pwfile, uid, gid);
    const dataDir = path.join(dir, 'data');
    await run(
      path.join(bin, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        'postgres',
        `--pwfile=${pwfile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '--no-sync',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
      ],
      as,
      dir,
    );
    fs.rmSync(pwfile);
    if (opts.hba !== undefined) {
      const hba = path.join(dataDir, 'pg_hba.conf');
      fs.writeFileSync(hba, opts.hba);
      ownAs(hba, uid, gid);
    }
    for (const [name, text] of Object.entries(opts.files ?? {})) {
      const f = path.join(dir, name);
      fs.writeFileSync(f, text, { mode: 0o600 });
      ownAs(f, uid, gid);
    }
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: dir,
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: '120',
      ...opts.settings,
    };
    let lastError: unknown;
    // A port probed free can be taken before the server binds it: try a few.
    for (let tries = 0; tries < 3; tries++) {
      const port = await freePort();
      const o = Object.entries({ ...settings, port: String(port) })
        .map(([k, v]) => `-c ${k}=${v}`)
        .join(' ');
      try {
        await run(
          path.join(bin, 'pg_ctl'),
          ['start', '-D', dataDir, '-w', '-t', '60', '-l', path.join(dir, 'server.log'), '-o', o],
          as,
          dir,
        );
        return {
          dir,
          dataDir,
          bin,
          port,
          password,
          url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres?sslmode=disable`,
          uid,
          gid,
        };
      } catch (e) {
        let log = '';
        try {
          log = fs.readFileSync(path.join(dir, 'server.log'), 'utf8');
        } catch (readErr) {
          log = `(no server log: ${(readErr as Error).message})`;
        }
        lastError = new Error(`${(e as Error).message}\n${log}`);
      }
    }
    throw lastError;
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Stop at once (the data is thrown away) and remove the cluster's dir. */
export async function stopCluster(s: ClusterState): Promise<void> {
  try {
    await run(
      path.join(s.bin, 'pg_ctl'),
      ['stop', '-D', s.dataDir, '-m', 'immediate', '-w'],
      { uid: s.uid, gid: s.gid },
      s.dir,
    );
  } finally {
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Stop the cluster of `stateFile` once `pid` has gone (a test run killed before its teardown). */
async function watch(stateFile: string, pid: number): Promise<void> {
  for (;;) {
    await new Promise((r) => setTimeout(r, 2000));
    if (!fs.existsSync(stateFile)) return; // stopped normally
    if (!alive(pid)) {
      await stopCluster(JSON.parse(fs.readFileSync(stateFile, 'utf8')) as ClusterState);
      return;
    }
  }
}

async function cli(argv: string[]): Promise<void> {
  const [cmd, stateFile, pid] = argv;
  if (!stateFile || (cmd !== 'start' && cmd !== 'stop' && cmd !== 'watch')) {
    process.stderr.write('usage: pg-cluster.ts start|stop STATE_FILE | watch STATE_FILE PID\n');
    process.exit(2);
  }
  if (cmd === 'watch') {
    await watch(stateFile, Number(pid));
  } else if (cmd === 'start') {
    const s = await startCluster();
    fs.writeFileSync(stateFile, JSON.stringify(s), { mode: 0o600 });
    process.stdout.write(`${s.url}\n`);
  } else {
    const s = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as ClusterState;
    await stopCluster(s);
    fs.rmSync(stateFile, { force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  cli(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`pg-cluster: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
