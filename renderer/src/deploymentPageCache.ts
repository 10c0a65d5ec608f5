// A sparse, page-cached view of `deployments.list` for the virtualized list.
// Rows are addressed by position (row i of `total`), and pages of 200 are read
// with keyset cursors when rows in them come into view, so a page deep in a
// million rows costs what the first one does:
// - next to a loaded page: the cursor of that page's edge (no skipping at all);
// - the last page: read from the oldest end;
// - anywhere else (a jump: End, a dragged scroll bar): from the nearest row whose
//   position is known (the start, the end, or a loaded page), stepping over at
//   most DEPLOYMENT_SKIP_MAX rows per call, so every call stays short and the
//   positions stay exact.
// Pages are fetched one at a time, nearest to a loaded page first. After a change
// in the data, pages are fetched again as they are needed while the old rows stay
// on screen until their replacements arrive (no flicker).
// This module does no I/O of its own (it is given the call that reads a page), so
// it can be tested against the real command registry outside a browser.
import type { CommandInput } from '../../shared/contract.ts';
import type { CursorPage, Deployment, DeploymentStatus } from '../../shared/domain.ts';
import { DEPLOYMENT_SKIP_MAX } from '../../shared/domain.ts';
import type { AppErrorShape, Result } from '../../shared/errors.ts';

export const PAGE_SIZE = 200;

export interface DeploymentFilter {
  projectId?: number;
  environmentId?: number;
  status?: DeploymentStatus;
  /** Read a restored copy being previewed instead of live. */
  restoreId?: string;
}

/** The `deployments.list` call. */
export type ReadPage = (
  input: CommandInput<'deployments.list'>,
) => Promise<Result<CursorPage<Deployment>>>;

/** Where a call starts reading: a cursor, or an end of the list. */
type Start = { cursor: string } | { from: 'newest' | 'oldest' };

/** A row whose position is known in this generation, with cursors to read on from it. */
interface Mark {
  /** Reads the rows after it (older); null: there are none. */
  older?: string | null;
  /** Reads the rows before it (newer); null: there are none. */
  newer?: string | null;
}

/** How to reach page rows [first, last]: from a known row, `skip` rows away. */
interface Route {
  start: Start;
  /** Reading towards older rows (down the list) or newer ones (up). */
  down: boolean;
  /** The position of the row the read starts next to (-1: before the first; total: after the last). */
  from: number;
  skip: number;
}

export class DeploymentPageCache {
  private readonly filter: DeploymentFilter;
  private readonly read: ReadPage;
  private readonly skipMax: number;
  private pages = new Map<number, { generation: number; items: Deployment[] }>();
  private marks = new Map<number, Mark>();
  private generation = 0;
  private pumping = false;
  private listeners = new Set<() => void>();
  private lastRange: [number, number] = [0, 0];
  private version = 0;
  total: number | null = null;
  error: AppErrorShape | null = null;

  constructor(filter: DeploymentFilter, read: ReadPage, opts: { skipMax?: number } = {}) {
    this.filter = filter;
    this.read = read;
    this.skipMax = Math.min(opts.skipMax ?? DEPLOYMENT_SKIP_MAX, DEPLOYMENT_SKIP_MAX);
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  };

  getVersion = (): number => this.version;

  private changed(): void {
    this.version++;
    for (const fn of this.listeners) fn();
  }

  row(index: number): Deployment | undefined {
    const page = this.pages.get(Math.floor(index / PAGE_SIZE));
    return page?.items[index % PAGE_SIZE];
  }

  /** Makes sure rows [start, end] are loaded (or loading). */
  ensure(start: number, end: number): void {
    this.lastRange = [start, end];
    void this.pump();
  }

  /** The data changed: fetch what is visible again; other pages are refetched when seen. */
  invalidate(): void {
    this.generation++;
    this.marks.clear();
    this.error = null;
    void this.pump();
  }

  retry(): void {
    this.invalidate();
    this.changed();
  }

  /** Resolves once every page in view is loaded, or loading stopped on an error (for tests). */
  async settled(): Promise<void> {
    while (this.pumping) await new Promise((r) => setTimeout(r, 1));
  }

