// The Wi-Fi station link: brings the station up with ssid/password, retries a failed or lost connection with
// backoff, and tells its listeners up(address) / down(reason). With no ssid the link is up at once (wired host,
// Moddable's desktop simulator) and only watches for Wi-Fi events; when the board already has an address at boot
// (Moddable's setup/network joined config.ssid before main ran) it is up at once too, and rejoins only after a
// disconnect. A listener that throws is logged and does not stop the others.

import { Backoff } from "linklab/backoff";
import { EV } from "linklab/events";
import { guard, type TagLog } from "linklab/log";
import type { Clock, TimerId, Timers, Wifi, WifiMessage, WifiStation } from "linklab/ports";

export type LinkState = "idle" | "connecting" | "associated" | "up" | "waiting" | "down" | "closed";
export type LinkEvent = { up: true; address: string } | { up: false; reason: string };
export type LinkListener = (event: LinkEvent) => void;

/** Wi-Fi join retries: jittered exponential backoff from RETRY_BASE_MS up to RETRY_MAX_MS. */
const RETRY_BASE_MS = 250;
const RETRY_MAX_MS = 5000;
/** An attempt that has no IP address this long after it began is abandoned and retried. */
const CONNECT_TIMEOUT_MS = 20000;

export type LinkOptions = { ssid: string; password: string; connectTimeoutMs?: number; retryBaseMs?: number; retryMaxMs?: number };
export type LinkDeps = { wifi?: Wifi; getAddress: () => string | undefined; timers: Timers; clock: Clock; log: TagLog; random: () => number };

export class Link {
  #state: LinkState = "idle";
  /** Changed only by #enter. */
  get state(): LinkState {
    return this.#state;
  }
  #up: string | undefined;
  /** The board's address while the link is up; changed only with the state. */
  get address(): string | undefined {
    return this.#up;
  }
  #options: LinkOptions;
  #deps: LinkDeps;
  #listeners: LinkListener[] = [];
  #station: WifiStation | undefined;
  #timer: TimerId | undefined;
  #backoff: Backoff;
  #attemptStartMs = 0;
  /** No rejoin before this time (clock ms); Infinity: none at all (the board restarts). Set by drop(). */
  #quietUntilMs = 0;

  constructor(options: LinkOptions, deps: LinkDeps) {
    this.#options = options;
    this.#deps = deps;
    this.#backoff = new Backoff({ baseMs: options.retryBaseMs ?? RETRY_BASE_MS, maxMs: options.retryMaxMs ?? RETRY_MAX_MS, random: deps.random });
  }

  get up(): boolean {
    return this.state === "up";
  }

  onChange(listener: LinkListener): void {
    this.#listeners.push(listener);
  }

  start(): void {
    if (this.state !== "idle") return;
    if (!this.#options.ssid) {
      const address = this.#address();
      this.#deps.log.i(EV.wifi.noSsid, { ip: address });
      this.#watch();
      this.#up = address;
      this.#enter("up", "no-ssid");
      this.#announce({ up: true, address });
      return;
    }
    if (!this.#deps.wifi) {
      this.#deps.log.e(EV.wifi.noWifi, { ssid: this.#options.ssid });
      return;
    }
    const address = this.#address();
    if (address !== "0.0.0.0") {
      this.#deps.log.i(EV.wifi.joinedAtBoot, { ssid: this.#options.ssid, ip: address });
      this.#watch();
      this.#up = address;
      this.#enter("up", "joined-at-boot");
      this.#announce({ up: true, address });
      return;
    }
    this.#connect("start");
  }

