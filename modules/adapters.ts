// Moddable's runtime modules in the shapes the roles take (linklab/ports): the timer, the Wi-Fi station, the board's
// address and its id. main.ts hands in Moddable's own Timer, WiFi and Net; the host harness
// (host-sim/harness/roles.ts) hands in the host runtime's, so the roles' tests run on the same adapters as the board.
// The classes are parameters, not imports, so this module has no side effect and imports nothing at run time.

import type { Timers, TimerId, Wifi, WifiMessage, WifiStation } from "linklab/ports";

/** Moddable's Timer, as far as the roles use it (timer.set with an optional repeat, timer.clear). */
export interface TimerModule<T> {
  set(callback: () => void, delayMs: number, repeatMs?: number): T;
  clear(id: T): void;
}

/**
 * The roles' Timers on a Moddable Timer. `wrap` runs around every callback (main.ts logs a bug there instead of
 * letting it abort XS: linklab/log guard()); without it an exception reaches the runtime.
 */
export function timersFrom<T>(Timer: TimerModule<T>, wrap: (callback: () => void) => () => void = (callback) => () => callback()): Timers {
  return {
    // A one-shot is set with two arguments: Moddable's Timer.set treats a present repeat argument as a repeat.
    set: (callback, delayMs, repeatMs) => (repeatMs ? Timer.set(wrap(callback), delayMs, repeatMs) : Timer.set(wrap(callback), delayMs)) as TimerId,
    clear: (id: TimerId | undefined) => {
      if (id) Timer.clear(id as T);
    },
  };
}

/** Moddable's WiFi class (`new WiFi(options, callback)`; `new WiFi(undefined, callback)` only monitors). */
export type WiFiClass = (new (options: { ssid: string; password?: string } | undefined, callback: (message: WifiMessage) => void) => WifiStation) & { disconnect?(): void };

export function wifiFrom(WiFi: WiFiClass): Wifi {
  return {
    connect: (options, callback) => new WiFi(options, callback),
    monitor: (callback) => new WiFi(undefined, callback),
    disconnect: "disconnect" in WiFi ? () => WiFi.disconnect?.() : undefined,
  };
}

/** Moddable's Net, as far as the board's address and id need it. */
export interface NetModule {
  get(property: "IP" | "MAC"): string | undefined;
}

/** The station's IPv4 address, or undefined while it has none (Net.get throws on some platforms then). */
export function addressFrom(Net: NetModule): () => string | undefined {
  return () => {
    try {
      return Net.get("IP");
    } catch {
      return undefined;
    }
  };
}

/** The board's protocol id: the configured one, else ll- and the MAC's last 6 hex digits, else ll- and its address. */
export function boardIdFrom(configured: string, Net: NetModule): string {
  if (configured) return configured;
  try {
    const mac = Net.get("MAC");
    if (mac) return "ll-" + mac.split(":").join("").slice(-6).toLowerCase();
  } catch {
    // no MAC on this platform
  }
  return "ll-" + (addressFrom(Net)() ?? "0.0.0.0").split(".").join("-");
}
