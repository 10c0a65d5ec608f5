// Log lines from a stream (stdin, a child's output) appended to a deployment's log in
// batches: up to MAX_BATCH lines or MAX_DELAY_MS after the first waiting line, one
// batch in flight at a time, in order.
import { StringDecoder } from 'node:string_decoder';
import type { LogLevel } from '../../shared/domain.ts';

const MAX_BATCH = 200;
const MAX_DELAY_MS = 250;
/** The longest message the contract takes: a longer line is stored in pieces. */
const MAX_LINE = 20000;

export interface LogLine {
  level: LogLevel;
  message: string;
}

/** Text in, whole lines out (a trailing CR dropped, NUL replaced, long lines in pieces). */
export class LineSplitter {
  private rest = '';
  private readonly decoder = new StringDecoder('utf8');
  private readonly onLine: (line: string) => void;

  constructor(onLine: (line: string) => void) {
    this.onLine = onLine;
  }

  write(chunk: Buffer | string): void {
    const parts = (
      this.rest + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk))
    ).split('\n');
    this.rest = parts.pop()!;
    for (const p of parts) this.emit(p);
    while (this.rest.length > MAX_LINE) {
      this.emit(this.rest.slice(0, MAX_LINE));
      this.rest = this.rest.slice(MAX_LINE);
    }
  }

  end(): void {
    this.emit(this.rest + this.decoder.end());
    this.rest = '';
  }

  private emit(raw: string): void {
    // A NUL (binary output) cannot be stored as text in PostgreSQL: shown as U+FFFD.
    const line = (raw.endsWith('\r') ? raw.slice(0, -1) : raw).replaceAll('\0', '\uFFFD');
    for (let i = 0; i < line.length; i += MAX_LINE) this.onLine(line.slice(i, i + MAX_LINE));
  }
}

/** Every line of `stream`, in order; waits for `onLine` (backpressure) between chunks. */
export async function readLines(
  stream: NodeJS.ReadableStream,
  onLine: (line: string) => void,
  between: () => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  const splitter = new LineSplitter(onLine);
  for await (const chunk of stream) {
    splitter.write(chunk as Buffer | string);
    await between();
  }
  splitter.end();
}

export class LogBatcher {
  private waiting: LogLine[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | null = null;
  private readonly send: (lines: LogLine[]) => Promise<void>;
  /** Lines waiting beyond this many make `room()` wait (a reader then stops reading). */
  private readonly maxWaiting: number;

  constructor(send: (lines: LogLine[]) => Promise<void>, maxWaiting = 20 * MAX_BATCH) {
    this.send = send;
    this.maxWaiting = maxWaiting;
  }

  /** How many lines wait to be sent. */
  get pending(): number {
    return this.waiting.length;
  }

  push(level: LogLevel, message: string): void {
    if (this.failure) throw this.failure.error;
    if (message === '') return;
    this.waiting.push({ level, message });
    if (this.waiting.length >= MAX_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), MAX_DELAY_MS);
  }

  /** Resolves once few enough lines wait; rejects with a failed send's error. */
  async room(): Promise<void> {
    while (this.waiting.length >= this.maxWaiting && !this.failure) await this.inFlight;
    if (this.failure) throw this.failure.error;
  }

  /** Send what waits; resolves when everything pushed so far is sent (rejects as room()). */
  async close(): Promise<void> {
    this.flush();
    await this.inFlight;
    if (this.failure) throw this.failure.error;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.inFlight = this.inFlight.then(async () => {
      while (this.waiting.length > 0 && !this.failure) {
        const batch = this.waiting.slice(0, MAX_BATCH);
        try {
          await this.send(batch);
          this.waiting.splice(0, batch.length);
        } catch (e) {
          this.failure = { error: e };
        }
      }
    });
  }
}
