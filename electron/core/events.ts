// A typed event bus; `on` returns its own unsubscribe function.
import type { EventName, Events } from '../../shared/events.ts';

type Listener<E extends EventName> = (payload: Events[E]) => void;

export class EventBus {
  private readonly listeners = new Map<EventName, Set<Listener<EventName>>>();
  private readonly any = new Set<(event: EventName, payload: Events[EventName]) => void>();

  on<E extends EventName>(event: E, fn: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(fn as Listener<EventName>);
    return () => set.delete(fn as Listener<EventName>);
  }

  /** Every event, for transports that forward them all. */
  onAny(fn: (event: EventName, payload: Events[EventName]) => void): () => void {
    this.any.add(fn);
    return () => this.any.delete(fn);
  }

  emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const fn of this.listeners.get(event) ?? []) fn(payload);
    for (const fn of this.any) fn(event, payload);
  }
}
