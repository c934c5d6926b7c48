// Conformance of embedded:io/socket/udp with Moddable's lwIP UDP (modules/io/socket/lwip/udp.c, SDK 8.2.3), and
// the simulator's broadcast fan-out and seeded loss, with node:dgram peers on loopback addresses.
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { board } from "../../host-sim/runtime/board.ts";
import UDP, { destinations, udpStats } from "../../host-sim/runtime/udp.ts";
import { useBoard } from "../support/board.ts";
import { Recorder, waitFor } from "../support/wait.ts";

const sockets: Socket[] = [];

/** A node:dgram socket bound to address:port (port 0 = any) that records what it receives. */
async function peer(address: string, port = 0): Promise<{ socket: Socket; port: number; got: Recorder }> {
  const socket = createSocket("udp4");
  sockets.push(socket);
  const got = new Recorder();
  socket.on("message", (data, from) => got.record("message", data.toString(), from.address, from.port));
  await new Promise<void>((resolve) => socket.bind(port, address, resolve));
  return { socket, port: socket.address().port, got };
}

/** A board UDP bound to an ephemeral port, with its port learned from a datagram it sends to a peer. */
async function boardSocket(events: Recorder, options: Record<string, unknown> = {}): Promise<{ udp: UDP; port: number }> {
  const probe = await peer(board.identity.address);
  const udp = new UDP({ onReadable: events.on("readable"), ...options });
  udp.write(new TextEncoder().encode("probe"), board.identity.address, probe.port);
  const [, , port] = await probe.got.next("message");
  return { udp, port: port as number };
}

function text(buffer: unknown): string {
  return Buffer.from(buffer as ArrayBuffer).toString();
}

describe("embedded:io/socket/udp", () => {
  useBoard({ address: "127.0.0.2", peers: ["127.0.0.2", "127.0.0.3", "127.0.0.4"] });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close();
  });

  it("calls onReadable with the packet count and read() returns each with the sender's address and port", async () => {
    const events = new Recorder();
    const { udp, port } = await boardSocket(events);
    const sender = await peer("127.0.0.3");
    sender.socket.send("hello", port, "127.0.0.2");
    assert.deepEqual(await events.next("readable"), [1]);
    const packet = udp.read()!;
    assert.ok(packet instanceof ArrayBuffer);
    assert.equal(text(packet), "hello");
    assert.equal(packet.address, "127.0.0.3");
    assert.equal(packet.port, sender.port);
  });

  it("returns undefined from read() when no packet is waiting", () => {
    const udp = new UDP({});
    assert.equal(udp.read(), undefined);
  });

  it("sends from the board's own address", async () => {
    const receiver = await peer("127.0.0.3");
    const udp = new UDP({});
    udp.write(new TextEncoder().encode("x"), "127.0.0.3", receiver.port);
    const [, from] = await receiver.got.next("message");
    assert.equal(from, "127.0.0.2");
  });

  it("delivers a write to 255.255.255.255 to every other board on that port, not to itself", async () => {
    const third = await peer("127.0.0.3");
    const fourth = await peer("127.0.0.4", third.port);
    const self = await peer("127.0.0.2", third.port);
    const udp = new UDP({});
    udp.write(new TextEncoder().encode("beacon"), "255.255.255.255", third.port);
    // From one socket, in order: had the board sent itself a copy of the broadcast, it would arrive before this.
    udp.write(new TextEncoder().encode("after"), "127.0.0.2", third.port);
    assert.equal((await third.got.next("message"))[0], "beacon");
    assert.equal((await fourth.got.next("message"))[0], "beacon");
    assert.equal((await self.got.next("message"))[0], "after");
  });

  it("treats the subnet broadcast address (from address and netmask) as a broadcast", () => {
    assert.deepEqual(destinations("127.255.255.255"), ["127.0.0.3", "127.0.0.4"]);
    board.identity = { ...board.identity, netmask: "255.255.255.0" };
    assert.deepEqual(destinations("127.0.0.255"), ["127.0.0.3", "127.0.0.4"]);
    assert.deepEqual(destinations("127.255.255.255"), ["127.255.255.255"]);
  });

  it("sends a multicast group's datagrams to every other board", () => {
    assert.deepEqual(destinations("239.255.0.1"), ["127.0.0.3", "127.0.0.4"]);
  });

  it("throws RangeError for an address that is not a dotted quad and TypeError for a string payload", () => {
    const udp = new UDP({});
    assert.throws(() => udp.write(new Uint8Array(1), "board-3", 1234), RangeError);
    assert.throws(() => udp.write("text" as never, "127.0.0.3", 1234), TypeError);
    assert.throws(() => udp.write(new Uint8Array(1), "127.0.0.3", Symbol() as never), TypeError);
  });

  it("throws RangeError for any format but buffer", () => {
    assert.throws(() => new UDP({ format: "number" as never }), RangeError);
  });

  it("is harmless to close twice, and read/write throw SyntaxError once closed", () => {
    const udp = new UDP({});
    udp.close();
    assert.doesNotThrow(() => udp.close());
    assert.throws(() => udp.read(), SyntaxError);
    assert.throws(() => udp.write(new Uint8Array(1), "127.0.0.3", 9), SyntaxError);
  });

  it("registers a closer on the board and removes it on close()", () => {
    const before = board.closers.size;
    const udp = new UDP({});
    assert.equal(board.closers.size, before + 1);
    udp.close();
    assert.equal(board.closers.size, before);
  });

  it("drops every received datagram under udp-loss 100 and none under 0", async () => {
    const events = new Recorder();
    const { udp, port } = await boardSocket(events);
    const sender = await peer("127.0.0.3");
    board.command({ type: "udp-loss", percent: 100, seed: 7 });
    const dropped = udpStats.dropped;
    for (let i = 0; i < 10; i++) sender.socket.send(`lost ${i}`, port, "127.0.0.2");
    await waitFor(() => udpStats.dropped === dropped + 10, "ten datagrams to be dropped");
    board.command({ type: "udp-loss", percent: 0 });
    sender.socket.send("kept", port, "127.0.0.2");
    await events.next("readable");
    const all: string[] = [];
    for (let packet = udp.read(); packet; packet = udp.read()) all.push(text(packet));
    assert.deepEqual(all, ["kept"]);
  });

  it("drops the same datagrams again for the same loss seed", async () => {
    async function run(): Promise<string[]> {
      const events = new Recorder();
      const { udp, port } = await boardSocket(events);
      const sender = await peer("127.0.0.3");
      board.command({ type: "udp-loss", percent: 50, seed: 42 });
      const judged = udpStats.received + udpStats.dropped;
      for (let i = 0; i < 20; i++) sender.socket.send(String(i), port, "127.0.0.2");
      await waitFor(() => udpStats.received + udpStats.dropped === judged + 20, "twenty datagrams to be judged");
      board.command({ type: "udp-loss", percent: 0 });
      const got: string[] = [];
      for (let packet = udp.read(); packet; packet = udp.read()) got.push(text(packet));
      udp.close();
      return got;
    }
    const first = await run();
    const second = await run();
    assert.ok(first.length > 0 && first.length < 20, first.join(","));
    assert.deepEqual(second, first);
  });
});
