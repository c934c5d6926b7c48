// embedded:io/socket/udp on Node, after Moddable SDK 8.2.3's lwIP UDP (modules/io/socket/lwip/udp.c): one
// onReadable(count) per burst of arrivals, read() gives an ArrayBuffer with .address/.port or undefined, write()
// throws "UDP send failed" when lwIP cannot send (no route while Wi-Fi is down). The loopback has no broadcast, so
// a datagram to 255.255.255.255, to the subnet broadcast or to a multicast group goes out as one unicast copy to
// every other board on the simulated network. The lab's network (shaping.ts) may lose received datagrams.
import { createSocket, type Socket } from "node:dgram";
import { board } from "./board.ts";
import "./commands.ts";
import { abort, invoke } from "./machine.ts";
import { bytesOf, isAddress, toInteger, toPort } from "./tcp.ts";
import { udpLost } from "./shaping.ts";
import { station } from "./station.ts";

export interface UDPOptions {
  port?: number;
  address?: string;
  format?: "buffer";
  target?: unknown;
  onReadable?: (this: UDP, packets: number) => void;
  onError?: () => void;
}

type Packet = ArrayBuffer & { address: string; port: number };

interface UDPRecord {
  socket: Socket;
  address: string;
  followsBoard: boolean;
  port: number;
  packets: Packet[];
  readablePending: boolean;
  onReadable: UDPOptions["onReadable"];
  closer: () => void;
  onUp: (address: string) => void;
  onDown: () => void;
  /** Datagrams handed to Node and not yet sent. */
  sending: number;
  /** close() was called; the socket closes when `sending` reaches 0. */
  closing: boolean;
}

const records = new WeakMap<UDP, UDPRecord>();
/** Every UDP ever constructed, closed ones included: close() tells "already closed" from "not a UDP". */
const made = new WeakSet<object>();

function live(udp: unknown): UDPRecord {
  const record = typeof udp === "object" && udp !== null ? records.get(udp as UDP) : undefined;
  if (!record) throw new SyntaxError("C: xsGetHostData: invalid host data");
  return record;
}

function toUint32(address: string): number {
  return address.split(".").reduce((value, part) => ((value << 8) | Number(part)) >>> 0, 0);
}

function fromUint32(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join(".");
}

/** Where a datagram to `address` really goes on the simulated network (see the file comment). */
export function destinations(address: string): string[] {
  const { address: own, netmask, peers } = board.identity;
  const mask = toUint32(netmask);
  const subnetBroadcast = fromUint32((toUint32(own) | ~mask) >>> 0);
  const first = Number(address.split(".")[0]);
  const fanOut = address === "255.255.255.255" || address === subnetBroadcast || (first >= 224 && first <= 239);
  // lwIP does not loop a board's own broadcast back to it.
  return fanOut ? peers.filter((peer) => peer !== own) : [address];
}

/** Datagrams this board's sockets took in and dropped (udp-loss), since boot: for the lab's summary and tests. */
export const udpStats = { received: 0, dropped: 0 };

function open(record: UDPRecord, self: UDP): void {
  const socket = createSocket({ type: "udp4" });
  socket.on("error", (error: NodeJS.ErrnoException) => {
    if (error.syscall === "bind") abort(new Error("bind failed"));
  });
  socket.on("listening", () => {
    record.port = socket.address().port;
  });
  socket.on("message", (data, from) => {
    if (records.get(self) !== record) return; // closed
    // The lab's partition, a board gone dark, or the UDP loss (runtime/shaping.ts).
    const { lost, drawn } = udpLost(from.address);
    if (drawn) udpStats.dropped++;
    if (lost) return;
    udpStats.received++;
    const packet = Uint8Array.from(data).buffer as Packet;
    packet.address = from.address;
    packet.port = from.port;
    record.packets.push(packet);
    if (record.readablePending || !record.onReadable) return;
    record.readablePending = true;
    setImmediate(() => {
      record.readablePending = false;
      if (records.get(self) !== record || record.packets.length === 0) return;
      invoke(record.onReadable!, self, record.packets.length);
    });
  });
  socket.bind(record.port, record.address);
  record.socket = socket;
}

