// embedded:io/socket/tcp on Node, with the semantics of Moddable SDK 8.2.3's lwIP implementation
// (modules/io/socket/lwip/tcp.c): callbacks are posted and coalesced like tcpTrigger/tcpDeliver, onWritable
// reports lwIP's free send buffer, the board holds at most TCP_WND unread bytes (then the window closes on the peer),
// a peer's FIN or RST surfaces as onError() only after buffered data was read, and after close() nothing fires and
// every method throws. Traffic passes through a Gate (gate.ts) for faults.
import { Socket, connect, isIPv4 } from "node:net";
import { board } from "./board.ts";
import { Gate, type Inbound } from "./gate.ts";
import { station } from "./station.ts";
import { invoke, post } from "./machine.ts";

/**
 * lwIP's TCP_SND_BUF on Moddable's ESP32 build (build/devices/esp32/xsProj-esp32/sdkconfig.defaults:
 * CONFIG_LWIP_TCP_SND_BUF_DEFAULT=8192): what tcp_sndbuf() reports with nothing unacknowledged.
 */
export const TCP_SND_BUF = 8192;

/**
 * lwIP's TCP_WND on Moddable's ESP32 build (build/devices/esp32/xsProj-esp32/sdkconfig.defaults:
 * CONFIG_LWIP_TCP_WND_DEFAULT=8192; no esp32 target's sdkconfig overrides it): the most received data lwIP keeps
 * for a connection the app has not read. tcp.c frees a pbuf and calls tcp_recved() only when read() has consumed
 * all of it, so unread bytes keep the window shut and the peer stalls. Here: once TCP_WND bytes wait unread, the
 * kernel socket is paused (its window closes on the peer); what Node had already taken waits in a backlog, as
 * lwIP's peer would still hold it, and is admitted (a new onReadable) as the app reads.
 */
export const TCP_WND = 8192;

/** ESP-IDF's lwIP FIN_WAIT_2 limit (TCP_FIN_WAIT_TIMEOUT): how long a closed socket may wait for the peer's FIN. */
const FIN_WAIT_TIMEOUT_MS = 20_000;

const kWritable = 1;
const kReadable = 2;
const kError = 4;

type Format = "buffer" | "number";

/**
 * ECMA-419's keep-alive option. Moddable SDK 8.2.3 ignores it on every platform (neither modules/io/socket/lwip/tcp.c
 * nor lin/tcp.c reads it; the differential suite shows lin's sockets without a keep-alive timer), so the host
 * runtime ignores it too: a probe the board never sends must not appear in the simulator.
 */
export interface TCPKeepalive {
  enable: boolean;
  idle?: number;
  interval?: number;
  count?: number;
}

export interface TCPOptions {
  address?: string;
  host?: string;
  port?: number;
  from?: TCP;
  nodelay?: boolean;
  keepalive?: TCPKeepalive;
  format?: Format;
  target?: unknown;
  onReadable?: (this: TCP, bytes: number) => void;
  onWritable?: (this: TCP, bytes: number) => void;
  onError?: (this: TCP) => void;
}

/** The native record behind a TCP object (TCPRecord in tcp.c); `from` moves it to the adopting object. */
class Connection {
  obj: TCP;
  socket: Socket | undefined;
  gate: Gate | undefined;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  /** Received and not read (lwIP: pbufs held by tcp.c), at most TCP_WND bytes. */
  buffers: Buffer[] = [];
  available = 0;
  /** Taken from the kernel beyond the window: on a board these bytes would still be at the peer, unacknowledged. */
  backlog: Buffer[] = [];
  backlogBytes = 0;
  /** The peer's FIN came in behind the backlog: it counts once the backlog has been admitted. */
  finPending = false;
  admitPosted = false;
  /** Written but not yet taken by the kernel (lwIP: in the send buffer, unacknowledged). */
  inFlight = 0;
  ready = false;
  error = false;
  errorReported = false;
  /** FIN or RST seen: onError is due once the buffers are empty. */
  peerGone = false;
  triggerable = 0;
  triggered = 0;
  format: Format = "buffer";
  onReadable: TCPOptions["onReadable"];
  onWritable: TCPOptions["onWritable"];
  onError: TCPOptions["onError"];
  closed = false;

