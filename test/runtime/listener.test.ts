// Conformance of embedded:io/socket/listener with Moddable's lwIP listener (modules/io/socket/lwip/tcp.c and
// listener.js, SDK 8.2.3), with Moddable TCP clients and plain node:net clients on loopback.
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { board } from "../../host-sim/runtime/board.ts";
import Listener from "../../host-sim/runtime/listener.ts";
import TCP from "../../host-sim/runtime/tcp.ts";
import { Child, repoDir } from "../support/child.ts";
import { useBoard } from "../support/board.ts";
import { deferred, Recorder, within } from "../support/wait.ts";

function nodeClient(port: number, host = "127.0.0.1"): Promise<Socket> {
  const socket = connect({ port, host });
  socket.on("error", () => {});
  return within(new Promise<Socket>((resolve) => socket.once("connect", () => resolve(socket))), `a node client to connect to ${host}:${port}`);
}

function text(buffer: unknown): string {
  return Buffer.from(buffer as ArrayBuffer).toString();
}

describe("embedded:io/socket/listener", () => {
  useBoard();

  it("binds an ephemeral port when given port 0 and reports it at once", () => {
    const listener = new Listener({ port: 0 });
    assert.equal(typeof listener.port, "number");
    assert.ok(listener.port >= 1 && listener.port <= 65535, String(listener.port));
  });

  it("listens on the board's own address by default", async () => {
    board.identity = { ...board.identity, address: "127.0.0.2" };
    const listener = new Listener({ port: 0 });
    const client = await nodeClient(listener.port, "127.0.0.2");
    assert.equal(client.remoteAddress, "127.0.0.2");
    const refused = connect({ port: listener.port, host: "127.0.0.1" });
    const code = await within(new Promise((resolve) => refused.once("error", (error: NodeJS.ErrnoException) => resolve(error.code))), "a refusal on 127.0.0.1");
    assert.equal(code, "ECONNREFUSED");
  });

  it("throws 'socket bind' when the address and port are already taken", () => {
    const first = new Listener({ port: 0 });
    assert.throws(() => new Listener({ port: first.port }), /socket bind/);
  });

  it("binds synchronously without any warning, even with --throw-deprecation (tcp-bind.ts: DEP0111 is documentation-only)", async () => {
    const source = `import Listener from "embedded:io/socket/listener";
      const listener = new Listener({ port: 0, address: "127.0.0.1" });
      console.log("port " + listener.port);
      listener.close();
      await new Promise((resolve) => setImmediate(resolve));`;
    const child = new Child(["--throw-deprecation", "--import", join(repoDir, "host-sim", "register.mjs"), "--input-type=module", "-e", source]);
    try {
      const { code } = await child.waitForExit(15_000);
      assert.equal(code, 0, child.stderr.join("\n"));
      assert.match(child.stdout.join("\n"), /^port [1-9]\d*$/m);
      assert.deepEqual(child.stderr.filter((line) => line.trim()), []);
    } finally {
      child.stop();
    }
  });

  it("returns undefined from read() while no connection is pending", () => {
    const listener = new Listener({ port: 0 });
    assert.equal(listener.read(), undefined);
  });

  it("calls onReadable with the number of pending connections", async () => {
    const events = new Recorder();
    const listener = new Listener({ port: 0, onReadable: events.on("readable") });
    await nodeClient(listener.port);
    await nodeClient(listener.port);
    const counts: number[] = [];
    while (counts.reduce((a, b) => Math.max(a, b), 0) < 2) counts.push((await events.next("readable"))[0] as number);
    assert.equal(counts.at(-1), 2);
  });

  it("hands out a TCP from read() whose remote end is the client", async () => {
    const events = new Recorder();
    const listener = new Listener({ port: 0, onReadable: events.on("readable") });
    const client = await nodeClient(listener.port);
    await events.next("readable");
    const tcp = listener.read();
    assert.ok(tcp instanceof TCP);
    assert.equal(tcp.remoteAddress, "127.0.0.1");
    assert.equal(tcp.remotePort, client.localPort);
    assert.equal(tcp.format, "buffer");
  });

  it("leaves the socket handed to `from` closed: using it again throws SyntaxError", async () => {
    const events = new Recorder();
    const listener = new Listener({ port: 0, onReadable: events.on("readable") });
    await nodeClient(listener.port);
    await events.next("readable");
    const from = listener.read()!;
    new TCP({ from });
    assert.throws(() => from.read(), SyntaxError);
    assert.throws(() => new TCP({ from }), SyntaxError);
    assert.doesNotThrow(() => from.close());
  });

  it("delivers bytes that arrived before the socket was adopted, then reports it writable", async () => {
    const events = new Recorder();
    const listener = new Listener({ port: 0, onReadable: events.on("accept") });
    const client = await nodeClient(listener.port);
    client.write("early");
    await events.next("accept");
    const tcp = new TCP({ from: listener.read()!, onReadable: events.on("readable"), onWritable: events.on("writable") });
    assert.deepEqual(await events.next("readable"), [5]);
    assert.equal(text(tcp.read()), "early");
    await events.next("writable");
  });

  it("round-trips bytes both ways between a Listener's TCP and a Moddable TCP client", async () => {
    const server = new Recorder();
    const client = new Recorder();
    const listener = new Listener({
      port: 0,
      onReadable() {
        new TCP({
          from: this.read()!,
          onReadable() {
            const data = this.read() as ArrayBuffer;
            server.record("got", text(data));
            this.write(data); // echo
          },
        });
      },
    });
    let sent = false;
    const tcp = new TCP({
      address: "127.0.0.1",
      port: listener.port,
      onWritable() {
        if (sent) return;
        sent = true;
        this.write(new TextEncoder().encode("marco"));
      },
      onReadable() {
        client.record("got", text(this.read()));
      },
    });
    assert.deepEqual(await server.next("got"), ["marco"]);
    assert.deepEqual(await client.next("got"), ["marco"]);
    tcp.close();
  });

  it("stops accepting after close(): read() throws SyntaxError, close() again is harmless, connects are refused", async () => {
    const listener = new Listener({ port: 0 });
    const port = listener.port;
    listener.close();
    assert.throws(() => listener.read(), SyntaxError);
    assert.doesNotThrow(() => listener.close());
    const refused = connect({ port, host: "127.0.0.1" });
    const code = await within(new Promise((resolve) => refused.once("error", (error: NodeJS.ErrnoException) => resolve(error.code))), "a refusal");
    assert.equal(code, "ECONNREFUSED");
  });

  it("keeps the object given as target and reports format socket/tcp", () => {
    const target = {};
    const listener = new Listener({ port: 0, target });
    assert.equal((listener as unknown as { target: unknown }).target, target);
    assert.equal(listener.format, "socket/tcp");
    assert.throws(() => (listener.format = "buffer" as never), RangeError);
  });

  it("registers a closer on the board and removes it on close()", () => {
    const before = board.closers.size;
    const listener = new Listener({ port: 0 });
    assert.equal(board.closers.size, before + 1);
    listener.close();
    assert.equal(board.closers.size, before);
  });

  describe("as a node:net peer sees it", () => {
    it("shows the client the board's replies and a FIN when the board closes", async () => {
      const accepted = deferred<TCP>();
      const listener = new Listener({ port: 0, onReadable() { accepted.resolve(new TCP({ from: this.read()! })); } });
      const client = await nodeClient(listener.port);
      const tcp = await within(accepted.promise, "the board to accept");
      let got = "";
      client.on("data", (chunk: Buffer) => (got += chunk.toString()));
      const ended = new Promise((resolve) => client.once("end", resolve));
      tcp.write(new TextEncoder().encode("WELCOME\n"));
      tcp.close();
      await within(ended, "the client to see FIN");
      assert.equal(got, "WELCOME\n");
    });

    it("reports a node client's FIN to the board as onError after its last bytes are read", async () => {
      const events = new Recorder();
      let server: TCP | undefined;
      const listener = new Listener({
        port: 0,
        onReadable() {
          server = new TCP({ from: this.read()!, onReadable: events.on("readable"), onError: events.on("error") });
        },
      });
      const client = await nodeClient(listener.port);
      client.end("BYE\n");
      await events.next("readable");
      assert.equal(text(server!.read()), "BYE\n");
      await events.next("error");
      assert.deepEqual(events.names(), ["readable", "error"]);
    });
  });
});
