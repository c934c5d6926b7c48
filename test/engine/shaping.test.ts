// The lab's fault layer inside a board (host-sim/runtime/shaping.ts), in-process against real loopback peers: what
// the app's ECMA-419 socket and the peer's kernel socket each see under a blackhole, an idle firewall, an injected
// RST and latency. The board commands are the ones the lab controller sends over IPC.
import assert from "node:assert/strict";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { board } from "../../host-sim/runtime/board.ts";
import { networkClock } from "../../host-sim/runtime/shaping.ts";
import TCP from "../../host-sim/runtime/tcp.ts";
import UDP from "../../host-sim/runtime/udp.ts";
import Listener from "../../host-sim/runtime/listener.ts";
import { connect as netConnect } from "node:net";
import { createSocket } from "node:dgram";
import { useBoard } from "../support/board.ts";
import { deferred, Recorder, waitFor, within } from "../support/wait.ts";

/** How long "nothing happened" is watched for: several times what loopback needs to deliver anything. */
const QUIET_MS = 300;

const servers: Server[] = [];
const sockets: Socket[] = [];

async function listen(): Promise<{ port: number; accepted: Promise<Socket> }> {
  const accepted = deferred<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on("error", () => {});
    sockets.push(socket);
    accepted.resolve(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, accepted: accepted.promise };
}

const bytes = (text: string): ArrayBuffer => new TextEncoder().encode(text).buffer;

/**
 * Fake time for the idle firewall (the network's clock, shaping.ts): `pass(ms)` makes the connections ms quieter at
 * once, so a test causes idleness without sleeping. Timers and latency keep real time.
 */
function fakeIdleTime(): { pass(ms: number): void } {
  let offsetMs = 0;
  networkClock.now = () => performance.now() + offsetMs;
  return { pass: (ms) => void (offsetMs += ms) };
}

/** Let `ms` pass while watching for events that must not come. */
const watch = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function connect(port: number, recorder: Recorder): TCP {
  return new TCP({
    address: "127.0.0.1",
    port,
    onWritable: recorder.on("writable"),
    onReadable(this: TCP) {
      recorder.record("readable", Buffer.from(this.read() as ArrayBuffer).toString());
    },
    onError: recorder.on("error"),
  });
}

/** A runtime TCP connected to a node:net peer: the app's side (with its recorder) and the peer's socket. */
async function connected(): Promise<{ recorder: Recorder; tcp: TCP; peer: Socket }> {
  const { port, accepted } = await listen();
  const recorder = new Recorder();
  const tcp = connect(port, recorder);
  await recorder.next("writable");
  return { recorder, tcp, peer: await accepted };
}

