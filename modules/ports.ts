// The shapes of what the roles are given (ECMA-419 style: classes, a timer, a clock, a log), as structural types, so
// the same role code takes Moddable's classes on the board, the simulator's on Node, and fakes in unit tests.
// Types only: this module has no runtime content.

export type Clock = () => number;

export type TcpSocket = {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  /** Everything buffered, or `count` bytes (more than are buffered throws); undefined when nothing is buffered. */
  read(count?: number): ArrayBuffer | number | undefined;
  write(data: ArrayBuffer | Uint8Array): unknown;
  close(): void;
};

/**
 * TCP keep-alive as Moddable's older `socket` module spells it (modSocket.c configureSocketTCP: enable, idle,
 * interval, count; lwIP's keep_idle/keep_intvl are milliseconds). Neither the SDK's typings nor @moddable/typings
 * declare it on the ECMA-419 TCP options; lwIP's ECMA-419 TCP ignores it today, and the simulator honours it.
 */
export type TcpKeepalive = {
  enable: boolean;
  idle?: number;
  interval?: number;
  count?: number;
};

export type TcpCallbacks = {
  onReadable?: (this: TcpSocket, bytes: number) => void;
  onWritable?: (this: TcpSocket, bytes: number) => void;
  onError?: (this: TcpSocket) => void;
  format?: "buffer";
  nodelay?: boolean;
  keepalive?: TcpKeepalive;
};

export type TcpOptions = ({ address: string; port: number } | { host: string; port: number } | { from: TcpSocket }) & TcpCallbacks;
export type TcpClass = new (options: TcpOptions) => TcpSocket;

export type ListenerSocket = {
  read(): TcpSocket | undefined;
  close(): void;
  readonly port: number;
};
export type ListenerOptions = { port?: number; address?: string; onReadable?: (this: ListenerSocket, requests: number) => void };
export type ListenerClass = new (options: ListenerOptions) => ListenerSocket;

export type Datagram = ArrayBuffer & { address: string; port: number };
export type UdpSocket = {
  write(data: ArrayBuffer | Uint8Array, address: string, port: number): void;
  read(): Datagram | undefined;
  close(): void;
  /** Join a multicast group (lwIP igmp_joingroup; Moddable's lwIP UDP has it, its typings do not). */
  add?(group: string): void;
};
export type UdpOptions = { port?: number; address?: string; onReadable?: (this: UdpSocket, packets: number) => void; onError?: () => void };
export type UdpClass = new (options: UdpOptions) => UdpSocket;

/** Timer.set / Timer.clear in the shape the roles use: set(cb, ms) once, set(cb, ms, ms) repeating. */
export type TimerId = object;
export type Timers = {
  set(callback: () => void, delayMs: number, repeatMs?: number): TimerId;
  clear(id: TimerId | undefined): void;
};

/**
 * Wi-Fi station: connect(...) starts one attempt, its callback gets Moddable's WiFi messages; close() ends it.
 * The messages the link acts on are "connect", "gotIP", "lostIP" and "disconnect"; a platform may send others
 * (a string, ignored), so the type is string.
 */
export type WifiMessage = string;
export type WifiStation = { close(): void };
export type Wifi = {
  connect(options: { ssid: string; password?: string }, callback: (message: WifiMessage) => void): WifiStation;
  /** Report Wi-Fi events without connecting (Moddable: `new WiFi(undefined, callback)`). */
  monitor?(callback: (message: WifiMessage) => void): WifiStation;
  /** Leave the access point (Moddable: `WiFi.disconnect()`); the stations report "disconnect". */
  disconnect?(): void;
};
