// UDP discovery beacon. The sender broadcasts `LINKLAB1 id=.. role=server ip=.. port=.. seq=.. uptimeMs=..` every
// beaconMs; a failed send (no route, broadcast refused) is logged, rate-limited, and never stops the server. The
// listener hands each well-formed beacon to its callback and ignores anything else (debug log, rate-limited).

import { EV } from "linklab/events";
import { formatBeacon, parseBeacon, type Beacon } from "linklab/protocol";
import { encodeAscii } from "linklab/framing";
import { guard, RateLimiter, Sampler, type TagLog } from "linklab/log";
import type { Clock, TimerId, Timers, UdpClass, UdpSocket } from "linklab/ports";

/** `group`: the class group the beacon carries (settings `group`; "" or absent: none). */
export type BeaconSenderOptions = { id: string; tcpPort: () => number; beaconMs: number; beaconPort: number; beaconAddress: string; logEvery: number; group?: string };
export type BeaconDeps = { UDP: UdpClass; timers: Timers; clock: Clock; log: TagLog };

export class BeaconSender {
  #state: "stopped" | "sending" | "closed" = "stopped";
  /** Changed only by #enter. */
  get state(): "stopped" | "sending" | "closed" {
    return this.#state;
  }
  seq = 0;
  sent = 0;
  failed = 0;
  #options: BeaconSenderOptions;
  #deps: BeaconDeps;
  #udp: UdpSocket | undefined;
  #timer: TimerId | undefined;
  #address = "0.0.0.0";
  #sampler: Sampler;
  #failLimit = new RateLimiter(10000);

  constructor(options: BeaconSenderOptions, deps: BeaconDeps) {
    this.#options = options;
    this.#deps = deps;
    this.#sampler = new Sampler(options.logEvery);
  }

  /** Start (or restart with a new address after the link comes back). */
  start(address: string): void {
    if (this.state === "closed" || this.#options.beaconMs <= 0) return;
    this.stop("restart");
    this.#address = address;
    try {
      this.#udp = new this.#deps.UDP({});
    } catch (error) {
      this.#deps.log.e(EV.beacon.cannotOpen, { error: String(error) });
      return;
    }
    this.#enter("sending", "start");
    this.#deps.log.i(EV.beacon.on, { to: this.#options.beaconAddress + ":" + this.#options.beaconPort, everyMs: this.#options.beaconMs });
    this.#send();
    this.#timer = this.#deps.timers.set(() => this.#send(), this.#options.beaconMs, this.#options.beaconMs);
  }

  stop(reason: string): void {
    this.#deps.timers.clear(this.#timer);
    this.#timer = undefined;
    const udp = this.#udp;
    this.#udp = undefined;
    try {
      udp?.close();
    } catch {
      // already closed
    }
    if (this.state === "sending") this.#enter("stopped", reason);
  }

  close(): void {
    this.stop("close");
    this.#enter("closed", "close");
  }

  #enter(next: "stopped" | "sending" | "closed", reason: string): void {
    if (next === this.#state) return;
    this.#deps.log.state("D", EV.beacon.state, this.#state, next, { reason });
    this.#state = next;
  }

  /** The beacon this sender would send now. */
  beacon(): Beacon {
    const beacon: Beacon = { id: this.#options.id, role: "server", ip: this.#address, port: this.#options.tcpPort(), seq: this.seq, uptimeMs: Math.max(0, Math.floor(this.#deps.clock())) };
    if (this.#options.group) beacon.group = this.#options.group;
    return beacon;
  }

  #send(): void {
    const udp = this.#udp;
    if (!udp) return;
    const line = formatBeacon(this.beacon());
    try {
      udp.write(encodeAscii(line), this.#options.beaconAddress, this.#options.beaconPort);
    } catch (error) {
      this.failed++;
      const suppressed = this.#failLimit.take(this.#deps.clock());
      if (suppressed >= 0) this.#deps.log.w(EV.beacon.sendFailed, { to: this.#options.beaconAddress, error: String(error), failed: this.failed, suppressed });
      return;
    }
    this.sent++;
    this.#deps.log.at(this.#sampler.take() ? "I" : "D", EV.beacon.sent, { seq: this.seq, to: this.#options.beaconAddress + ":" + this.#options.beaconPort, bytes: line.length });
    this.seq++;
  }
}

/**
 * beaconAddress tells the listener to join a multicast group when the beacon is sent to one (224.0.0.0/4). `group`
 * is the class group (settings `group`, "" or absent: none): a beacon of another group, or one with a group when
 * this listener has none, is not handed on; it is counted in `otherGroup` and logged at most once per 10 s.
 */
export type BeaconListenerOptions = { beaconPort: number; logEvery: number; beaconAddress?: string; group?: string };

function isMulticast(address: string | undefined): address is string {
  const first = Number((address ?? "").split(".")[0]);
  return first >= 224 && first <= 239;
}
export type HeardBeacon = { beacon: Beacon; from: string };

export class BeaconListener {
  #state: "stopped" | "listening" | "closed" = "stopped";
  /** Changed only by #enter. */
  get state(): "stopped" | "listening" | "closed" {
    return this.#state;
  }
  heard = 0;
  ignored = 0;
  otherGroup = 0;
  #options: BeaconListenerOptions;
  #deps: Omit<BeaconDeps, "timers">;
  #udp: UdpSocket | undefined;
  #onBeacon: (heard: HeardBeacon) => void;
  #sampler: Sampler;
  #ignoreLimit = new RateLimiter(5000);
  #otherGroupLimit = new RateLimiter(10000);

  constructor(options: BeaconListenerOptions, deps: Omit<BeaconDeps, "timers">, onBeacon: (heard: HeardBeacon) => void) {
    this.#options = options;
    this.#deps = deps;
    this.#onBeacon = onBeacon;
    this.#sampler = new Sampler(options.logEvery);
  }

  start(): void {
    if (this.state !== "stopped") return;
    const self = this;
    let udp: UdpSocket;
    try {
      udp = new this.#deps.UDP({
        port: this.#options.beaconPort,
        onReadable: guard(this.#deps.log, EV.beacon.callbackFailed, "onReadable", function (this: UdpSocket, packets: number) {
          self.#readable(this, packets);
        }),
      });
    } catch (error) {
      this.#deps.log.e(EV.beacon.cannotListen, { port: this.#options.beaconPort, error: String(error) });
      return;
    }
    this.#udp = udp;
    this.#enter("listening", "start");
    const group = this.#options.beaconAddress;
    if (isMulticast(group)) {
      try {
        udp.add?.(group);
      } catch (error) {
        this.#deps.log.w(EV.beacon.cannotJoin, { group, error: String(error) });
      }
    }
    this.#deps.log.i(EV.beacon.listening, { port: this.#options.beaconPort, group: isMulticast(group) ? group : undefined });
  }