  /** Listen to Wi-Fi events without starting a connection (no ssid, or joined before main ran). */
  #watch(): void {
    const wifi = this.#deps.wifi;
    if (!wifi?.monitor) return;
    let station: WifiStation | undefined;
    try {
      station = wifi.monitor(
        guard(this.#deps.log, EV.wifi.callbackFailed, "wifi", (message: WifiMessage) => {
          if (station !== undefined && station !== this.#station) return;
          this.#message(message);
        }),
      );
      this.#station = station;
    } catch (error) {
      this.#deps.log.w(EV.wifi.cannotWatch, { error: String(error) });
    }
  }

  /**
   * Leave the access point now, through the same path as a real drop (the station reports "disconnect" and the
   * roles stop), and rejoin only after forMs, or never when undefined (the board is about to restart): the BOOT
   * button's presses (linklab/button). Needs an ssid to rejoin and a Wi-Fi that can disconnect.
   */
  drop(forMs?: number): void {
    const wifi = this.#deps.wifi;
    const cannot = !this.#options.ssid ? "no ssid to rejoin" : !wifi?.disconnect ? "no Wi-Fi on this platform" : this.state === "idle" || this.state === "closed" ? "link not started" : undefined;
    if (cannot || !wifi?.disconnect) {
      this.#deps.log.w(EV.wifi.cannotLeave, { reason: cannot });
      return;
    }
    this.#quietUntilMs = forMs === undefined ? Infinity : this.#deps.clock() + forMs;
    this.#deps.log.i(EV.wifi.leaving, { forMs: forMs ?? "until-restart" });
    const wasUp = this.state === "up";
    wifi.disconnect();
    // Up, the station's "disconnect" follows and retries after the quiet time; otherwise no message may come.
    if (!wasUp) this.#retry("drop");
  }

  close(): void {
    if (this.state === "closed") return;
    this.#deps.timers.clear(this.#timer);
    this.#timer = undefined;
    this.#closeStation();
    this.#enter("closed", "close");
    this.#listeners.length = 0;
  }

  #address(): string {
    let address: string | undefined;
    try {
      address = this.#deps.getAddress();
    } catch {
      address = undefined;
    }
    return address || "0.0.0.0";
  }

  #enter(next: LinkState, reason: string): void {
    if (next === this.state) return;
    this.#deps.log.state("I", EV.wifi.state, this.state, next, { reason });
    this.#state = next;
  }

  #announce(event: LinkEvent): void {
    for (const listener of this.#listeners.slice()) {
      try {
        listener(event);
      } catch (error) {
        this.#deps.log.e(EV.wifi.callbackFailed, { where: "link listener", error: String(error) });
      }
    }
  }

  #closeStation(): void {
    const station = this.#station;
    this.#station = undefined;
    try {
      station?.close();
    } catch {
      // Closing a station that already failed is harmless.
    }
  }

  #connect(reason: string): void {
    this.#deps.timers.clear(this.#timer);
    this.#timer = undefined;
    this.#closeStation();
    this.#enter("connecting", reason);
    this.#attemptStartMs = this.#deps.clock();
    this.#deps.log.i(EV.wifi.joining, { ssid: this.#options.ssid, attempt: this.#backoff.attempt + 1 });
    let station: WifiStation | undefined;
    const callback = guard(this.#deps.log, EV.wifi.callbackFailed, "wifi", (message: WifiMessage) => {
      if (station !== undefined && station !== this.#station) return;
      this.#message(message);
    });
    try {
      station = this.#deps.wifi!.connect({ ssid: this.#options.ssid, password: this.#options.password || undefined }, callback);
      this.#station = station;
    } catch (error) {
      this.#deps.log.e(EV.wifi.connectFailed, { error: String(error) });
      this.#retry("connect-threw");
      return;
    }
    this.#timer = this.#deps.timers.set(() => {
      this.#timer = undefined;
      if (this.state === "connecting" || this.state === "associated") {
        this.#deps.log.w(EV.wifi.noIpInTime, { waitedMs: this.#deps.clock() - this.#attemptStartMs });
        this.#retry("timeout");
      }
    }, this.#options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
  }

  #retry(reason: string): void {
    this.#closeStation();
    const quietMs = this.#quietUntilMs - this.#deps.clock();
    if (quietMs === Infinity) {
      this.#deps.timers.clear(this.#timer);
      this.#timer = undefined;
      this.#enter("down", reason);
      return;
    }
    const delayMs = Math.max(this.#backoff.next(), Math.ceil(quietMs));
    this.#enter("waiting", reason);
    this.#deps.log.i(EV.wifi.retrying, { delayMs, attempt: this.#backoff.attempt });
    this.#deps.timers.clear(this.#timer);
    this.#timer = this.#deps.timers.set(() => {
      this.#timer = undefined;
      this.#connect("retry");
    }, delayMs);
  }

  #message(message: WifiMessage): void {
    if (this.state === "closed") return;
    if (message === "connect") {
      this.#deps.log.i(EV.wifi.associated, { ssid: this.#options.ssid });
      if (this.state === "connecting") this.#enter("associated", "connect");
    } else if (message === "gotIP") {
      const address = this.#address();
      if (this.state === "up" && address === this.address) return;
      if (this.state === "up") this.#announce({ up: false, reason: "address-changed" });
      this.#deps.timers.clear(this.#timer);
      this.#timer = undefined;
      this.#backoff.reset();
      this.#up = address;
      this.#deps.log.i(EV.wifi.gotIp, { ip: address, afterMs: this.#deps.clock() - this.#attemptStartMs });
      this.#enter("up", "gotIP");
      this.#announce({ up: true, address });
    } else if (message === "lostIP" || message === "disconnect") {
      const wasUp = this.state === "up";
      this.#deps.log.w(message === "lostIP" ? EV.wifi.lostIp : EV.wifi.disconnected, { ssid: this.#options.ssid });
      this.#up = undefined;
      if (wasUp) {
        this.#enter(this.#options.ssid ? "waiting" : "down", message);
        this.#announce({ up: false, reason: message === "lostIP" ? "lost-ip" : "wifi-disconnect" });
      }
      // Without an ssid there is nothing to rejoin: wait for the network to come back (gotIP).
      if (this.#options.ssid) this.#retry(message);
    }
  }
}
