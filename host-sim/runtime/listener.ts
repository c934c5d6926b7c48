// embedded:io/socket/listener on Node, after Moddable SDK 8.2.3's lwIP listener (modules/io/socket/lwip/tcp.c):
// the bind happens in the constructor (an ephemeral port is readable at once), onReadable(count) reports the
// pending connections, read() hands out a callback-less TCP to adopt with `new TCP({from})`. A pending socket is
// not read from until read() takes it. Connections arriving while the board's Wi-Fi is down wait for it to return.
import { Server, type Socket } from "node:net";
import { board } from "./board.ts";
import { invoke, post } from "./machine.ts";
import { holdAccept } from "./shaping.ts";
import { station } from "./station.ts";
import TCP, { accepted, isAddress, toPort } from "./tcp.ts";
import { bindListening, listenOn } from "./tcp-bind.ts";

export interface ListenerOptions {
  port?: number;
  address?: string;
  format?: "socket/tcp";
  target?: unknown;
  onReadable?: (this: Listener, requests: number) => void;
}

interface ListenerRecord {
  server: Server;
  address: string;
  /** Bound to the board's own address (default), so it follows the board to a new address. */
  followsBoard: boolean;
  port: number;
  pending: Socket[];
  /** Arrived while Wi-Fi was down: the SYN would not have reached the board yet. */
  parked: Socket[];
  triggered: boolean;
  onReadable: ListenerOptions["onReadable"];
  closer: () => void;
  onUp: (address: string) => void;
}

const records = new WeakMap<Listener, ListenerRecord>();
/** Every Listener ever constructed, closed ones included: close() tells "already closed" from "not a Listener". */
const made = new WeakSet<object>();

function live(listener: unknown): ListenerRecord {
  const record = typeof listener === "object" && listener !== null ? records.get(listener as Listener) : undefined;
  if (!record) throw new SyntaxError("C: xsGetHostData: invalid host data");
  return record;
}

/** Bind now, as tcp_bind/tcp_listen do on the board (tcp-bind.ts says how and why), then accept through net.Server. */
function listen(record: ListenerRecord, self: Listener): void {
  const { handle, port } = bindListening(record.address, record.port);
  record.port = port;
  const server = new Server({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
    if (!station.up) record.parked.push(socket);
    else if (!holdAccept(socket, () => queue(record, self, socket))) queue(record, self, socket);
  });
  server.on("error", () => {}); // accept() failures (EMFILE): lwIP would drop the SYN; the peer retries
  listenOn(server, handle);
  record.server = server;
}

function queue(record: ListenerRecord, self: Listener, socket: Socket): void {
  socket.on("error", () => {}); // a pending connection reset by its peer is found out when it is used
  record.pending.push(socket);
  if (!record.onReadable || record.triggered) return;
  record.triggered = true;
  post(() => {
    record.triggered = false;
    if (records.get(self) !== record || record.pending.length === 0) return;
    invoke(record.onReadable!, self, record.pending.length);
  });
}

export default class Listener {
  declare target?: unknown;

  constructor(options: ListenerOptions = {}) {
    const port = "port" in options ? toPort(options.port) : 0;
    const onReadable = options.onReadable ?? undefined;
    if (onReadable !== undefined && typeof onReadable !== "function") throw new TypeError("onReadable: not a function");
    if (options.format !== undefined && options.format !== "socket/tcp") throw new RangeError("unimplemented");
    if (options.address !== undefined && !isAddress(options.address)) throw new Error("invalid address");
    const record: ListenerRecord = {
      server: undefined as unknown as Server,
      address: options.address ?? board.identity.address,
      followsBoard: options.address === undefined,
      port,
      pending: [],
      parked: [],
      triggered: false,
      onReadable,
      closer: () => this.close(),
      onUp: (address) => {
        for (const socket of record.parked.splice(0)) queue(record, this, socket);
        if (record.followsBoard && address !== record.address) {
          // lwIP's listener is bound to IP_ADDR_ANY and keeps working on the new address; ours must rebind.
          record.server.close();
          record.address = address;
          listen(record, this);
        }
      },
    };
    listen(record, this);
    records.set(this, record);
    made.add(this);
    board.closers.add(record.closer);
    station.on("up", record.onUp);
    if ("target" in options) this.target = options.target;
  }

  /** The next pending connection as a TCP (no callbacks yet), or undefined. */
  read(): TCP | undefined {
    const record = live(this);
    const socket = record.pending.shift();
    return socket ? accepted(socket) : undefined;
  }

  /** Idempotent on a Listener; on anything else (a foreign receiver) it throws as XS's host-data check does. */
  close(): void {
    const record = records.get(this);
    if (!record) {
      if (made.has(this)) return;
      throw new SyntaxError("C: xsGetHostData: invalid host data");
    }
    records.delete(this);
    board.closers.delete(record.closer);
    station.off("up", record.onUp);
    record.server.close();
    for (const socket of [...record.pending.splice(0), ...record.parked.splice(0)]) socket.destroy();
  }

  get port(): number {
    return live(this).port;
  }

  get format(): "socket/tcp" {
    return "socket/tcp";
  }

  set format(value: "socket/tcp") {
    if (value !== "socket/tcp") throw new RangeError("unimplemented");
  }
}
