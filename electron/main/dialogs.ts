// The Electron-only commands: native Open and Save As dialogs, parented to the
// focused window (or the main window) so they are modal to it.
import { BrowserWindow, dialog } from 'electron';
import type { OpenDialogOptions, SaveDialogOptions } from 'electron';
import type { HandlerMap } from '../handlers/registry.ts';
import { AppError } from '../../shared/errors.ts';

function parentWindow(fallback: () => BrowserWindow | null): BrowserWindow | null {
  const win = BrowserWindow.getFocusedWindow() ?? fallback();
  return win && !win.isDestroyed() ? win : null;
}

/**
 * `granted` collects the paths the user chose; commands that write a file on the
 * renderer's behalf (backup export, the off-site folder) accept only those.
 */
export function dialogHandlers(
  mainWindow: () => BrowserWindow | null,
  granted: Set<string>,
): HandlerMap {
  /** The Open dialog: the path the user chose (granted), or null when cancelled. */
  const pick = async (options: OpenDialogOptions): Promise<{ path: string | null }> => {
    const win = parentWindow(mainWindow);
    const r = win
      ? await dialog.showOpenDialog(win, options)
      : await dialog.showOpenDialog(options);
    const picked = r.canceled ? null : (r.filePaths[0] ?? null);
    if (picked) granted.add(picked);
    return { path: picked };
  };
  return {
    'backups.downloadLink': () => {
      throw new AppError(
        'UNSUPPORTED_HERE',
        'Downloads are for the browser host; use Save As in the desktop app.',
      );
    },
    'dialog.openFile': ({ title }) => pick({ title, properties: ['openFile'] }),
    'dialog.openFolder': ({ title }) =>
      pick({ title, properties: ['openDirectory', 'createDirectory'] }),
    'dialog.saveFile': async ({ title, defaultName }) => {
      const options: SaveDialogOptions = {
        title,
        defaultPath: defaultName,
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      };
      const win = parentWindow(mainWindow);
      const r = win
        ? await dialog.showSaveDialog(win, options)
        : await dialog.showSaveDialog(options);
      if (r.canceled || !r.filePath) return { path: null };
      granted.add(r.filePath);
      return { path: r.filePath };
    },
  };
}
