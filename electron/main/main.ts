// The Electron main process: a thin shell around core. It resolves and opens the
// data directory, registers the IPC transport, and owns the one window, its menu
// and its hardening. Everything about state lives in core and the handlers.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, Menu } from 'electron';
import { IPC_EVENT_CHANNEL } from '../../shared/events.ts';
import { resolveDataDirHere } from '../core/paths.ts';
import type { Runtime } from '../core/runtime.ts';
import { startRuntime } from '../core/runtime.ts';
import { startWatcher } from '../core/watch.ts';
import { createRegistry } from '../handlers/index.ts';
import { dialogHandlers } from './dialogs.ts';
import { notify } from './notify.ts';
import { osKeychain } from './keychain.ts';
import { registerIpc } from './ipc.ts';
import { dataDirFlag, databaseUrlFlag, exeDirFor } from './launch-args.ts';
import { buildMenu } from './menu.ts';
import { utilityHostSpawner } from './boot-spawner.ts';
import type { AppPages } from './security.ts';
import { installSecurity, isAppPage, registerAppScheme } from './security.ts';
import { APP_INDEX_URL } from './trusted-url.ts';

const APP_ID = 'dev.stateward.app';

// dist-electron/main.js → dist-electron/preload.cjs and dist/renderer/ (also inside app.asar),
// the folder app://stateward/ serves.
const bundleDir = path.dirname(fileURLToPath(import.meta.url));
const preloadPath = path.join(bundleDir, 'preload.cjs');
const rendererDir = path.join(bundleDir, '..', 'dist', 'renderer');

function devServerUrl(): string | null {
  const raw = process.env.VITE_DEV_SERVER_URL;
  if (app.isPackaged || !raw) return null;
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

const pages: AppPages = {
  rendererDir,
  devServerUrl: devServerUrl(),
};

let mainWindow: BrowserWindow | null = null;
const currentWindow = (): BrowserWindow | null =>
  mainWindow && !mainWindow.isDestroyed() ? mainWindow : null;

function focusMainWindow(): void {
  const win = currentWindow();
  if (!win) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

function createWindow(rt: Runtime): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'Stateward',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: !app.isPackaged,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.on('did-fail-load', (_e, code, description, url, isMainFrame) => {
    if (!isMainFrame) return;
    rt.logger.log('error', `window failed to load ${url}: ${description} (${code})`);
    win.show();
  });
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  const url = pages.devServerUrl ?? APP_INDEX_URL;
  win.loadURL(url).catch((e: unknown) => {
    rt.logger.log('error', `could not load ${url}`, e);
  });
  return win;
}

async function start(): Promise<void> {
  const exeDir = exeDirFor({
    platform: process.platform,
    exePath: app.getPath('exe'),
    appImage: process.env.APPIMAGE,
    isPackaged: app.isPackaged,
  });
  const resolved = resolveDataDirHere(dataDirFlag(process.argv), exeDir);

  await app.whenReady();
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
  installSecurity(pages);

  const rt = await startRuntime({
    dir: resolved.dir,
    source: resolved.source,
    transport: 'electron',
    lockMode: 'app',
    databaseUrl: databaseUrlFlag(process.argv),
    // A team database's password remembered with the OS keychain (Connect to a team database).
    keychain: osKeychain,
  });
  if (rt.startup.state === 'refused') {
    rt.logger.log('warn', `data directory refused: ${rt.startup.code}: ${rt.startup.message}`);
  }
  // The drill's boot step starts the bundled host (serve.js) as a utility process.
  rt.restores.bootOptions = { spawner: utilityHostSpawner(path.join(bundleDir, 'serve.js')) };

  let unregisterIpc: () => void = () => undefined;
  let stopForwarding: () => void = () => undefined;
  // Changes other processes make (the CLI, scripts) reach the window too.
  const watcher = startWatcher(rt);
  let closed = false;
  const shutdown = (): void => {
    if (closed) return;
    closed = true;
    watcher.stop();
    stopForwarding();
    unregisterIpc();
    rt.close();
  };
  // will-quit comes after every window has closed, so no renderer can still invoke a
  // command on the closed store; a quit cancelled in before-quit keeps the runtime open.
  app.on('will-quit', shutdown);
  process.once('exit', shutdown);

  try {
    const registry = createRegistry(rt, dialogHandlers(currentWindow, rt.grantedPaths));
    unregisterIpc = registerIpc(registry, pages.devServerUrl, rt.logger);
  } catch (e) {
    rt.logger.log('error', 'could not register commands', e);
    dialog.showErrorBox('Stateward cannot start', (e as Error).message);
    shutdown();
    app.exit(1);
    return;
  }

  stopForwarding = rt.events.onAny((event, payload) => {
    const win = currentWindow();
    if (!win || win.webContents.isDestroyed()) return;
    if (!isAppPage(pages, win.webContents.getURL())) return;
    win.webContents.send(IPC_EVENT_CHANNEL, { event, payload });
  });

  Menu.setApplicationMenu(
    buildMenu({ isPackaged: app.isPackaged, dataDir: rt.layout.dir, platform: process.platform }),
  );
  mainWindow = createWindow(rt);

  // Either backend (rt.store is null in team mode, whose data is open just the same).
  if (rt.data) {
    // The OS keychain protects the data key where it is real; on Linux's basic_text
    // fallback the core refuses it and asks for a passphrase instead.
    rt.secrets.setKeychain(osKeychain);
    rt.secrets
      .unlock()
      .catch((e: unknown) =>
        rt.logger.log(
          'info',
          `secrets stay locked until unlocked in the UI: ${(e as Error).message}`,
        ),
      );
    // Scheduled backups run in the main process; their failures reach the desktop too.
    const stopNotifying = rt.events.on('backup.failed', (f) => {
      notify(
        { title: `Stateward: ${f.kind} backup failed`, body: f.message, urgent: true },
        currentWindow,
      );
    });
    app.once('will-quit', stopNotifying);
    rt.backups.startScheduler();
  }

  app.on('activate', () => {
    if (!currentWindow()) mainWindow = createWindow(rt);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}

// Every renderer is sandboxed, whatever its webPreferences say.
app.enableSandbox();
// Privileged schemes can only be registered before ready.
registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  // Another Stateward is running: it focuses its window (second-instance) and we leave.
  app.quit();
} else {
  app.on('second-instance', focusMainWindow);
  start().catch((e: unknown) => {
    process.stderr.write(`stateward: start-up failed: ${(e as Error).stack ?? String(e)}\n`);
    dialog.showErrorBox('Stateward cannot start', (e as Error).message);
    app.exit(1);
  });
}
