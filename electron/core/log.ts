// A small append-only log file in <data>/logs (owner-only). Unexpected errors
// are written here with their stack; the UI shows only where to find it.
import fs from 'node:fs';
import path from 'node:path';
import { ensureOwnerDir, FILE_MODE } from './fsutil.ts';

export type LogLevel = 'info' | 'warn' | 'error';

export interface Logger {
  readonly file: string | null;
  log(level: LogLevel, message: string, err?: unknown): void;
}

export function fileLogger(dir: string, name = 'stateward.log'): Logger {
  const file = path.join(dir, name);
  return {
    file,
    log(level, message, err) {
      const stack =
        err instanceof Error
          ? `\n${err.stack ?? err.message}`
          : err === undefined
            ? ''
            : `\n${String(err)}`;
      const line = `${new Date().toISOString()} ${level.toUpperCase()} [${process.pid}] ${message}${stack}\n`;
      try {
        ensureOwnerDir(dir);
        fs.appendFileSync(file, line, { mode: FILE_MODE });
      } catch (e) {
        // The log itself cannot be written (disk full, folder gone): say so on stderr, never crash over it.
        process.stderr.write(
          `stateward: cannot write log ${file}: ${(e as Error).message}\n${line}`,
        );
      }
    },
  };
}

export function stderrLogger(): Logger {
  return {
    file: null,
    log(level, message, err) {
      process.stderr.write(`${level}: ${message}${err instanceof Error ? `\n${err.stack}` : ''}\n`);
    },
  };
}
