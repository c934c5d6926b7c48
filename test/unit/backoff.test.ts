import { strict as assert } from "node:assert";
import { Backoff } from "linklab/backoff";

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

describe("linklab/backoff", () => {
  it("keeps every delay within backoffBaseMs..backoffMaxMs", () => {
    const b = new Backoff({ baseMs: 500, maxMs: 30000, random: seeded(1) });
    for (let i = 0; i < 1000; i++) {
      const d = b.next();
      assert.ok(d >= 500 && d <= 30000, String(d));
    }
  });

  it("doubles the cap each attempt up to the maximum", () => {
    const b = new Backoff({ baseMs: 500, maxMs: 30000, random: () => 0 });
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 10].map((n) => b.capMs(n)), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it("reaches the bounds with random at its extremes", () => {
    const low = new Backoff({ baseMs: 500, maxMs: 30000, random: () => 0 });
    assert.equal(low.next(), 500);
    const high = new Backoff({ baseMs: 500, maxMs: 30000, random: () => 0.9999999 });
    assert.deepEqual([high.next(), high.next(), high.next()], [1000, 2000, 4000]);
    for (let i = 0; i < 10; i++) high.next();
    assert.equal(high.next(), 30000);
  });

  it("spreads the first retry of many clients across its whole range", () => {
    const random = seeded(42);
    const delays = Array.from({ length: 400 }, () => new Backoff({ baseMs: 500, maxMs: 30000, random }).next());
    const low = delays.filter((d) => d < 750).length;
    const high = delays.filter((d) => d >= 750).length;
    assert.ok(low > 120 && high > 120, `low=${low} high=${high}`);
    assert.ok(new Set(delays).size > 200);
  });

  it("starts again from the first step after reset", () => {
    const b = new Backoff({ baseMs: 100, maxMs: 10000, random: () => 0.9999999 });
    b.next();
    b.next();
    b.next();
    assert.equal(b.attempt, 3);
    b.reset();
    assert.equal(b.attempt, 0);
    assert.equal(b.next(), 200);
  });

  it("survives a broken random source", () => {
    const b = new Backoff({ baseMs: 100, maxMs: 1000, random: () => NaN });
    assert.equal(b.next(), 100);
  });
});
