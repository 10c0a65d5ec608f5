// The HTTP host as an attacker holding the token would use it: event streams
// opened by the hundred are bounded (the oldest is closed, the newest works),
// and a configuration snapshot whose top-level key is "__proto__" is refused
// instead of being stored without that key.
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { HTTP_EVENTS_PATH, HTTP_TOKEN_HEADER } from '../../shared/events.ts';
import { MAX_STREAMS } from '../../electron/host/server.ts';
import { startTestHost } from '../helpers/http.ts';
import { readyDb } from '../helpers/runtime.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

interface Stream {
  closed: Promise<void>;
  isClosed: () => boolean;
  text: () => string;
  destroy: () => void;
}

/** Open an event stream; resolves once the host said it is connected. */
function openStream(port: number, token: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port,
        path: HTTP_EVENTS_PATH,
        headers: { [HTTP_TOKEN_HEADER]: token },
        agent: false,
      },
      (res) => {
        let text = '';
        let isClosed = false;
        const closed = new Promise<void>((done) =>
          res.on('close', () => {
            isClosed = true;
            done();
          }),
        );
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
          if (text.includes(': connected'))
            resolve({
              closed,
              isClosed: () => isClosed,
              text: () => text,
              destroy: () => req.destroy(),
            });
        });
        res.on('error', () => undefined);
      },
    );
    req.on('error', reject);
  });
}

describe('HTTP host, attacked with the token', () => {
  it('event streams are bounded: past the limit the oldest is closed and the newest gets events', async () => {
    const t = await startTestHost(world);
    const streams: Stream[] = [];
    world.defer(() => streams.forEach((s) => s.destroy()));
    for (let i = 0; i < MAX_STREAMS + 3; i++) streams.push(await openStream(t.port, t.token));
    // The three oldest were closed by the host (without the bound, all stay open for ever).
    await Promise.all(streams.slice(0, 3).map((s) => s.closed));
    expect(streams.filter((s) => s.isClosed()).length).toBe(3);
    const newest = streams[streams.length - 1]!;
    const got = new Promise<void>((done) => {
      const check = setInterval(() => {
        if (newest.text().includes('event: data.changed')) {
          clearInterval(check);
          done();
        }
      }, 10);
    });
    const r = await t.invoke('projects.create', { name: 'after-the-flood' });
    expect(JSON.parse(r.body).ok).toBe(true);
    await got;
    expect(newest.isClosed()).toBe(false);
  });

  it('a snapshot with a top-level "__proto__" key is refused, not stored without it', async () => {
    const t = await startTestHost(world);
    const p = JSON.parse((await t.invoke('projects.create', { name: 'shop' })).body);
    const e = JSON.parse(
      (await t.invoke('environments.create', { projectId: p.value.id, name: 'prod' })).body,
    );
    const before = readyDb(t.rt).prepare('SELECT count(*) AS n FROM config_snapshots').get();
    for (const body of [
      `{"environmentId":${e.value.id},"content":{"__proto__":{"replicas":3},"image":"a"}}`,
      `{"environmentId":${e.value.id},"content":{"__proto__":null}}`,
    ]) {
      const raw = await t.invoke('snapshots.create', JSON.parse(body));
      const r = JSON.parse(raw.body);
      expect(r.ok, raw.body).toBe(false);
      expect(r.error.code).toBe('BAD_INPUT');
      expect(r.error.message).toContain('__proto__');
    }
    expect(readyDb(t.rt).prepare('SELECT count(*) AS n FROM config_snapshots').get()).toEqual(
      before,
    );
    // Nested, it is an ordinary key: kept as sent.
    const ok = JSON.parse(
      (
        await t.invoke(
          'snapshots.create',
          JSON.parse(`{"environmentId":${e.value.id},"content":{"a":{"__proto__":{"x":1}}}}`),
        )
      ).body,
    );
    expect(ok.ok).toBe(true);
    expect(JSON.stringify(ok.value.content)).toBe('{"a":{"__proto__":{"x":1}}}');
  });
});
