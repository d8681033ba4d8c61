/** A minimal typed event emitter (no Node dependency, so the client runs in browsers). */
// biome-ignore lint/suspicious/noExplicitAny: handler signatures vary per event
export class Emitter<Events extends Record<string, (...args: any[]) => void>> {
  readonly #handlers = new Map<keyof Events, Set<Events[keyof Events]>>();

  /** Subscribes; returns the unsubscribe function. */
  on<E extends keyof Events>(event: E, handler: Events[E]): () => void {
    let set = this.#handlers.get(event);
    if (!set) {
      set = new Set();
      this.#handlers.set(event, set);
    }
    const handlers = set;
    handlers.add(handler);
    return () => handlers.delete(handler);
  }

  /** Calls every handler; a throwing handler never stops the others or the client. */
  protected emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    for (const handler of this.#handlers.get(event) ?? []) {
      try {
        handler(...args);
      } catch {
        // handlers are the application's; their failures must not break the client
      }
    }
  }
}
