// The Moddable `time` module on Node, after SDK 8.2.3 modules/base/time (esp/modTime.c): ticks are integer
// milliseconds since the board booted (board.bootMs), wrapped to a signed 32-bit value as xsmcSetInteger does with
// modMilliseconds(); delta(start, end = now) subtracts as unsigned 32-bit. `microseconds` is what the optional
// modules/base/microseconds adds on the ESP32 (esp_timer_get_time(): integer µs since boot); a board build has it
// only when its manifest includes $(MODDABLE)/modules/base/microseconds/manifest.json (Linux builds have none).
import { board } from "./board.ts";

let timezoneS = 0;
let dstS = 0;

function nowTicks(): number {
  return Math.floor(performance.now() - board.bootMs) | 0;
}

const Time = {
  /** Milliseconds since boot (int32, wraps after 24.8 days like the board). */
  get ticks(): number {
    return nowTicks();
  },

  /** Integer microseconds since boot (esp_timer_get_time). */
  get microseconds(): number {
    return Math.floor((performance.now() - board.bootMs) * 1000);
  },

  /** Milliseconds from `start` to `end` (default: now), modulo 2^32 like xs_time_delta. */
  delta(start: number, end?: number): number {
    const to = end === undefined ? nowTicks() : Number(end);
    return ((to >>> 0) - (Number(start) >>> 0)) | 0;
  },

  /**
   * Set the wall clock to `seconds` since 1970 (what SNTP does on the board). Node's Date cannot be moved for one
   * board, so this is accepted and ignored; firmware should not depend on Date in the simulator.
   */
  set(_seconds: number): void {},

  get timezone(): number {
    return timezoneS;
  },
  set timezone(seconds: number) {
    timezoneS = Math.trunc(Number(seconds));
  },

  get dst(): number {
    return dstS;
  },
  set dst(seconds: number) {
    dstS = Math.trunc(Number(seconds));
  },
};

export default Time;
