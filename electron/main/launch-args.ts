// Pure helpers for how the app was launched: the --data-dir flag and the folder
// the portable marker is looked for in. No electron import; unit-tested under Node.
import path from 'node:path';

export const DATA_DIR_FLAG = '--data-dir';
/** Team mode: the PostgreSQL database to use instead of the data dir's binding (database.json). */
export const DATABASE_URL_FLAG = '--database-url';

/**
 * The value of `--data-dir=DIR` or `--data-dir DIR` in argv, or undefined.
 * The last occurrence wins, as with most CLIs; an empty value counts as absent.
 */
export function dataDirFlag(argv: readonly string[]): string | undefined {
  return flagValue(argv, DATA_DIR_FLAG);
}

/** The value of `--database-url=URL` or `--database-url URL` in argv, or undefined (same rules). */
export function databaseUrlFlag(argv: readonly string[]): string | undefined {
  return flagValue(argv, DATABASE_URL_FLAG);
}

function flagValue(argv: readonly string[], flag: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg.startsWith(`${flag}=`)) {
      value = arg.slice(flag.length + 1);
    } else if (arg === flag) {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        i++;
      }
    }
  }
  return value === '' ? undefined : value;
}

export interface ExeDirInput {
  platform: NodeJS.Platform;
  /** app.getPath('exe') */
  exePath: string;
  /** process.env.APPIMAGE: the .AppImage file itself (the exe path is inside its temporary mount). */
  appImage: string | undefined;
  isPackaged: boolean;
}

/**
 * The folder a user sees the app in, where a `portable` marker file would sit:
 * beside the .AppImage on Linux, beside the .app bundle on macOS, beside the .exe elsewhere.
 * Null when running unpackaged (the exe is the development Electron binary).
 */
export function exeDirFor(input: ExeDirInput): string | null {
  if (!input.isPackaged) return null;
  const p = input.platform === 'win32' ? path.win32 : path.posix;
  if (input.platform === 'linux' && input.appImage) return p.dirname(input.appImage);
  if (input.platform === 'darwin') {
    // <dir>/Stateward.app/Contents/MacOS/Stateward → <dir>
    const macOsDir = p.dirname(input.exePath);
    const bundle = p.dirname(p.dirname(macOsDir));
    if (bundle.endsWith('.app')) return p.dirname(bundle);
  }
  return p.dirname(input.exePath);
}
