// Request bodies the HTTP host refuses: too large (announced or chunked) gets a
// 413 with the JSON error shape the client actually receives; bytes that are not
// UTF-8, or text that is not valid Unicode, are BAD_INPUT. Nothing is created.
import { describe, expect, it } from 'vitest';
import { HTTP_INVOKE_PATH, HTTP_TOKEN_HEADER } from '../../shared/events.ts';
import type { RawResponse, TestHost } from '../helpers/http.ts';
import { request, startTestHost } from '../helpers/http.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const MiB = 1024 * 1024;

function post(h: TestHost, body: string | Buffer, chunkBytes?: number): Promise<RawResponse> {
  return request(h.port, {
    method: 'POST',
    path: `${HTTP_INVOKE_PATH}projects.create`,
    headers: { 'content-type': 'application/json', [HTTP_TOKEN_HEADER]: h.token },
    body,
    ...(chunkBytes === undefined ? {} : { chunkBytes }),
  });
}

function projectCount(h: TestHost): number {
  return (h.rt.store!.db.prepare(`SELECT count(*) AS n FROM projects`).get() as { n: number }).n;
}

/** A projects.create body of exactly `bytes` bytes (padded with spaces inside the JSON). */
function bodyOf(bytes: number): string {
  const json = JSON.stringify({ name: 'big' });
  return json.slice(0, -1) + ' '.repeat(bytes - json.length) + '}';
}

function expectRefused(r: RawResponse, status: number, code: string): void {
  expect(r.status).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code } });
}

describe('body size', () => {
  it.each([
    ['announced by Content-Length', undefined],
    ['sent chunked', 64 * 1024],
  ])(
    'a body over 1 MiB %s is answered 413 with the JSON error; the host keeps serving',
    async (_how, chunkBytes) => {
      const h = await startTestHost(world);
      for (const size of [MiB + 1, 8 * MiB]) {
        const r = await post(h, bodyOf(size), chunkBytes);
        expectRefused(r, 413, 'BAD_INPUT');
        expect(JSON.parse(r.body).error.message).toContain('1 MiB');
      }
      expect(projectCount(h)).toBe(0);
      expect((await h.invoke('projects.list', {})).status).toBe(200);
    },
  );

  it('a body of exactly 1 MiB is read', async () => {
    const h = await startTestHost(world);
    for (const chunkBytes of [undefined, 64 * 1024]) {
      const r = await post(h, bodyOf(MiB), chunkBytes);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toMatchObject({ ok: true });
      h.rt.store!.db.prepare(`DELETE FROM projects`).run();
    }
  });
});

describe('body encoding', () => {
  it('bytes that are not UTF-8 are refused with BAD_INPUT and create nothing', async () => {
    const h = await startTestHost(world);
    const body = Buffer.concat([
      Buffer.from('{"name":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    expectRefused(await post(h, body), 400, 'BAD_INPUT');
    expectRefused(await post(h, Buffer.from([0x7b, 0xc3, 0x28, 0x7d])), 400, 'BAD_INPUT');
    expect(projectCount(h)).toBe(0);
  });

  it('a lone surrogate escape (text that is not valid Unicode) is refused with BAD_INPUT', async () => {
    const h = await startTestHost(world);
    for (const body of ['{"name":"\\ud800x"}', '{"name":"ok","\\udfff":1}']) {
      expectRefused(await post(h, body), 400, 'BAD_INPUT');
    }
    expect(projectCount(h)).toBe(0);
  });

  it('a body nested half a million levels deep, or half a million items wide, is a client error, not a 500', async () => {
    const h = await startTestHost(world);
    const deep = '['.repeat(500_000) + ']'.repeat(500_000);
    const wide = `[${'"a",'.repeat(200_000)}"\\ud800"]`;
    for (const body of [deep, wide]) {
      const r = await post(h, body);
      expect(r.status).toBeLessThan(500);
      expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    }
    expect((await h.invoke('projects.list', {})).status).toBe(200);
  });

  it('valid UTF-8 beyond ASCII (and a surrogate pair escape) is accepted unchanged', async () => {
    const h = await startTestHost(world);
    const r = await post(h, Buffer.from('{"name":"Zürich-東京-\\ud83d\\ude80"}', 'utf8'));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ ok: true });
    expect(h.rt.store!.db.prepare(`SELECT name FROM projects`).get()).toEqual({
      name: 'Zürich-東京-🚀',
    });
  });
});
