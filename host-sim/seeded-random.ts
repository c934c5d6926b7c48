// A seeded pseudo-random source (mulberry32): the lab's repeatable jitter and UDP loss, and the tests and XS
// vectors that need repeatable "randomness". Pure integer arithmetic, so it gives the same sequence on Node and XS.

/** A function returning numbers in [0, 1), the same sequence for the same 32-bit seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
