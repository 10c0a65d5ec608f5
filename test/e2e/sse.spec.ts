// The renderer's hand-written SSE parser (the HTTP transport's event stream),
// checked without a browser: chunk boundaries anywhere, CRLF, comments, multi-line data.
import { expect, test } from '@playwright/test';
import { SseParser } from '../../renderer/src/sse.ts';

function parseAll(chunks: string[]): [string, string][] {
  const out: [string, string][] = [];
  const p = new SseParser((event, data) => out.push([event, data]));
  for (const c of chunks) p.push(c);
  return out;
}

const STREAM =
  ': connected\n\n' +
  'event: data.changed\ndata: {"area":"projects"}\n\n' +
  ': ping\n\n' +
  'event: progress\r\ndata: {"done":1,\r\ndata: "total":2}\r\n\r\n' +
  'data: no event name\n\n' +
  'event: partial\ndata: never finished';

const EXPECTED: [string, string][] = [
  ['data.changed', '{"area":"projects"}'],
  ['progress', '{"done":1,\n"total":2}'],
  ['message', 'no event name'],
];

test('parses a whole stream', () => {
  expect(parseAll([STREAM])).toEqual(EXPECTED);
});

test('parses the same stream split at every possible point', () => {
  for (let i = 1; i < STREAM.length; i++) {
    expect(parseAll([STREAM.slice(0, i), STREAM.slice(i)]), `split at ${i}`).toEqual(EXPECTED);
  }
});

test('parses the stream one character at a time', () => {
  expect(parseAll([...STREAM])).toEqual(EXPECTED);
});