  constructor(obj: TCP) {
    this.obj = obj;
    board.closers.add(this.closer);
  }

  readonly closer = (): void => {
    this.close();
  };

  attach(socket: Socket): void {
    this.socket = socket;
    this.gate = new Gate(socket, (event) => this.fromNetwork(event));
    // The kernel may report an error before the gate delivers it; make sure Node never throws it unhandled.
    socket.on("error", () => {});
  }

  get sndbuf(): number {
    return this.socket && !this.peerGone ? Math.max(0, TCP_SND_BUF - this.inFlight) : 0;
  }

  fromNetwork(event: Inbound): void {
    if (this.closed) return;
    if (event.kind === "data") {
      this.backlog.push(event.data);
      this.backlogBytes += event.data.length;
      this.admit();
      return;
    }
    if (event.kind === "end" && this.backlogBytes > 0) {
      this.finPending = true; // the FIN is in sequence after data not yet inside the window
      return;
    }
    if (event.kind === "error") {
      // An RST drops what the window had not admitted (it never reached lwIP); buffered bytes stay readable.
      this.backlog = [];
      this.backlogBytes = 0;
      this.finPending = false;
    }
    // FIN (tcpReceive with a NULL pbuf) or RST/abort (tcpError): the error is delivered after the buffers drain.
    this.peerGone = true;
    this.trigger(kError);
  }

  /**
   * tcpReceive for what fits the receive window: move backlog into the buffers up to TCP_WND unread bytes (a
   * readable trigger when anything moved), then close the gate's window while it is full or anything is left over.
   */
  admit(): void {
    let moved = 0;
    while (this.backlog.length > 0 && this.available < TCP_WND) {
      const head = this.backlog[0];
      const use = Math.min(TCP_WND - this.available, head.length);
      if (use === head.length) {
        this.buffers.push(head);
        this.backlog.shift();
      } else {
        this.buffers.push(head.subarray(0, use));
        this.backlog[0] = head.subarray(use);
      }
      this.available += use;
      this.backlogBytes -= use;
      moved += use;
    }
    this.gate?.receiveWindow(this.available < TCP_WND && this.backlogBytes === 0);
    if (moved > 0 && this.triggerable & kReadable) this.trigger(kReadable);
    if (this.finPending && this.backlogBytes === 0) {
      this.finPending = false;
      this.peerGone = true;
      this.trigger(kError);
    }
  }

  /** The app read: the window opened (tcp_recved), so the peer's next bytes come in on a later turn. */
  opened(): void {
    if (this.admitPosted || (this.backlogBytes === 0 && !this.gate?.windowClosed)) return;
    this.admitPosted = true;
    post(() => {
      this.admitPosted = false;
      if (!this.closed) this.admit();
    });
  }

  connected(): void {
    if (this.closed || this.peerGone) return; // aborted (e.g. Wi-Fi dropped) while the SYN was out
    this.ready = true;
    this.trigger(kWritable);
  }

  drained(bytes: number): void {
    this.inFlight -= bytes;
    if (!this.closed) this.trigger(kWritable);
  }

  trigger(bits: number): void {
    const idle = this.triggered === 0;
    this.triggered |= bits;
    if (idle) post(() => this.deliver());
  }

  /** tcpDeliver: readable, then writable unless in error, else the error once the buffers are empty. */
  deliver(): void {
    const triggered = this.triggered;
    this.triggered = 0;
    if (this.closed) return;
    if (triggered & kError) {
      this.error = true;
      this.ready = false;
    }
    if (triggered & this.triggerable & kReadable && this.available > 0 && this.onReadable) {
      invoke(this.onReadable, this.obj, this.available);
      if (this.closed) return;
    }
    if (this.available > 0 && this.error) return;
    if (!this.error) {
      if (triggered & this.triggerable & kWritable && this.ready && this.onWritable) invoke(this.onWritable, this.obj, this.sndbuf);
    } else if (this.triggerable & kError && !this.errorReported && this.onError) {
      this.errorReported = true;
      invoke(this.onError, this.obj);
    }
  }

