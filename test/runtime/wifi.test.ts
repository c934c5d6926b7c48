// The `wifi` and `net` modules, and what a Wi-Fi drop does to the board's sockets: as on an ESP32 built by
// Moddable SDK 8.2.3 (xs6wifi.c, modNet.c, lwIP aborting pcbs when the address goes), and with the policy that
// keeps connections (traffic held, then flowing again). Driven by board commands, as the lab drives them.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { board } from "../../host-sim/runtime/board.ts";
import { policy, station } from "../../host-sim/runtime/station.ts";
import Listener from "../../host-sim/runtime/listener.ts";
import Net, { macFor } from "../../host-sim/runtime/net.ts";
import TCP from "../../host-sim/runtime/tcp.ts";
import UDP from "../../host-sim/runtime/udp.ts";
import WiFi from "../../host-sim/runtime/wifi.ts";
import { useBoard } from "../support/board.ts";
import { deferred, Recorder, waitFor, within } from "../support/wait.ts";

const servers: Server[] = [];

/** A TCP client on the board connected to a node:net peer, with its callbacks recorded (and the link state then). */
async function connection(): Promise<{ tcp: TCP; events: Recorder; remote: Socket }> {
  const accepted = deferred<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on("error", () => {});
    accepted.resolve(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const events = new Recorder();
  const record = (name: string) => (...args: unknown[]) => events.record(name, station.up, ...args);
  const tcp = new TCP({
    address: "127.0.0.1",
    port: (server.address() as AddressInfo).port,
    onReadable: record("readable"),
    onWritable: record("writable"),
    onError: record("error"),
  });
  await events.next("writable");
  return { tcp, events, remote: await within(accepted.promise, "the peer to accept") };
}

describe("wifi", () => {
  useBoard({ address: "127.0.0.2", peers: ["127.0.0.2", "127.0.0.3"] });
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  it("reports connect then gotIP to the callback of new WiFi({ssid, password})", async () => {
    const events = new Recorder();
    const wifi = new WiFi({ ssid: "lab", password: "secret" }, events.on("notify"));
    assert.deepEqual(await events.next("notify"), ["connect"]);
    assert.deepEqual(await events.next("notify"), ["gotIP"]);
    wifi.close();
  });

  it("reports disconnect with reason 0 when the access point goes, and never lostIP", async () => {
    const events = new Recorder();
    new WiFi({ ssid: "lab" }, events.on("notify"));
    await events.next("notify");
    await events.next("notify");
    board.command({ type: "wifi", up: false });
    assert.deepEqual(await events.next("notify"), ["disconnect", 0]);
    assert.ok(!events.events.some((event) => event.args[0] === "lostIP"));
  });

  it("reconnects only when the app calls WiFi.connect again, once the access point is back", async () => {
    const events = new Recorder();
    const options = { ssid: "lab", password: "secret" };
    new WiFi(options, events.on("notify"));
    await events.next("notify");
    await events.next("notify");
    board.command({ type: "wifi", up: false });
    await events.next("notify"); // disconnect
    WiFi.connect(options); // the access point is still gone: the attempt waits
    board.command({ type: "wifi", up: true, address: "127.0.0.9" });
    assert.deepEqual(await events.next("notify"), ["connect"]);
    assert.deepEqual(await events.next("notify"), ["gotIP"]);
    assert.equal(board.identity.address, "127.0.0.9");
    assert.equal(Net.get("IP"), "127.0.0.9");
  });

  it("reports disconnect with reason -1 for a rejected password", async () => {
    const events = new Recorder();
    new WiFi({ ssid: "lab", password: "invalid!" }, events.on("notify"));
    assert.deepEqual(await events.next("notify"), ["disconnect", -1]);
  });

  it("reports disconnect after WiFi.disconnect() and keeps the station off", async () => {
    const events = new Recorder();
    new WiFi(undefined, events.on("notify"));
    WiFi.disconnect();
    assert.deepEqual(await events.next("notify"), ["disconnect", 0]);
    assert.equal(station.up, false);
    assert.equal(Net.get("IP"), undefined);
  });

  it("brings an unmanaged board back by itself when the lab restores the access point", () => {
    board.command({ type: "wifi", up: false });
    assert.equal(Net.get("IP"), undefined);
    board.command({ type: "wifi", up: true, address: "127.0.0.5" });
    assert.equal(Net.get("IP"), "127.0.0.5");
  });

  it("validates WiFi.mode and WiFi.connect options as xs6wifi.c does", () => {
    assert.equal(WiFi.mode, 1);
    assert.throws(() => (WiFi.mode = 7 as never), /invalid mode/);
    assert.throws(() => WiFi.connect({ ssid: "" }), /ssid required/);
    assert.throws(() => WiFi.connect({ ssid: "x".repeat(33) }), /ssid too long/);
  });

  describe("a drop as the ESP32 sees it (pcbs aborted when the address goes)", () => {
    it("calls onError on the board's open connections, before the disconnect callback", async () => {
      const order: string[] = [];
      const { events } = await connection();
      new WiFi(undefined, (message: string) => order.push(message));
      const errored = events.next("error").then(() => order.push("tcp error"));
      board.command({ type: "wifi", up: false });
      await within(errored, "onError");
      await waitFor(() => order.includes("disconnect"), "the disconnect callback");
      assert.deepEqual(order, ["tcp error", "disconnect"]);
    });

    it("sends the peer nothing while down, and a RST to its next segment once back", async () => {
      const { events, remote } = await connection();
      let finSeen = false;
      remote.on("end", () => (finSeen = true));
      const reset = new Promise<string | undefined>((resolve) => remote.once("error", (error: NodeJS.ErrnoException) => resolve(error.code)));
      board.command({ type: "wifi", up: false });
      await events.next("error");
      remote.write("are you there?");
      board.command({ type: "wifi", up: true });
      assert.equal(await within(reset, "the RST"), "ECONNRESET");
      assert.equal(finSeen, false, "the peer saw a FIN before the RST");
    });

    it("throws 'connect error' from new TCP while the station has no address", () => {
      board.command({ type: "wifi", up: false });
      assert.throws(() => new TCP({ address: "127.0.0.1", port: 9 }), /connect error/);
    });

    it("throws 'UDP send failed' from write while the station has no address", () => {
      const udp = new UDP({});
      board.command({ type: "wifi", up: false });
      assert.throws(() => udp.write(new Uint8Array(1), "127.0.0.3", 9), /UDP send failed/);
    });

    it("receives no datagram while down", async () => {
      const events = new Recorder();
      const udp = new UDP({ port: 0, onReadable: events.on("readable") });
      const sender = createSocket("udp4");
      await new Promise<void>((resolve) => sender.bind(0, "127.0.0.3", resolve));
      const probe = createSocket("udp4");
      const port = deferred<number>();
      probe.on("message", (_data, from) => port.resolve(from.port));
      await new Promise<void>((resolve) => probe.bind(0, "127.0.0.3", resolve));
      udp.write(new Uint8Array(1), "127.0.0.3", probe.address().port);
      const udpPort = await within(port.promise, "the board's UDP port");
      board.command({ type: "wifi", up: false });
      await new Promise<void>((resolve) => sender.send("while down", udpPort, "127.0.0.2", () => resolve()));
      board.command({ type: "wifi", up: true });
      sender.send("after", udpPort, "127.0.0.2");
      await events.next("readable");
      assert.equal(Buffer.from(udp.read()!).toString(), "after");
      sender.close();
      probe.close();
    });

    it("holds a connection that arrives while down and hands it to the Listener once back", async () => {
      const events = new Recorder();
      const listener = new Listener({ port: 0, onReadable: (count: number) => events.record("readable", station.up, count) });
      board.command({ type: "wifi", up: false });
      const socket = connect({ port: listener.port, host: "127.0.0.2" });
      socket.on("error", () => {});
      await within(new Promise((resolve) => socket.once("connect", resolve)), "the kernel handshake");
      board.command({ type: "wifi", up: true });
      const [upWhenCalled, count] = await events.next("readable");
      assert.equal(upWhenCalled, true);
      assert.equal(count, 1);
      socket.destroy();
    });
  });

  describe("coming back with a new address", () => {
    it("moves a default Listener to the board's new address, on the same port", async () => {
      const events = new Recorder();
      const listener = new Listener({ port: 0, onReadable: events.on("readable") });
      board.command({ type: "wifi", up: false });
      board.command({ type: "wifi", up: true, address: "127.0.0.9" });
      const socket = connect({ port: listener.port, host: "127.0.0.9" });
      socket.on("error", () => {});
      assert.deepEqual(await events.next("readable"), [1]);
      socket.destroy();
    });

    it("moves a UDP socket to the board's new address, on the same port", async () => {
      const events = new Recorder();
      const udp = new UDP({ port: 0, onReadable: events.on("readable") });
      const probe = createSocket("udp4");
      const port = deferred<number>();
      probe.on("message", (_data, from) => port.resolve(from.port));
      await new Promise<void>((resolve) => probe.bind(0, "127.0.0.3", resolve));
      udp.write(new Uint8Array(1), "127.0.0.3", probe.address().port);
      const udpPort = await within(port.promise, "the board's UDP port");
      board.command({ type: "wifi", up: false });
      board.command({ type: "wifi", up: true, address: "127.0.0.9" });
      await waitFor(() => {
        probe.send("to the new address", udpPort, "127.0.0.9");
        return events.count("readable") > 0;
      }, "a datagram at the new address");
      const packet = udp.read()!;
      assert.equal(Buffer.from(packet).toString(), "to the new address");
      probe.close();
    });

    it("aborts connections bound to the old address even when connections are kept", async () => {
      policy.keepConnectionsWhenIpChanges = true;
      const { events } = await connection();
      board.command({ type: "wifi", up: false });
      board.command({ type: "wifi", up: true, address: "127.0.0.9" });
      await events.next("error");
    });
  });

  describe("a drop with CONFIG_LWIP_TCP_KEEP_CONNECTION_WHEN_IP_CHANGES (connections kept)", () => {
    beforeEach(() => {
      policy.keepConnectionsWhenIpChanges = true;
    });

    it("delivers nothing to the app while down and everything, in order, once back", async () => {
      const { tcp, events, remote } = await connection();
      board.command({ type: "wifi", up: false });
      remote.write("one ");
      remote.write("two");
      // The peer's bytes are in the board's kernel buffer now; the app must not see them until the link is back.
      await waitFor(() => remote.writableLength === 0, "the peer to hand its bytes to the kernel");
      board.command({ type: "wifi", up: true });
      await events.next("readable");
      let got = Buffer.from(tcp.read() as ArrayBuffer).toString();
      while (got.length < 7) {
        await events.next("readable");
        got += Buffer.from(tcp.read() as ArrayBuffer).toString();
      }
      assert.equal(got, "one two");
      assert.ok(events.events.filter((event) => event.name === "readable").every((event) => event.args[0] === true));
      assert.equal(events.count("error"), 0);
    });

    it("holds the app's writes while down and sends them once back", async () => {
      const { tcp, remote } = await connection();
      const received: { text: string; upAtArrival: boolean }[] = [];
      remote.on("data", (chunk: Buffer) => received.push({ text: chunk.toString(), upAtArrival: station.up }));
      board.command({ type: "wifi", up: false });
      tcp.write(new TextEncoder().encode("held"));
      board.command({ type: "wifi", up: true });
      await waitFor(() => received.length > 0, "the held bytes at the peer");
      assert.deepEqual(received, [{ text: "held", upAtArrival: true }]);
    });

    it("shrinks the writable count by what is held", async () => {
      const { tcp } = await connection();
      board.command({ type: "wifi", up: false });
      assert.equal(tcp.write(new Uint8Array(1000)), 8192 - 1000);
      assert.throws(() => tcp.write(new Uint8Array(8192 - 999)), /would block/);
    });
  });
});

describe("net", () => {
  useBoard({ id: "c1", address: "127.0.0.3" });

  it("reports the board's address as Net.get('IP')", () => {
    assert.equal(Net.get("IP"), "127.0.0.3");
  });

  it("derives a stable ESP32-style MAC from the board id", () => {
    assert.match(Net.get("MAC") as string, /^24:0A:C4(:[0-9A-F]{2}){3}$/);
    assert.equal(Net.get("MAC"), macFor("c1"));
    assert.notEqual(macFor("c1"), macFor("c2"));
  });

  it("reports the SSID the station joined", () => {
    WiFi.connect({ ssid: "linklab-ap" });
    assert.equal(Net.get("SSID"), "linklab-ap");
  });

  it("resolves localhost and dotted quads, and calls back with undefined for other names", async () => {
    const events = new Recorder();
    Net.resolve("localhost", events.on("resolved"));
    Net.resolve("127.0.0.7", events.on("resolved"));
    Net.resolve("example.com", events.on("resolved"));
    assert.deepEqual(await events.next("resolved"), ["localhost", "127.0.0.1"]);
    assert.deepEqual(await events.next("resolved"), ["127.0.0.7", "127.0.0.7"]);
    assert.deepEqual(await events.next("resolved"), ["example.com", undefined]);
  });
});
