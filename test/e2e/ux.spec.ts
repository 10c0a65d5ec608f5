// The UI's manners (issue 10.5, 10.9, 10.11): where the keyboard focus lands,
// Back/Forward inside the app, "disconnected" and reconnecting when the host goes
// away, readable contrast in both themes, and no failed request on load.
import fs from 'node:fs';
import type { Page } from '@playwright/test';
import {
  backupNow,
  expect,
  holdResponses,
  hostAt,
  invokeHttp,
  loadDemo,
  test,
} from './fixtures.ts';

const SHOTS = '/tmp/shots';

async function look(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
  await page.screenshot({ path: `${SHOTS}/${name}.png`, animations: 'disabled' });
}

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });

/** What has the focus, described for an assertion message. */
function focused(page: Page): Promise<string> {
  return page.evaluate(`(() => {
    const el = document.activeElement;
    if (!el) return 'nothing';
    const label = el.getAttribute('aria-label') ?? el.textContent?.trim().slice(0, 40) ?? '';
    return el.tagName.toLowerCase() + '.' + el.className + ' "' + label + '"';
  })()`);
}

test('dialogs open with the focus on their first field, never on × or a destructive button', async ({
  page,
  host,
}) => {
  await loadDemo(page, host.url);

  // New project: typing goes into the name, Enter submits (it does not close the dialog).
  await nav(page).getByRole('button', { name: 'Projects' }).click();
  await page.getByRole('button', { name: 'New project' }).click();
  const projectDialog = page.getByRole('dialog', { name: 'New project' });
  await expect(projectDialog.getByLabel('Name')).toBeFocused();
  await page.keyboard.type('focus-check');
  await page.keyboard.press('Enter');
  await expect(projectDialog).toBeHidden();
  await expect(page.getByRole('heading', { level: 1, name: 'focus-check' })).toBeVisible();

  // New environment, on that project's page.
  await page.getByRole('button', { name: 'New environment' }).first().click();
  const envDialog = page.getByRole('dialog', { name: 'New environment' });
  await expect(envDialog.getByLabel('Name')).toBeFocused();
  await page.keyboard.type('staging');
  await page.keyboard.press('Enter');
  await expect(envDialog).toBeHidden();
  await expect(page.getByRole('main')).toContainText('staging');

  // Record deployment: the first field.
  await nav(page).getByRole('button', { name: 'All deployments' }).click();
  await page.getByRole('button', { name: 'Record deployment' }).click();
  const record = page.getByRole('dialog', { name: 'Record deployment' });
  await expect(record.getByLabel('Project')).toBeFocused();
  await page.keyboard.press('Escape');

  // Every other dialog and wizard: the focus is inside it, and not on the header's × nor on
  // a destructive button.
  const openers: [string, string][] = [
    ['Backups', 'Back up now'],
    ['Restore & drills', 'Verify backups…'],
    ['Restore & drills', 'Restore a backup…'],
    ['Keys & secrets', 'Set up secrets'],
    ['Projects', 'New project'],
  ];
  for (const [screen, opener] of openers) {
    await nav(page).getByRole('button', { name: screen }).click();
    await page.getByRole('button', { name: opener }).first().click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    await expect(dialog.locator('.state-loading')).toHaveCount(0);
    await expect
      .poll(() => page.evaluate('!!document.activeElement?.closest("dialog")'), {
        message: `${opener}: the focus is in the dialog`,
      })
      .toBe(true);
    // A wizard moves the focus to its first field once its list has loaded.
    if (opener !== 'Back up now') {
      await expect
        .poll(() => focused(page), { message: `${opener}: the focus is on a field` })
        .toMatch(/^(input|select|textarea)/);
    }
    expect(await focused(page), opener).not.toMatch(/"Close"|button-danger/);
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
  }
});

test('Enter pressed twice on "Back up now" does not cancel the backup', async ({ page, host }) => {
  await loadDemo(page, host.url);
  const cancels: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/invoke/backups.cancel')) cancels.push(r.url());
  });
  // Hold the result so the run step stays on screen while the second Enter arrives.
  const release = await holdResponses(page, 'backups.create');

  // One click starts the backup (no wizard steps any more): press Enter on it twice.
  await page.getByRole('button', { name: 'Back up now' }).first().focus();
  const dialog = page.getByRole('dialog');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await expect(dialog.getByTestId('wizard-step')).toHaveAttribute('data-step', 'run');
  const cancel = dialog.getByRole('button', { name: 'Cancel backup' });
  await expect(cancel).toBeVisible();
  await expect(cancel).not.toBeFocused();
  await page.keyboard.press('Enter');
  // (Cancel may be disabled here because the backup is already written: that is not a cancel.)
  await expect(cancel).not.toHaveText('Cancelling…');
  release();
  await expect(dialog.getByRole('heading', { name: 'Backup complete' })).toBeVisible();
  expect(cancels).toEqual([]);
});

