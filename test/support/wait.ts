// Bounded waiting for tests: a deferred, a deadline around any promise, a condition check that re-runs on each
// timer tick until a deadline, and a recorder that counts callbacks and waits for the next one. Nothing here
// sleeps for a fixed time: every wait ends as soon as the thing happens, or fails loudly at its deadline.

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** `promise`, or a rejection naming `what` if it has not settled within `deadlineMs`. */
export async function within<T>(promise: Promise<T>, what: string | (() => string), deadlineMs = 3000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    const describe = (): string => (typeof what === "string" ? what : what());
    timer = setTimeout(() => reject(new Error(`timed out after ${deadlineMs} ms waiting for ${describe()}`)), deadlineMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolve once `condition()` is true (checked every few ms), or reject naming `what` after `deadlineMs`. */
export async function waitFor(condition: () => boolean, what: string, deadlineMs = 3000): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > deadlineMs) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export interface Recorded {
  name: string;
  args: unknown[];
  atMs: number;
}

/** Records named events (callbacks) in order; `next(name)` waits for the next one not yet taken. */
export class Recorder {
  readonly events: Recorded[] = [];
  #taken = new Map<string, number>();
  #waiters = new Set<() => void>();

  /** Record an event now. */
  record(name: string, ...args: unknown[]): void {
    this.events.push({ name, args, atMs: performance.now() });
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** A callback that records `name` with its arguments (and `this` ignored). */
  on(name: string): (...args: unknown[]) => void {
    return (...args: unknown[]) => this.record(name, ...args);
  }

  count(name: string): number {
    return this.events.filter((event) => event.name === name).length;
  }

  names(): string[] {
    return this.events.map((event) => event.name);
  }

  /** The arguments of the next `name` event not returned before; rejects after `deadlineMs`. */
  next(name: string, deadlineMs = 3000): Promise<unknown[]> {
    const found = deferred<unknown[]>();
    const check = (): boolean => {
      const seen = this.#taken.get(name) ?? 0;
      const matches = this.events.filter((event) => event.name === name);
      if (matches.length <= seen) return false;
      this.#taken.set(name, seen + 1);
      found.resolve(matches[seen].args);
      return true;
    };
    if (!check()) {
      const waiter = (): void => {
        if (check()) this.#waiters.delete(waiter);
      };
      this.#waiters.add(waiter);
      found.promise.finally(() => this.#waiters.delete(waiter)).catch(() => {});
    }
    return within(found.promise, () => `event "${name}" (seen: ${this.names().join(", ") || "none"})`, deadlineMs);
  }
}