describe("the lab's fault layer in a board", () => {
  useBoard();
  afterEach(() => {
    board.command({ type: "blackhole", addresses: [] });
    board.command({ type: "idle-firewall", idleMs: 0 });
    board.command({ type: "latency", latencyMs: 0, jitterMs: 0 });
    networkClock.now = () => performance.now();
    for (const socket of sockets.splice(0)) socket.destroy();
    for (const server of servers.splice(0)) server.close();
  });

  it("holds a connect to a blackholed peer: the app hears nothing until the blackhole lifts", async () => {
    const { port, accepted } = await listen();
    board.command({ type: "blackhole", addresses: ["127.0.0.1"] });
    const recorder = new Recorder();
    connect(port, recorder);
    await within(accepted, "the peer's kernel accepting");
    await watch(QUIET_MS);
    assert.deepEqual(recorder.names(), [], "no onWritable (connected) while the peer is unreachable");
    board.command({ type: "blackhole", addresses: [] });
    await recorder.next("writable");
  });

  it("tells a Listener of a connection from a blackholed peer only once the blackhole lifts", async () => {
    const recorder = new Recorder();
    const listener = new Listener({ port: 0, address: "127.0.0.1", onReadable: recorder.on("readable") });
    board.command({ type: "blackhole", addresses: ["127.0.0.1"] });
    const client = netConnect({ host: "127.0.0.1", port: listener.port });
    client.on("error", () => {});
    sockets.push(client);
    try {
      await within(new Promise((resolve) => client.once("connect", resolve)), "the kernel completing the handshake");
      await watch(QUIET_MS);
      assert.equal(recorder.count("readable"), 0, "no accept while the peer is unreachable");
      board.command({ type: "blackhole", addresses: [] });
      assert.deepEqual(await recorder.next("readable"), [1]);
    } finally {
      listener.close();
    }
  });

  it("holds traffic both ways on a blackholed connection and delivers it, in order, after the heal", async () => {
    const { recorder, tcp, peer } = await connected();
    const received: string[] = [];
    peer.on("data", (data) => received.push(String(data)));
    board.command({ type: "blackhole", addresses: ["127.0.0.1"] });
    tcp.write(bytes("one "));
    tcp.write(bytes("two"));
    peer.write("back");
    await watch(QUIET_MS);
    assert.deepEqual(received, [], "nothing reached the peer");
    assert.equal(recorder.count("readable"), 0, "nothing reached the app");
    assert.equal(recorder.count("error"), 0, "and no error on either side");
    board.command({ type: "blackhole", addresses: [] });
    assert.deepEqual(await recorder.next("readable"), ["back"]);
    await waitFor(() => received.join("") === "one two", "the held bytes at the peer");
  });

  it("an idle firewall silently drops a connection that was quiet for longer than its limit", async () => {
    const { recorder, tcp, peer } = await connected();
    let peerBytes = 0;
    peer.on("data", (data) => (peerBytes += data.length));
    const idle = fakeIdleTime();
    board.command({ type: "idle-firewall", idleMs: 100 });
    idle.pass(101); // the connection is idle past the firewall's limit: that is the fault
    tcp.write(bytes("late"));
    peer.write("late reply");
    await watch(QUIET_MS);
    assert.equal(peerBytes, 0, "the write after the idle period never arrived");
    assert.equal(recorder.count("readable"), 0, "nor did the peer's");
    assert.equal(recorder.count("error"), 0, "and nobody was told");
  });

  it("an idle firewall lets a connection through while it carries traffic more often than the limit", async () => {
    const { tcp, peer } = await connected();
    let peerBytes = 0;
    peer.on("data", (data) => (peerBytes += data.length));
    const idle = fakeIdleTime();
    board.command({ type: "idle-firewall", idleMs: 150 });
    for (let i = 0; i < 6; i++) {
      idle.pass(100);
      tcp.write(bytes("tick"));
    }
    await waitFor(() => peerBytes === 24, "every tick at the peer");
  });

  it("an idle firewall counts idle time per connection from its last segment, not from when it appeared", async () => {
    const { recorder, tcp, peer } = await connected();
    let peerBytes = 0;
    peer.on("data", (data) => (peerBytes += data.length));
    const idle = fakeIdleTime();
    idle.pass(300); // quiet before the firewall appears
    board.command({ type: "idle-firewall", idleMs: 200 });
    tcp.write(bytes("first after the firewall"));
    await watch(QUIET_MS);
    assert.equal(peerBytes, 0, "the connection was already idle past the limit: the firewall has no entry for it");
    assert.equal(recorder.count("error"), 0, "and nobody was told");
  });

  it("an injected reset sends a real RST to the peer and reports the error to the app", async () => {
    const { recorder, peer } = await connected();
    const peerError = deferred<string>();
    peer.on("error", (error: NodeJS.ErrnoException) => peerError.resolve(error.code ?? "?"));
    board.command({ type: "reset", addresses: ["127.0.0.1"] });
    assert.equal(await within(peerError.promise, "the peer's ECONNRESET"), "ECONNRESET");
    await recorder.next("error");
  });

  it("a peer that forgot the connection (reset): its old kernel's FIN is not heard; the next write gets ECONNRESET", async () => {
    const { recorder, tcp, peer } = await connected();
    board.command({ type: "forget", addresses: ["127.0.0.1"] });
    peer.end(); // what a killed process's kernel sends: a real board sends nothing
    await watch(QUIET_MS);
    assert.deepEqual(recorder.names(), ["writable"], "silence: no onError for the FIN");
    tcp.write(bytes("ping"));
    await recorder.next("error");
  });

  it("a forgotten connection stays silent while the peer is dark, and is reset once the peer is back", async () => {
    const { recorder, tcp, peer } = await connected();
    board.command({ type: "blackhole", addresses: ["127.0.0.1"] });
    board.command({ type: "forget", addresses: ["127.0.0.1"] });
    peer.destroy();
    tcp.write(bytes("ping"));
    await watch(QUIET_MS);
    assert.deepEqual(recorder.names(), ["writable"], "nothing while the peer is unreachable");
    board.command({ type: "blackhole", addresses: [] });
    await recorder.next("error");
  });

  it("refuses a board command it does not know in one stderr line, and goes on", () => {
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (chunk: string) => written.push(String(chunk)) > 0;
    try {
      board.command({ type: "teleport" } as never);
    } finally {
      process.stderr.write = write;
    }
    assert.deepEqual(written, ['linklab: unknown board command {"type":"teleport"}\n']);
  });

  it("latency delays what the app sends by half the one-way figure (the receiver adds the other half)", async () => {
    const { tcp, peer } = await connected();
    const arrived = deferred<number>();
    peer.once("data", () => arrived.resolve(performance.now()));
    board.command({ type: "latency", latencyMs: 200, jitterMs: 0 });
    const sentMs = performance.now();
    tcp.write(bytes("x"));
    const delayMs = (await within(arrived.promise, "the delayed byte")) - sentMs;
    assert.ok(delayMs >= 95, `arrived after ${delayMs.toFixed(0)} ms, expected about 100`);
  });

  it("jitter varies the delay of each chunk but never reorders the stream", async () => {
    const { tcp, peer } = await connected();
    peer.setNoDelay(true);
    const arrivals: { text: string; atMs: number }[] = [];
    peer.on("data", (data) => arrivals.push({ text: String(data), atMs: performance.now() }));
    board.command({ type: "latency", latencyMs: 100, jitterMs: 90, seed: 3 });
    const sentMs: number[] = [];
    for (let i = 0; i < 8; i++) {
      sentMs.push(performance.now());
      tcp.write(bytes(String(i)));
      await watch(30);
    }
    await waitFor(() => arrivals.map((a) => a.text).join("") === "01234567", `all eight chunks, in order (so far: ${JSON.stringify(arrivals)})`);
    const gapsMs = arrivals.slice(1).map((a, i) => a.atMs - arrivals[i].atMs);
    assert.ok(Math.max(...gapsMs) - Math.min(...gapsMs) > 10, `arrival gaps vary with jitter: ${gapsMs.map((g) => g.toFixed(0)).join(" ")}`);
  });

  it("drops datagrams from a blackholed address, and takes them again after the heal", async () => {
    const probe = createSocket("udp4");
    await new Promise<void>((resolve) => probe.bind(0, "127.0.0.1", resolve));
    const { port } = probe.address();
    await new Promise<void>((resolve) => probe.close(resolve));
    const recorder = new Recorder();
    const udp = new UDP({
      port,
      address: "127.0.0.1",
      onReadable(this: UDP) {
        recorder.record("datagram", Buffer.from(this.read() as ArrayBuffer).toString());
      },
    });
    const sender = createSocket("udp4");
    try {
      board.command({ type: "blackhole", addresses: ["127.0.0.1"] });
      sender.send("lost", port, "127.0.0.1");
      await watch(QUIET_MS);
      assert.equal(recorder.count("datagram"), 0, "nothing from the blackholed address");
      board.command({ type: "blackhole", addresses: [] });
      sender.send("found", port, "127.0.0.1");
      assert.deepEqual(await recorder.next("datagram"), ["found"]);
    } finally {
      sender.close();
      udp.close();
    }
  });
});
