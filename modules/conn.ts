// One TCP connection carrying protocol lines, over Moddable's ECMA-419 TCP semantics: write() throws before the
// connection is up and past the writable space, so lines wait in a bounded send queue flushed from onWritable; the
// first onWritable of an outgoing connection means connected; onError means refused (before that) or ended by the
// peer (FIN or RST, after buffered data). Events from a socket this object no longer owns are ignored by identity;
// close() is idempotent and silences every callback.

import { encodeLine, LineFramer, type Frame } from "linklab/framing";
import type { Clock, TcpClass, TcpKeepalive, TcpOptions, TcpSocket } from "linklab/ports";

export type ConnEvents = {
  /** An outgoing connection completed its three-way handshake. */
  connected?(): void;
  /** Bytes arrived (life), before they are framed. */
  received?(bytes: number): void;
  frame(frame: Frame): void;
  /** The socket failed: "refused" before it was connected, "ended" after (peer FIN or RST; XS cannot tell which). */
  ended(how: "refused" | "ended"): void;
  /** The send queue could not take a line (peer not reading); the owner decides what to do. */
  overflow?(): void;
};

export type ConnTarget = { address: string; port: number } | { host: string; port: number } | { from: TcpSocket };

export class LineConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  lastRxMs: number;
  lastTxMs: number;
  bytesIn = 0;
  bytesOut = 0;
  #socket: TcpSocket | undefined;
  #connected: boolean;
  #framer: LineFramer;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #queueMax: number;
  #writable = Infinity;
  #ending = false;
  #clock: Clock;
  #events: ConnEvents;

  constructor(TCP: TcpClass, target: ConnTarget, options: { maxLine: number; queueMax: number; clock: Clock; nodelay?: boolean; keepalive?: TcpKeepalive }, events: ConnEvents) {
    this.#clock = options.clock;
    this.#events = events;
    this.#framer = new LineFramer(options.maxLine);
    this.#queueMax = options.queueMax;
    this.lastRxMs = this.lastTxMs = options.clock();
    const self = this;
    const tcpOptions: TcpOptions = {
      ...target,
      format: "buffer",
      onReadable(this: TcpSocket, bytes: number) {
        self.#readable(this, bytes);
      },
      onWritable(this: TcpSocket, bytes: number) {
        self.#onWritable(this, bytes);
      },
      onError(this: TcpSocket) {
        self.#onError(this);
      },
    };
    if (options.nodelay) tcpOptions.nodelay = true;
    if (options.keepalive) tcpOptions.keepalive = options.keepalive;
    // An adopted (accepted) socket is connected already; an outgoing one waits for its first onWritable.
    this.#connected = "from" in target;
    if ("from" in target) {
      this.remoteAddress = target.from.remoteAddress ?? "?";
      this.remotePort = target.from.remotePort ?? 0;
    } else {
      this.remoteAddress = "address" in target ? target.address : target.host;
      this.remotePort = target.port;
      if (!this.#connected) this.#writable = 0;
    }
    this.#socket = new TCP(tcpOptions);
    if ("from" in target) {
      this.remoteAddress = this.#socket.remoteAddress ?? this.remoteAddress;
      this.remotePort = this.#socket.remotePort ?? this.remotePort;
    }
  }

  get connected(): boolean {
    return this.#connected;
  }
  get open(): boolean {
    return this.#socket !== undefined;
  }
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Queue a line (its LF is added); false when closed or when the send queue is full. */
  send(line: string): boolean {
    if (!this.#socket || this.#ending) return false;
    const bytes = encodeLine(line);
    if (this.#queuedBytes + bytes.length > this.#queueMax) {
      this.#events.overflow?.();
      return false;
    }
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
    this.#flush();
    return true;
  }

  /** Close once the queued lines are written (FIN after the data); at once when nothing is queued. */
  end(): void {
    if (!this.#socket) return;
    this.#ending = true;
    if (this.#queue.length === 0) this.close();
  }

  /** Idempotent; after it no event fires. */
  close(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    if (!socket) return;
    try {
      socket.close();
    } catch {
      // Closing an already failed socket may throw on some runtimes; it is released either way.
    }
  }

  #flush(): void {
    const socket = this.#socket;
    while (socket && this.#connected && this.#queue.length > 0) {
      const head = this.#queue[0];
      if (head.length > this.#writable) break;
      let result: unknown;
      try {
        result = socket.write(head);
      } catch {
        // "not ready" or "would block": the bytes stay queued until the next onWritable.
        this.#writable = 0;
        break;
      }
      if (socket !== this.#socket) return;
      this.#queue.shift();
      this.#queuedBytes -= head.length;
      this.bytesOut += head.length;
      this.lastTxMs = this.#clock();
      this.#writable = typeof result === "number" ? result : this.#writable - head.length;
    }
    if (this.#ending && this.#queue.length === 0 && this.#socket) this.close();
  }

  #readable(socket: TcpSocket, _bytes: number): void {
    if (socket !== this.#socket) return;
    for (let reads = 0; reads < 64 && socket === this.#socket; reads++) {
      const data = socket.read();
      if (data === undefined || typeof data === "number") break;
      if (data.byteLength === 0) break;
      this.bytesIn += data.byteLength;
      this.lastRxMs = this.#clock();
      this.#events.received?.(data.byteLength);
      const frames = this.#framer.push(data);
      for (let i = 0; i < frames.length && socket === this.#socket; i++) this.#events.frame(frames[i]);
    }
  }

  #onWritable(socket: TcpSocket, bytes: number): void {
    if (socket !== this.#socket) return;
    this.#writable = bytes;
    if (!this.#connected) {
      this.#connected = true;
      this.lastRxMs = this.lastTxMs = this.#clock();
      this.#events.connected?.();
      if (socket !== this.#socket) return;
    }
    this.#flush();
  }

  #onError(socket: TcpSocket): void {
    if (socket !== this.#socket) return;
    const how = this.#connected ? "ended" : "refused";
    this.close();
    this.#events.ended(how);
  }
}
