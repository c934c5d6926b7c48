// Hostile input against a running simulated server: the firmware Server on the host runtime in this process, raw
// node:net sockets as attackers, and two honest firmware Clients online throughout (one sending ECHO every 40 ms,
// one only heartbeating). Each test checks the attacker gets its ERR or is closed as designed, and that the honest
// clients lose nothing. Timings are short (heartbeatMs 200, timeoutMs 600, handshakeMs 300); waits are bounded.
import { strict as assert } from "node:assert";
import { execSync, spawn } from "node:child_process";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Client } from "linklab/client";
import type { Server } from "linklab/server";
import { RoleHarness } from "../../host-sim/harness/roles.ts";
import { RawPeer, until } from "./peer.ts";

const fast = { heartbeatMs: 200, timeoutMs: 600, handshakeMs: 300 };

// A real collection before measuring, so the figure is what is still referenced, not garbage waiting for the GC.
setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as () => void;
async function retainedBytes(): Promise<number> {
  // Backing stores of collected ArrayBuffers are released after the collection: give them a few turns.
  let least = Infinity;
  for (let i = 0; i < 3; i++) {
    collect();
    await new Promise((resolve) => setImmediate(resolve));
    const m = process.memoryUsage();
    least = Math.min(least, m.heapUsed + m.arrayBuffers);
  }
  return least;
}

type HonestMark = { echoOk: number; quietHeartbeats: number };

class Arena {
  readonly lab = new RoleHarness();
  readonly server: Server;
  readonly port: number;
  readonly echoer: Client;
  readonly quiet: Client;
  readonly peers: RawPeer[] = [];

  constructor(token = "") {
    this.server = this.lab.server({ id: "srv", maxClients: 8, token, logEvery: 10, ...fast });
    this.server.start("127.0.0.1");
    this.port = this.server.port;
    const honest = { port: this.port, token, logEvery: 10, backoffMaxMs: 400, ...fast };
    this.echoer = this.lab.client({ id: "honest-echo", echoMs: 40, ...honest }, "tcp.echo");
    this.quiet = this.lab.client({ id: "honest-quiet", echoMs: 0, ...honest }, "tcp.quiet");
    for (const c of [this.echoer, this.quiet]) {
      c.start();
      c.linkUp("127.0.0.1");
    }
  }

  async ready(): Promise<HonestMark> {
    await until(() => this.echoer.state === "online" && this.quiet.state === "online", "both honest clients online");
    return this.mark();
  }

  mark(): HonestMark {
    return { echoOk: this.echoer.stats.echoOk, quietHeartbeats: this.quietHeartbeats() };
  }

  /** PINGs on the quiet link, either way (whichever side's check finds it quiet first sends one). */
  quietHeartbeats(): number {
    return this.quiet.stats.pingsSent + this.lab.count(/tcp\.server: heartbeat: peer quiet, sending PING .*client=honest-quiet /);
  }

  async connect(options?: { readable?: boolean; from?: string }): Promise<RawPeer> {
    const peer = await RawPeer.connect(this.port, options);
    this.peers.push(peer);
    return peer;
  }

  /** An attacker that has done its handshake (so it is past the HELLO deadline). */
  async online(id = "evil"): Promise<RawPeer> {
    const peer = await this.connect();
    await peer.write("HELLO " + id + "\n");
    await peer.waitLine(/^WELCOME srv session=\d+ heartbeatMs=200 timeoutMs=600$/);
    return peer;
  }

  /** The honest clients stayed online on their first connection, kept heartbeating and lost no ECHO. */
  async assertHonestUnharmed(since: HonestMark): Promise<void> {
    // Traffic still flows after the attack: more ECHO replies, and the quiet link is still being kept alive.
    await until(() => this.echoer.stats.echoOk >= since.echoOk + 5, "honest ECHO replies after the attack", 3000);
    await until(() => this.quietHeartbeats() > since.quietHeartbeats, "a heartbeat on the quiet link", 3000);
    await until(() => this.echoer.inflight === 0, "every honest ECHO answered", 2000);
    for (const client of [this.echoer, this.quiet]) {
      assert.equal(client.state, "online");
      assert.equal(client.stats.handshakes, 1, "reconnected");
      assert.equal(client.stats.lost, 0, "link lost");
      assert.equal(client.stats.echoLost, 0, "ECHO lost");
      assert.equal(client.stats.echoDuplicate, 0, "ECHO duplicated");
    }
    assert.deepEqual(this.lab.aborts, [], "no firmware callback threw");
  }

