// `npm run serve`: the app in a normal browser, for headless machines and e2e tests.
//   node electron/host/serve.ts [--data-dir DIR] [--port N] [--max-upload-bytes N]
//                               [--no-renderer] [--no-scheduler] [--exit-with-parent]
// The restore drill boots this same entry on a temporary copy (core/restore/boot.ts):
// API only, no scheduled backups, gone with the drill's process.
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AppError } from '../../shared/errors.ts';
import { resolveDataDirHere } from '../core/paths.ts';
import { startRuntime } from '../core/runtime.ts';
import { startWatcher } from '../core/watch.ts';
import { createRegistry } from '../handlers/index.ts';
import type { HandlerMap } from '../handlers/registry.ts';
import { DownloadTickets, HTTP_DOWNLOAD_PATH, startHost } from './server.ts';
import { DEFAULT_MAX_UPLOAD_BYTES } from './upload.ts';
import { findBackup } from '../handlers/backups.ts';
import { UTILITY_ARGS_ENV } from '../core/restore/boot.ts';

const unsupportedDialog = (): never => {
  throw new AppError('UNSUPPORTED_HERE', 'Native file dialogs exist only in the desktop app.', {
    hint: 'In the browser, use the list of backups, an upload or a download instead.',
  });
};

/** The host's own commands: no native dialogs; downloads through one-time links. */
export function hostTransportHandlers(downloads: DownloadTickets): HandlerMap {
  return {
    'dialog.openFile': unsupportedDialog,
    'dialog.openFolder': unsupportedDialog,
    'dialog.saveFile': unsupportedDialog,
    'backups.downloadLink': ({ id }, rt) => {
      const entry = findBackup(rt, id);
      const ticket = downloads.issue(path.join(rt.layout.backups, entry.fileName), entry.fileName);
      return { url: `${HTTP_DOWNLOAD_PATH}${ticket}`, fileName: entry.fileName };
    },
  };
}

export async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      /** Team mode: this PostgreSQL database (else STATEWARD_DATABASE_URL, else database.json). */
      'database-url': { type: 'string' },
      port: { type: 'string', default: '0' },
      'max-upload-bytes': { type: 'string', default: String(DEFAULT_MAX_UPLOAD_BYTES) },
      /** Serve the API only (the page is not needed, or not built). */
      'no-renderer': { type: 'boolean', default: false },
      /** Take no scheduled backups. */
      'no-scheduler': { type: 'boolean', default: false },
      /** Stop when the process that started this one is gone (a drill that crashed). */
      'exit-with-parent': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`serve: --port must be 0..65535, got ${values.port}\n`);
    process.exit(2);
  }
  const maxUploadBytes = Number(values['max-upload-bytes']);
  if (!Number.isSafeInteger(maxUploadBytes) || maxUploadBytes < 1) {
    process.stderr.write(
      `serve: --max-upload-bytes must be a whole number of bytes, got ${values['max-upload-bytes']}\n`,
    );
    process.exit(2);
  }
  // From electron/host/serve.ts, or from the bundle's dist-electron/serve.js.
  const staticDir = path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    import.meta.url.endsWith('.ts') ? '../../dist/renderer' : '../dist/renderer',
  );
  if (!values['no-renderer'] && !fs.existsSync(path.join(staticDir, 'index.html'))) {
    process.stderr.write(
      'serve: the renderer is not built; run `npm run serve` (it builds first) or `npm run build:renderer`.\n',
    );
    process.exit(2);
  }
  const resolved = resolveDataDirHere(values['data-dir'], null);
  const rt = await startRuntime({
    dir: resolved.dir,
    source: resolved.source,
    transport: 'http',
    lockMode: 'host',
    databaseUrl: values['database-url'],
  });
  if (rt.startup.state === 'refused') {
    process.stderr.write(
      `serve: the data directory is refused (${rt.startup.code}): ${rt.startup.message}\n  ${rt.startup.hint}\n`,
    );
    process.stderr.write('serve: serving the refusal screen so the browser shows it.\n');
  }
  const downloads = new DownloadTickets();
  const registry = createRegistry(rt, hostTransportHandlers(downloads));
  const host = await startHost({ rt, registry, staticDir, port, downloads, maxUploadBytes });
  // Either backend: in team mode the scheduled-backup lock lets one instance take each one.
  if (rt.data && !values['no-scheduler']) rt.backups.startScheduler();
  // Changes other processes make (the CLI, scripts) reach the open pages too.
  const watcher = startWatcher(rt);
  process.stdout.write(`Stateward (data: ${resolved.dir}) is running at ${host.url}\n`);
  process.stdout.write('Open that URL in a browser; press Ctrl+C to stop.\n');
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    watcher.stop();
    host
      .close()
      .finally(() => {
        rt.close();
        process.exit(0);
      })
      .catch(() => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (values['exit-with-parent']) {
    // Orphaned, a process is handed to another parent.
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) stop();
    }, 500).unref();
  }
}

/** An Electron utility process (the drill in the desktop app) gets its arguments as JSON. */
function utilityArgs(): string[] | null {
  const raw = 'parentPort' in process ? process.env[UTILITY_ARGS_ENV] : undefined;
  if (raw === undefined) return null;
  delete process.env[UTILITY_ARGS_ENV];
  const args = JSON.parse(raw) as unknown;
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))
    throw new Error(`${UTILITY_ARGS_ENV} must be a JSON array of strings`);
  return args;
}

const asUtility = utilityArgs();
if (
  asUtility ||
  (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
) {
  serve(asUtility ?? process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`serve: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(4);
  });
}