test("the browser's Back and Forward move between screens and stay in the app", async ({
  page,
  host,
}) => {
  await loadDemo(page, host.url);
  const h1 = page.getByRole('heading', { level: 1 });
  await nav(page).getByRole('button', { name: 'Projects' }).click();
  const first = page.getByRole('listbox', { name: 'Projects' }).getByRole('option').first();
  const name = (await first.locator('strong').first().innerText()).trim();
  await first.click();
  await expect(h1).toHaveText(name);
  await nav(page).getByRole('button', { name: 'Backups' }).click();
  await expect(h1).toHaveText('Backups');

  await page.goBack();
  await expect(h1).toHaveText(name);
  await page.goBack();
  await expect(h1).toHaveText('Projects');
  await page.goBack();
  await expect(h1).toHaveText('Dashboard');
  expect(new URL(page.url()).origin).toBe(host.origin);
  await page.goForward();
  await expect(h1).toHaveText('Projects');
  await page.goForward();
  await expect(h1).toHaveText(name);
  // The breadcrumb ends on this page, not on a bare "Projects ›".
  await expect(
    page.getByRole('navigation', { name: 'Breadcrumb' }).locator('[aria-current="page"]'),
  ).toHaveText(name);
  // A reload keeps the place and the history.
  await page.reload();
  await expect(h1).toHaveText(name);
  await page.goBack();
  await expect(h1).toHaveText('Projects');
});

test('when the host stops the page says "disconnected" and reconnects when it is back', async ({
  page,
  host,
}) => {
  await loadDemo(page, host.url);
  const banner = page.getByTestId('connection-banner');
  await expect(banner).toHaveCount(0);

  await host.stop!();
  await expect(banner).toContainText('Disconnected from the Stateward host');
  await expect(banner).toContainText('Reconnecting by itself');
  await look(page, 'ux-disconnected-light');
  // Readable in both themes.
  for (const theme of ['light', 'dark']) {
    await page.evaluate(`document.documentElement.setAttribute('data-theme', '${theme}')`);
    expect(await page.evaluate(LOW_CONTRAST)).toEqual([]);
  }
  await look(page, 'ux-disconnected-dark');

  // Data changed while the page was away: it shows once the host is back.
  const port = Number(new URL(host.origin).port);
  const stopAgain = await hostAt(host.dataDir, port, host.token);
  try {
    // By itself: the page keeps retrying (at most 5 s apart).
    await expect(banner).toHaveCount(0, { timeout: 20_000 });
    await invokeHttp(host, 'projects.create', { name: 'made-while-away', description: '' });
    await nav(page).getByRole('button', { name: 'Projects' }).click();
    await expect(page.getByRole('listbox', { name: 'Projects' })).toContainText('made-while-away');
  } finally {
    await stopAgain();
  }
});

