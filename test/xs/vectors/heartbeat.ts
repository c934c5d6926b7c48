// Vectors for linklab/heartbeat: the verdict over a grid of silences and send times around each boundary, and the
// check interval for the lab's (heartbeatMs, timeoutMs) pairs.
import { checkIntervalMs, PeriodicCheck, verdict } from "linklab/heartbeat";

export function vectors(): Record<string, unknown> {
  const pairs: [number, number][] = [[1000, 3000], [500, 1500], [200, 600], [20, 50], [3600000, 3600001]];
  const grid: Record<string, string[]> = {};
  for (const [heartbeatMs, timeoutMs] of pairs) {
    const now = 1_000_000;
    const rows: string[] = [];
    for (const silentMs of [0, 1, heartbeatMs - 1, heartbeatMs, heartbeatMs + 1, timeoutMs - 1, timeoutMs, timeoutMs + 1]) {
      for (const sinceTxMs of [0, heartbeatMs - 1, heartbeatMs, 10 * timeoutMs]) {
        rows.push(verdict(now, now - silentMs, now - sinceTxMs, heartbeatMs, timeoutMs));
      }
    }
    grid[`${heartbeatMs}/${timeoutMs}`] = rows;
  }
  return {
    grid,
    clockAtZero: [verdict(0, 0, 0, 1000, 3000), verdict(3000, 0, 0, 1000, 3000), verdict(2999, 0, 0, 1000, 3000)],
    futureRx: verdict(100, 200, 0, 1000, 3000),
    intervals: pairs.map(([h, t]) => checkIntervalMs(h, t)).concat([checkIntervalMs(1, 1), checkIntervalMs(45, 3000)]),
    periodic: periodic(),
  };
}

/** A PeriodicCheck started at 1000 ms with a 100 ms period: on time, exactly two periods, then a stall. */
function periodic(): unknown[] {
  const check = new PeriodicCheck();
  const everyMs = check.start(1000, 3000, 1000);
  return [everyMs, check.everyMs, ...[1100, 1300, 1501, 1600].map((t) => check.late(t) ?? null)];
}
