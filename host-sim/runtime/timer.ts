// The Moddable `timer` module on Node, after SDK 8.2.3 modules/base/timer (modTimer.c, mc/timer.c): the callback
// gets the timer, repeats do not drift (next = previous + interval), a one-shot timer is dead once it has fired
// (schedule() on it throws, as on a cleared timer), schedule(t) with no interval parks a timer, clear() of anything
// that is not a live timer does nothing. Timer.delay blocks the whole board, as it blocks the XS task.
import { board } from "./board.ts";
import { invoke } from "./machine.ts";

type Callback = (timer: Timer) => void;

interface TimerRecord {
  callback: Callback;
  /** performance.now() at which it fires next. */
  dueMs: number;
  /** 0 = one shot; -1 = unscheduled by schedule(t). */
  repeatMs: number;
  handle: NodeJS.Timeout | undefined;
  firing: boolean;
  closer: () => void;
}

const records = new WeakMap<Timer, TimerRecord>();

function toInteger(value: unknown): number {
  const number = Number(value);
  return Number.isFinite(number) ? Math.trunc(number) : 0;
}

function arm(timer: Timer, record: TimerRecord): void {
  if (record.handle) clearTimeout(record.handle);
  record.handle = setTimeout(() => fire(timer, record), Math.max(0, record.dueMs - performance.now()));
}

function fire(timer: Timer, record: TimerRecord): void {
  // Node counts a timer from the event loop's cached clock, whole milliseconds taken at the start of the turn, so it
  // can come early (by a fraction of a millisecond, or by most of a long turn on a loaded machine). Moddable's never
  // does (modTimer.c compares with the real time), so an early call waits out the rest.
  const earlyMs = record.dueMs - performance.now();
  if (earlyMs > 0) {
    record.handle = setTimeout(() => fire(timer, record), Math.ceil(earlyMs));
    return;
  }
  record.handle = undefined;
  record.dueMs += Math.max(0, record.repeatMs);
  record.firing = true;
  invoke(record.callback, globalThis, timer); // xsCallFunction1(callback, xsGlobal, timer)
  record.firing = false;
  if (records.get(timer) !== record) return; // cleared in its callback
  // xs_timer_callback: a timer whose interval is now 0 is released after its callback, even if rescheduled in it.
  if (record.repeatMs === 0) {
    release(timer, record);
    return;
  }
  if (record.repeatMs > 0 && !record.handle) arm(timer, record);
}

function release(timer: Timer, record: TimerRecord): void {
  if (record.handle) clearTimeout(record.handle);
  record.handle = undefined;
  records.delete(timer);
  board.closers.delete(record.closer);
}

function create(callback: unknown, delayMs: number, repeatMs: number): Timer {
  if (typeof callback !== "function") throw new TypeError("callback: not a function");
  const timer = new (Timer as unknown as new () => Timer)();
  const record: TimerRecord = {
    callback: callback as Callback,
    dueMs: performance.now() + delayMs,
    repeatMs,
    handle: undefined,
    firing: false,
    closer: () => Timer.clear(timer),
  };
  records.set(timer, record);
  board.closers.add(record.closer);
  arm(timer, record);
  return timer;
}

const delayCell = new Int32Array(new SharedArrayBuffer(4));

class Timer {
  declare private brand: boolean;

  /** Call `callback(timer)` after `delayMs` (default 0), then every `repeatMs` if given and non-zero. */
  static set(callback: Callback, delayMs?: number, repeatMs?: number): Timer {
    return create(callback, toInteger(delayMs), toInteger(repeatMs));
  }

  /** Call `callback(timer)` every `intervalMs`, first after `intervalMs`. */
  static repeat(callback: Callback, intervalMs: number): Timer {
    const interval = toInteger(intervalMs);
    return create(callback, interval, interval);
  }

  /** Re-arm: next call after `delayMs`, then every `repeatMs` (0 = once). With no delay, park the timer. */
  static schedule(timer: Timer, ...args: [delayMs?: number, repeatMs?: number]): void {
    const record = records.get(timer);
    if (!record) throw new SyntaxError("C: xsGetHostData: invalid host data");
    if (args.length === 0) {
      if (record.handle) clearTimeout(record.handle);
      record.handle = undefined;
      record.repeatMs = -1;
      return;
    }
    record.dueMs = performance.now() + toInteger(args[0]);
    record.repeatMs = args.length > 1 ? toInteger(args[1]) : 0;
    // Rescheduled to a one-shot from inside its own callback: fire() releases it, as modTimer.c does.
    if (record.firing && record.repeatMs === 0) return;
    arm(timer, record);
  }

  /** Stop and release `timer`; anything else (undefined, a dead timer) is ignored. */
  static clear(timer: Timer | undefined | null): void {
    if (typeof timer !== "object" || timer === null) return;
    const record = records.get(timer);
    if (record) release(timer, record);
  }

  /** Block the board for `ms` milliseconds (modDelayMilliseconds): no callback, no socket event runs meanwhile. */
  static delay(ms: number): void {
    const duration = toInteger(ms);
    if (duration > 0) Atomics.wait(delayCell, 0, 0, duration);
  }
}

export default Timer;
