// The Moddable `wifi` module (station side) on Node, after SDK 8.2.3 modules/network/wifi/esp32 (xs6wifi.c):
// callbacks get "connect", "gotIP" and "disconnect" (with a reason: -1 = password rejected, else 0); the ESP32
// build never reports "lostIP". As on the ESP32, nothing reconnects by itself once the app uses this module: after a
// "disconnect" the app calls WiFi.connect() again (a board without a WiFi object follows the lab's link commands).
// The password "invalid!" is rejected, as in Moddable's own simulator wifi module.
import { board } from "./board.ts";
import "./commands.ts";
import { invoke, post } from "./machine.ts";
import { station } from "./station.ts";

/** Association and DHCP on a quiet access point; real ESP32s take 0.1-0.5 s and 0.1-2 s. */
export const CONNECT_MS = 120;
export const DHCP_MS = 180;
/** How long an attempt lasts when the access point is gone, before "disconnect" (ESP-IDF retries, then gives up). */
export const GIVE_UP_MS = 3000;

type Message = "connect" | "gotIP" | "lostIP" | "disconnect" | "station_connect" | "station_disconnect";
type Callback = (this: WiFi, message: Message, reason?: number) => void;

export interface WiFiOptions {
  ssid: string;
  password?: string;
  bssid?: ArrayBuffer;
  channel?: number;
}

const listeners = new Set<WiFi>();
const callbacks = new WeakMap<WiFi, Callback>();

/** The `wifi` module's own part of a connection attempt (the link itself is station.ts's). */
const attempt = {
  mode: 1 as -5 | 0 | 1 | 2 | 3,
  /** Reason reported with the next "disconnect". */
  reason: 0,
  /** Pending step of a connection attempt. */
  step: undefined as NodeJS.Timeout | undefined,
  /** An attempt is waiting for the access point to come back. */
  waiting: false,
};

function notify(message: Message, reason?: number): void {
  for (const wifi of [...listeners]) {
    post(() => {
      const callback = callbacks.get(wifi);
      if (!callback || !listeners.has(wifi)) return;
      if (message === "disconnect") invoke(callback, wifi, message, reason ?? 0);
      else invoke(callback, wifi, message);
    });
  }
}

function later(ms: number, step: () => void): void {
  if (attempt.step) clearTimeout(attempt.step);
  board.closers.add(cancelAttempt);
  attempt.step = setTimeout(() => {
    attempt.step = undefined;
    board.closers.delete(cancelAttempt);
    step();
  }, ms);
  attempt.step.unref();
}

/** Also the board closer while an attempt is pending (a shutdown or power cut ends it). */
function cancelAttempt(): void {
  if (attempt.step) clearTimeout(attempt.step);
  attempt.step = undefined;
  attempt.waiting = false;
  board.closers.delete(cancelAttempt);
}

function associate(): void {
  attempt.waiting = false;
  later(CONNECT_MS, () => later(DHCP_MS, () => station.join()));
}

station.on("down", () => {
  notify("disconnect", attempt.reason);
  attempt.reason = 0;
});
station.on("up", () => {
  notify("connect");
  notify("gotIP");
});
station.on("ap-up", () => {
  if (attempt.waiting) associate();
});

export default class WiFi {
  static readonly gotIP = "gotIP";
  static readonly lostIP = "lostIP";
  static readonly connected = "connect";
  static readonly disconnected = "disconnect";
  static readonly station_connect = "station_connect";
  static readonly station_disconnect = "station_disconnect";
  static readonly Mode = Object.freeze({ off: -5, none: 0, station: 1, accessPoint: 2 });

  constructor(options?: WiFiOptions, onNotify?: Callback) {
    if (options) WiFi.connect(options);
    if (onNotify) this.onNotify = onNotify;
  }

  set onNotify(callback: Callback | undefined) {
    if (typeof callback === "function") {
      callbacks.set(this, callback);
      listeners.add(this);
      board.closers.add(this.#closer);
    } else this.close();
  }

  readonly #closer = (): void => this.close();

  /** Stop reporting to this object (the station stays connected). */
  close(): void {
    callbacks.delete(this);
    listeners.delete(this);
    board.closers.delete(this.#closer);
  }

  static get mode(): -5 | 0 | 1 | 2 | 3 {
    return attempt.mode;
  }

  static set mode(value: -5 | 0 | 1 | 2 | 3) {
    const mode = Math.trunc(Number(value));
    if (![-5, 0, 1, 2, 3].includes(mode)) throw new Error("invalid mode");
    attempt.mode = mode as typeof attempt.mode;
    if (mode !== 1 && mode !== 3) {
      station.manage();
      cancelAttempt();
      station.leave();
    }
  }

  /** Associate with `options.ssid`; with no argument, disconnect (and stay disconnected). */
  static connect(options?: WiFiOptions): void {
    station.manage();
    cancelAttempt();
    if (options === undefined) {
      station.leave();
      return;
    }
    const ssid = options.ssid;
    if (!ssid) throw new Error("ssid required");
    if (new TextEncoder().encode(String(ssid)).length > 32) throw new Error("ssid too long - 32 bytes max");
    if (options.password && new TextEncoder().encode(String(options.password)).length > 64)
      throw new Error("password too long - 64 bytes max");
    if (attempt.mode !== 1 && attempt.mode !== 3) attempt.mode = 1;
    station.manage(String(ssid));
    if (options.password === "invalid!") {
      // The 4-way handshake fails: ESP-IDF reports the disconnect with a reason xs6wifi.c maps to -1.
      later(CONNECT_MS, () => {
        attempt.reason = -1;
        if (station.up) station.leave();
        else {
          notify("disconnect", -1);
          attempt.reason = 0;
        }
      });
      return;
    }
    if (station.up) {
      // Already associated (Moddable's setup/network connected before main): report it as a fresh association.
      later(CONNECT_MS, () => {
        notify("connect");
        later(DHCP_MS, () => notify("gotIP"));
      });
      return;
    }
    if (station.apUp) {
      associate();
      return;
    }
    attempt.waiting = true;
    later(GIVE_UP_MS, () => {
      attempt.waiting = false;
      notify("disconnect", 0);
    });
  }

  static disconnect(): void {
    WiFi.connect();
  }

  /** One access point (the simulated network's), then null, as reportScan does. */
  static scan(_options: object, callback: (item: object | null) => void): void {
    if (attempt.mode === 0 || attempt.mode === -5) throw new Error("Wi-Fi is disabled");
    const ssid = station.apSsid;
    setTimeout(() => {
      if (station.apUp) invoke(callback, undefined, { ssid, rssi: -48, channel: 6, hidden: false, authentication: "wpa2_psk", bssid: new Uint8Array([2, 0, 0, 0, 0, 1]).buffer });
      invoke(callback, undefined, null);
    }, 300).unref();
  }

  static accessPoint(_options: object): void {
    throw new Error("access point mode is not simulated");
  }
}
