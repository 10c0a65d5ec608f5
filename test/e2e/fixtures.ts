// Every test owns its world: a fresh temporary data dir and its own HTTP host
// (`node electron/host/serve.ts --data-dir DIR --port 0`), both removed after.
// Tests that must prepare the data dir first (e.g. a corrupt database) write
// into `dataDir` and then call `startHost()` themselves.
import { test as base, expect } from '@playwright/test';
import type { Page } from '@playwright/test';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { BackupEntry } from '../../shared/domain.ts';
import os from 'node:os';
import path from 'node:path';
import { withClient } from '../helpers/pg-client.ts';

export interface Host {
  /** The URL the host printed, with the token in its fragment. */
  url: string;
  origin: string;
  token: string;
  dataDir: string;
  /** Everything the host wrote to stderr so far. */
  stderr(): string;
  /** Stops the host (SIGTERM, as Ctrl+C would) and waits until it has exited (fixture hosts). */
  stop?(): Promise<void>;
}

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCREENS = path.join(ROOT, 'test-results', 'screens');
const URL_RE = /(http:\/\/127\.0\.0\.1:\d+)\/#token=([A-Za-z0-9_-]+)/;

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * The PostgreSQL server the "team" project runs against (.ci/run exports it),
 * or null: the team project's tests then skip with this reason printed.
 */
export const TEAM_PG_URL = process.env['STATEWARD_TEST_PG_URL'] ?? null;
export const TEAM_SKIP_REASON =
  'team-mode e2e needs a PostgreSQL server: set STATEWARD_TEST_PG_URL (bash .ci/run starts one)';

/**
 * For a test that binds a local data dir to PostgreSQL itself: skips in the team
 * project (bound already) and without a server; a new schema name starting with
 * `prefix`, the server's URL without its password, and the password.
 */
export function localToTeam(
  databaseUrl: string | null,
  prefix: string,
): { schema: string; url: URL; password: string } {
  base.skip(
    databaseUrl !== null,
    'in the team project the data dir is bound to PostgreSQL already',
  );
  base.skip(!TEAM_PG_URL, TEAM_SKIP_REASON);
  const url = new URL(TEAM_PG_URL!);
  const password = decodeURIComponent(url.password);
  url.password = '';
  return { schema: `${prefix}_${crypto.randomBytes(5).toString('hex')}`, url, password };
}

/**
 * Call at file level in a spec whose hosts set up secrets: they inherit a cheap
 * scrypt cost (the fixture copies process.env into the child; the app obeys
 * STATEWARD_SCRYPT_N only under a test runner, NODE_ENV=test or VITEST) instead of
 * the default 128 MiB per derivation.
 */
export function cheapScrypt(): void {
  process.env['STATEWARD_SCRYPT_N'] = '1024';
  process.env['NODE_ENV'] = 'test';
}

/** The app's main navigation. */
export const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
/** The open dialog that holds a form. */
export const formDialog = (page: Page) =>
  page.getByRole('dialog').filter({ has: page.locator('form') });

