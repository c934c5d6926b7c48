// Serial log: one event per line, `<ms> <L> <tag>: <fixed message> key=value ...` (docs/serial-log.md). The sink is
// injected (trace on the board, an array in tests); a sink that throws is ignored so logging never takes a role down.

import type { LogEvent } from "linklab/events";

export type Level = "E" | "W" | "I" | "D";
export type FieldValue = string | number | boolean | undefined;
export type Fields = Record<string, FieldValue>;
export type LogSink = (line: string) => void;
/** Another place every printed line goes besides the sink (main.ts: the UDP syslog of logTo, linklab/syslog). */
export type LogTap = (line: string, level: Level, tag: string) => void;

/** E=0 (errors only) .. D=3 (everything). */
export function levelRank(level: Level): number {
  return level === "E" ? 0 : level === "W" ? 1 : level === "I" ? 2 : 3;
}

export function isLevel(value: unknown): value is Level {
  return value === "E" || value === "W" || value === "I" || value === "D";
}

/** A value as it appears after `key=`: bare when it is plain printable ASCII, else quoted with escapes. */
export function formatValue(value: string | number | boolean): string {
  if (typeof value !== "string") return String(value);
  let plain = value.length > 0;
  for (let i = 0; i < value.length && plain; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c) plain = false;
  }
  if (plain) return value;
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c >= 0x20 && c < 0x7f) out += value[i];
    else if (c < 0x100) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += "\\u" + c.toString(16).padStart(4, "0");
  }
  return out + '"';
}

export function formatLine(ms: number, level: Level, tag: string, message: string, fields?: Fields): string {
  let line = String(Math.floor(ms)).padStart(6, " ") + " " + level + " " + tag + ": " + message;
  if (fields) {
    for (const key in fields) {
      const value = fields[key];
      if (value !== undefined) line += " " + key + "=" + formatValue(value);
    }
  }
  return line;
}

export class Log {
  #clock: () => number;
  #sink: LogSink;
  #rank: number;
  #taps: LogTap[] = [];

  constructor(options: { clock: () => number; sink: LogSink; level?: Level }) {
    this.#clock = options.clock;
    this.#sink = options.sink;
    this.#rank = levelRank(options.level ?? "I");
  }

  set level(level: Level) {
    this.#rank = levelRank(level);
  }

  enabled(level: Level): boolean {
    return levelRank(level) <= this.#rank;
  }

  write(level: Level, tag: string, message: string, fields?: Fields): void {
    if (levelRank(level) > this.#rank) return;
    let line = "";
    try {
      line = formatLine(this.#clock(), level, tag, message, fields);
      this.#sink(line);
    } catch {
      // A broken sink must not abort the machine (an uncaught exception in a callback aborts XS).
    }
    if (!line) return;
    for (const tap of this.#taps) {
      try {
        tap(line, level, tag);
      } catch {
        // Nor a broken tap, nor may it keep the line from the others.
      }
    }
  }

  /** Every line printed from now on also goes to `tap`, after the sink (a tap that throws is ignored). */
  addTap(tap: LogTap): void {
    this.#taps.push(tap);
  }

  tag(tag: string): TagLog {
    return new TagLog(this, tag);
  }
}

/** The fields a catalogue entry allows (linklab/events): only its keys, each optional. */
export type EventFields<K extends string> = { [P in K]?: FieldValue };

/**
 * The log of one part of the firmware: `log.tag(TAG.client).i(EV.client.connecting, { server })`. It prints only
 * entries of the catalogue (linklab/events), with only the keys the entry names.
 */
export class TagLog {
  readonly tag: string;
  #log: Log;

  constructor(log: Log, tag: string) {
    this.#log = log;
    this.tag = tag;
  }

  enabled(level: Level): boolean {
    return this.#log.enabled(level);
  }
  e<K extends string>(event: LogEvent<K>, fields?: EventFields<K>): void {
    this.at("E", event, fields);
  }
  w<K extends string>(event: LogEvent<K>, fields?: EventFields<K>): void {
    this.at("W", event, fields);
  }
  i<K extends string>(event: LogEvent<K>, fields?: EventFields<K>): void {
    this.at("I", event, fields);
  }
  d<K extends string>(event: LogEvent<K>, fields?: EventFields<K>): void {
    this.at("D", event, fields);
  }
  at<K extends string>(level: Level, event: LogEvent<K>, fields?: EventFields<K>): void {
    this.#log.write(level, this.tag, event.message, fields);
  }
  /** A state change: `<message> <from>-><to> reason=...`. */
  state<K extends string>(level: Level, event: LogEvent<K | "reason">, from: string, to: string, fields: EventFields<K | "reason">): void {
    this.#log.write(level, this.tag, event.message + " " + from + "->" + to, fields);
  }
}

/**
 * The one policy for every callback into the firmware (timers, Wi-Fi events, sockets, datagrams): an exception is a
 * bug, logged as the part's `callback failed where=... error=...` (a catalogue entry marked bug), and the board goes
 * on instead of aborting XS (which reboots an ESP32). The lab fails a run whose boards print one.
 */
export function guard<A extends unknown[], T, K extends string = never>(log: TagLog, event: LogEvent<K | "where" | "error">, where: string, callback: (this: T, ...args: A) => void): (this: T, ...args: A) => void {
  return function (this: T, ...args: A): void {
    try {
      callback.apply(this, args);
    } catch (error) {
      log.e<K | "where" | "error">(event, { where, error: String(error) });
    }
  };
}

/**
 * Sampling for routine lines (heartbeats): take() is true for the 1st event and then every `every`-th;
 * every=1 keeps all, every=0 keeps none. The caller logs sampled lines at I and the rest at D.
 */
export class Sampler {
  readonly every: number;
  #count = 0;

  constructor(every: number) {
    this.every = every;
  }

  get count(): number {
    return this.#count;
  }

  take(): boolean {
    const n = this.#count++;
    if (this.every <= 0) return false;
    return n % this.every === 0;
  }

  reset(): void {
    this.#count = 0;
  }
}

/** At most one line per intervalMs; take() returns how many were suppressed since the last one, or -1 to stay quiet. */
export class RateLimiter {
  readonly intervalMs: number;
  #lastMs: number | undefined;
  #suppressed = 0;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  /** `always`: a line that must be printed (it ends the story); it still reports, and clears, what was suppressed. */
  take(now: number, always = false): number {
    if (!always && this.#lastMs !== undefined && now - this.#lastMs < this.intervalMs) {
      this.#suppressed++;
      return -1;
    }
    this.#lastMs = now;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    return suppressed;
  }
}