export default class UDP {
  declare target?: unknown;

  constructor(options: UDPOptions = {}) {
    const port = "port" in options ? toPort(options.port) : 0;
    if (options.format !== undefined && options.format !== "buffer") throw new RangeError("invalid format");
    const onReadable = options.onReadable ?? undefined;
    if (onReadable !== undefined && typeof onReadable !== "function") throw new TypeError("onReadable: not a function");
    if (options.address !== undefined && !isAddress(options.address)) throw new RangeError("invalid IP address");
    const record: UDPRecord = {
      socket: undefined as unknown as Socket,
      address: options.address ?? board.identity.address,
      followsBoard: options.address === undefined,
      port,
      packets: [],
      readablePending: false,
      sending: 0,
      closing: false,
      onReadable,
      closer: () => this.close(),
      // The radio is off: datagrams sent to the board meanwhile are lost, so the socket stops receiving (it is
      // closed and bound again to the same port, on the board's new address if DHCP gave one).
      onDown: () => record.socket.close(),
      onUp: (address) => {
        if (record.followsBoard) record.address = address;
        open(record, this);
      },
    };
    records.set(this, record);
    made.add(this);
    board.closers.add(record.closer);
    station.on("up", record.onUp);
    station.on("down", record.onDown);
    if (station.up) open(record, this);
    if ("target" in options) this.target = options.target;
  }

  /** The oldest datagram, with .address and .port of its sender, or undefined. */
  read(): Packet | undefined {
    return live(this).packets.shift();
  }

  /** Send `buffer` to address:port now (the bytes are copied); throws when the board has no route. */
  write(buffer: ArrayBufferLike | ArrayBufferView, address: string, port: number): void {
    const record = live(this);
    const to = `${address}`; // xsmcToString: a Symbol throws TypeError
    if (!isAddress(to)) throw new RangeError("invalid IP address");
    const toPortNumber = toInteger(port) & 0xffff;
    const bytes = Buffer.from(bytesOf(buffer));
    if (!station.up) throw new Error("UDP send failed");
    const socket = record.socket;
    for (const destination of destinations(to)) {
      record.sending++;
      socket.send(bytes, toPortNumber, destination, () => {
        record.sending--;
        if (record.closing && record.sending === 0 && socket === record.socket) socket.close();
      });
    }
  }

  /** Join a multicast group (lwIP igmp_joingroup). Every board receives group traffic here; see destinations(). */
  add(address: string): void {
    live(this);
    if (!isAddress(`${address}`)) throw new RangeError("invalid IP address");
    if (address === "255.255.255.255") throw new Error("broadcast is not multicast");
  }

  remove(address: string): void {
    live(this);
    if (!isAddress(`${address}`)) throw new RangeError("invalid IP address");
  }

  /**
   * Idempotent on a UDP; on anything else (a foreign receiver) it throws as XS's host-data check does. Datagrams
   * written before close() still go out, as lwIP sends each one at once in udp_sendto: Node may still be binding
   * the socket, so it is closed only after its last send has left.
   */
  close(): void {
    const record = records.get(this);
    if (!record) {
      if (made.has(this)) return;
      throw new SyntaxError("C: xsGetHostData: invalid host data");
    }
    records.delete(this);
    board.closers.delete(record.closer);
    station.off("up", record.onUp);
    station.off("down", record.onDown);
    record.closing = true;
    if (station.up && record.sending === 0) record.socket.close();
    record.packets = [];
  }

  get format(): "buffer" {
    return "buffer";
  }

  set format(value: "buffer") {
    if (value !== "buffer") throw new RangeError("unimplemented");
  }
}
