import { strict as assert } from "node:assert";
import type { LogEvent } from "linklab/events";
import { formatLine, formatValue, guard, Log, RateLimiter, Sampler } from "linklab/log";

/** A catalogue-shaped entry (the firmware's own are in linklab/events). */
const entry = (message: string): LogEvent => ({ tag: "x", message, keys: [] });

describe("linklab/log", () => {
  it("formats a line as <ms> <L> <tag>: <message> key=value", () => {
    assert.equal(formatLine(1234, "I", "tcp.client", "state connecting->online", { reason: "welcome", rttMs: 12 }), "  1234 I tcp.client: state connecting->online reason=welcome rttMs=12");
  });

  it("leaves out fields whose value is undefined", () => {
    assert.equal(formatLine(5, "W", "t", "m", { a: undefined, b: 1 }), "     5 W t: m b=1");
  });

  it("quotes values with spaces, quotes, backslashes, control bytes or nothing at all", () => {
    assert.equal(formatValue("a b"), '"a b"');
    assert.equal(formatValue(""), '""');
    assert.equal(formatValue('say "hi"'), '"say \\"hi\\""');
    assert.equal(formatValue("a\\b"), '"a\\\\b"');
    assert.equal(formatValue("nul\u0000"), '"nul\\x00"');
    assert.equal(formatValue("plain-value_1.2:3"), "plain-value_1.2:3");
  });

  it("drops lines below the configured level", () => {
    const lines: string[] = [];
    const log = new Log({ clock: () => 7, sink: (l) => lines.push(l), level: "W" });
    const t = log.tag("x");
    t.d(entry("debug"));
    t.i(entry("info"));
    t.w(entry("warn"));
    t.e(entry("error"));
    assert.deepEqual(lines, ["     7 W x: warn", "     7 E x: error"]);
    log.level = "D";
    t.d(entry("debug"));
    assert.equal(lines.length, 3);
  });

  it("survives a sink that throws", () => {
    const log = new Log({ clock: () => 0, sink: () => { throw new Error("serial gone"); } });
    assert.doesNotThrow(() => log.tag("x").e(entry("still alive")));
  });

  it("samples the first event and then every Nth", () => {
    const s = new Sampler(3);
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(() => s.take()), [true, false, false, true, false, false, true]);
    const never = new Sampler(0);
    assert.equal(never.take(), false);
    const all = new Sampler(1);
    assert.deepEqual([all.take(), all.take()], [true, true]);
  });

  it("rate-limits to one line per interval and reports how many were suppressed", () => {
    const r = new RateLimiter(1000);
    assert.equal(r.take(0), 0);
    assert.equal(r.take(10), -1);
    assert.equal(r.take(999), -1);
    assert.equal(r.take(1000), 2);
    assert.equal(r.take(1500), -1);
  });

  it("guard(): a callback that throws is logged as its part's `callback failed where= error=` and does not throw", () => {
    const lines: string[] = [];
    const log = new Log({ clock: () => 3, sink: (l) => lines.push(l) });
    const failed: LogEvent<"where" | "error"> = { tag: "x", message: "callback failed", keys: ["where", "error"], bug: true };
    const seen: unknown[] = [];
    const target = { name: "socket" };
    const wrapped = guard(log.tag("x"), failed, "onReadable", function (this: { name: string }, n: number) {
      seen.push(this.name, n);
      throw new RangeError("bad " + n);
    });
    assert.doesNotThrow(() => wrapped.call(target, 7));
    assert.deepEqual(seen, ["socket", 7]);
    assert.deepEqual(lines, ['     3 E x: callback failed where=onReadable error="RangeError: bad 7"']);
  });
});
