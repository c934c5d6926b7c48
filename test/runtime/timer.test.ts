// Conformance of the `timer` and `time` modules with Moddable SDK 8.2.3 (modules/base/timer/modTimer.c and
// mc/timer.c, modules/base/time). Real time, waiting for each callback with a deadline; no fixed sleeps.
import assert from "node:assert/strict";
import { board } from "../../host-sim/runtime/board.ts";
import Time from "../../host-sim/runtime/time.ts";
import Timer from "../../host-sim/runtime/timer.ts";
import { useBoard } from "../support/board.ts";
import { Recorder } from "../support/wait.ts";

describe("timer", () => {
  useBoard();

  it("calls a Timer.set callback once, with the timer as its argument", async () => {
    const events = new Recorder();
    const timer = Timer.set(events.on("fired"), 5);
    assert.deepEqual(await events.next("fired"), [timer]);
    // A one-shot timer is released once it has fired (mc/timer.c clears its host data).
    assert.throws(() => Timer.schedule(timer, 5), SyntaxError);
    assert.equal(events.count("fired"), 1);
  });

  it("never fires before its time, even when set late in a long turn (Node times a timer from the turn's start)", async () => {
    await new Promise((resolve) => setImmediate(resolve)); // a fresh turn of the event loop
    const busyUntil = performance.now() + 30;
    while (performance.now() < busyUntil); // a long turn, as on a loaded machine: Node's cached loop time goes stale
    const setMs = performance.now();
    const firedMs = await new Promise<number>((resolve) => Timer.set(() => resolve(performance.now()), 20));
    assert.ok(firedMs - setMs >= 20, `fired ${(firedMs - setMs).toFixed(1)} ms after Timer.set(cb, 20)`);
  });

  it("fires Timer.set(cb, 0) with no delay argument too", async () => {
    const events = new Recorder();
    Timer.set(events.on("fired"));
    await events.next("fired");
  });

  it("repeats Timer.set(cb, ms, repeat) every repeat ms after the first ms", async () => {
    const events = new Recorder();
    const startMs = performance.now();
    const timer = Timer.set(events.on("fired"), 30, 5);
    await events.next("fired");
    const firstMs = performance.now() - startMs;
    await events.next("fired");
    await events.next("fired");
    Timer.clear(timer);
    assert.ok(firstMs >= 29, `first call after ${firstMs} ms`);
  });

  it("repeats Timer.repeat(cb, ms) until cleared", async () => {
    const events = new Recorder();
    const timer = Timer.repeat(events.on("fired"), 2);
    for (let i = 0; i < 3; i++) await events.next("fired");
    Timer.clear(timer);
    const count = events.count("fired");
    const probe = new Recorder();
    Timer.set(probe.on("later"), 20);
    await probe.next("later");
    assert.equal(events.count("fired"), count);
  });

  it("parks a timer with Timer.schedule(t) and wakes it with Timer.schedule(t, ms)", async () => {
    const events = new Recorder();
    const timer = Timer.repeat(events.on("fired"), 5);
    Timer.schedule(timer);
    const probe = new Recorder();
    Timer.set(probe.on("later"), 25);
    await probe.next("later");
    assert.equal(events.count("fired"), 0);
    Timer.schedule(timer, 1);
    await events.next("fired");
  });

  it("lets a callback reschedule a one-shot timer as a repeating one", async () => {
    const events = new Recorder();
    const timer = Timer.set((t) => {
      events.record("fired");
      if (events.count("fired") === 1) Timer.schedule(t, 2, 2);
    }, 1);
    await events.next("fired");
    await events.next("fired");
    await events.next("fired");
    Timer.clear(timer);
  });

  it("throws SyntaxError from Timer.schedule on a cleared timer", () => {
    const timer = Timer.set(() => {}, 1000);
    Timer.clear(timer);
    assert.throws(() => Timer.schedule(timer, 5), SyntaxError);
  });

  it("ignores Timer.clear(undefined), a cleared timer, and anything that is not a timer", () => {
    const timer = Timer.set(() => {}, 1000);
    Timer.clear(timer);
    assert.doesNotThrow(() => {
      Timer.clear(undefined);
      Timer.clear(null);
      Timer.clear(timer);
      Timer.clear({} as never);
    });
  });

  it("blocks the caller for Timer.delay(ms)", () => {
    const startMs = performance.now();
    Timer.delay(30);
    assert.ok(performance.now() - startMs >= 29);
  });

  it("registers a closer on the board for each timer and removes it on clear", () => {
    const before = board.closers.size;
    const timer = Timer.repeat(() => {}, 1000);
    assert.equal(board.closers.size, before + 1);
    Timer.clear(timer);
    assert.equal(board.closers.size, before);
  });
});

describe("time", () => {
  useBoard();

  it("counts Time.ticks in whole milliseconds since the board booted", () => {
    const saved = board.bootMs;
    try {
      board.bootMs = performance.now() - 5000;
      const ticks = Time.ticks;
      assert.ok(Number.isInteger(ticks));
      assert.ok(ticks >= 5000 && ticks < 6000, String(ticks));
    } finally {
      board.bootMs = saved;
    }
  });

  it("measures Time.delta(start) to now and Time.delta(start, end) between two ticks", () => {
    assert.equal(Time.delta(100, 350), 250);
    const start = Time.ticks;
    Timer.delay(5);
    assert.ok(Time.delta(start) >= 5);
  });

  it("wraps Time.delta across the 32-bit tick rollover like the board", () => {
    assert.equal(Time.delta(0x7ffffff0, -0x7ffffff0), 32);
  });

  it("counts Time.microseconds as integer microseconds since boot", () => {
    const us = Time.microseconds;
    assert.ok(Number.isInteger(us));
    assert.ok(Math.abs(us / 1000 - Time.ticks) < 50);
  });
});
