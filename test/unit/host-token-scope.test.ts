// Which requests need the token, exactly as the README ("Run it headless") says:
// commands and the event stream do; the page's own files and a single-use
// download ticket do not.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { HTTP_EVENTS_PATH, HTTP_INVOKE_PATH } from '../../shared/events.ts';
import type { BackupEntry } from '../../shared/domain.ts';
import { REPO_ROOT } from '../helpers/child.ts';
import { INDEX_HTML, request, startTestHost } from '../helpers/http.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

function value<T>(r: { status: number; body: string }): T {
  expect(r.status).toBe(200);
  const parsed = JSON.parse(r.body) as { ok: boolean; value: T };
  expect(parsed.ok).toBe(true);
  return parsed.value;
}

describe('what needs the token', () => {
  it('commands and the event stream need it; the page itself does not', async () => {
    const h = await startTestHost(world);
    const invoke = await request(h.port, {
      method: 'POST',
      path: `${HTTP_INVOKE_PATH}projects.list`,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(invoke.status).toBe(401);
    expect((await request(h.port, { path: HTTP_EVENTS_PATH })).status).toBe(401);
    const page = await request(h.port, { path: '/' });
    expect(page.status).toBe(200);
    expect(page.body).toBe(INDEX_HTML);
  });

  it('a download link works once without the token, and not from another origin', async () => {
    const h = await startTestHost(world);
    const entry = value<BackupEntry>(await h.invoke('backups.create', {}));
    const linkFor = async () =>
      value<{ url: string }>(await h.invoke('backups.downloadLink', { id: entry.id })).url;
    const size = fs.statSync(path.join(h.rt.layout.backups, entry.fileName)).size;
    const url = await linkFor();
    const got = await request(h.port, { path: url });
    expect(got.status).toBe(200);
    expect(got.headers['content-length']).toBe(String(size));
    expect((await request(h.port, { path: url })).status).toBe(404); // single use
    const foreign = await request(h.port, {
      path: await linkFor(),
      headers: { origin: 'http://evil.example' },
    });
    expect(foreign.status).toBe(403);
  });

  it('the README says so', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Run it headless'),
      readme.indexOf('## Backups'),
    );
    expect(section).not.toMatch(/token it prints on every request/);
    expect(section).toMatch(/page's own files[^]*without a token/);
    expect(section).toMatch(/download[^]*single-use ticket/);
  });
});
