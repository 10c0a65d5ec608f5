// Server-Sent Events, parsed by hand: EventSource cannot send the token header,
// so the HTTP transport reads /api/events with fetch and feeds the text here.
// Follows the WHATWG event-stream rules this app needs: `event:`/`data:` fields,
// multi-line data, comments (keep-alives), and CRLF/CR/LF line ends split anywhere.

/** Incremental SSE parser: feed it text chunks, it calls `emit` per complete event. */
export class SseParser {
  private buffer = '';
  private eventName = '';
  private data: string[] = [];
  private readonly emit: (event: string, data: string) => void;

  constructor(emit: (event: string, data: string) => void) {
    this.emit = emit;
  }

  push(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const nl = this.buffer.search(/\r\n|\r|\n/);
      if (nl < 0) return;
      // A lone \r at the very end may be the first half of \r\n: wait for more.
      if (this.buffer[nl] === '\r' && nl === this.buffer.length - 1) return;
      const width = this.buffer.startsWith('\r\n', nl) ? 2 : 1;
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + width);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.emit(this.eventName || 'message', this.data.join('\n'));
      this.eventName = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return; // comment / keep-alive
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.eventName = value;
    else if (field === 'data') this.data.push(value);
  }
}
