// A sparse, page-cached view of `deployments.list` for the virtualized list:
// pages of 200 are fetched by offset only when rows in them come into view, and
// kept. After a change in the data, pages are refetched as they are needed while
// the old rows stay on screen until their replacements arrive (no flicker).
import type { Deployment, DeploymentStatus } from '../../shared/domain.ts';
import type { AppErrorShape } from '../../shared/errors.ts';
import { invoke } from './api.ts';

export const PAGE_SIZE = 200;

export interface DeploymentFilter {
  projectId?: number;
  environmentId?: number;
  status?: DeploymentStatus;
  /** Read a restored copy being previewed instead of live. */
  restoreId?: string;
}

export class DeploymentPages {
  private readonly filter: DeploymentFilter;
  private pages = new Map<number, { generation: number; items: Deployment[] }>();
  private inflight = new Map<number, number>(); // page → generation being fetched
  private generation = 0;
  private listeners = new Set<() => void>();
  private lastRange: [number, number] = [0, 0];
  private version = 0;
  total: number | null = null;
  error: AppErrorShape | null = null;

  constructor(filter: DeploymentFilter) {
    this.filter = filter;
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
    const first = Math.floor(Math.max(0, start) / PAGE_SIZE);
    const last = Math.floor(Math.max(0, end) / PAGE_SIZE);
    for (let p = first; p <= last; p++) {
      const have = this.pages.get(p);
      if (have && have.generation === this.generation) continue;
      if (this.inflight.get(p) === this.generation) continue;
      void this.fetch(p, this.generation);
    }
  }

  /** The data changed: fetch what is visible again; other pages are refetched when seen. */
  invalidate(): void {
    this.generation++;
    this.error = null;
    this.ensure(...this.lastRange);
  }

  retry(): void {
    this.invalidate();
    this.changed();
  }

  private async fetch(page: number, generation: number): Promise<void> {
    this.inflight.set(page, generation);
    const r = await invoke('deployments.list', {
      ...this.filter,
      offset: page * PAGE_SIZE,
      limit: PAGE_SIZE,
    });
    if (this.inflight.get(page) === generation) this.inflight.delete(page);
    if (generation !== this.generation) return; // a newer fetch superseded this one
    if (!r.ok) {
      this.error = r.error;
    } else {
      this.error = null;
      this.pages.set(page, { generation, items: r.value.items });
      if (this.total !== r.value.total) {
        this.total = r.value.total;
        // Pages beyond the new end are gone.
        const lastPage = Math.floor(Math.max(0, this.total - 1) / PAGE_SIZE);
        for (const p of [...this.pages.keys()]) if (p > lastPage) this.pages.delete(p);
      }
    }
    this.changed();
  }
}