  stop(): void {
    const udp = this.#udp;
    this.#udp = undefined;
    try {
      udp?.close();
    } catch {
      // already closed
    }
    if (this.#state === "listening") this.#enter("stopped", "stop");
  }

  close(): void {
    this.stop();
    this.#enter("closed", "close");
  }

  #enter(next: "stopped" | "listening" | "closed", reason: string): void {
    if (next === this.#state) return;
    this.#deps.log.state("D", EV.beacon.state, this.#state, next, { reason });
    this.#state = next;
  }

  #readable(udp: UdpSocket, packets: number): void {
    for (let i = 0; i < Math.min(packets, 64) && udp === this.#udp; i++) {
      let datagram;
      try {
        datagram = udp.read();
      } catch {
        break;
      }
      if (!datagram) break;
      const result = parseBeacon(datagram);
      if (!result.ok) {
        this.ignored++;
        const suppressed = this.#ignoreLimit.take(this.#deps.clock());
        if (suppressed >= 0) this.#deps.log.d(EV.beacon.ignored, { from: datagram.address + ":" + datagram.port, reason: result.reason, bytes: datagram.byteLength, suppressed });
        continue;
      }
      const b = result.beacon;
      const mine = this.#options.group ?? "";
      if ((b.group ?? "") !== mine) {
        this.otherGroup++;
        const suppressed = this.#otherGroupLimit.take(this.#deps.clock());
        if (suppressed >= 0) this.#deps.log.i(EV.beacon.otherGroup, { server: b.id, group: b.group ?? "", mine, from: datagram.address, suppressed });
        continue;
      }
      this.heard++;
      this.#deps.log.at(this.#sampler.take() ? "I" : "D", EV.beacon.heard, { server: b.id, ip: b.ip, port: b.port, seq: b.seq, from: datagram.address });
      try {
        this.#onBeacon({ beacon: b, from: datagram.address });
      } catch (error) {
        this.#deps.log.e(EV.beacon.callbackFailed, { where: "beacon handler", error: String(error) });
      }
    }
  }
}