test('no request fails while the app loads', async ({ page, host }) => {
  const failures: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') failures.push(m.text());
  });
  page.on('requestfailed', (r) => {
    // The reload itself cuts the event stream and aborts whatever was still in flight
    // (net::ERR_ABORTED): that is the browser leaving the page, not a failing request.
    const error = r.failure()?.errorText ?? '';
    if (!r.url().endsWith('/api/events') && error !== 'net::ERR_ABORTED')
      failures.push(`${r.url()} ${error}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) failures.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(host.url);
  await expect(page.getByRole('heading', { name: 'Welcome to Stateward' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Welcome to Stateward' })).toBeVisible();
  expect(failures).toEqual([]);
});

/**
 * Every visible piece of text whose contrast against what is behind it is below WCAG AA
 * (4.5:1; 3:1 for large text), computed in the page: the text colour (with the opacity
 * of it and its ancestors) over the first opaque background found walking up (semi-
 * transparent ones blended on the way). Text over an image or a gradient is skipped,
 * as are disabled controls (WCAG exempts them).
 */
const LOW_CONTRAST = `(() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1);
  };
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.backgroundImage !== 'none' && !s.backgroundImage.startsWith('url(')) return null;
      const c = parse(s.backgroundColor);
      if (c && c[3] > 0) {
        layers.push(c);
        if (c[3] >= 1) break;
      }
    }
    let bg = parse(getComputedStyle(document.documentElement).backgroundColor) ?? [255, 255, 255, 1];
    if (bg[3] < 1) bg = [255, 255, 255, 1];
    for (const l of layers.reverse()) bg = over(l, bg);
    return bg;
  };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || seen.has(el) || !n.textContent.trim()) continue;
    seen.add(el);
    if (el.closest('[disabled], [aria-disabled="true"], option, .visually-hidden')) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) continue;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden') continue;
    let opacity = 1;
    for (let e = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
    if (opacity === 0) continue;
    const bg = background(el);
    if (!bg) continue;
    const fg = parse(s.color);
    const color = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
    const size = parseFloat(s.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
    const got = ratio(color, bg);
    if (got < (large ? 3 : 4.5)) {
      out.push(got.toFixed(2) + ' ' + el.tagName.toLowerCase() + '.' + String(el.className).replace(/ /g, '.') + ' "' + n.textContent.trim().slice(0, 30) + '" ' + s.color + ' on rgb(' + bg.slice(0, 3).map(Math.round).join(',') + ')');
    }
  }
  // Placeholders tell what to type: they are text too (WCAG exempts only disabled controls).
  for (const el of document.querySelectorAll('input[placeholder]:not(:disabled), textarea[placeholder]:not(:disabled)')) {
    if (el.value || !el.placeholder.trim() || el.getBoundingClientRect().width < 2) continue;
    const ph = getComputedStyle(el, '::placeholder');
    const bg = background(el);
    if (!bg) continue;
    const fg = parse(ph.color);
    const got = ratio(over([fg[0], fg[1], fg[2], fg[3] * Number(ph.opacity)], bg), bg);
    if (got < 4.5) out.push(got.toFixed(2) + ' placeholder "' + el.placeholder.slice(0, 30) + '" ' + ph.color + ' opacity ' + ph.opacity);
  }
  return out;
})()`;

test('every text meets WCAG AA contrast on every main screen, light and dark', async ({
  page,
  host,
}) => {
  test.setTimeout(120_000);
  await loadDemo(page, host.url);
  const b = await backupNow(host);
  await invokeHttp(host, 'restores.verify', { source: { backupId: b.id } });
  await backupNow(host);
  const problems: string[] = [];
  for (const theme of ['light', 'dark']) {
    await page.evaluate(`document.documentElement.setAttribute('data-theme', '${theme}')`);
    const check = async (where: string) => {
      await expect(page.locator('.state-loading')).toHaveCount(0);
      await page.evaluate(
        'new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))',
      );
      for (const p of (await page.evaluate(LOW_CONTRAST)) as string[]) {
        problems.push(`${theme} ${where}: ${p}`);
      }
    };
    for (const item of [
      'Dashboard',
      'Projects',
      'All deployments',
      'Backups',
      'Restore & drills',
      'Keys & secrets',
      'Audit log',
    ]) {
      await nav(page).getByRole('button', { name: item }).click();
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      await check(item);
    }
    await nav(page).getByRole('button', { name: 'All deployments' }).click();
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('listbox', { name: 'Deployments' }).getByRole('option').first().click();
    await expect(page.getByRole('complementary', { name: 'Deployment details' })).toBeVisible();
    await check('deployment detail');
    await nav(page).getByRole('button', { name: 'Backups' }).click();
    await page.locator('.backup-split [role="option"]').first().click();
    await check('backup detail');
    await page.getByRole('button', { name: 'Back up now' }).first().click();
    await check('backup wizard');
    await page.keyboard.press('Escape');
    await nav(page).getByRole('button', { name: 'Restore & drills' }).click();
    await page.getByRole('listbox', { name: 'Restore drills' }).getByRole('option').first().click();
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await check('drill report');
    await nav(page).getByRole('button', { name: 'Projects' }).click();
    await page.getByRole('button', { name: 'New project' }).click();
    await page.keyboard.press('Enter');
    await check('project dialog with an error');
    await page.keyboard.press('Escape');
  }
  expect(problems).toEqual([]);
});

/**
 * Layout faults a person sees: short text (≤ 32 characters: a name, a date, a chip) cut
 * off with "…" or clipped; a row or header wider than its list, so columns fall off the
 * edge; a word broken across two lines (paths, hashes and code may break anywhere).
 */
const LAYOUT_FAULTS = `(() => {
  const out = [];
  const label = (el) => el.tagName.toLowerCase() + '.' + String(el.className).replace(/ /g, '.') + ' "' + el.textContent.trim().slice(0, 40) + '"';
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && getComputedStyle(el).visibility !== 'hidden';
  };
  for (const el of document.querySelectorAll('body *')) {
    if (!visible(el) || el.closest('[aria-hidden="true"], .visually-hidden, .skeleton')) continue;
    const s = getComputedStyle(el);
    const text = el.textContent.trim();
    const clips = s.overflowX === 'hidden' || s.overflowX === 'clip' || s.textOverflow === 'ellipsis';
    // An id (sec_21ff…, a hash) may show its start only; names, dates and chips may not.
    const isId = /^[\\w-]*\\d[\\w-]*$/.test(text) && el.matches('code, .mono');
    if (clips && !isId && text.length > 0 && text.length <= 32 && el.scrollWidth > el.clientWidth + 1 && !el.querySelector('svg, input, select, textarea')) {
      out.push('cut off: ' + label(el) + ' (' + el.clientWidth + ' of ' + el.scrollWidth + ' px)');
    }
    if (el.matches('.table-head, [role="option"]') && el.scrollWidth > el.clientWidth + 1) {
      out.push('wider than its list: ' + label(el) + ' (' + el.scrollWidth + ' > ' + el.clientWidth + ' px)');
    }
  }
  const main = document.querySelector('main');
  if (main) {
    const edge = main.getBoundingClientRect().right;
    const outermost = [...main.querySelectorAll('*')].filter((el) => visible(el) && el.getBoundingClientRect().right > edge + 1 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > edge + 1));
    for (const el of outermost.slice(0, 3)) out.push('past the right edge: ' + label(el));
  }
  for (const crumbs of document.querySelectorAll('nav[aria-label="Breadcrumb"]')) {
    const last = crumbs.lastElementChild;
    if (last && last.lastElementChild && last.lastElementChild.tagName.toLowerCase() === 'svg') {
      out.push('breadcrumb ends on a bare chevron: "' + crumbs.textContent.trim() + ' ›"');
    }
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || !visible(el) || el.closest('.hash, pre, .log-msg, .secret-recovery-key, [aria-hidden="true"], .visually-hidden')) continue;
    // Whole words of letters (DATABASE_URL, stateward); a long token of ids, hashes or a
    // file name has nowhere else to break.
    const re = /[^\\s·,;:()"]+/g;
    let m;
    while ((m = re.exec(n.textContent))) {
      if (!/^[A-Za-z_]{3,32}$/.test(m[0])) continue;
      const range = document.createRange();
      range.setStart(n, m.index);
      range.setEnd(n, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (tops.size > 1) out.push('word broken: "' + m[0] + '" in ' + label(el));
    }
  }
  return out;
})()`;

test('nothing short is cut off, no column falls off the edge, no word is broken (1000 px and 1360 px)', async ({
  page,
  host,
}) => {
  test.setTimeout(120_000);
  await loadDemo(page, host.url);
  const b = await backupNow(host);
  await invokeHttp(host, 'restores.verify', { source: { backupId: b.id } });
  await backupNow(host, true);
  const project = await invokeHttp<{ id: number }>(host, 'projects.create', {
    name: 'stateward',
    description: '',
  });
  const env = await invokeHttp<{ id: number }>(host, 'environments.create', {
    projectId: project.id,
    name: 'production',
    kind: 'production',
    description: '',
  });
  await invokeHttp(host, 'secrets.setup', { passphrase: 'correct horse battery staple' });
  for (const name of ['DATABASE_URL', 'STRIPE_WEBHOOK_SIGNING_SECRET']) {
    await invokeHttp(host, 'secrets.set', { environmentId: env.id, name, value: 'not-shown' });
  }
  const problems: string[] = [];
  for (const [theme, width] of [
    ['light', 1360],
    ['dark', 1000],
  ] as const) {
    await page.setViewportSize({ width, height: 820 });
    await page.evaluate(`document.documentElement.setAttribute('data-theme', '${theme}')`);
    const check = async (where: string) => {
      await expect(page.locator('.state-loading')).toHaveCount(0);
      await page.evaluate(
        'new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))',
      );
      await look(page, `layout-${theme}-${width}-${where.replace(/[^a-z0-9]+/gi, '-')}`);
      for (const p of (await page.evaluate(LAYOUT_FAULTS)) as string[]) {
        problems.push(`${width} px ${where}: ${p}`);
      }
    };
    await nav(page).getByRole('button', { name: 'Dashboard' }).click();
    await check('dashboard');
    await nav(page).getByRole('button', { name: 'Projects' }).click();
    await check('projects');
    await nav(page).getByRole('button', { name: 'All deployments' }).click();
    await check('all deployments');
    await page.getByRole('listbox', { name: 'Deployments' }).getByRole('option').first().click();
    await check('all deployments with detail');
    await page.keyboard.press('Escape');
    await nav(page).getByRole('button', { name: 'Backups' }).click();
    await check('backups');
    await page.locator('.backup-split [role="option"]').first().click();
    await check('backups with detail');
    await nav(page).getByRole('button', { name: 'Restore & drills' }).click();
    await check('restores');
    await page.getByRole('listbox', { name: 'Restore drills' }).getByRole('option').first().click();
    await check('drill report');
    await nav(page).getByRole('button', { name: 'Projects' }).click();
    await page
      .getByRole('listbox', { name: 'Projects' })
      .getByRole('option')
      .filter({ hasText: 'stateward' })
      .click();
    await check('project');
    await page
      .getByRole('listbox', { name: /Environments of/ })
      .getByRole('option')
      .first()
      .click();
    await page.getByRole('tab', { name: /^Secrets/ }).click();
    await expect(page.getByText('DATABASE_URL')).toBeVisible();
    await check('environment with secrets');
    await nav(page).getByRole('button', { name: 'Keys & secrets' }).click();
    await check('secrets');
    await nav(page).getByRole('button', { name: 'Audit log' }).click();
    await check('audit');
  }
  expect(problems).toEqual([]);
});

test('the exported HTML drill report gives the step details room', async ({ page, host }) => {
  await invokeHttp(host, 'demo.seed', { projects: 2, deployments: 20 });
  const b = await backupNow(host);
  const report = await invokeHttp<{ id: string }>(host, 'restores.verify', {
    source: { backupId: b.id },
  });
  const html = await invokeHttp<{ content: string }>(host, 'drills.export', {
    id: report.id,
    format: 'html',
  });
  await page.setViewportSize({ width: 1000, height: 800 });
  await page.setContent(html.content);
  await look(page, 'drill-report-html');
  const widths = (await page.evaluate(`(() => {
    // The steps table (the boot step's requests have a table of their own after it).
    const table = [...document.querySelectorAll('table')].find(
      (t) => t.rows[0] && t.rows[0].cells[0] && t.rows[0].cells[0].textContent === 'Step',
    );
    const cells = [...table.rows[1].cells].map((c) => c.getBoundingClientRect().width);
    return { table: table.getBoundingClientRect().width, cells };
  })()`)) as { table: number; cells: number[] };
  // Step, result and time take what they need; the detail gets most of the width.
  expect(widths.cells[3]!).toBeGreaterThan(widths.table * 0.5);
});

/** How much of `a` and `b` overlap, in square pixels (0 when apart). */
const OVERLAP = `((a, b) => {
  const r = document.querySelector(a).getBoundingClientRect();
  const s = document.querySelector(b).getBoundingClientRect();
  return Math.max(0, Math.min(r.right, s.right) - Math.max(r.left, s.left)) *
    Math.max(0, Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top));
})`;

test('a toast never covers the open detail panel', async ({ page, host }) => {
  await loadDemo(page, host.url);
  await backupNow(host);
  // An error toast stays until dismissed: make one appear while a detail panel is open.
  await page.route('**/api/invoke/backups.downloadLink', (route) =>
    route.fulfill({
      contentType: 'application/json',
      body: JSON.stringify({ ok: false, error: { code: 'INTERNAL', message: 'Simulated.' } }),
    }),
  );
  for (const width of [1360, 1000]) {
    await page.setViewportSize({ width, height: 820 });
    await nav(page).getByRole('button', { name: 'All deployments' }).click();
    await page.getByRole('listbox', { name: 'Deployments' }).getByRole('option').first().click();
    await expect(page.getByRole('complementary', { name: 'Deployment details' })).toBeVisible();
    await nav(page).getByRole('button', { name: 'Backups' }).click();
    await page.locator('.backup-split [role="option"]').first().click();
    if (width === 1360) {
      await page.getByRole('button', { name: 'Download a copy' }).click();
      await expect(page.locator('.toast-error')).toBeVisible();
      await look(page, `toast-beside-backup-detail-${width}`);
      expect(await page.evaluate(`${OVERLAP}('.toast-error', 'aside.detail')`)).toBe(0);
    }
    await nav(page).getByRole('button', { name: 'All deployments' }).click();
    await page.getByRole('listbox', { name: 'Deployments' }).getByRole('option').first().click();
    await expect(page.locator('.toast-error')).toBeVisible();
    await look(page, `toast-beside-deployment-detail-${width}`);
    expect(await page.evaluate(`${OVERLAP}('.toast-error', 'aside.detail')`)).toBe(0);
  }
});
