// The receive window of embedded:io/socket/tcp, as lwIP keeps it on Moddable's ESP32 build (TCP_WND 8192 from
// build/devices/esp32/xsProj-esp32/sdkconfig.defaults): received bytes the app has not read stay in lwIP (tcp.c
// holds the pbufs and calls tcp_recved() only as read() consumes them), at most TCP_WND of them, and the window
// closes on the peer. onReadable comes when new data is taken in (tcpReceive), never again for bytes left unread.
// Real loopback peers (node:net on port 0); every wait is bounded.
import assert from "node:assert/strict";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import TCP, { TCP_WND } from "../../host-sim/runtime/tcp.ts";
import { gates, type Gate } from "../../host-sim/runtime/gate.ts";
import { useBoard } from "../support/board.ts";
import { deferred, Recorder, waitFor, within } from "../support/wait.ts";

const servers: Server[] = [];

async function connected(onReadable?: (this: TCP, bytes: number) => void): Promise<{ tcp: TCP; events: Recorder; remote: Socket; gate: Gate }> {
  const first = deferred<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on("error", () => {});
    first.resolve(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const before = new Set(gates);
  const events = new Recorder();
  const tcp = new TCP({
    address: "127.0.0.1",
    port: (server.address() as AddressInfo).port,
    onReadable: onReadable ?? events.on("readable"),
    onWritable: events.on("writable"),
    onError: events.on("error"),
  });
  await events.next("writable");
  const remote = await within(first.promise, "the peer to accept");
  const gate = [...gates].find((g) => !before.has(g));
  assert.ok(gate, "the connection's gate");
  return { tcp, events, remote, gate };
}

/** A few turns of the event loop (socket reads, posted callbacks), without any timed sleep. */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** `bytes` of a repeating, position-dependent pattern, so a lost or reordered byte shows. */
function pattern(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 7 + (i >> 8)) & 0xff;
  return out;
}

function readable(events: Recorder): number[] {
  return events.events.filter((e) => e.name === "readable").map((e) => e.args[0] as number);
}

describe("embedded:io/socket/tcp receive window (lwIP TCP_WND)", function () {
  this.timeout(20_000);
  useBoard();
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  it("is 8192 bytes, as CONFIG_LWIP_TCP_WND_DEFAULT in Moddable's esp32 sdkconfig", () => {
    assert.equal(TCP_WND, 8192);
  });

  it("holds at most TCP_WND unread bytes and stops reading the kernel socket, so the peer stalls", async () => {
    const { events, remote, gate } = await connected();
    // More than Linux's kernel buffers can absorb (the sender's grows to tcp_wmem's 4 MiB at most).
    const total = 16 * 1024 * 1024;
    let flushed = false;
    remote.write(pattern(total), () => (flushed = true));
    await waitFor(() => gate.windowClosed, "the board's window to close");
    await events.next("readable");
    await turns(50);
    assert.ok(Math.max(...readable(events)) <= TCP_WND, "onReadable reported " + Math.max(...readable(events)));
    assert.equal(Math.max(...readable(events)), TCP_WND, "the window filled");
    assert.ok(gate.socket.isPaused(), "the kernel socket is paused");
    assert.ok(gate.socket.bytesRead < total / 4, "the board took " + gate.socket.bytesRead + " of " + total + " bytes without reading");
    assert.equal(flushed, false, "the peer's write is still waiting for the window");
  });

  it("calls onReadable again only for new data, not for bytes left unread", async () => {
    const { events, remote } = await connected();
    remote.write("a".repeat(100));
    assert.deepEqual(await events.next("readable"), [100]);
    await turns(20);
    assert.equal(events.count("readable"), 1, "no second onReadable for the same bytes");
    remote.write("b".repeat(50));
    assert.deepEqual(await events.next("readable"), [150]);
  });

  it("takes in more of the peer's data (a new onReadable) once the app reads from a full window, losing nothing", async () => {
    const total = 1024 * 1024;
    const sent = pattern(total);
    const got: Buffer[] = [];
    let gotBytes = 0;
    const reported: number[] = [];
    // A slow app: each onReadable reads at most 3000 bytes and leaves the rest in the window.
    const { tcp, remote, gate } = await connected(function (this: TCP, bytes: number) {
      reported.push(bytes);
      const piece = this.read(Math.min(bytes, 3000)) as ArrayBuffer;
      got.push(Buffer.from(piece));
      gotBytes += piece.byteLength;
    });
    remote.write(sent);
    await waitFor(() => gate.windowClosed, "the board's window to close");
    // Each read reopens the window and the next bytes come in with a new onReadable, up to the last window's worth.
    await waitFor(() => gotBytes >= total - TCP_WND, "the app to read all but the last window through onReadable", 10_000);
    // The last bytes were reported already; take what is left without waiting for a new onReadable.
    for (let i = 0; i < 1000 && gotBytes < total; i++) {
      const rest = tcp.read();
      if (rest) {
        got.push(Buffer.from(rest));
        gotBytes += rest.byteLength;
      } else await turns(1);
    }
    assert.equal(gotBytes, total);
    assert.ok(Buffer.concat(got).equals(sent), "the bytes arrived whole and in order");
    assert.ok(Math.max(...reported) <= TCP_WND, "onReadable reported " + Math.max(...reported));
    assert.ok(reported.length >= (total - TCP_WND) / 3000, "onReadable came again as the window reopened: " + reported.length);
    await waitFor(() => !gate.windowClosed, "the window to reopen");
  });

  it("reports the peer's FIN only after every byte held back by the window has been read", async () => {
    const { tcp, events, remote } = await connected();
    const total = 64 * 1024;
    remote.end(pattern(total));
    let gotBytes = 0;
    for (let i = 0; i < 1000 && gotBytes < total; i++) {
      await events.next("readable", 5000);
      assert.equal(events.count("error"), 0, "onError before the last byte was read");
      const data = tcp.read() as ArrayBuffer;
      gotBytes += data.byteLength;
    }
    assert.equal(gotBytes, total);
    await events.next("error");
    assert.equal(events.count("error"), 1);
  });

  it("resets the connection when closed with bytes waiting beyond the window", async () => {
    const { tcp, remote, gate } = await connected();
    remote.write(pattern(256 * 1024));
    await waitFor(() => gate.windowClosed, "the board's window to close");
    const reset = new Promise<string | undefined>((resolve) => remote.once("error", (error: NodeJS.ErrnoException) => resolve(error.code)));
    tcp.close();
    assert.equal(await within(reset, "the peer to see RST"), "ECONNRESET");
  });
});
