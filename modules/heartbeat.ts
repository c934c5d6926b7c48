// Heartbeat verdict: one periodic check of "time since the last byte received" (not a timer reset per byte).
// dead when the peer has been silent for timeoutMs; ping-due when it has been silent for heartbeatMs and we have
// not sent anything for heartbeatMs either (at most one probe per heartbeat period).

export type Verdict = "ok" | "ping-due" | "dead";

export function verdict(nowMs: number, lastRxMs: number, lastTxMs: number, heartbeatMs: number, timeoutMs: number): Verdict {
  const silentMs = nowMs - lastRxMs;
  if (silentMs >= timeoutMs) return "dead";
  if (silentMs >= heartbeatMs && nowMs - lastTxMs >= heartbeatMs) return "ping-due";
  return "ok";
}

/**
 * How often to run the check: fine enough that a dead peer is declared within about 1.1 x timeoutMs
 * (a tenth of timeoutMs, a quarter of heartbeatMs), never more often than every 10 ms.
 */
export function checkIntervalMs(heartbeatMs: number, timeoutMs: number): number {
  return Math.max(10, Math.floor(Math.min(heartbeatMs / 4, timeoutMs / 10)));
}

/**
 * A check that comes more than a whole period late found the board busy (a stall, a burst of work): bytes that
 * arrived meanwhile wait behind the timer, unread, so a "dead" verdict now could be false. Judge next round instead.
 */
export function ranLate(nowMs: number, lastCheckMs: number, everyMs: number): boolean {
  return nowMs - lastCheckMs > 2 * everyMs;
}

/**
 * The periodic check both roles run (the client for its one connection, the server for every session): it knows
 * its period and when it last ran, and tells a caller whose turn came late (ranLate) to skip its verdicts.
 */
export class PeriodicCheck {
  #everyMs = 0;
  #lastMs = 0;

  /** The period in force (checkIntervalMs of the timings given to start). */
  get everyMs(): number {
    return this.#everyMs;
  }

  /** (Re)start counting at nowMs; returns the period to set the repeating timer to. */
  start(heartbeatMs: number, timeoutMs: number, nowMs: number): number {
    this.#everyMs = checkIntervalMs(heartbeatMs, timeoutMs);
    this.#lastMs = nowMs;
    return this.#everyMs;
  }

  /** One turn at nowMs: undefined when on time, else the ms since the previous turn (verdicts wait a round). */
  late(nowMs: number): number | undefined {
    const sinceMs = nowMs - this.#lastMs;
    const late = ranLate(nowMs, this.#lastMs, this.#everyMs);
    this.#lastMs = nowMs;
    return late ? sinceMs : undefined;
  }
}