  /** tcp_close: FIN after queued data, or RST when received data was never read (lwIP and Linux both do this). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.triggered = 0;
    board.closers.delete(this.closer);
    const { socket, gate } = this;
    if (!socket || !gate) return;
    gate.detach();
    if (socket.destroyed || gate.severed) return;
    if (this.available > 0 || this.backlogBytes > 0) {
      gate.abortConnection();
      return;
    }
    if (!this.ready && !this.error) {
      socket.destroy(); // still connecting
      return;
    }
    gate.end();
    const timer = setTimeout(() => socket.destroy(), FIN_WAIT_TIMEOUT_MS);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  }
}

const records = new WeakMap<TCP, Connection>();
/** Every TCP ever constructed: close() tells "closed or handed over" from "not a TCP". */
const made = new WeakSet<object>();

function live(tcp: unknown): Connection {
  const record = typeof tcp === "object" && tcp !== null ? records.get(tcp as TCP) : undefined;
  if (!record || record.closed) throw new SyntaxError("C: xsGetHostData: invalid host data");
  return record;
}

/** Bytes of an ArrayBuffer, a byte-sized typed array or a DataView, as xsmcGetBufferReadable/Writable accept. */
export function bytesOf(value: unknown): Uint8Array {
  if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer))
    return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) {
    const size = value instanceof DataView ? 1 : (value as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    if (size === 1) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  throw new TypeError("expected buffer");
}

/** xsmcToInteger: Symbol throws TypeError, NaN becomes 0. */
export function toInteger(value: unknown): number {
  const number = Number(value);
  return Number.isFinite(number) ? Math.trunc(number) : 0;
}

/** builtinGetSignedInteger for a port: a number (or numeric string) in 0..65535. */
export function toPort(value: unknown): number {
  if (typeof value === "symbol") throw new TypeError("expected integer");
  const port = Number(value);
  if (value === undefined || value === null || !Number.isInteger(port)) throw new Error("expected integer");
  if (port < 0 || port > 65535) throw new RangeError("invalid port");
  return port;
}

/** lwIP ipaddr_aton, IPv4 dotted quad only. */
export function isAddress(value: unknown): value is string {
  return typeof value === "string" && isIPv4(value);
}

function toFormat(value: unknown, fallback: Format): Format {
  if (value === undefined) return fallback;
  if (value === "buffer" || value === "number") return value;
  throw new RangeError("unimplemented");
}

function callback<T>(options: object, name: string): T | undefined {
  const value = (options as Record<string, unknown>)[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "function") throw new TypeError(`${name}: not a function`);
  return value as T;
}

export default class TCP {
  declare target?: unknown;

  constructor(options?: TCPOptions) {
    made.add(this);
    if (options === undefined) {
      // `new TCP()`: an empty host object, filled in by Listener.read().
      records.set(this, new Connection(this));
      return;
    }
    const format = toFormat(options.format, "buffer");
    const onReadable = callback<TCPOptions["onReadable"]>(options, "onReadable");
    const onWritable = callback<TCPOptions["onWritable"]>(options, "onWritable");
    const onError = callback<TCPOptions["onError"]>(options, "onError");
    const nodelay = "nodelay" in options ? Boolean(options.nodelay) : undefined;
    let record: Connection;
    if ("from" in options) {
      // The native socket, its buffers and pending triggers move to this object; `from` is left closed.
      record = live(options.from);
      if (!record.socket) throw new Error("invalid from");
      records.delete(options.from!);
      record.obj = this;
    } else {
      const address = options.address;
      if (!isAddress(address)) throw new Error("invalid address");
      const port = toPort(options.port);
      // No route while the station is down: lwIP's tcp_connect returns ERR_RTE and tcp.c throws.
      if (!station.up) throw new Error("connect error");
      record = new Connection(this);
      const socket = connect({ host: address, port, localAddress: board.identity.address, allowHalfOpen: true });
      record.remoteAddress = address;
      record.remotePort = port;
      record.attach(socket);
      socket.once("connect", () => record.gate!.opened(() => record.connected()));
    }
    records.set(this, record);
    record.format = format;
    record.onReadable = onReadable;
    record.onWritable = onWritable;
    record.onError = onError;
    record.triggerable = (onReadable ? kReadable : 0) | (onWritable ? kWritable : 0) | (onError ? kError : 0);
    if (nodelay !== undefined) record.socket?.setNoDelay(nodelay);
    if ("target" in options) this.target = options.target;
    if ("from" in options) {
      let triggered = 0;
      if (record.triggerable & kWritable && record.ready && record.sndbuf > 0) triggered |= kWritable;
      if (record.triggerable & kReadable && record.available > 0) triggered |= kReadable;
      if (record.peerGone) triggered |= kError;
      if (triggered) record.trigger(triggered);
    }
  }

  /** Idempotent on a TCP; on anything else (a foreign receiver) it throws as XS's host-data check does. */
  close(): void {
    const record = records.get(this);
    if (!record) {
      if (made.has(this)) return; // closed, or handed over by new TCP({from}): its host data is gone, as in XS
      throw new SyntaxError("C: xsGetHostData: invalid host data");
    }
    if (record.closed) return;
    record.close();
  }

  /** An ArrayBuffer of everything buffered, read(n) bytes, read(buffer) fills the buffer; undefined when empty. */
  read(): ArrayBuffer | undefined;
  read(count: number): ArrayBuffer | undefined;
  read(buffer: ArrayBuffer | ArrayBufferView): number | undefined;
  read(...args: unknown[]): ArrayBuffer | number | undefined {
    const record = live(this);
    if (record.available === 0) return undefined;
    let requested = 1;
    let out: Uint8Array | undefined;
    if (record.format === "buffer") {
      const arg = args[0];
      if (args.length === 0) requested = record.available;
      else if ((typeof arg === "object" && arg !== null) || typeof arg === "function") {
        out = bytesOf(arg);
        requested = out.length;
      } else requested = toInteger(arg);
      if (requested <= 0 || requested > record.available) throw new Error("invalid");
    }
    const filling = out !== undefined;
    out ??= new Uint8Array(requested);
    for (let at = 0; at < requested; ) {
      const head = record.buffers[0];
      const use = Math.min(head.length, requested - at);
      out.set(head.subarray(0, use), at);
      at += use;
      if (use === head.length) record.buffers.shift();
      else record.buffers[0] = head.subarray(use);
    }
    record.available -= requested;
    if (record.available === 0 && record.peerGone) record.trigger(kError);
    record.opened();
    if (record.format === "number") return out[0];
    return filling ? requested : (out.buffer as ArrayBuffer);
  }

  /** Queue bytes (or one byte with format "number"); returns the send buffer space left. */
  write(data: ArrayBufferLike | ArrayBufferView | number): number | undefined {
    const record = live(this);
    // lwip/tcp.c xs_tcp_write: tcp->ready is set by the connected callback and cleared when an error is reported.
    if (!record.ready) throw new Error("not ready");
    let bytes: Buffer;
    if (record.format === "buffer") bytes = Buffer.from(bytesOf(data));
    else bytes = Buffer.of(toInteger(data) & 0xff);
    if (bytes.length > record.sndbuf) throw new Error("would block");
    if (bytes.length === 0) return record.sndbuf;
    record.inFlight += bytes.length;
    record.gate!.write(bytes, () => record.drained(bytes.length));
    return record.sndbuf;
  }

  get remoteAddress(): string | undefined {
    return live(this).remoteAddress;
  }

  get remotePort(): number | undefined {
    return live(this).remotePort;
  }

  get format(): Format {
    return live(this).format;
  }

  set format(value: Format) {
    live(this).format = toFormat(value ?? null, "buffer");
  }
}

/** Listener.read(): a TCP with no callbacks around an accepted socket; pass it as `from` to use callbacks. */
export function accepted(socket: Socket): TCP {
  const tcp = new TCP();
  const record = records.get(tcp)!;
  record.remoteAddress = socket.remoteAddress?.replace(/^::ffff:/, "");
  record.remotePort = socket.remotePort;
  record.attach(socket);
  record.ready = true;
  return tcp;
}