/** A fresh schema name for one test in team mode (dropped after it). */
function teamSchema(): string {
  return `e2e_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
}

function teamUrl(schema: string): string {
  const u = new URL(TEAM_PG_URL!);
  u.searchParams.set('schema', schema);
  return u.toString();
}

async function dropSchema(schema: string): Promise<void> {
  await withClient(TEAM_PG_URL!, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}

function spawnHost(
  dataDir: string,
  databaseUrl: string | null,
): { child: ChildProcess; ready: Promise<Host> } {
  const env = { ...process.env };
  delete env['STATEWARD_DATA_DIR'];
  delete env['PORTABLE_EXECUTABLE_DIR'];
  delete env['STATEWARD_DATABASE_URL'];
  if (databaseUrl) env['STATEWARD_DATABASE_URL'] = databaseUrl;
  const child = spawn(
    process.execPath,
    ['electron/host/serve.ts', '--data-dir', dataDir, '--port', '0'],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const ready = new Promise<Host>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`host printed no URL within 20 s\nstdout:\n${out}\nstderr:\n${err}`)),
      20_000,
    );
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = URL_RE.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[0],
          origin: m[1]!,
          token: m[2]!,
          dataDir,
          stderr: () => err,
          stop: () => stop(child),
        });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `host exited (${code ?? signal}) before serving\nstdout:\n${out}\nstderr:\n${err}`,
        ),
      );
    });
  });
  return { child, ready };
}

export const test = base.extend<{
  dataDir: string;
  /** In the "team" project: the database URL (own schema) every host of this test binds to; else null. */
  databaseUrl: string | null;
  startHost: () => Promise<Host>;
  host: Host;
}>({
  // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
  databaseUrl: async ({}, use, testInfo) => {
    if (testInfo.project.name !== 'team') return use(null);
    testInfo.skip(!TEAM_PG_URL, TEAM_SKIP_REASON);
    const schema = teamSchema();
    await use(teamUrl(schema));
    await dropSchema(schema);
  },
  // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
  dataDir: async ({}, use) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stateward-e2e-'));
    await use(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  },
  startHost: async ({ dataDir, databaseUrl }, use, testInfo) => {
    const children: ChildProcess[] = [];
    const hosts: Host[] = [];
    await use(async () => {
      const { child, ready } = spawnHost(dataDir, databaseUrl);
      children.push(child);
      const host = await ready;
      hosts.push(host);
      return host;
    });
    for (const child of children) await stop(child);
    if (testInfo.status !== testInfo.expectedStatus) {
      for (const h of hosts) await testInfo.attach('host-stderr', { body: h.stderr() });
    }
  },
  host: async ({ startHost }, use) => {
    const host = await startHost();
    await afterCatchUpBackup(host);
    await use(host);
  },
});

export { expect };

/** Saves a full-page screenshot as test-results/screens/<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENS, { recursive: true });
  // Let animations and pending renders settle so screenshots are stable.
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
  await page.screenshot({ path: path.join(SCREENS, `${name}.png`), animations: 'disabled' });
}

/**
 * Holds the responses of `command` (fetched from the host at once) until the
 * returned `release` is called, so what the page shows meanwhile stays on screen.
 */
export async function holdResponses(page: Page, command: string): Promise<() => void> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(`**/api/invoke/${command}`, async (route) => {
    const response = await route.fetch();
    await held;
    await route.fulfill({ response });
  });
  return release;
}

/** Closes every toast on screen, so none covers what a test clicks or screenshots next. */
export async function dismissToasts(page: Page): Promise<void> {
  const close = page.getByRole('button', { name: 'Dismiss notification' });
  while ((await close.count()) > 0) await close.first().click();
}

/** Switches the theme with the header's toggle (system → light → dark) until it is `theme`. */
export async function setTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  const toggle = page.getByRole('button', { name: /Change theme/ });
  for (let i = 0; i < 3; i++) {
    if ((await page.locator('html').getAttribute('data-theme')) === theme) return;
    await toggle.click();
  }
  await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
}

/** Starts one more host on its own data dir bound to the same database as `databaseUrl` (team mode), or a plain one. */
export async function startExtraHost(
  databaseUrl: string | null,
): Promise<Host & { cleanup(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stateward-e2e-'));
  const { child, ready } = spawnHost(dir, databaseUrl);
  const host = await ready;
  return {
    ...host,
    cleanup: async () => {
      await stop(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a host on a given port and token (test/e2e/host-at.ts); returns a function that stops it. */
export async function hostAt(
  dataDir: string,
  port: number,
  token: string,
): Promise<() => Promise<void>> {
  const child = spawn(process.execPath, ['test/e2e/host-at.ts', dataDir, String(port), token], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`host-at exited (${code}):\n${err}`)));
  });
  return () => stop(child);
}

/** Calls a command over the host's HTTP API with the page's own token, as the renderer does. */
export async function invokeHttp<T>(host: Host, name: string, input: unknown): Promise<T> {
  const res = await fetch(`${host.origin}/api/invoke/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-stateward-token': host.token },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { ok: boolean; value?: T; error?: unknown };
  if (!body.ok) throw new Error(`${name} failed: ${JSON.stringify(body.error)}`);
  return body.value as T;
}

/**
 * Waits until the host's catch-up backup at start (a new data dir's first scheduled
 * one, of the empty database) has ended, so every test starts from the same state
 * instead of racing it (up to 15 s; at once on a data dir that cannot back up).
 */
async function afterCatchUpBackup(host: Host): Promise<void> {
  for (let i = 0; i < 150; i++) {
    let overview: { running: unknown; lastBackup: unknown };
    try {
      overview = await invokeHttp(host, 'backups.overview', {});
    } catch {
      return; // a refused data dir: nothing is scheduled
    }
    if (overview.running === null && overview.lastBackup !== null) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The first-run screen's "Load demo data" (of `size` when given), then the Dashboard. */
export async function loadDemo(page: Page, url: string, size?: 'small' | 'large'): Promise<void> {
  await page.goto(url);
  if (size) await page.getByLabel('Demo data size').selectOption(size);
  await page.getByRole('button', { name: 'Load demo data' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible({
    timeout: 30_000,
  });
}

/** A manual backup over HTTP, retried while the first scheduled one (started with the host) runs. */
export async function backupNow(host: Host, compact = false): Promise<BackupEntry> {
  for (let i = 0; ; i++) {
    try {
      return await invokeHttp<BackupEntry>(host, 'backups.create', { compact });
    } catch (e) {
      if (!String(e).includes('BACKUP_IN_PROGRESS') || i >= 200) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Restore a backup into a drilled copy through the API, then open its comparison with live in the UI. */
export async function compareCopyOf(page: Page, host: Host, backupId: string): Promise<void> {
  const staged = await invokeHttp<{ restoreId: string }>(host, 'restores.preflight', {
    source: { backupId },
  });
  await invokeHttp(host, 'restores.drill', { restoreId: staged.restoreId });
  await page.goto(host.url);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('button', { name: 'Restore & drills' }).click();
  await page
    .locator(`[data-restore-id="${staged.restoreId}"]`)
    .getByRole('button', { name: 'Preview' })
    .click();
  await nav.getByRole('button', { name: 'Compare with live' }).click();
}
