// Copying to the clipboard, which the browser may refuse (no permission, not a
// secure context): then a toast says so and how to copy by hand instead.
import { toastError } from './stores/toasts.ts';

/** Copies `text`; false (after the toast) when the clipboard refused. */
export async function copyText(text: string, hint: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (e) {
    toastError('Could not copy', {
      code: 'UNSUPPORTED_HERE',
      message: `The clipboard refused: ${String(e)}`,
      hint,
    });
    return false;
  }
}
