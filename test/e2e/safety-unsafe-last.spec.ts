// The Dashboard's Safety panel follows the newest evidence about the newest
// backup: when its drill was refused (the file tampered with), a red "The newest
// backup is not safe" says why and "Last backup" is no longer a green check.
// Before, "Last backup 1 min ago" stayed green beside nothing. Light, dark, 1000 px.
import fs from 'node:fs';
import path from 'node:path';
import type { DrillReport } from '../../shared/domain.ts';
import { backupNow, expect, invokeHttp, shot, test } from './fixtures.ts';

test('a damaged newest backup is not a green "Last backup"', async ({ page, host }) => {
  await invokeHttp(host, 'demo.seed', {});
  const b = await backupNow(host);
  const file = path.join(host.dataDir, 'backups', b.fileName);
  const bytes = fs.readFileSync(file);
  bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
  fs.writeFileSync(file, bytes);
  const r = await invokeHttp<DrillReport>(host, 'restores.verify', {
    source: { backupId: b.id },
  });
  expect(r.passed).toBe(false);

  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(host.url);
  const safety = page.getByTestId('safety-panel');
  const warning = safety.locator('[data-warning="LAST_BACKUP_UNSAFE"]');
  await expect(warning).toContainText('The newest backup is not safe');
  await expect(warning).toContainText('does not match its manifest');
  const last = safety.getByTestId('safety-last-backup');
  await expect(last).toHaveClass(/safety-warn/);
  await shot(page, '98-dashboard-newest-backup-damaged');
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot(page, '98b-dark-dashboard-newest-backup-damaged');
  await page.setViewportSize({ width: 1000, height: 900 });
  await shot(page, '98c-dark-1000-dashboard-newest-backup-damaged');

  // A new backup is the newest: the warning goes, the row is green again.
  await backupNow(host);
  await page.reload();
  await expect(safety.getByTestId('safety-last-backup')).toHaveClass(/safety-ok/);
  await expect(warning).toHaveCount(0);
});
