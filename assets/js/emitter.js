// The one event emitter of the browser client: the room store, the player switch (players.js) and the
// YouTube adapter all use it, rather than each keeping a listener list of its own. Tested in
// tests/js/emitter.test.mjs.

export class Emitter {
  constructor() {
    this.handlers = new Map(); // type -> Set of handlers, in the order they were added
  }

  /** Calls `handler(...args)` on every `emit(type, ...args)`; returns a function that stops it. */
  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(handler);
    return () => this.off(type, handler);
  }

  /** Like `on`, for the next `type` only. */
  one(type, handler) {
    const once = (...args) => {
      this.off(type, once);
      handler(...args);
    };
    return this.on(type, once);
  }

  off(type, handler) {
    this.handlers.get(type)?.delete(handler);
  }

  /**
   * A copy is walked, so a handler that adds or removes handlers (one() does) changes the next emit,
   * not this one.
   */
  emit(type, ...args) {
    for (const handler of [...(this.handlers.get(type) ?? [])]) handler(...args);
  }
}
