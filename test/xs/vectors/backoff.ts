// Vectors for linklab/backoff with a seeded random source: the same delays on Node and XS, including the clamps
// for a random() that misbehaves and the reset after a success.
import { Backoff } from "linklab/backoff";
import { seededRandom } from "../../../host-sim/seeded-random.ts";

function delays(baseMs: number, maxMs: number, seed: number, count: number): number[] {
  const backoff = new Backoff({ baseMs, maxMs, random: seededRandom(seed) });
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(backoff.next());
  return out;
}

export function vectors(): Record<string, unknown> {
  const withReset = new Backoff({ baseMs: 500, maxMs: 30000, random: seededRandom(7) });
  const before = [withReset.next(), withReset.next(), withReset.next(), withReset.attempt];
  withReset.reset();
  const after = [withReset.attempt, withReset.next(), withReset.attempt];

  const odd = [Number.NaN, -1, 1, 2, 0, 0.5, Infinity];
  let i = 0;
  const clamped = new Backoff({ baseMs: 100, maxMs: 1000, random: () => odd[i++ % odd.length] });
  const caps = new Backoff({ baseMs: 500, maxMs: 30000, random: () => 0 });

  return {
    defaults: delays(500, 30000, 1, 20),
    otherSeed: delays(500, 30000, 0xdecafbad, 20),
    fast: delays(10, 200, 42, 12),
    flat: delays(250, 250, 3, 5),
    zeroBase: delays(0, 1000, 9, 8),
    maxBelowBase: { delays: delays(800, 100, 5, 3), bounds: [new Backoff({ baseMs: 800, maxMs: 100, random: () => 0 }).maxMs] },
    negativeBase: new Backoff({ baseMs: -5, maxMs: 10, random: () => 0 }).baseMs,
    clamped: odd.map(() => clamped.next()),
    caps: [0, 1, 2, 5, 6, 10, 39, 40, 100].map((n) => caps.capMs(n)),
    before,
    after,
  };
}