  private fresh(page: number): boolean {
    return this.pages.get(page)?.generation === this.generation;
  }

  /** The next page in view to load: one next to a loaded page first (one cheap call). */
  private wanted(): number | null {
    if (this.total === null) return 0;
    const [start, end] = this.lastRange;
    const last = Math.min(end, this.total - 1);
    // An empty list is read again once the data changed: its first rows may have come.
    if (last < 0) return this.fresh(0) ? null : 0;
    const firstPage = Math.floor(Math.max(0, Math.min(start, last)) / PAGE_SIZE);
    const lastPage = Math.floor(last / PAGE_SIZE);
    let pick: number | null = null;
    for (let p = firstPage; p <= lastPage; p++) {
      if (this.fresh(p)) continue;
      if (this.fresh(p - 1) || this.fresh(p + 1)) return p;
      pick ??= p;
    }
    return pick;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const page = this.error ? null : this.wanted();
        if (page === null) return;
        await this.load(page);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The shortest way to rows [first, last] from a row whose position is known. */
  private route(first: number, last: number, total: number): Route {
    let best: Route = { start: { from: 'newest' }, down: true, from: -1, skip: first };
    const consider = (r: Route) => {
      if (r.skip >= 0 && r.skip < best.skip) best = r;
    };
    consider({ start: { from: 'oldest' }, down: false, from: total, skip: total - 1 - last });
    for (const [pos, m] of this.marks) {
      if (m.older && pos < first)
        consider({ start: { cursor: m.older }, down: true, from: pos, skip: first - pos - 1 });
      if (m.newer && pos > last)
        consider({ start: { cursor: m.newer }, down: false, from: pos, skip: pos - last - 1 });
    }
    return best;
  }

  private async load(page: number): Promise<void> {
    const generation = this.generation;
    const total = this.total;
    const first = page * PAGE_SIZE;
    const count = total === null || total === 0 ? PAGE_SIZE : Math.min(PAGE_SIZE, total - first);
    let start: Start;
    let skip = 0;
    let limit = count;
    let hopTo: number | null = null;
    if (total === null || page === 0) {
      start = { from: 'newest' };
    } else if (first + count === total) {
      start = { from: 'oldest' };
    } else if (this.fresh(page - 1) && this.marks.get(first - 1)?.older) {
      start = { cursor: this.marks.get(first - 1)!.older! };
    } else if (this.fresh(page + 1) && this.marks.get(first + count)?.newer) {
      start = { cursor: this.marks.get(first + count)!.newer! };
    } else {
      const r = this.route(first, first + count - 1, total);
      start = r.start;
      if (r.skip <= this.skipMax) {
        skip = r.skip;
      } else {
        // Too far for one call: step to the row skipMax away and remember where it is.
        skip = this.skipMax;
        limit = 1;
        hopTo = r.down ? r.from + 1 + this.skipMax : r.from - 1 - this.skipMax;
      }
    }

    const input: CommandInput<'deployments.list'> = { ...this.filter, ...start, skip, limit };
    const r = await this.read(input);
    if (generation !== this.generation) return; // the data changed meanwhile: this is stale
    if (!r.ok) {
      this.error = r.error;
      this.changed();
      return;
    }
    const { items, next, prev } = r.value;
    if (this.total !== null && r.value.total !== this.total) {
      // Rows came or went since the positions were worked out: start again from what is in view.
      this.total = r.value.total;
      const lastPage = Math.floor(Math.max(0, this.total - 1) / PAGE_SIZE);
      for (const p of [...this.pages.keys()]) if (p > lastPage) this.pages.delete(p);
      this.generation++;
      this.marks.clear();
      this.changed();
      return;
    }
    this.total = r.value.total;
    const at = hopTo ?? first;
    if (items.length > 0) {
      this.mark(at, { newer: prev });
      this.mark(at + items.length - 1, { older: next });
    }
    if (hopTo === null) this.pages.set(page, { generation, items });
    else if (items.length === 0) this.pages.set(page, { generation, items: [] }); // nothing there: stop
    this.changed();
  }

  private mark(pos: number, m: Mark): void {
    this.marks.set(pos, { ...this.marks.get(pos), ...m });
  }
}
