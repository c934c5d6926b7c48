// The server and client roles on real loopback sockets through the host runtime (one process, port 0).
import { strict as assert } from "node:assert";
import { gates } from "../../host-sim/runtime/gate.ts";
import { checkIntervalMs } from "linklab/heartbeat";
import { TestHarness } from "./harness.ts";

/** Power cut on the server: its side of every connection goes silent (no FIN, no RST), as in the lab's power-off. */
function powerOff(port: number): number {
  let held = 0;
  for (const gate of gates) {
    if (gate.socket.localPort === port) {
      gate.hold("power-off");
      held++;
    }
  }
  return held;
}

/** The harness's roles run heartbeatMs=100, timeoutMs=300: their periodic check comes every 25 ms (checkIntervalMs). */
const TIMEOUT_MS = 300;
const CHECK_MS = checkIntervalMs(100, TIMEOUT_MS);

/**
 * The bound on a silence verdict that holds however loaded the machine is: the check before it found the peer
 * within timeoutMs and came at most two periods earlier (a later one is logged "check ran late" and judges nothing),
 * so the silence it reports is under timeoutMs + 2 periods. Wall-clock time is never asserted here.
 */
function assertSilenceVerdict(lab: TestHarness, line: string, tag: string): void {
  const silentMs = Number(/silentMs=(\d+)/.exec(line)![1]);
  assert.ok(silentMs >= TIMEOUT_MS, line);
  const stalled = lab.lines.some((l) => l.includes(`${tag}: check ran late`));
  if (!stalled) assert.ok(silentMs < TIMEOUT_MS + 2 * CHECK_MS, line);
}

/** A server on 127.0.0.1 (port 0) with clients c1 and c2 online to it. */
async function serverAndTwoClients(lab: TestHarness) {
  const server = lab.server();
  server.start("127.0.0.1");
  const port = server.port;
  const c1 = lab.client({ id: "c1", port }, "tcp.c1");
  const c2 = lab.client({ id: "c2", port }, "tcp.c2");
  for (const c of [c1, c2]) {
    c.start();
    c.linkUp("127.0.0.1");
  }
  await lab.waitFor(/tcp\.c1: state handshaking->online/, 2000, 0);
  await lab.waitFor(/tcp\.c2: state handshaking->online/, 2000, 0);
  return { server, port, c1, c2 };
}

