// 100,000 deployments: the virtualized list pages through them on demand and
// reaches the very last row, keeping only a screenful of rows in the DOM.
import { expect, shot, test } from './fixtures.ts';

test.setTimeout(120_000);

test('the deployments list scrolls to the last of 100,000 rows', async ({ page, host }) => {
  await page.goto(host.url);
  await page.getByLabel('Demo data size').selectOption('large');
  await page.getByRole('button', { name: 'Load demo data' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible({
    timeout: 90_000,
  });
  await expect(page.getByRole('button', { name: /100,000\s+Deployments/ })).toBeVisible();

  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'All deployments' })
    .click();
  const list = page.getByRole('listbox', { name: 'Deployments' });
  await expect(page.getByText('100,000 deployments', { exact: true })).toBeVisible();
  await expect(list.getByRole('option').first()).toContainText(/\d+\.\d+\.\d+/);
  // Only the visible window is rendered.
  expect(await list.getByRole('option').count()).toBeLessThan(80);

  // Scroll with the wheel a little, then jump to the end with the keyboard.
  await list.hover();
  await page.mouse.wheel(0, 4000);
  // Demo row i (oldest first) has version 1.<i / 50>.<i % 50>; row k of the list (newest
  // first) is demo row 100,000 - k, so each row shows exactly which one it is.
  await expect(list.locator('[aria-posinset="100"]')).toContainText('1.1998.0');
  await list.focus();
  await page.keyboard.press('End');
  const last = list.locator('[aria-posinset="100000"]');
  // The oldest deployment (demo row 0) is last, newest-first.
  await expect(last).toContainText('1.0.0');
  await expect(last).toBeInViewport();
  await expect(last).toHaveAttribute('aria-selected', 'false');
  expect(await list.getByRole('option').count()).toBeLessThan(80);

  await expect(list.locator('[aria-posinset="99999"]')).toContainText('1.0.1');

  // Dragging the scrollbar far up lands in the middle and fills those rows too, each the
  // exact row of its position (read with keyset cursors in bounded steps, not guessed).
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
  await expect(list.locator('[aria-posinset="50001"]')).toContainText('1.999.49');
  await expect(list.locator('[aria-posinset="50002"]')).toContainText('1.999.48');
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  const detail = page.getByRole('complementary', { name: 'Deployment details' });
  await expect(detail.getByText('1.0.0', { exact: true })).toBeVisible();
  await shot(page, '15-large-list-end');
});
