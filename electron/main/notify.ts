// Desktop notifications (backup failures, finished drills). Clicking one brings
// the app window to the front. Silently does nothing where unsupported.
import { Notification } from 'electron';
import type { BrowserWindow } from 'electron';

export interface NotifyOptions {
  title: string;
  body: string;
  /** Marks failures that need the user's attention. */
  urgent?: boolean;
}

export function notify(opts: NotifyOptions, focus?: () => BrowserWindow | null): boolean {
  if (!Notification.isSupported()) return false;
  const n = new Notification({
    title: opts.title,
    body: opts.body,
    urgency: opts.urgent ? 'critical' : 'normal',
  });
  if (focus) {
    n.on('click', () => {
      const win = focus();
      if (!win || win.isDestroyed()) return;
      if (win.isMinimized()) win.restore();
      win.focus();
    });
  }
  n.show();
  return true;
}
