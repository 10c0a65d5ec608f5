// libpq's password file (~/.pgpass, or PGPASSFILE), read the way libpq reads it:
// `host:port:database:user:password` lines, `*` matches anything, `\:` and `\\`
// escape, the first matching line wins, and a file that group or others can
// read is ignored (with a warning) on Unix. pg's own .pgpass support is
// deprecated, so Stateward reads the file itself.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface PgpassQuery {
  host: string;
  port: number;
  database: string;
  user: string;
}

function pgpassFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PGPASSFILE) return env.PGPASSFILE;
  if (process.platform === 'win32')
    return path.join(env.APPDATA ?? os.homedir(), 'postgresql', 'pgpass.conf');
  return path.join(env.HOME ?? os.homedir(), '.pgpass');
}

/** Split one line into its fields, honouring `\:` and `\\`. */
function parsePgpassLine(line: string): string[] | null {
  if (line.trim() === '' || line.startsWith('#')) return null;
  const fields: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
    } else if (c === ':' && fields.length < 4) {
      fields.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  fields.push(cur);
  return fields.length === 5 ? fields : null;
}

/**
 * The password for `q` from the password file, or undefined. A Unix socket
 * (host starting with '/') matches the host field `localhost`, as in libpq.
 */
export function pgpassLookup(
  q: PgpassQuery,
  opts: { file?: string; warn?: (message: string) => void } = {},
): string | undefined {
  const file = opts.file ?? pgpassFile();
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return undefined;
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      opts.warn?.(
        `password file ${file} has group or world access; it is ignored (chmod 0600 ${file})`,
      );
      return undefined;
    }
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // no file: no password from it, as in libpq
  }
  const host = q.host.startsWith('/') ? 'localhost' : q.host;
  const want = [host, String(q.port), q.database, q.user];
  for (const line of text.split(/\r?\n/)) {
    const f = parsePgpassLine(line);
    if (f === null) continue;
    if (want.every((w, i) => f[i] === '*' || f[i] === w)) return f[4];
  }
  return undefined;
}
