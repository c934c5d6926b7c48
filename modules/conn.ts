// One TCP connection carrying protocol lines, over Moddable's ECMA-419 TCP semantics: write() throws before the
// connection is up and past the writable space, so lines wait in a bounded send queue flushed from onWritable; the
// first onWritable of an outgoing connection means connected; onError means refused (before that) or ended by the
// peer (FIN or RST, after buffered data). Events from a socket this object no longer owns are ignored by identity;
// close() is idempotent and silences every callback.
//
// Flow control (docs/reliability.md, "Flow control"): received bytes are read and framed one maxLine-sized piece at a
// time, and with holdReads, reading stops while the send queue holds half of queueMax or more (high water). The bytes
// wait unread in the socket: lwIP keeps at most TCP_WND of them and then closes the TCP window on the sender. Reading
// resumes from onWritable once the queue is down to a quarter of queueMax (low water), with the bytes already in the
// socket read then and there, since lwIP calls onReadable only when new data arrives. The peer is judged not reading
// (overflow) only when the queue has made no progress for stallMs, or when a line would take it past queueMax.

import { encodeLine, LineFramer, type Frame } from "linklab/framing";
import type { Clock, TcpClass, TcpKeepalive, TcpOptions, TcpSocket } from "linklab/ports";

/** How long a non-empty send queue may go without a byte leaving before the peer counts as not reading. */
export const DEFAULT_STALL_MS = 5000;

/** Reads per turn at most: lwIP holds TCP_WND (8192) bytes, 128 pieces of the smallest maxLine (64). */
const MAX_READS = 1024;
/** Reads per turn at most when discarding after end(): the rest waits for the next onReadable. */
const DISCARD_READS = 64;

export type ConnEvents = {
  /** An outgoing connection completed its three-way handshake. */
  connected?(): void;
  frame(frame: Frame): void;
  /** The socket failed: "refused" before it was connected, "ended" after (peer FIN or RST; XS cannot tell which). */
  ended(how: "refused" | "ended"): void;
  /**
   * The peer is not reading: its send queue has made no progress for stallMs, or a line would take it past queueMax.
   * The line is refused; the owner decides what to do.
   */
  overflow?(): void;
  /**
   * One of the socket's callbacks threw (a bug in the owner's handlers): the owner logs it and decides what to do.
   * Without this handler the exception goes on to the runtime, which aborts XS.
   */
  failed?(error: unknown, where: string): void;
};

export type ConnTarget = { address: string; port: number } | { host: string; port: number } | { from: TcpSocket };

export type ConnOptions = {
  maxLine: number;
  /** Hard cap on queued bytes; reads are held from half of it (with holdReads) and resume at a quarter. */
  queueMax: number;
  clock: Clock;
  nodelay?: boolean;
  keepalive?: TcpKeepalive;
  /**
   * Stop reading while the send queue is high, so a peer that pipelines waits in its own TCP window instead of
   * filling the queue. Right for a side whose lines answer what it reads (the server); default: on for an accepted
   * socket ({from}), off for an outgoing one (a client must keep reading its replies, or both sides could wait).
   */
  holdReads?: boolean;
  /** No progress for this long with lines queued means the peer is not reading (DEFAULT_STALL_MS). */
  stallMs?: number;
};

