// The application menu. Reload and DevTools exist only in unpackaged builds.
import { Menu, shell } from 'electron';
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuOptions {
  isPackaged: boolean;
  dataDir: string;
  platform: NodeJS.Platform;
}

export function buildMenu(opts: MenuOptions): Menu {
  const isMac = opts.platform === 'darwin';
  const devItems: MenuItemConstructorOptions[] = opts.isPackaged
    ? []
    : [
        { role: 'reload' },
        { role: 'forceReload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
      ];

  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' } satisfies MenuItemConstructorOptions] : []),
    { label: '&File', submenu: [isMac ? { role: 'close' } : { role: 'quit' }] },
    { role: 'editMenu' },
    { label: '&View', submenu: [...devItems, { role: 'togglefullscreen' }] },
    ...(isMac ? [{ role: 'windowMenu' } satisfies MenuItemConstructorOptions] : []),
    {
      role: 'help',
      submenu: [
        {
          label: 'Show Data Folder',
          click: () => shell.showItemInFolder(opts.dataDir),
        },
      ],
    },
  ];
  return Menu.buildFromTemplate(template);
}
