// The board's BOOT button as a bench trigger for faults: a short press drops this board's Wi-Fi for a while, a long
// press stands for a power cut. On an ESP32 dev board the BOOT button pulls GPIO 0 low while held (the board has a
// pull-up; read through ECMA-419 embedded:io/digital). Pure logic: the Digital class, the clock, the timers and
// what a press does are given, so unit tests drive it with fakes and the XS suite runs it on the real engine.
//
// A press is told apart by how long it is held, after the contacts have settled (a mechanical button bounces for
// a few milliseconds: every edge re-arms a DEBOUNCE_MS timer, and only the level read when it fires counts). A long
// press acts as soon as it has lasted LONG_PRESS_MS, while still held; a short press acts on release.

import { EV } from "linklab/events";
import { guard, type TagLog } from "linklab/log";
import type { Clock, TimerId, Timers } from "linklab/ports";

/** The BOOT button of ESP32 dev boards (a strapping pin: held at boot it selects the serial bootloader). */
export const BOOT_PIN = 0;
/** Held this long, a press is a long press. */
export const LONG_PRESS_MS = 2000;
/** How long the level must stay put after an edge before it counts. */
export const DEBOUNCE_MS = 30;

export type PressActions = {
  /** Released before LONG_PRESS_MS. */
  short(heldMs: number): void;
  /** Held for LONG_PRESS_MS (called while still held; the release that follows does nothing). */
  long(heldMs: number): void;
};

/** Presses from a pin's level, debounced: `changed()` on each edge, `pressed()` reads the level. */
export class PressDetector {
  readonly #deps: { clock: Clock; timers: Timers; pressed: () => boolean };
  readonly #actions: PressActions;
  #settle: TimerId | undefined;
  #long: TimerId | undefined;
  /** When the current press settled down, or undefined while released. */
  #downMs: number | undefined;
  #longDone = false;

  constructor(deps: { clock: Clock; timers: Timers; pressed: () => boolean }, actions: PressActions) {
    this.#deps = deps;
    this.#actions = actions;
  }

  /** The pin changed (an edge, or a bounce): look again once it has settled. */
  changed(): void {
    const { timers } = this.#deps;
    timers.clear(this.#settle);
    this.#settle = timers.set(() => {
      this.#settle = undefined;
      this.#settled(this.#deps.pressed());
    }, DEBOUNCE_MS);
  }

  close(): void {
    this.#deps.timers.clear(this.#settle);
    this.#deps.timers.clear(this.#long);
    this.#settle = this.#long = undefined;
    this.#downMs = undefined;
  }

  #settled(pressed: boolean): void {
    const { clock, timers } = this.#deps;
    if (pressed && this.#downMs === undefined) {
      const downMs = clock();
      this.#downMs = downMs;
      this.#longDone = false;
      this.#long = timers.set(() => {
        this.#long = undefined;
        this.#longDone = true;
        this.#actions.long(clock() - downMs);
      }, LONG_PRESS_MS);
    } else if (!pressed && this.#downMs !== undefined) {
      const heldMs = clock() - this.#downMs;
      timers.clear(this.#long);
      this.#long = undefined;
      this.#downMs = undefined;
      if (!this.#longDone) this.#actions.short(heldMs);
    }
  }
}

/** The ECMA-419 Digital class, as far as the button needs it (embedded:io/digital); M is its mode's type, which the
 *  typings spell differently (the SDK's: number). */
export type DigitalPin = { read(): number; close(): void };
export type DigitalClass<M> = {
  readonly InputPullUp: M;
  readonly Rising: number;
  readonly Falling: number;
  new (options: { pin: number; mode: M; edge: number; onReadable: () => void }): DigitalPin;
};

/** What the presses act on: the Wi-Fi link (linklab/link) and, where the platform has one, a restart. */
export type ButtonTarget = {
  /** Leave the access point now, and rejoin after forMs (never, when undefined). */
  dropWifi(forMs: number | undefined): void;
  /** Restart the board (System.restart on the ESP32: esp_restart); undefined where there is none. */
  restart: (() => void) | undefined;
};

export type BootButtonOptions = { dropMs: number; offMs: number };

/**
 * The BOOT button wired to its faults: a short press drops Wi-Fi for dropMs and rejoins; a long press cuts "power":
 * Wi-Fi goes first, so nothing more can leave the board (not even the RST of the connections lwIP aborts), then
 * after offMs the board restarts, as after a reset; without a restart it rejoins, which the network sees the same
 * way (every connection was aborted when the address went). dropMs or offMs 0 turns that press off; both 0, the
 * pin is not opened. Returns a close function, or undefined when the button is off or cannot be opened.
 */
export function startBootButton<M>(
  Digital: DigitalClass<M>,
  options: BootButtonOptions,
  deps: { clock: Clock; timers: Timers; log: TagLog },
  target: ButtonTarget,
): (() => void) | undefined {
  const { log, timers } = deps;
  if (options.dropMs <= 0 && options.offMs <= 0) return undefined;
  let pin: DigitalPin | undefined;
  const detector = new PressDetector(
    { clock: deps.clock, timers, pressed: () => pin?.read() === 0 },
    {
      short(heldMs) {
        if (options.dropMs <= 0) return;
        log.i(EV.button.shortPress, { heldMs, forMs: options.dropMs });
        target.dropWifi(options.dropMs);
      },
      long(heldMs) {
        if (options.offMs <= 0) return;
        log.i(EV.button.longPress, { heldMs, forMs: options.offMs });
        const restart = target.restart;
        target.dropWifi(restart ? undefined : options.offMs);
        if (restart)
          timers.set(() => {
            log.i(EV.button.restarting, {});
            restart();
          }, options.offMs);
      },
    },
  );
  try {
    pin = new Digital({
      pin: BOOT_PIN,
      mode: Digital.InputPullUp,
      edge: Digital.Rising | Digital.Falling,
      onReadable: guard(log, EV.button.callbackFailed, "digital", () => detector.changed()),
    });
  } catch (error) {
    log.w(EV.button.cannotOpen, { pin: BOOT_PIN, error: String(error) });
    return undefined;
  }
  log.i(EV.button.ready, { pin: BOOT_PIN, dropMs: options.dropMs, offMs: options.offMs, longMs: LONG_PRESS_MS });
  return () => {
    detector.close();
    pin?.close();
  };
}
