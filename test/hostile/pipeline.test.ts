// Pipelining peers against a running simulated server (the firmware Server on the host runtime in this process, raw
// node:net sockets on loopback as peers). A peer that sends thousands of ECHOs in one write and reads every reply is
// served in full: the server stops reading while its reply queue is above its high-water mark, so the rest of the
// burst waits in the socket and the TCP window closes on the sender (flow control, docs/reliability.md). A peer
// that never reads is still closed within a bounded time. Every wait is bounded; nothing sleeps.
import { strict as assert } from "node:assert";
import { connect, type Socket } from "node:net";
import type { Server } from "linklab/server";
import { RoleHarness } from "../../host-sim/harness/roles.ts";
import { until } from "./peer.ts";

/** A raw peer that splits what it receives into lines as they come (cheap for tens of thousands of lines). */
class LineReader {
  readonly socket: Socket;
  readonly lines: string[] = [];
  bytes = 0;
  ending: "fin" | "reset" | "closed" | undefined;
  #partial = "";

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      this.bytes += chunk.length;
      let text = this.#partial + chunk;
      for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n")) {
        this.lines.push(text.slice(0, at));
        text = text.slice(at + 1);
      }
      this.#partial = text;
    });
    socket.on("end", () => (this.ending ??= "fin"));
    socket.on("error", (error: NodeJS.ErrnoException) => (this.ending ??= error.code === "ECONNRESET" || error.code === "EPIPE" ? "reset" : "closed"));
    socket.on("close", () => (this.ending ??= "closed"));
  }

  static connect(port: number): Promise<LineReader> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => resolve(new LineReader(socket)));
      socket.once("error", reject);
    });
  }

  /** Lines other than the server's heartbeat probes. */
  replies(): string[] {
    return this.lines.filter((line) => !/^PING \d+$/.test(line));
  }

  /** Queue bytes for the peer's kernel; resolves when node has handed them over (or the connection failed). */
  write(data: string): Promise<void> {
    return new Promise((resolve) => this.socket.write(Buffer.from(data, "latin1"), () => resolve()));
  }
}

/** HELLO, then the WELCOME line. */
async function online(port: number, id: string): Promise<LineReader> {
  const peer = await LineReader.connect(port);
  await peer.write("HELLO " + id + "\n");
  await until(() => peer.lines.length > 0 || peer.ending !== undefined, "WELCOME for " + id);
  assert.match(peer.lines[0], /^WELCOME srv session=\d+ /);
  return peer;
}

function sessionOf(server: Server, id: string) {
  return server.sessions().find((s) => s.clientId === id);
}

