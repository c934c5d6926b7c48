// Test doubles for the firmware's injected dependencies: a fake clock with Timer-like timers, and fake TCP,
// Listener and UDP classes that follow Moddable's ECMA-419 semantics (write throws before connected and past the
// writable count; onWritable first call = connected; read() returns undefined when empty; a peer FIN is onError),
// driven step by step from a test. A captured Log collects the serial log lines.
import { Log, type Level } from "linklab/log";
import type { Datagram, ListenerSocket, TcpOptions, TcpSocket, TimerId, Timers, UdpSocket } from "linklab/ports";

type FakeTimer = { id: number; atMs: number; repeatMs: number; callback: () => void };

export class FakeClock {
  nowMs = 0;
  readonly clock = (): number => this.nowMs;
  #timers: FakeTimer[] = [];
  #nextId = 1;

  readonly timers: Timers = {
    set: (callback, delayMs, repeatMs) => {
      const timer: FakeTimer = { id: this.#nextId++, atMs: this.nowMs + Math.max(0, delayMs), repeatMs: repeatMs ?? 0, callback };
      this.#timers.push(timer);
      return timer;
    },
    clear: (id: TimerId | undefined) => {
      if (id) this.#timers = this.#timers.filter((t) => t !== id);
    },
  };

  get pendingTimers(): number {
    return this.#timers.length;
  }

  /**
   * Fire the earliest due timer once, without moving time: one turn of Moddable's main loop after a stall (its
   * repeating timers are non-drifting, modules/base/timer/mc/timer.c, so a late one fires again on later turns).
   * Returns false when no timer is due.
   */
  fireNext(): boolean {
    let next: FakeTimer | undefined;
    for (const t of this.#timers) if (t.atMs <= this.nowMs && (!next || t.atMs < next.atMs)) next = t;
    if (!next) return false;
    if (next.repeatMs > 0) next.atMs += next.repeatMs;
    else this.#timers = this.#timers.filter((t) => t !== next);
    next.callback();
    return true;
  }

  /** Move time forward by ms, firing due timers in time order (bounded: 100000 firings). */
  advance(ms: number): void {
    const endMs = this.nowMs + ms;
    for (let guard = 0; guard < 100000; guard++) {
      let next: FakeTimer | undefined;
      for (const t of this.#timers) if (t.atMs <= endMs && (!next || t.atMs < next.atMs)) next = t;
      if (!next) break;
      this.nowMs = Math.max(this.nowMs, next.atMs);
      if (next.repeatMs > 0) next.atMs += next.repeatMs;
      else this.#timers = this.#timers.filter((t) => t !== next);
      next.callback();
    }
    this.nowMs = endMs;
  }
}

export function captureLog(clock: () => number, level: Level = "D"): { log: Log; lines: string[] } {
  const lines: string[] = [];
  return { log: new Log({ clock, sink: (line) => lines.push(line), level }), lines };
}

function bytesOf(data: string | Uint8Array | ArrayBuffer): Uint8Array {
  if (typeof data === "string") {
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data.charCodeAt(i) & 0xff;
    return out;
  }
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

function ascii(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** A fake network: the TCP class it hands out records every socket made. */
export class FakeNet {
  readonly sockets: FakeTCP[] = [];
  readonly listeners: FakeListener[] = [];
  readonly udps: FakeUDP[] = [];
  readonly TCP;
  readonly Listener;
  readonly UDP;

  constructor() {
    // Inside each class `this` is the socket; `self` is this network, which records it.
    const self = this;
    this.TCP = class extends FakeTCP {
      constructor(options: TcpOptions) {
        super(options);
        self.sockets.push(this);
      }
    };
    this.Listener = class extends FakeListener {
      constructor(options: ConstructorParameters<typeof FakeListener>[0]) {
        super(options, self);
        self.listeners.push(this);
      }
    };
    this.UDP = class extends FakeUDP {
      constructor(options: ConstructorParameters<typeof FakeUDP>[0]) {
        super(options);
        self.udps.push(this);
      }
    };
  }

  /** The socket made last (the client's current connection). */
  last(): FakeTCP {
    const s = this.sockets[this.sockets.length - 1];
    if (!s) throw new Error("no socket made");
    return s;
  }
}

export class FakeTCP implements TcpSocket {
  readonly options: TcpOptions;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  ready: boolean;
  closed = false;
  closeCalls = 0;
  writable = 4096;
  /** Everything written, as ASCII. */
  written = "";
  #rx: number[] = [];

  constructor(options: TcpOptions) {
    this.options = options;
    if ("from" in options) {
      const from = options.from as FakeTCP;
      this.remoteAddress = from.remoteAddress;
      this.remotePort = from.remotePort;
      this.ready = true;
      from.closed = true;
    } else {
      this.remoteAddress = "address" in options ? options.address : options.host;
      this.remotePort = options.port;
      this.ready = false;
    }
  }

  /** Lines written so far (without endings). */
  lines(): string[] {
    return this.written.split("\n").slice(0, -1);
  }

  /** Bytes received and not read yet. */
  get unread(): number {
    return this.#rx.length;
  }

  /** Everything buffered, or `count` bytes (more than buffered throws "invalid", as lwIP's tcp.c does). */
  read(count?: number): ArrayBuffer | undefined {
    if (this.closed) throw new Error("closed");
    if (this.#rx.length === 0) return undefined;
    const take = count === undefined ? this.#rx.length : count;
    if (!(take > 0 && take <= this.#rx.length)) throw new Error("invalid");
    const out = new Uint8Array(this.#rx.splice(0, take));
    return out.buffer;
  }

  write(data: ArrayBuffer | Uint8Array): number {
    if (this.closed) throw new Error("closed");
    if (!this.ready) throw new Error("not ready");
    const bytes = bytesOf(data);
    if (bytes.length > this.writable) throw new Error("would block");
    this.writable -= bytes.length;
    this.written += ascii(bytes);
    return this.writable;
  }

  close(): void {
    this.closeCalls++;
    this.closed = true;
  }

  // ---- driven by the test (each is what the runtime would deliver as a callback) ----

  /** SYN/ACK arrived: the first onWritable. */
  connect(writable = 4096): void {
    this.ready = true;
    this.writable = writable;
    if (!this.closed) this.options.onWritable?.call(this, writable);
  }
  /** Sent data drained: onWritable again. */
  drain(writable = 4096): void {
    this.writable = writable;
    if (!this.closed) this.options.onWritable?.call(this, writable);
  }
  refuse(): void {
    if (!this.closed) this.options.onError?.call(this);
  }
  receive(data: string | Uint8Array): void {
    for (const b of bytesOf(data)) this.#rx.push(b);
    if (!this.closed) this.options.onReadable?.call(this, this.#rx.length);
  }
  /** The peer's FIN (or an RST): onError after buffered data. */
  peerClose(): void {
    if (!this.closed) this.options.onError?.call(this);
  }
}

export class FakeListener implements ListenerSocket {
  readonly port: number;
  readonly options: { port?: number; onReadable?: (this: ListenerSocket, requests: number) => void };
  closed = false;
  #pending: FakeTCP[] = [];
  #net: FakeNet;
  #nextPeerPort = 50000;

  constructor(options: { port?: number; address?: string; onReadable?: (this: ListenerSocket, requests: number) => void }, net: FakeNet) {
    this.options = options;
    this.port = options.port || 40000;
    this.#net = net;
  }

  read(): FakeTCP | undefined {
    return this.#pending.shift();
  }

  close(): void {
    this.closed = true;
  }

  /** A peer completes the three-way handshake; returns the socket the server adopted (or undefined). */
  connect(remoteAddress = "127.0.0.9", remotePort = this.#nextPeerPort++): FakeTCP | undefined {
    const raw = new FakeTCP({ address: remoteAddress, port: remotePort });
    raw.ready = true;
    this.#pending.push(raw);
    const before = this.#net.sockets.length;
    if (!this.closed) this.options.onReadable?.call(this, this.#pending.length);
    return this.#net.sockets.slice(before).find((s) => "from" in s.options && s.options.from === raw);
  }
}

export class FakeUDP implements UdpSocket {
  readonly options: { port?: number; onReadable?: (this: UdpSocket, packets: number) => void };
  readonly sent: { text: string; address: string; port: number }[] = [];
  closed = false;
  failWrites = false;
  #queue: Datagram[] = [];

  constructor(options: { port?: number; address?: string; onReadable?: (this: UdpSocket, packets: number) => void }) {
    this.options = options;
  }

  write(data: ArrayBuffer | Uint8Array, address: string, port: number): void {
    if (this.closed) throw new Error("closed");
    if (this.failWrites) throw new Error("broadcast refused");
    this.sent.push({ text: ascii(bytesOf(data)), address, port });
  }

  read(): Datagram | undefined {
    return this.#queue.shift();
  }

  close(): void {
    this.closed = true;
  }

  readonly groups: string[] = [];
  add(group: string): void {
    this.groups.push(group);
  }

  deliver(data: string | Uint8Array, address = "127.0.0.1", port = 40001): void {
    const bytes = bytesOf(data);
    const buffer = bytes.slice().buffer;
    const datagram = Object.assign(buffer, { address, port });
    this.#queue.push(datagram);
    if (!this.closed) this.options.onReadable?.call(this, this.#queue.length);
  }
}
