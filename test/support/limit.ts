// At most `parallel` async tasks at once, the others queued in order: lab runs take seconds each and the CI machine
// has two cores, so suites that start many runs share them this way instead of starving each other's timing.

/** A runner that starts each task when fewer than `parallel` are active. */
export function limiter(parallel: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active >= parallel) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
