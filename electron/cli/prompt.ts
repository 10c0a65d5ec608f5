// Reading what must not be echoed or passed in argv: secret values from stdin,
// passphrases from the terminal (/dev/tty) without echo.
import fs from 'node:fs';
import tty from 'node:tty';
import { AppError } from '../../shared/errors.ts';

/**
 * All of stdin (for a secret value piped in); one trailing newline is dropped.
 * Reading stops past `maxBytes` with BAD_INPUT `tooLong` (an endless pipe such
 * as `yes |` would otherwise be read until memory runs out).
 */
export async function readStdin(
  stdin: NodeJS.ReadableStream,
  maxBytes: number,
  tooLong: string,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stdin) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c as string);
    size += b.length;
    if (size > maxBytes) throw new AppError('BAD_INPUT', tooLong, { hint: 'Nothing was changed.' });
    chunks.push(b);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Ask on the terminal with echo off. Throws SECRETS_LOCKED-style errors where there is no terminal. */
export function promptHidden(
  question: string,
  code: 'SECRETS_LOCKED' | 'SECRETS_PASSPHRASE_REQUIRED' | 'BAD_INPUT' = 'SECRETS_LOCKED',
): Promise<string> {
  let fd: number;
  try {
    fd = fs.openSync('/dev/tty', 'r+');
  } catch {
    return Promise.reject(
      new AppError(code, 'No terminal to ask on.', {
        hint: 'Run it in a terminal, or set STATEWARD_KEY_FILE to a key file for unattended use.',
      }),
    );
  }
  const input = new tty.ReadStream(fd);
  const output = fs.createWriteStream('', { fd, autoClose: false });
  output.write(question);
  input.setRawMode(true);
  return new Promise((resolve, reject) => {
    let answer = '';
    const done = (err: Error | null) => {
      input.setRawMode(false);
      input.pause();
      input.removeAllListeners('data');
      output.write('\n');
      input.destroy();
      if (err) reject(err);
      else resolve(answer);
    };
    input.on('data', (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003') return done(new AppError('CANCELLED', 'Cancelled.'));
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
        else answer += ch;
      }
    });
  });
}

/**
 * The text of `file` for an option that may be long or secret (`--summary-file F`):
 * `-` reads stdin. More than `maxBytes` is BAD_INPUT; so is a file that cannot be read.
 */
export async function readTextFile(
  file: string,
  option: string,
  stdin: NodeJS.ReadableStream,
  maxBytes: number,
): Promise<string> {
  const tooLong = `${option}: the text is longer than ${Math.floor(maxBytes / 1024)} KiB.`;
  if (file === '-') return readStdin(stdin, maxBytes, tooLong);
  let fd: number;
  try {
    // Never blocks: a named pipe would wait for a writer before the check below.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw new AppError(
      'BAD_INPUT',
      `${option}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}).`,
      {
        hint: 'Give a readable file, or - for stdin. Nothing was changed.',
      },
    );
  }
  try {
    if (!fs.fstatSync(fd).isFile())
      throw new AppError('BAD_INPUT', `${option}: ${file} is not a regular file.`, {
        hint: 'Give a file, or - and pipe it in. Nothing was changed.',
      });
    const buf = Buffer.alloc(maxBytes + 1);
    let size = 0;
    for (
      let n;
      size <= maxBytes && (n = fs.readSync(fd, buf, size, maxBytes + 1 - size, null)) > 0;
    )
      size += n;
    if (size > maxBytes) throw new AppError('BAD_INPUT', tooLong, { hint: 'Nothing was changed.' });
    return buf.subarray(0, size).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** One JSON object from `file` (- for stdin), for an option such as `--snapshot FILE`. */
export async function readJsonObjectFile(
  file: string,
  option: string,
  stdin: NodeJS.ReadableStream,
  maxBytes: number,
): Promise<Record<string, unknown>> {
  const text = await readTextFile(file, option, stdin, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new AppError('BAD_INPUT', `${option}: ${file} is not JSON (${(e as Error).message}).`, {
      hint: 'Give one JSON object. Nothing was changed.',
    });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new AppError('BAD_INPUT', `${option}: ${file} must hold one JSON object.`, {
      hint: 'Nothing was changed.',
    });
  return value as Record<string, unknown>;
}
