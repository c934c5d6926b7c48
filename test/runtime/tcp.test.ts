// Conformance of embedded:io/socket/tcp with Moddable's lwIP TCP (modules/io/socket/lwip/tcp.c, SDK 8.2.3),
// against real loopback peers: node:net servers on port 0, so each test also shows what a peer on the wire sees.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import TCP, { TCP_SND_BUF } from "../../host-sim/runtime/tcp.ts";
import { board } from "../../host-sim/runtime/board.ts";
import { gates } from "../../host-sim/runtime/gate.ts";
import { useBoard } from "../support/board.ts";
import { freeTcpPort } from "../support/ports.ts";
import { deferred, Recorder, waitFor, within } from "../support/wait.ts";

interface Peer {
  server: Server;
  port: number;
  /** The next connection the server accepts. */
  accepted: Promise<Socket>;
}

const servers: Server[] = [];

async function peer(host = "127.0.0.1"): Promise<Peer> {
  const first = deferred<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on("error", () => {}); // tests that expect an error listen for it themselves
    first.resolve(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as AddressInfo).port, accepted: first.promise };
}

/** A port with nothing listening: bound, then closed. */
const closedPort = (): Promise<number> => freeTcpPort();

/** A TCP client whose callbacks are recorded, connected to a node:net peer. */
async function connected(options: Record<string, unknown> = {}): Promise<{ tcp: TCP; events: Recorder; remote: Socket; peer: Peer }> {
  const p = await peer();
  const events = new Recorder();
  const tcp = new TCP({
    address: "127.0.0.1",
    port: p.port,
    onReadable: events.on("readable"),
    onWritable: events.on("writable"),
    onError: events.on("error"),
    ...options,
  });
  await events.next("writable");
  const remote = await within(p.accepted, "the peer to accept");
  return { tcp, events, remote, peer: p };
}