  /** The server holds only the honest sessions again. */
  async assertOnlyHonestSessions(): Promise<void> {
    await this.assertOnlyHonestSessionsAnd([]);
  }

  /** The server holds only the honest sessions and these other clients' (online). */
  async assertOnlyHonestSessionsAnd(others: string[]): Promise<void> {
    const ids = ["honest-echo", "honest-quiet", ...others].sort();
    await until(() => this.server.sessions().length === ids.length, "the server back to its " + ids.length + " honest sessions", 3000);
    assert.deepEqual(this.server.sessions().map((s) => s.clientId).sort(), ids);
  }

  close(): void {
    for (const p of this.peers) p.destroy();
    this.lab.close();
  }
}

describe("a simulated server under hostile input", function () {
  this.timeout(20000);
  let arena: Arena;
  let since: HonestMark;
  let fdLimit = Infinity;

  // Read once, before any board runs: execSync blocks the event loop, and a stalled loop makes both ends of the
  // honest links see each other silent (their checks run before the pending input is read).
  before(() => {
    fdLimit = Number(execSync("ulimit -n", { shell: "/bin/sh" }).toString().trim());
  });

  beforeEach(async () => {
    arena = new Arena();
    since = await arena.ready();
  });
  afterEach(() => arena.close());

  it("answers each malformed line with its ERR code and keeps serving that peer", async () => {
    const peer = await arena.online();
    const bad: [string, string][] = [
      ["FOO", "unknown"],
      ["ping 1", "unknown"],
      ["PING", "bad-syntax"],
      ["PING -1", "bad-syntax"],
      ["PING 01", "bad-syntax"],
      ["PING 1 2", "bad-syntax"],
      ["ECHO", "bad-syntax"],
      ["ECHO x hi", "bad-syntax"],
      ["WELCOME x", "bad-syntax"],
      ["ERR", "bad-syntax"],
      ["HELLO", "bad-hello"],
      ["HELLO bad/id", "bad-hello"],
      [" PING 1", "unknown"],
      ["HELLO evil", "bad-hello"],
      ["PUSH 1 x", "unexpected"],
    ];
    const from = peer.replies.length;
    await peer.write(bad.map(([line]) => line + "\n").join("") + "\n\r\nPING 77\n");
    await peer.waitLine(/^PONG 77$/);
    const replies = peer.replies.slice(from);
    assert.deepEqual(
      replies.map((l) => l.split(" ").slice(0, 2).join(" ")),
      [...bad.map(([, code]) => "ERR " + code), "PONG 77"],
      replies.join("\n"),
    );
    assert.equal(peer.ending, undefined);
    // 15 ERRs answered, one line logged: the serial port is shared by every session.
    assert.equal(arena.lab.count(/W tcp\.server: sending ERR .*code=/), 1);
    await arena.assertHonestUnharmed(since);
  });

  it("closes a peer after 16 bad lines with ERR too-many-errors", async () => {
    const peer = await arena.online();
    await peer.write("FOO\n".repeat(20));
    assert.equal(await peer.waitEnded(), "fin");
    const errs = peer.lines.filter((l) => l.startsWith("ERR "));
    assert.equal(errs.filter((l) => l.startsWith("ERR unknown")).length, 16);
    assert.match(errs[errs.length - 1], /^ERR too-many-errors 16 bad lines, one forgiven per 5 s$/);
    assert.equal(arena.lab.count(/W tcp\.server: sending ERR .*client=evil /), 2, "the first ERR and the closing one, suppressed=15");
    await arena.lab.waitFor(/W tcp\.server: sending ERR .*client=evil .*code=too-many-errors .* suppressed=15$/, 100, 0);
    await arena.assertOnlyHonestSessions();
    await arena.assertHonestUnharmed(since);
  });

  it("closes a peer drawing 2,000 ERRs of the kinds once left uncounted (not-ready, a second HELLO, unexpected), good lines between them or not", async () => {
    /** The server's ERR log lines for one raw peer (it has no client id before HELLO, so it is found by its port). */
    const errLog = (p: RawPeer) => arena.lab.lines.filter((l) => l.includes(" W tcp.server: sending ERR ") && l.includes(" peer=127.0.0.1:" + p.socket.localPort + " "));
    /** What a peer received is the start of what the server sent: closing with the flood still unread may be a reset (lwIP's tcp_close does that too), which can cut the last lines off. */
    const assertPrefix = (got: string[], sent: string[]) => assert.deepEqual(got, sent.slice(0, got.length), got.join("\n"));
    const closing = "ERR too-many-errors 16 bad lines, one forgiven per 5 s";

    // Before HELLO: anything but HELLO is ERR not-ready.
    const early = await arena.connect();
    await early.write("PING 1\n".repeat(2000));
    assert.ok(["fin", "reset"].includes(await early.waitEnded()));
    assertPrefix(early.lines, [...Array<string>(16).fill("ERR not-ready send HELLO <clientId> first"), closing]);
    // Two log lines, not 2,000: the first ERR, and the closing one saying how many were left out.
    await until(() => errLog(early).length === 2, "the closing ERR logged");
    assert.match(errLog(early)[0], /code=not-ready /);
    assert.match(errLog(early)[1], /code=too-many-errors text="16 bad lines, one forgiven per 5 s" suppressed=15$/);

    // Online: a second HELLO and a server-only PUSH, each after a good PING, which resets nothing.
    const online = await arena.online("evil2");
    let flood = "";
    for (let i = 0; i < 1000; i++) flood += "PING " + i + "\n" + (i % 2 === 0 ? "HELLO evil2\n" : "PUSH " + i + " x\n");
    await online.write(flood);
    assert.ok(["fin", "reset"].includes(await online.waitEnded()));
    const expected: string[] = [];
    for (let i = 0; i < 16; i++) expected.push("PONG " + i, i % 2 === 0 ? "ERR bad-hello already online" : "ERR unexpected PUSH is not sent to a server");
    assertPrefix(online.replies.slice(1), [...expected, closing]);
    await until(() => errLog(online).length === 2, "the closing ERR logged");
    assert.match(errLog(online)[0], /code=bad-hello /);
    assert.match(errLog(online)[1], /code=too-many-errors .* suppressed=15$/);

    // 17 ERRs each (16 bad lines and the closing one), not 2,000.
    assert.equal(arena.server.stats.errSent, 34);
    assert.equal(arena.server.stats.tooManyErrors, 2);
    await arena.assertOnlyHonestSessions();
    await arena.assertHonestUnharmed(since);
  });

  it("answers a 64 KiB line with one ERR too-long and reads the next line normally", async () => {
    const peer = await arena.online();
    await peer.write("ECHO 1 " + "A".repeat(64 * 1024) + "\nPING 2\n");
    await peer.waitLine(/^PONG 2$/);
    const replies = peer.replies.slice(1);
    assert.deepEqual(replies, ["ERR too-long line longer than 256 bytes", "PONG 2"]);
    assert.equal(arena.lab.count(/sending ERR .*code=too-long/), 1);
    assert.equal(arena.server.sessions().length, 3);
    await arena.assertHonestUnharmed(since);
  });

  it("does not buffer a 16 MiB line that never ends (retained memory grows < 4 MiB) and answers it with one ERR too-long", async () => {
    const retainedBefore = await retainedBytes();
    const peer = await arena.online();
    const chunk = "X".repeat(256 * 1024);
    for (let i = 0; i < 64; i++) await peer.write(chunk);
    await peer.waitLine(/^ERR too-long /);
    // Still reading: the same endless line goes on without another ERR, and the next real line is answered.
    await peer.write("\nPING 3\n");
    await peer.waitLine(/^PONG 3$/);
    const grownBytes = (await retainedBytes()) - retainedBefore;
    assert.deepEqual(peer.replies.slice(1), ["ERR too-long line longer than 256 bytes", "PONG 3"]);
    assert.ok(grownBytes < 4 * 1024 * 1024, "retained memory grew by " + grownBytes + " bytes for 16 MiB sent");
    await arena.assertHonestUnharmed(since);
  });

  it("answers a 64 KiB line before HELLO with ERR too-long, then closes the peer at its HELLO deadline", async () => {
    const peer = await arena.connect();
    await peer.write("X".repeat(64 * 1024) + "\n");
    await peer.waitLine(/^ERR too-long /);
    assert.equal(await peer.waitEnded(), "fin");
    assert.match(peer.lines[peer.lines.length - 1], /^ERR hello-timeout no HELLO within 300 ms$/);
    await arena.assertOnlyHonestSessions();
    await arena.assertHonestUnharmed(since);
  });

  it("rejects binary and NUL bytes with ERR bad-bytes naming the first bad byte", async () => {
    const peer = await arena.online();
    const binary = Buffer.alloc(200);
    for (let i = 0; i < binary.length; i++) binary[i] = 0x80 + (i % 0x7f);
    await peer.write(Buffer.concat([Buffer.from("PING \x00 1\n", "latin1"), Buffer.from("ECHO 3 "), binary, Buffer.from("\n\x00\x01\x02\n\x7f\nPING 4\n")]));
    await peer.waitLine(/^PONG 4$/);
    assert.deepEqual(peer.replies.slice(1), [
      "ERR bad-bytes byte 0x00 at 5 is not printable ASCII",
      "ERR bad-bytes byte 0x80 at 7 is not printable ASCII",
      "ERR bad-bytes byte 0x00 at 0 is not printable ASCII",
      "ERR bad-bytes byte 0x7f at 0 is not printable ASCII",
      "PONG 4",
    ]);
    await arena.assertHonestUnharmed(since);
  });

  it("rejects invalid (and valid) UTF-8 as bad bytes instead of decoding it", async () => {
    const peer = await arena.online();
    const lines = [
      [0xc3, 0x28], // invalid continuation
      [0xff, 0xfe], // never valid
      [0xc0, 0xaf], // overlong "/"
      [0xed, 0xa0, 0x80], // UTF-16 surrogate
      [0xe2, 0x82], // truncated sequence
      [0xc3, 0xa9], // valid "é", still not ASCII
    ];
    await peer.write(Buffer.concat([...lines.map((l) => Buffer.from([...Buffer.from("ECHO 9 a"), ...l, 0x0a])), Buffer.from("PING 5\n")]));
    await peer.waitLine(/^PONG 5$/);
    assert.deepEqual(peer.replies.slice(1), [...lines.map((l) => "ERR bad-bytes byte 0x" + l[0].toString(16) + " at 8 is not printable ASCII"), "PONG 5"]);
    await arena.assertHonestUnharmed(since);
  });

  it("carries a whole conversation delivered one byte per write", async () => {
    const peer = await arena.connect();
    peer.socket.setNoDelay(true);
    const conversation = "HELLO bytewise\r\nECHO 1 split every byte\nPING 2\r\nECHO 3 \nBYE done\n";
    for (const byte of Buffer.from(conversation)) await peer.write(Uint8Array.of(byte));
    assert.equal(await peer.waitEnded(), "fin");
    assert.deepEqual(peer.replies.map((l) => l.replace(/session=\d+/, "session=N")), [
      "WELCOME srv session=N heartbeatMs=200 timeoutMs=600",
      "ECHO 1 split every byte",
      "PONG 2",
      "ECHO 3 ",
      "BYE",
    ]);
    await arena.assertHonestUnharmed(since);
  });

  it("carries a conversation split in two at every byte boundary", async () => {
    const conversation = Buffer.from("HELLO cut\nECHO 1 two halves\nPING 2\nBYE\n");
    const expected = ["WELCOME", "ECHO 1 two halves", "PONG 2", "BYE"];
    for (let cut = 1; cut < conversation.length; cut++) {
      const peer = await arena.connect();
      peer.socket.setNoDelay(true);
      await peer.write(conversation.subarray(0, cut));
      await peer.write(conversation.subarray(cut));
      assert.equal(await peer.waitEnded(), "fin", "cut at " + cut);
      assert.deepEqual(peer.replies.map((l) => (l.startsWith("WELCOME ") ? "WELCOME" : l)), expected, "cut at " + cut);
    }
    await arena.assertOnlyHonestSessions();
    await arena.assertHonestUnharmed(since);
  });

  it("answers many messages merged into one write, in order", async () => {
    const peer = await arena.online();
    let burst = "";
    for (let i = 0; i < 150; i++) burst += i % 3 === 0 ? "PING " + i + "\n" : "ECHO " + i + " merged\n";
    await peer.write(burst);
    await peer.waitLine(/^ECHO 149 merged$/);
    const replies = peer.replies.slice(1);
    assert.equal(replies.length, 150);
    replies.forEach((line, i) => assert.equal(line, i % 3 === 0 ? "PONG " + i : "ECHO " + i + " merged"));
    await arena.assertHonestUnharmed(since);
  });

  it("closes slow peers that never finish their HELLO line at handshakeMs with ERR hello-timeout", async () => {
    // From two addresses: one address may hold at most 4 pending handshakes.
    const slow = await Promise.all(Array.from({ length: 6 }, (_, i) => arena.connect({ from: "127.0.0." + (2 + (i % 2)) })));
    const startMs = performance.now();
    await Promise.all(slow.map((p, i) => p.write("HELLO slow" + i)));
    const endings = await Promise.all(slow.map((p) => p.waitEnded(2000)));
    const tookMs = performance.now() - startMs;
    assert.deepEqual(endings, slow.map(() => "fin"));
    for (const p of slow) assert.deepEqual(p.lines, ["ERR hello-timeout no HELLO within 300 ms"]);
    assert.ok(tookMs >= 250, "closed after " + tookMs + " ms, before handshakeMs");
    assert.equal(arena.server.stats.helloTimeouts, 6);
    await arena.assertOnlyHonestSessions();
    await arena.assertHonestUnharmed(since);
  });

  it("closes an online peer that goes quiet in the middle of a line once timeoutMs has passed", async () => {
    const peer = await arena.online();
    await peer.write("ECHO 1 never finished");
    const ending = await peer.waitEnded(2000);
    assert.equal(ending, "fin");
    assert.ok(peer.lines.some((l) => /^PING \d+$/.test(l)), "the server probed it first");
    await arena.lab.waitFor(/W tcp\.server: peer silent, closing .*client=evil .*timeoutMs=600/, 1000, 0);
    await arena.assertOnlyHonestSessions();
    await arena.assertHonestUnharmed(since);
  });

  it("cleans up after peers that reset their connections mid-handshake and mid-line", async () => {
    const peers = await Promise.all(Array.from({ length: 50 }, () => arena.connect()));
    await Promise.all(peers.map((p, i) => p.write(i % 2 === 0 ? "HELLO rst" : "HELLO rst" + i + "\nECHO 1 half a li")));
    await until(() => arena.server.stats.accepted === 52, "all 50 accepted");
    for (const p of peers) p.socket.resetAndDestroy();
    await arena.assertOnlyHonestSessions();
    await arena.lab.waitFor(/I tcp\.server: connection ended \(FIN or RST received, or lwIP aborted it\)/, 1000, 0);
    assert.equal(arena.server.stats.silentClosed + arena.server.stats.helloTimeouts, 0, "judged by timers instead of by the RST");
    await arena.assertHonestUnharmed(since);
  });

  it("keeps answering a PING flood from a peer that reads its PONGs, as fast as they come", async () => {
    // Flood = as fast as the server answers, with up to 100 PINGs outstanding (a peer that pipelines more than the
    // server's send buffer and queue can hold is treated as not reading; see the next test).
    const peer = await arena.online();
    const total = 5000;
    const window = 100;
    let sent = 0;
    // The server may PING this peer too (a heartbeat after a quiet moment); only its PONGs are counted.
    const pongLines = () => peer.lines.filter((l) => l.startsWith("PONG "));
    const pongs = () => pongLines().length;
    while (sent < total) {
      let batch = "";
      for (; sent < total && sent - pongs() < window; sent++) batch += "PING " + sent + "\n";
      if (batch) await peer.write(batch);
      await peer.wait(() => sent - pongs() < window || pongs() === total, "PONGs to catch up", 5000);
    }
    await peer.waitLine(new RegExp("^PONG " + (total - 1) + "$"), 5000);
    pongLines().forEach((line, i) => assert.equal(line, "PONG " + i));
    assert.deepEqual(peer.replies.slice(1).filter((l) => !l.startsWith("PONG ")), []);
    assert.equal(peer.ending, undefined);
    await arena.assertHonestUnharmed(since);
  });

  it("closes a flooding peer that stops reading once its queued replies make no progress for timeoutMs, without holding them", async () => {
    const peer = await arena.online();
    peer.socket.pause();
    const line = "ECHO 1 " + "F".repeat(240) + "\n";
    const chunk = line.repeat(256);
    let sentBytes = 0;
    while (!peer.ending && sentBytes < 64 * 1024 * 1024) {
      try {
        await peer.write(chunk);
      } catch {
        break;
      }
      sentBytes += chunk.length;
    }
    await arena.lab.waitFor(/W tcp\.server: send queue full, peer not reading; closing .*client=evil/, 10000, 0);
    await arena.assertOnlyHonestSessions();
    await arena.assertHonestUnharmed(since);
  });

  it("answers 1,000 simultaneous connections from 10 addresses by evicting the oldest handshakes, and times out the last ones", async () => {
    const total = 1000;
    // Both ends live in this process: 2 descriptors per connection.
    assert.ok(!(fdLimit < 2 * total + 200), "this test needs ulimit -n >= " + (2 * total + 200) + ", have " + fdLimit);
    // All 1,000 within a few event-loop turns (100 connect() calls per turn, so this process, which is also the
    // server and the honest clients, is never blocked long enough for the honest links to look silent).
    const pendingNow = () => arena.server.sessions().filter((s) => s.state === "handshaking").length;
    let pendingPeak = 0;
    const probe = setInterval(() => (pendingPeak = Math.max(pendingPeak, pendingNow())), 1);
    const connecting: Promise<RawPeer>[] = [];
    for (let i = 0; i < total; i++) {
      if (i > 0 && i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
      connecting.push(arena.connect({ from: "127.0.1." + (1 + (i % 10)) }));
    }
    const peers = await Promise.all(connecting);
    const endings = await Promise.all(peers.map((p) => p.waitEnded(10000)));
    clearInterval(probe);
    assert.ok(endings.every((e) => e === "fin"), "endings: " + JSON.stringify(endings.filter((e) => e !== "fin")));
    let evicted = 0;
    let timedOut = 0;
    for (const p of peers) {
      const [line, ...rest] = p.lines;
      assert.deepEqual(rest, []);
      if (line === "ERR busy handshake slots full, oldest evicted" || /^ERR busy 4 handshakes pending from 127\.0\.1\.\d+, oldest evicted$/.test(line)) evicted++;
      else if (line === "ERR hello-timeout no HELLO within 300 ms") timedOut++;
      else assert.fail("unexpected reply " + JSON.stringify(p.lines));
    }
    assert.equal(evicted + timedOut, total);
    // The pending budget is maxClients (8): a connection waits for its HELLO until handshakeMs unless 8 newer ones
    // (or 4 newer from its own address) arrive first; the last ones in always time out.
    assert.ok(timedOut >= 1 && evicted >= total / 2, JSON.stringify({ evicted, timedOut }));
    assert.ok(pendingPeak <= 8, "pending handshakes peaked at " + pendingPeak);
    assert.equal(arena.server.stats.evicted, evicted, JSON.stringify({ evicted, timedOut, stats: arena.server.stats }));
    assert.equal(arena.server.stats.accepted, total + 2);
    await arena.assertOnlyHonestSessions();
    // Still up: a new peer is served as usual.
    const after = await arena.online("after-storm");
    await after.write("PING 1\n");
    await after.waitLine(/^PONG 1$/);
    assert.equal(arena.server.sessions().length, 3);
    await arena.assertHonestUnharmed(since);
  });

  it("lets a new client in at its first attempt while an attacker keeps 8 silent connections open, reopening each as soon as it is closed", async () => {
    // The attack that locked every client out when silent connections counted against maxClients: 8 connections
    // that never say HELLO (from two addresses, so the per-address limit of 4 does not apply), each reopened the
    // moment the server closes it (hello-timeout or eviction). The pending budget is 8: a newcomer evicts the
    // oldest silent one and says HELLO long before 8 newer connections could make it the oldest.
    let attacking = true;
    let reopened = 0;
    const attackers = Array.from({ length: 8 }, async (_, slot) => {
      for (let round = 0; attacking && round < 500; round++) {
        const peer = await arena.connect({ from: "127.0.0." + (2 + (slot % 2)) });
        await peer.waitEnded(3000);
        reopened++;
      }
    });
    try {
      // The attack is in full swing: the silent connections have been cycled at least once and all 8 are back.
      const pending = () => arena.server.sessions().filter((s) => s.state === "handshaking").length;
      await until(() => arena.server.stats.helloTimeouts >= 8 && pending() === 8, "the silent connections cycled once and all reopened", 3000);
      const evictedBefore = arena.server.stats.evicted;
      const late = arena.lab.client({ id: "late", port: arena.port, token: "", logEvery: 10, backoffMaxMs: 400, echoMs: 0, ...fast }, "tcp.late");
      const startMs = performance.now();
      late.start();
      late.linkUp("127.0.0.1");
      await until(() => late.state === "online", "the new client online", 3000);
      const tookMs = performance.now() - startMs;
      assert.equal(late.stats.attempts, 1, "online at its first attempt");
      assert.ok(tookMs < 300, "online after " + Math.round(tookMs) + " ms, handshakeMs is 300");
      assert.ok(arena.server.stats.evicted > evictedBefore, "it got in by evicting the oldest silent connection");
      assert.equal(arena.lab.count(/W tcp\.late: server sent ERR/), 0);
      // It stays online while the attack goes on.
      await until(() => arena.server.stats.helloTimeouts >= 24, "two more rounds of the attack", 3000);
      assert.equal(late.state, "online");
      assert.equal(late.stats.handshakes, 1);
    } finally {
      attacking = false;
    }
    await Promise.all(attackers);
    assert.ok(reopened >= 16, "the attacker reopened " + reopened + " connections");
    await arena.assertOnlyHonestSessionsAnd(["late"]);
    await arena.assertHonestUnharmed(since);
  });
});

describe("a simulated server with room for many", function () {
  this.timeout(20000);

  it("times out 500 slow peers that never finish their HELLO, each after about handshakeMs", async () => {
    const lab = new RoleHarness();
    try {
      const server = lab.server({ id: "srv", maxClients: 1000, logEvery: 10, ...fast });
      server.start("127.0.0.1");
      const peers: RawPeer[] = [];
      const connecting: Promise<void>[] = [];
      const heldMs: number[] = [];
      lab.onClose(() => peers.forEach((p) => p.destroy()));
      for (let i = 0; i < 500; i++) {
        if (i > 0 && i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
        connecting.push(
          // From 250 addresses: one address may hold at most 4 pending handshakes.
          RawPeer.connect(server.port, { from: "127.0.2." + (1 + (i % 250)) }).then(async (p) => {
            peers.push(p);
            const fromMs = performance.now();
            await p.write("HELLO never-fin");
            await p.waitEnded(5000);
            heldMs.push(performance.now() - fromMs);
          }),
        );
      }
      await Promise.all(connecting);
      assert.ok(peers.every((p) => p.lines.length === 1 && p.lines[0] === "ERR hello-timeout no HELLO within 300 ms"));
      assert.equal(server.stats.helloTimeouts, 500);
      assert.deepEqual(server.sessions(), []);
      heldMs.sort((a, b) => a - b);
      assert.ok(heldMs[0] >= 200, "closed a peer after only " + Math.round(heldMs[0]) + " ms");
      assert.ok(heldMs[heldMs.length - 1] < 2000, "held a peer for " + Math.round(heldMs[heldMs.length - 1]) + " ms");
      assert.deepEqual(lab.aborts, []);
    } finally {
      lab.close();
    }
  });

  it("lets a peer without a token take over an online client's id when no token is set (the token is the defence)", async () => {
    const arena = new Arena();
    try {
      await arena.ready();
      const impostor = await arena.online("honest-quiet");
      await arena.lab.waitFor(/W tcp\.server: client reconnected, closing its old session .*client=honest-quiet .*newPeer=127\.0\.0\.1:\d+$/, 2000, 0);
      // The old session is told why before the FIN.
      await arena.lab.waitFor(/W tcp\.quiet: server sent ERR code=replaced text="client honest-quiet came online again on session \d+" state=online/, 2000, 0);
      await arena.lab.waitFor(/W tcp\.quiet: connection to the server ended \(FIN or RST received, or lwIP aborted it\)/, 2000, 0);
      assert.equal(impostor.ending, undefined);
    } finally {
      arena.close();
    }
  });
});

describe("a simulated server with a token", function () {
  this.timeout(10000);
  let arena: Arena;
  let since: HonestMark;

  beforeEach(async () => {
    arena = new Arena("s3cret");
    since = await arena.ready();
  });
  afterEach(() => arena.close());

  it("refuses a wrong or missing token with ERR auth and closes the connection", async () => {
    const wrong = await arena.connect();
    const missing = await arena.connect();
    await wrong.write("HELLO evil token=guess\n");
    await missing.write("HELLO evil\n");
    assert.equal(await wrong.waitEnded(), "fin");
    assert.equal(await missing.waitEnded(), "fin");
    assert.deepEqual(wrong.lines, ["ERR auth wrong token"]);
    assert.deepEqual(missing.lines, ["ERR auth token required"]);
    assert.equal(arena.server.stats.refusedAuth, 2);
    assert.equal(arena.lab.count(/W tcp\.server: sending ERR .*client=evil .*code=auth /), 2);
    await arena.assertOnlyHonestSessions();
    await arena.assertHonestUnharmed(since);
  });

  it("does not let a wrong-token HELLO replace an honest client's session", async () => {
    const spoof = await arena.connect();
    await spoof.write("HELLO honest-echo token=guess\n");
    assert.equal(await spoof.waitEnded(), "fin");
    assert.deepEqual(spoof.lines, ["ERR auth wrong token"]);
    await arena.assertOnlyHonestSessions();
    await arena.assertHonestUnharmed(since);
  });
});

/** An honest peer on another board (a child process): HELLO, a PING every 100 ms, PONG to the server's PINGs. */
const otherBoard = `
const net = require("node:net");
const socket = net.connect({ host: "127.0.0.1", port: Number(process.argv[1]) }, () => socket.write("HELLO other-board\\n"));
let seq = 0;
let buffer = "";
socket.on("data", (data) => {
  buffer += data;
  for (let at = buffer.indexOf("\\n"); at >= 0; at = buffer.indexOf("\\n")) {
    const line = buffer.slice(0, at);
    buffer = buffer.slice(at + 1);
    process.stdout.write(line + "\\n");
    const ping = /^PING (\\d+)$/.exec(line);
    if (ping) socket.write("PONG " + ping[1] + "\\n");
  }
});
setInterval(() => socket.write("PING " + seq++ + "\\n"), 100);
socket.on("close", () => process.exit(0));
socket.on("error", () => process.exit(1));
`;

describe("a simulated server whose board stalls", function () {
  this.timeout(10000);

  it("reads what its clients sent during a stall longer than timeoutMs before judging them", async () => {
    const lab = new RoleHarness();
    try {
      const server = lab.server({ id: "srv", logEvery: 10, ...fast });
      server.start("127.0.0.1");
      const board = spawn(process.execPath, ["-e", otherBoard, String(server.port)], { stdio: ["ignore", "pipe", "inherit"] });
      lab.onClose(() => board.kill("SIGKILL"));
      let out = "";
      board.stdout.on("data", (d: Buffer) => (out += d.toString()));
      const pongs = () => out.split("\n").filter((l) => l.startsWith("PONG ")).length;
      await until(() => out.startsWith("WELCOME ") && pongs() >= 2, "the other board online and heartbeating", 5000);
      const session = server.sessions()[0];
      const stallUntil = performance.now() + 700; // 100 ms past timeoutMs; the other board keeps sending
      while (performance.now() < stallUntil) {
        // a busy board (a burst of work, a flash write): its timers and its input both wait
      }
      const after = pongs();
      await until(() => pongs() >= after + 5, "heartbeats answered after the stall", 3000);
      await lab.waitFor(/W tcp\.server: check ran late \(board busy\), verdicts wait a round sinceMs=\d+ everyMs=50/, 1000, 0);
      assert.equal(server.stats.silentClosed, 0, lab.lines.filter((l) => / W /.test(l)).join("\n"));
      assert.deepEqual(server.sessions(), [session]);
      assert.deepEqual(lab.aborts, []);
    } finally {
      lab.close();
    }
  });
});