export class LineConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The last sign of life from the peer: bytes received, or, while reads are held, our queue moving on. */
  lastRxMs: number;
  lastTxMs: number;
  #socket: TcpSocket | undefined;
  #connected: boolean;
  #framer: LineFramer;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #queueMax: number;
  #highWater: number;
  #lowWater: number;
  #holdReads: boolean;
  #holding = false;
  #pumping = false;
  /** Bytes the socket reported readable that have not been read (a lower bound: more may have arrived since). */
  #available = 0;
  #stallMs: number;
  /** When the queue last sent bytes on, or became non-empty. */
  #progressMs: number;
  #writable = Infinity;
  #ending = false;
  #clock: Clock;
  #events: ConnEvents;

  constructor(TCP: TcpClass, target: ConnTarget, options: ConnOptions, events: ConnEvents) {
    this.#clock = options.clock;
    this.#events = events;
    this.#framer = new LineFramer(options.maxLine);
    this.#queueMax = options.queueMax;
    this.#highWater = Math.floor(options.queueMax / 2);
    this.#lowWater = Math.floor(options.queueMax / 4);
    this.#holdReads = options.holdReads ?? "from" in target;
    this.#stallMs = options.stallMs ?? DEFAULT_STALL_MS;
    this.lastRxMs = this.lastTxMs = this.#progressMs = options.clock();
    const self = this;
    const tcpOptions: TcpOptions = {
      ...target,
      format: "buffer",
      onReadable(this: TcpSocket, bytes: number) {
        self.#guarded("onReadable", () => self.#readable(this, bytes));
      },
      onWritable(this: TcpSocket, bytes: number) {
        self.#guarded("onWritable", () => self.#onWritable(this, bytes));
      },
      onError(this: TcpSocket) {
        self.#guarded("onError", () => self.#onError(this));
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

  /** A socket callback: an exception in it is the owner's to report (events.failed), else it reaches the runtime. */
  #guarded(where: string, callback: () => void): void {
    try {
      callback();
    } catch (error) {
      if (!this.#events.failed) throw error;
      this.#events.failed(error, where);
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
  /** Reads are held back (flow control): the peer's bytes wait in the socket until the queue drains. */
  get holding(): boolean {
    return this.#holding;
  }

  /**
   * Queue a line (its LF is added); false when closed, ending, or when the peer is not reading (then overflow is
   * called): the line would take the queue past queueMax, or the queue has not moved for stallMs.
   */
  send(line: string): boolean {
    if (!this.#socket || this.#ending) return false;
    const bytes = encodeLine(line);
    if (this.#queuedBytes + bytes.length > this.#queueMax || this.#stalled()) {
      this.#events.overflow?.();
      return false;
    }
    if (this.#queue.length === 0) this.#progressMs = this.#clock();
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
    this.#flush();
    return true;
  }

  /**
   * For an owner's periodic check: when lines have waited stalled for stallMs, call overflow and return true.
   * (A send() finds a stall too; this finds it when nothing is being sent.)
   */
  checkStall(): boolean {
    if (!this.#socket || !this.#stalled()) return false;
    this.#events.overflow?.();
    return true;
  }

  /**
   * Close once the queued lines are written (FIN after the data); at once when nothing is queued. From now on
   * received bytes are read and dropped unframed: bytes left unread would turn the close into an RST.
   */
  end(): void {
    const socket = this.#socket;
    if (!socket) return;
    this.#ending = true;
    this.#holding = false;
    this.#discard(socket);
    if (socket === this.#socket && this.#queue.length === 0) this.close();
  }

  /** Idempotent; after it no event fires. */
  close(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.#holding = false;
    this.#available = 0;
    if (!socket) return;
    try {
      socket.close();
    } catch {
      // Closing an already failed socket may throw on some runtimes; it is released either way.
    }
  }

  #stalled(): boolean {
    return this.#connected && this.#queue.length > 0 && this.#clock() - this.#progressMs >= this.#stallMs;
  }

  #flush(): void {
    const socket = this.#socket;
    let sent = 0;
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
      sent += head.length;
      this.#writable = typeof result === "number" ? result : this.#writable - head.length;
    }
    if (sent > 0) {
      this.lastTxMs = this.#progressMs = this.#clock();
      // While its bytes wait unread, the peer taking ours is the sign of life we have (not silence).
      if (this.#holding) this.lastRxMs = this.lastTxMs;
    }
    if (this.#ending && this.#queue.length === 0 && this.#socket) this.close();
  }

  #readable(socket: TcpSocket, bytes: number): void {
    if (socket !== this.#socket) return;
    // The count lwIP reports is everything buffered; without one, read until the socket says it is empty.
    this.#available = typeof bytes === "number" && bytes > 0 ? bytes : Infinity;
    if (this.#ending) return this.#discard(socket);
    if (this.#holding) {
      // New bytes arrived while reads are held: the peer is alive, and they wait with the rest.
      this.lastRxMs = this.#clock();
      this.checkStall();
      return;
    }
    this.#pump(socket);
  }

  /** Read and frame piece by piece what the socket holds, until it is empty or the queue is high (hold). */
  #pump(socket: TcpSocket): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (let reads = 0; reads < MAX_READS && socket === this.#socket && this.#available > 0; reads++) {
        if (this.#holdReads && this.#queuedBytes >= this.#highWater) {
          this.#holding = true;
          return;
        }
        let data: ArrayBuffer | number | undefined;
        try {
          data = socket.read(Math.min(this.#available, this.#framer.maxLine));
        } catch {
          // Fewer bytes buffered than reported (should not happen): take what there is.
          data = socket.read();
        }
        if (data === undefined || typeof data === "number" || data.byteLength === 0) {
          this.#available = 0;
          break;
        }
        this.#available = Math.max(0, this.#available - data.byteLength);
        this.lastRxMs = this.#clock();
        const frames = this.#framer.push(data);
        for (let i = 0; i < frames.length && socket === this.#socket; i++) this.#events.frame(frames[i]);
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** Read everything buffered and drop it (after end()). */
  #discard(socket: TcpSocket): void {
    for (let reads = 0; reads < DISCARD_READS && socket === this.#socket; reads++) {
      let data: ArrayBuffer | number | undefined;
      try {
        data = socket.read();
      } catch {
        break;
      }
      if (data === undefined || typeof data === "number" || data.byteLength === 0) break;
      this.lastRxMs = this.#clock();
    }
    this.#available = 0;
  }

  #onWritable(socket: TcpSocket, bytes: number): void {
    if (socket !== this.#socket) return;
    this.#writable = bytes;
    if (!this.#connected) {
      this.#connected = true;
      this.lastRxMs = this.lastTxMs = this.#progressMs = this.#clock();
      this.#events.connected?.();
      if (socket !== this.#socket) return;
    }
    this.#flush();
    if (this.#holding && this.#queuedBytes <= this.#lowWater && socket === this.#socket) {
      // The queue drained: read what waited in the socket now (no new onReadable comes for it).
      this.#holding = false;
      this.#pump(socket);
    }
  }

  #onError(socket: TcpSocket): void {
    if (socket !== this.#socket) return;
    const how = this.#connected ? "ended" : "refused";
    this.close();
    this.#events.ended(how);
  }
}
