// ECHO accounting for the client: each ECHO gets the next sequence number and its send time; a reply gives its
// round-trip time, and tells which earlier ECHOs it skipped (lost: TCP delivers in order, so a reply for a later seq
// means the earlier ones will never come back), a duplicate, or one never sent. PUSH sequence gaps are checked the
// same way by SequenceCheck. Pure: no timers, no sockets, no log; the client counts and logs what these return.

/** Unanswered ECHOs kept for gap and RTT tracking; older ones are counted lost. */
export const MAX_INFLIGHT = 256;

export type EchoReply =
  | { kind: "ok"; rttMs: number; missing: number }
  | { kind: "duplicate" }
  | { kind: "never-sent" };

export class EchoTracker {
  #nextSeq = 0;
  #highestAnswered = -1;
  /** seq -> send time, in send order (a Map iterates in insertion order). */
  #inflight = new Map<number, number>();
  readonly #max: number;

  constructor(max = MAX_INFLIGHT) {
    this.#max = max;
  }

  get inflight(): number {
    return this.#inflight.size;
  }

  /** Number an ECHO sent at nowMs. `overdue` is the oldest unanswered seq, given up to keep the table bounded. */
  send(nowMs: number): { seq: number; overdue?: number } {
    const seq = this.#nextSeq++;
    this.#inflight.set(seq, nowMs);
    if (this.#inflight.size <= this.#max) return { seq };
    const overdue = this.#inflight.keys().next().value as number;
    this.#inflight.delete(overdue);
    return { seq, overdue };
  }

  /** A reply for seq arrived at nowMs. */
  reply(seq: number, nowMs: number): EchoReply {
    const sentMs = this.#inflight.get(seq);
    if (sentMs === undefined) return seq <= this.#highestAnswered ? { kind: "duplicate" } : { kind: "never-sent" };
    let missing = 0;
    for (const pending of this.#inflight.keys()) {
      if (pending >= seq) break;
      this.#inflight.delete(pending);
      missing++;
    }
    this.#inflight.delete(seq);
    this.#highestAnswered = Math.max(this.#highestAnswered, seq);
    return { kind: "ok", rttMs: nowMs - sentMs, missing };
  }

  /** The connection went: forget every unanswered ECHO and return how many there were. */
  dropAll(): number {
    const lost = this.#inflight.size;
    this.#inflight.clear();
    return lost;
  }
}

/** A stream of sequence numbers that should go up by one (the server's PUSH). */
export class SequenceCheck {
  #last = -1;

  /** A new stream starts (a new session): the next seq is taken as it comes. */
  reset(): void {
    this.#last = -1;
  }

  /** seq arrived: undefined when it follows the last one, else the seq that was expected. */
  next(seq: number): number | undefined {
    const expected = this.#last >= 0 && seq !== this.#last + 1 ? this.#last + 1 : undefined;
    this.#last = seq;
    return expected;
  }
}