describe("a simulated server and peers that pipeline", function () {
  this.timeout(40_000);
  let lab: RoleHarness;
  let server: Server;
  const peers: LineReader[] = [];

  afterEach(() => {
    for (const p of peers.splice(0)) p.socket.destroy();
    lab.close();
  });

  describe("with the device's default timings", () => {
    beforeEach(() => {
      lab = new RoleHarness("I");
      // The firmware's defaults (modules/settings.ts): maxLine 256, heartbeatMs 1000, timeoutMs 3000.
      server = lab.server({ id: "srv", maxLine: 256, handshakeMs: 2000, heartbeatMs: 1000, timeoutMs: 3000, logEvery: 100 });
      server.start("127.0.0.1");
    });

    /** Send `count` ECHOs made by `line` in one write and wait for every reply; returns the peer. */
    async function pipeline(id: string, count: number, line: (n: number) => string, deadlineMs: number): Promise<LineReader> {
      const peer = await online(server.port, id);
      peers.push(peer);
      let burst = "";
      for (let n = 0; n < count; n++) burst += line(n) + "\n";
      const written = peer.write(burst);
      await until(() => peer.replies().length >= count + 1 || peer.ending !== undefined, count + " ECHO replies", deadlineMs).catch(() => {});
      const replies = peer.replies().slice(1);
      assert.equal(peer.ending, undefined, "the server ended the connection after " + replies.length + " of " + count + " replies; log: " + lab.lines.filter((l) => /W tcp\.server/.test(l)).slice(-3).join(" | "));
      assert.equal(replies.length, count, "replies received");
      for (let n = 0; n < count; n++) if (replies[n] !== line(n)) assert.fail("reply " + n + " is " + JSON.stringify(replies[n]));
      await written;
      return peer;
    }

    it("answers 10,000 one-line ECHOs sent in one write to a peer that reads every reply", async () => {
      await pipeline("pipe-small", 10_000, (n) => "ECHO " + n + " x", 20_000);
      assert.equal(sessionOf(server, "pipe-small")?.state, "online");
      assert.equal(lab.count(/send queue full|peer silent/), 0);
      assert.equal(server.stats.echoes, 10_000);
    });

    it("answers 2,000 ECHOs of 240 bytes sent in one write to a peer that reads every reply", async () => {
      const text = "y".repeat(240);
      await pipeline("pipe-big", 2_000, (n) => "ECHO " + n + " " + text, 20_000);
      assert.equal(sessionOf(server, "pipe-big")?.state, "online");
      assert.equal(lab.count(/send queue full|peer silent/), 0);
    });

    it("serves two pipelining peers at once and still answers a third peer's PING promptly", async () => {
      const a = online(server.port, "pipe-a");
      const b = online(server.port, "pipe-b");
      const [pa, pb] = await Promise.all([a, b]);
      peers.push(pa, pb);
      const count = 5_000;
      let burst = "";
      for (let n = 0; n < count; n++) burst += "ECHO " + n + " z\n";
      void pa.write(burst);
      void pb.write(burst);
      const third = await online(server.port, "third");
      peers.push(third);
      await third.write("PING 1\n");
      await until(() => third.replies().includes("PONG 1"), "the third peer's PONG", 5_000);
      await until(() => (pa.replies().length > count && pb.replies().length > count) || pa.ending !== undefined || pb.ending !== undefined, "both bursts answered", 20_000);
      assert.equal(pa.ending, undefined);
      assert.equal(pb.ending, undefined);
      assert.equal(pa.replies().length, count + 1);
      assert.equal(pb.replies().length, count + 1);
    });
  });

  describe("with short timings", () => {
    const fast = { heartbeatMs: 200, timeoutMs: 600, handshakeMs: 300 };

    beforeEach(() => {
      lab = new RoleHarness("I");
      server = lab.server({ id: "srv", maxLine: 256, logEvery: 100, ...fast });
      server.start("127.0.0.1");
    });

    it("still closes a peer that floods and never reads, within a bounded time once it stalls", async () => {
      const peer = await online(server.port, "evil");
      peers.push(peer);
      peer.socket.pause();
      const chunk = ("ECHO 1 " + "F".repeat(240) + "\n").repeat(256);
      // Write until the server ends the connection or the writes stop being taken (the windows are closed).
      let sentBytes = 0;
      let stalledMs = 0;
      for (let i = 0; i < 1024 && peer.ending === undefined && sentBytes < 64 * 1024 * 1024; i++) {
        const taken = peer.write(chunk).then(() => true);
        const startMs = performance.now();
        const done = await Promise.race([taken, until(() => peer.ending !== undefined || performance.now() - startMs > 250, "a write to be taken", 1000).then(() => false)]);
        if (!done) {
          stalledMs = performance.now();
          break;
        }
        sentBytes += chunk.length;
      }
      assert.ok(sentBytes > 0);
      // Closed within the silence timeout (600 ms) or the stall bound, plus checks and scheduling.
      await until(() => sessionOf(server, "evil") === undefined, "the server to close the non-reading peer", 6_000);
      const closedAfterMs = stalledMs ? performance.now() - stalledMs : 0;
      assert.ok(closedAfterMs < 6_000, "closed " + closedAfterMs + " ms after the peer's writes stalled");
      assert.equal(lab.count(/W tcp\.server: (send queue full, peer not reading; closing|peer silent, closing) .*client=evil/), 1, lab.lines.slice(-10).join("\n"));
    });
  });
});