describe("linklab roles on loopback sockets", function () {
  let lab: TestHarness;
  beforeEach(() => {
    lab = new TestHarness();
  });
  afterEach(() => {
    lab.close();
    assert.deepEqual(lab.aborts, [], "no callback threw (XS would abort)");
  });

  it("brings a server and two clients online and keeps them online through many heartbeats", async () => {
    const { server, c1, c2 } = await serverAndTwoClients(lab);
    const from = lab.lines.length;
    // Ten timeouts' worth of heartbeats: c1's 10th PONG after this point.
    for (let i = 0; i < 10; i++) await lab.waitFor(/tcp\.c1: heartbeat: PONG received/, 2000);
    assert.equal(c1.state, "online");
    assert.equal(c2.state, "online");
    assert.equal(server.onlineCount(), 2);
    assert.equal(lab.lines.slice(from).filter((l) => /->lost|peer silent|link lost/.test(l)).length, 0);
  });

  it("learns of a closed server from its FIN, not a timeout, and comes back online when it returns", async () => {
    const { server: first, port } = await serverAndTwoClients(lab);
    first.close();
    // The FIN ends the connection at once: the reason is connection-ended, never the silence verdict.
    await lab.waitFor(/tcp\.c1: state online->lost reason=connection-ended/, 2000);
    await lab.waitFor(/tcp\.c2: state online->lost reason=connection-ended/, 2000, 0);
    assert.equal(lab.count(/server silent, link lost/), 0);
    const from = lab.lines.length;
    const second = lab.server({ port }, "tcp.server2");
    second.start("127.0.0.1");
    assert.equal(second.state, "listening");
    await lab.waitFor(/tcp\.c1: state handshaking->online/, 3000, from);
    await lab.waitFor(/tcp\.c2: state handshaking->online/, 3000, from);
    assert.equal(second.onlineCount(), 2);
  });

  it("detects a powered-off server (silence, no FIN) by its silence verdict, and rejoins its successor", async () => {
    const { server: first, port } = await serverAndTwoClients(lab);
    assert.equal(powerOff(port), 2);
    first.close(); // its FINs stay behind the held gates
    for (const tag of ["c1", "c2"]) {
      const line = await lab.waitFor(new RegExp(`tcp\\.${tag}: server silent, link lost`), 3000, 0);
      assertSilenceVerdict(lab, line, `tcp.${tag}`);
      await lab.waitFor(new RegExp(`tcp\\.${tag}: state online->lost reason=silent`), 1000, 0);
    }
    const from = lab.lines.length;
    const second = lab.server({ port }, "tcp.server2");
    second.start("127.0.0.1");
    await lab.waitFor(/tcp\.c1: state handshaking->online/, 3000, from);
    await lab.waitFor(/tcp\.c2: state handshaking->online/, 3000, from);
  });

  it("evicts a silent raw client after timeoutMs and logs how long it was silent", async () => {
    const server = lab.server();
    server.start("127.0.0.1");
    const peer = await lab.raw(server.port);
    assert.match(await peer.say("HELLO mute"), /^WELCOME s1 session=\d+ heartbeatMs=100 timeoutMs=300$/);
    await peer.waitEnded(2000);
    const line = await lab.waitFor(/peer silent, closing/, 100, 0);
    assertSilenceVerdict(lab, line, "tcp.server");
    assert.ok(peer.lines.some((l) => l.startsWith("PING")), "the server probed before giving up");
    assert.equal(server.sessions().length, 0);
  });

  it("refuses a client beyond maxClients with ERR busy", async () => {
    const server = lab.server({ maxClients: 1 });
    server.start("127.0.0.1");
    const c1 = lab.client({ id: "c1", port: server.port });
    c1.start();
    c1.linkUp("127.0.0.1");
    await lab.waitFor(/state handshaking->online/, 2000, 0);
    const extra = await lab.raw(server.port);
    assert.match(await extra.line(0), /^ERR busy /);
    await extra.waitEnded();
    assert.equal(c1.state, "online");
  });

  it("answers bad lines with ERR and leaves other clients undisturbed", async () => {
    const server = lab.server();
    server.start("127.0.0.1");
    const good = lab.client({ id: "good", port: server.port, echoMs: 20 }, "tcp.good");
    good.start();
    good.linkUp("127.0.0.1");
    await lab.waitFor(/tcp\.good: state handshaking->online/, 2000, 0);
    const bad = await lab.raw(server.port);
    assert.match(await bad.say("HELLO rude"), /^WELCOME /);
    assert.match(await bad.say("x".repeat(5000)), /^ERR too-long /);
    assert.match(await bad.say("GET / HTTP/1.1"), /^ERR unknown /);
    const index = bad.lines.length;
    bad.send(Uint8Array.from([0x45, 0x43, 0x48, 0x4f, 0x20, 0x31, 0x20, 0xff, 0x00, 0x0a]));
    assert.match(await bad.line(index), /^ERR bad-bytes /);
    assert.match(await bad.say("PING 9"), /^PONG 9$/, "the rude session still works");
    const okBefore = good.stats.echoOk;
    await lab.waitFor(/tcp\.good: echo reply/, 1000);
    assert.ok(good.stats.echoOk > okBefore);
    assert.equal(good.state, "online");
    assert.equal(good.stats.echoLost, 0);
    assert.equal(lab.count(/tcp\.good: .*(->lost|link lost)/), 0);
  });

  it("performs one handshake per message with mode=short", async () => {
    const server = lab.server();
    server.start("127.0.0.1");
    const c = lab.client({ id: "shorty", port: server.port, mode: "short" });
    c.start();
    c.linkUp("127.0.0.1");
    for (let i = 0; i < 3; i++) c.send("message " + i);
    for (let i = 0; i < 3; i++) await lab.waitFor(new RegExp(`echo reply seq=${i} `), 3000, 0);
    await lab.waitFor(/state closing->idle/, 2000, lab.lines.length - 3);
    assert.equal(c.stats.handshakes, 3);
    assert.equal(server.stats.handshakes, 3);
    assert.equal(c.stats.echoOk, 3);
    assert.equal(lab.count(/connecting \(SYN sent\)/), 3);
    assert.equal(c.state, "idle");
  });

  it("keeps messages made while the server is away and delivers them in order when it returns", async () => {
    const first = lab.server();
    first.start("127.0.0.1");
    const port = first.port;
    const c = lab.client({ id: "c1", port });
    c.start();
    c.linkUp("127.0.0.1");
    await lab.waitFor(/state handshaking->online/, 2000, 0);
    first.close();
    await lab.waitFor(/state online->lost/, 1000, 0);
    for (let i = 0; i < 3; i++) c.send("queued " + i);
    const second = lab.server({ port }, "tcp.server2");
    second.start("127.0.0.1");
    for (let i = 0; i < 3; i++) await lab.waitFor(new RegExp(`echo reply seq=${i} .*text="queued ${i}"`), 3000, 0);
    assert.equal(c.stats.echoLost, 0);
    assert.equal(c.stats.outboxDropped, 0);
  });
});