function encode(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

function text(buffer: unknown): string {
  return Buffer.from(buffer as ArrayBuffer).toString();
}

function receive(socket: Socket, bytes: number): Promise<string> {
  let got = "";
  return within(
    new Promise<string>((resolve) =>
      socket.on("data", (chunk: Buffer) => {
        got += chunk.toString();
        if (got.length >= bytes) resolve(got);
      }),
    ),
    `${bytes} bytes at the peer`,
  );
}

describe("embedded:io/socket/tcp", () => {
  useBoard();
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  describe("connecting", () => {
    it("calls onWritable once connected, with lwIP's TCP_SND_BUF of 8192 bytes free", async () => {
      const { events } = await connected();
      assert.equal(TCP_SND_BUF, 8192);
      assert.deepEqual(events.events[0].args, [8192]);
      assert.equal(events.count("error"), 0);
    });

    it("reports the address and port it connected to as remoteAddress and remotePort", async () => {
      const { tcp, peer: p } = await connected();
      assert.equal(tcp.remoteAddress, "127.0.0.1");
      assert.equal(tcp.remotePort, p.port);
    });

    it("connects from the board's own address, so peers see distinct 127.0.0.x boards", async () => {
      board.identity = { ...board.identity, address: "127.0.0.2", peers: ["127.0.0.1", "127.0.0.2"] };
      const p = await peer();
      new TCP({ address: "127.0.0.1", port: p.port });
      const remote = await within(p.accepted, "the peer to accept");
      assert.equal(remote.remoteAddress, "127.0.0.2");
    });

    it("calls only onError when the connection is refused", async () => {
      const events = new Recorder();
      new TCP({ address: "127.0.0.1", port: await closedPort(), onWritable: events.on("writable"), onReadable: events.on("readable"), onError: events.on("error") });
      assert.deepEqual(await events.next("error"), []);
      assert.deepEqual(events.names(), ["error"]);
    });

    it("throws when the address is missing or not a dotted quad (host names are not resolved)", () => {
      assert.throws(() => new TCP({ port: 80 }), /invalid address/);
      assert.throws(() => new TCP({ host: "localhost", port: 80 }), /invalid address/);
    });

    it("throws RangeError for a port outside 0..65535 and TypeError for a Symbol", () => {
      assert.throws(() => new TCP({ address: "127.0.0.1", port: 65536 }), RangeError);
      assert.throws(() => new TCP({ address: "127.0.0.1", port: -1 }), RangeError);
      assert.throws(() => new TCP({ address: "127.0.0.1", port: Symbol() as never }), TypeError);
    });

    it("keeps the object given as target", async () => {
      const target = { role: "client" };
      const { tcp } = await connected({ target });
      assert.equal((tcp as unknown as { target: unknown }).target, target);
    });

    it("ignores the keepalive option, as Moddable's lwIP and lin sockets do: the kernel arms no keep-alive timer", async function () {
      const { peer: p } = await connected({ keepalive: { enable: true, idle: 5000, interval: 1000, count: 3 } });
      const out = execFileSync("ss", ["-tnoH", "state", "established", `( dport = :${p.port} )`], { encoding: "utf8" });
      assert.match(out, /ESTAB|\d/, "the connection is listed");
      assert.doesNotMatch(out, /timer:\(keepalive/, out);
    });
  });

  describe("writing", () => {
    it("throws 'not ready' when written before the connection is up, as lwIP does", () => {
      const tcp = new TCP({ address: "127.0.0.1", port: 9 });
      assert.throws(() => tcp.write(Uint8Array.of(1)), /not ready/);
    });

    it("throws 'would block' when asked to write more than the writable count", async () => {
      const { tcp } = await connected();
      assert.throws(() => tcp.write(new ArrayBuffer(TCP_SND_BUF + 1)), /would block/);
    });

    it("throws TypeError when given a string instead of a buffer", async () => {
      const { tcp } = await connected();
      assert.throws(() => tcp.write("text" as never), TypeError);
    });

    it("returns the space left and delivers the bytes to the peer", async () => {
      const { tcp, remote } = await connected();
      const arrived = receive(remote, 5);
      assert.equal(tcp.write(encode("hello")), TCP_SND_BUF - 5);
      assert.equal(await arrived, "hello");
    });

    it("calls onWritable again, with the full buffer, once written data has drained", async () => {
      const { tcp, events } = await connected();
      tcp.write(new ArrayBuffer(1000));
      assert.deepEqual(await events.next("writable"), [TCP_SND_BUF]);
    });

    it("writes one byte per write() with format 'number'", async () => {
      const { tcp, remote } = await connected({ format: "number" });
      const arrived = receive(remote, 2);
      tcp.write(0x4f);
      tcp.write(0x4b);
      assert.equal(await arrived, "OK");
    });
  });

  describe("reading", () => {
    it("calls onReadable with the bytes available and read() returns them as an ArrayBuffer", async () => {
      const { tcp, events, remote } = await connected();
      remote.write("ping\n");
      assert.deepEqual(await events.next("readable"), [5]);
      const data = tcp.read();
      assert.ok(data instanceof ArrayBuffer);
      assert.equal(text(data), "ping\n");
    });

    it("returns undefined from read() when nothing is buffered", async () => {
      const { tcp } = await connected();
      assert.equal(tcp.read(), undefined);
    });

    it("returns n bytes from read(n) and leaves the rest buffered", async () => {
      const { tcp, events, remote } = await connected();
      remote.write("abcdef");
      await events.next("readable");
      assert.equal(text(tcp.read(4)), "abcd");
      assert.equal(text(tcp.read()), "ef");
    });

    it("fills a buffer given to read(buffer) and returns its length", async () => {
      const { tcp, events, remote } = await connected();
      remote.write("HTTP/1.1 200");
      await events.next("readable");
      const view = new Uint8Array(8);
      assert.equal(tcp.read(view), 8);
      assert.equal(Buffer.from(view).toString(), "HTTP/1.1");
    });

    it("throws when read(n) asks for more than is buffered", async () => {
      const { tcp, events, remote } = await connected();
      remote.write("abc");
      await events.next("readable");
      assert.throws(() => tcp.read(4), /invalid/);
    });

    it("returns one byte as a number with format 'number'", async () => {
      const { tcp, events, remote } = await connected();
      remote.write("A");
      await events.next("readable");
      tcp.format = "number";
      assert.equal(tcp.read(), 0x41);
    });

    it("throws RangeError for an unknown format", () => {
      assert.throws(() => new TCP({ address: "127.0.0.1", port: 9, format: "text" as never }), RangeError);
    });
  });

  describe("the peer closing", () => {
    it("reports the peer's FIN as onError, only after the buffered data has been read", async () => {
      const { tcp, events, remote } = await connected();
      remote.end("last words");
      await events.next("readable");
      // Let the FIN reach the board before reading: onError must still wait for the data to be read.
      await waitFor(() => [...gates].some((gate) => gate.socket.readableEnded), "the FIN to reach the board");
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(events.count("error"), 0);
      assert.equal(text(tcp.read()), "last words");
      await events.next("error");
      assert.equal(events.count("error"), 1);
    });

    it("reports the peer's RST as onError", async () => {
      const { events, remote } = await connected();
      remote.resetAndDestroy();
      assert.deepEqual(await events.next("error"), []);
    });

    it("throws 'not ready' on write once the peer's FIN has been reported", async () => {
      const { tcp, events, remote } = await connected();
      remote.end();
      await events.next("error");
      assert.throws(() => tcp.write(Uint8Array.of(1)), /not ready/);
    });
  });

  describe("closing", () => {
    it("is harmless when called twice", async () => {
      const { tcp } = await connected();
      tcp.close();
      assert.doesNotThrow(() => tcp.close());
    });

    it("calls nothing after close(), even when data and a FIN arrive", async () => {
      const { tcp, events, remote } = await connected();
      const before = events.events.length;
      tcp.close();
      remote.end("too late");
      await within(new Promise((resolve) => remote.once("close", resolve)), "the peer socket to close");
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(events.events.length, before);
    });

    it("throws SyntaxError from read, write, remoteAddress and format after close()", async () => {
      const { tcp } = await connected();
      tcp.close();
      assert.throws(() => tcp.read(), SyntaxError);
      assert.throws(() => tcp.write(Uint8Array.of(1)), SyntaxError);
      assert.throws(() => tcp.remoteAddress, SyntaxError);
      assert.throws(() => tcp.format, SyntaxError);
    });

    it("sends the peer a FIN after the data written before close()", async () => {
      const { tcp, remote } = await connected();
      let got = "";
      remote.on("data", (chunk: Buffer) => (got += chunk.toString()));
      tcp.write(encode("bye\n"));
      tcp.close();
      await within(new Promise((resolve) => remote.once("end", resolve)), "the peer to see FIN");
      assert.equal(got, "bye\n");
    });

    it("answers the peer's FIN with its own FIN when closed in onError", async () => {
      const { tcp, events, remote } = await connected();
      const ended = new Promise((resolve) => remote.once("end", resolve));
      remote.end();
      await events.next("error");
      tcp.close();
      await within(ended, "the peer to see the board's FIN");
    });

    it("resets the connection when closed with received data unread, as lwIP's tcp_close does", async () => {
      const { tcp, events, remote } = await connected();
      remote.write("unread");
      await events.next("readable");
      const reset = new Promise<string | undefined>((resolve) => remote.once("error", (error: NodeJS.ErrnoException) => resolve(error.code)));
      tcp.close();
      assert.equal(await within(reset, "the peer to see RST"), "ECONNRESET");
    });

    it("registers a closer on the board while open and removes it on close()", async () => {
      const before = board.closers.size;
      const { tcp, remote } = await connected();
      assert.ok(board.closers.size > before);
      remote.on("end", () => remote.end());
      tcp.close();
      await waitFor(() => board.closers.size === before, "the closers to be released");
    });
  });
});
