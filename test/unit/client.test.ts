import { strict as assert } from "node:assert";
import { Client, type ClientOptions } from "linklab/client";
import { captureLog, FakeClock, FakeNet, type FakeTCP } from "../support/fakes.ts";

const base: ClientOptions = {
  id: "c1",
  server: "127.0.0.1",
  port: 8420,
  token: "",
  maxLine: 256,
  handshakeMs: 2000,
  heartbeatMs: 1000,
  timeoutMs: 3000,
  echoMs: 0,
  outboxMax: 4,
  mode: "persistent",
  backoffBaseMs: 500,
  backoffMaxMs: 30000,
  connectTimeoutMs: 3000,
  tcpKeepaliveS: 0,
  logEvery: 1,
};

function setup(overrides: Partial<ClientOptions> = {}, random = () => 0) {
  const fc = new FakeClock();
  const net = new FakeNet();
  const { log, lines } = captureLog(fc.clock);
  const client = new Client({ ...base, ...overrides }, { TCP: net.TCP, timers: fc.timers, clock: fc.clock, log: log.tag("tcp.client"), random });
  const states: string[] = [];
  const has = (pattern: RegExp) => lines.some((l) => pattern.test(l));
  return { fc, net, client, lines, has, states };
}

const WELCOME = "WELCOME s1 session=1 heartbeatMs=1000 timeoutMs=3000\n";

/** Start with the link up and drive the fake socket through connect and WELCOME. */
function online(h: ReturnType<typeof setup>, welcome = WELCOME): FakeTCP {
  if (h.client.state === "idle") {
    h.client.start();
    h.client.linkUp("127.0.0.2");
  }
  const s = h.net.last();
  s.connect();
  s.receive(welcome);
  assert.equal(h.client.state, "online");
  return s;
}

describe("linklab/client state machine", () => {
  it("stays idle until the link is up, then connects (idle -> connecting)", () => {
    const h = setup();
    h.client.start();
    assert.equal(h.client.state, "idle");
    assert.equal(h.net.sockets.length, 0);
    h.client.linkUp("127.0.0.2");
    assert.equal(h.client.state, "connecting");
    assert.deepEqual([h.net.last().remoteAddress, h.net.last().remotePort], ["127.0.0.1", 8420]);
    assert.ok(h.has(/I tcp.client: state idle->connecting reason=link-up/));
    assert.ok(h.has(/connecting \(SYN sent\) server=127.0.0.1:8420/));
  });

  it("waits for a beacon with server=auto (idle -> discovering -> connecting)", () => {
    const h = setup({ server: "auto" });
    h.client.start();
    h.client.linkUp("127.0.0.2");
    assert.equal(h.client.state, "discovering");
    assert.equal(h.net.sockets.length, 0);
    h.client.offerServer("s1", "127.0.0.7", 9000);
    assert.equal(h.client.state, "connecting");
    assert.deepEqual([h.net.last().remoteAddress, h.net.last().remotePort], ["127.0.0.7", 9000]);
  });

  it("follows the first server it heard and ignores beacons of other servers", () => {
    const h = setup({ server: "auto" });
    h.client.start();
    h.client.linkUp("127.0.0.2");
    h.client.offerServer("s1", "127.0.0.7", 9000);
    h.client.offerServer("s2", "127.0.0.8", 9000);
    assert.equal(h.client.server, "127.0.0.7:9000");
    h.client.offerServer("s1", "127.0.0.9", 9000);
    assert.equal(h.client.server, "127.0.0.9:9000");
  });

  it("sends HELLO once TCP is connected (connecting -> handshaking)", () => {
    const h = setup({ token: "t0k" });
    h.client.start();
    h.client.linkUp("127.0.0.2");
    const s = h.net.last();
    assert.equal(s.written, "", "nothing written before the handshake completes");
    s.connect();
    assert.equal(h.client.state, "handshaking");
    assert.deepEqual(s.lines(), ["HELLO c1 token=t0k"]);
    assert.ok(h.has(/connected \(SYN\/ACK received, ACK sent\)/));
  });

  it("goes online on WELCOME and adopts the server's timings (handshaking -> online)", () => {
    const h = setup();
    online(h, "WELCOME s1 session=9 heartbeatMs=400 timeoutMs=1200\n");
    assert.deepEqual(h.client.timing, { heartbeatMs: 400, timeoutMs: 1200 });
    assert.equal(h.client.stats.handshakes, 1);
    assert.ok(h.has(/state handshaking->online reason=welcome server=s1 session=9/));
    assert.ok(h.has(/adopting server timings heartbeatMs=400 timeoutMs=1200/));
  });

  it("keeps its own timings when WELCOME offers unusable ones", () => {
    const h = setup();
    online(h, "WELCOME s1 session=9 heartbeatMs=3000 timeoutMs=1000\n");
    assert.deepEqual(h.client.timing, { heartbeatMs: 1000, timeoutMs: 3000 });
  });

  it("backs off after a refused connect and tries again after the delay (connecting -> waiting -> connecting)", () => {
    const h = setup({}, () => 0.5);
    h.client.start();
    h.client.linkUp("127.0.0.2");
    h.net.last().refuse();
    assert.equal(h.client.state, "waiting");
    assert.ok(h.has(/connect failed \(refused or unreachable/));
    assert.ok(h.has(/backoff delay chosen delayMs=750 attempt=1 capMs=1000/));
    h.fc.advance(749);
    assert.equal(h.net.sockets.length, 1);
    h.fc.advance(1);
    assert.equal(h.client.state, "connecting");
    assert.equal(h.net.sockets.length, 2);
  });

  it("grows the backoff cap after each failure", () => {
    const h = setup({}, () => 0.999999);
    h.client.start();
    h.client.linkUp("127.0.0.2");
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      h.net.last().refuse();
      const line = h.lines.filter((l) => l.includes("backoff delay chosen")).at(-1)!;
      delays.push(Number(/delayMs=(\d+)/.exec(line)![1]));
      h.fc.advance(delays[i]);
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000]);
  });

  it("abandons a connect that does not complete within connectTimeoutMs", () => {
    const h = setup({ connectTimeoutMs: 1000 });
    h.client.start();
    h.client.linkUp("127.0.0.2");
    const s = h.net.last();
    h.fc.advance(999);
    assert.equal(h.client.state, "connecting");
    h.fc.advance(300);
    assert.equal(h.client.state, "waiting");
    assert.ok(s.closed, "the abandoned socket is closed");
    assert.ok(h.has(/connect timed out, abandoning attempt/));
    s.connect();
    assert.equal(h.client.state, "waiting", "a late SYN/ACK on the abandoned socket is ignored");
  });

  it("gives up on a server that never sends WELCOME (handshaking -> lost -> waiting)", () => {
    const h = setup({ handshakeMs: 2000 });
    h.client.start();
    h.client.linkUp("127.0.0.2");
    h.net.last().connect();
    h.fc.advance(2300);
    assert.equal(h.client.state, "waiting");
    assert.ok(h.has(/no WELCOME in time/));
    assert.ok(h.has(/state handshaking->lost reason=handshake-timeout/));
  });

  it("backs off when the server refuses with ERR busy (handshaking -> waiting)", () => {
    const h = setup();
    h.client.start();
    h.client.linkUp("127.0.0.2");
    const s = h.net.last();
    s.connect();
    s.receive("ERR busy server has 8 sessions\n");
    assert.equal(h.client.state, "waiting");
    assert.ok(s.closed);
    assert.ok(h.has(/server sent ERR code=busy/));
    assert.ok(h.has(/reason=refused-busy/));
  });

  it("sends PING after heartbeatMs of silence and stays online while PONGs come back", () => {
    const h = setup();
    const s = online(h);
    h.fc.advance(999);
    assert.deepEqual(s.lines(), ["HELLO c1"]);
    h.fc.advance(300);
    assert.deepEqual(s.lines(), ["HELLO c1", "PING 0"]);
    h.fc.advance(10);
    s.receive("PONG 0\n");
    assert.ok(h.has(/heartbeat: PONG received, server alive seq=0 rttMs=\d+/));
    for (let i = 0; i < 10; i++) {
      h.fc.advance(1250);
      const last = s.lines().at(-1)!;
      s.receive(last.replace("PING", "PONG") + "\n");
    }
    assert.equal(h.client.state, "online");
    assert.ok(h.client.stats.pingsSent >= 9);
  });

  it("declares the link lost after timeoutMs of silence, within one check interval, logging silentMs", () => {
    const h = setup();
    const s = online(h);
    h.fc.advance(2999);
    assert.equal(h.client.state, "online");
    h.fc.advance(250);
    assert.equal(h.client.state, "waiting");
    assert.ok(s.closed);
    const line = h.lines.find((l) => l.includes("server silent, link lost"))!;
    const silentMs = Number(/silentMs=(\d+)/.exec(line)![1]);
    assert.ok(silentMs >= 3000 && silentMs <= 3250, line);
    assert.ok(h.has(/state online->lost reason=silent/));
    assert.equal(h.client.stats.lost, 1);
  });

  it("does not declare the server lost on a check that ran late because the board stalled", () => {
    const h = setup();
    const s = online(h);
    h.fc.advance(500);
    h.fc.nowMs += 4000; // the board was busy for 4 s: no timer ran, the server's PONG waits unread
    assert.ok(h.fc.fireNext(), "the late check runs first, as on Moddable's main loop");
    assert.equal(h.client.state, "online");
    assert.ok(h.has(/W tcp.client: check ran late \(board busy\), verdicts wait a round sinceMs=\d+ everyMs=\d+/));
    s.receive("PONG 0\n"); // then the input that arrived during the stall is read
    h.fc.advance(300);
    assert.equal(h.client.state, "online");
    assert.equal(h.client.stats.lost, 0);
  });

  it("still declares a silent server lost one round after a late check", () => {
    const h = setup();
    online(h);
    h.fc.nowMs += 4000;
    h.fc.fireNext();
    assert.equal(h.client.state, "online");
    h.fc.advance(300);
    assert.equal(h.client.state, "waiting");
    assert.ok(h.has(/server silent, link lost/));
  });

  it("counts any byte from the server as life, not only PONG", () => {
    const h = setup();
    const s = online(h);
    for (let i = 0; i < 10; i++) {
      h.fc.advance(900);
      s.receive("PUSH " + i + " t=1\n");
    }
    assert.equal(h.client.state, "online");
  });

  it("treats the server's FIN as a lost link and reconnects after backoff", () => {
    const h = setup();
    const s = online(h);
    s.peerClose();
    assert.equal(h.client.state, "waiting");
    assert.ok(h.has(/connection to the server ended \(FIN or RST received, or lwIP aborted it\)/));
    h.fc.advance(1000);
    assert.equal(h.client.state, "connecting");
    assert.equal(h.net.sockets.length, 2);
  });

  it("resets the backoff once online", () => {
    const h = setup({}, () => 0.999999);
    h.client.start();
    h.client.linkUp("127.0.0.2");
    h.net.last().refuse();
    h.fc.advance(1000);
    h.net.last().refuse();
    h.fc.advance(2000);
    online(h);
    h.net.last().peerClose();
    assert.ok(h.lines.at(-1)!.includes("delayMs=1000 attempt=1"), h.lines.at(-1));
  });

  it("answers a server PING with PONG", () => {
    const h = setup();
    const s = online(h);
    s.receive("PING 41\n");
    assert.equal(s.lines().at(-1), "PONG 41");
  });

  it("pauses when the link goes down and connects at once when it returns (online -> paused -> connecting)", () => {
    const h = setup();
    const s = online(h);
    h.client.linkDown("wifi-disconnect");
    assert.equal(h.client.state, "paused");
    assert.ok(s.closed);
    h.fc.advance(60000);
    assert.equal(h.net.sockets.length, 1, "no attempts while the link is down");
    h.client.linkUp("127.0.0.3");
    assert.equal(h.client.state, "connecting");
    assert.equal(h.net.sockets.length, 2);
  });

  it("skips the rest of the backoff when the link comes back (waiting -> connecting at once)", () => {
    const h = setup({ backoffBaseMs: 10000, backoffMaxMs: 60000, connectTimeoutMs: 30000 });
    h.client.start();
    h.client.linkUp("127.0.0.2");
    h.net.last().refuse();
    assert.equal(h.client.state, "waiting");
    h.client.linkDown("lost-ip");
    h.client.linkUp("127.0.0.5");
    assert.equal(h.client.state, "connecting");
    assert.equal(h.net.sockets.length, 2);
    h.fc.advance(20000);
    assert.equal(h.net.sockets.length, 2, "the old backoff timer does not fire a second attempt");
  });

  it("answers a server BYE with BYE, closes and backs off", () => {
    const h = setup();
    const s = online(h);
    s.receive("BYE shutting down\n");
    assert.equal(s.lines().at(-1), "BYE");
    assert.ok(s.closed);
    assert.equal(h.client.state, "waiting");
  });

  it("ignores every event of a socket it has replaced", () => {
    const h = setup();
    const old = online(h);
    old.peerClose();
    h.fc.advance(1000);
    const fresh = h.net.last();
    assert.notEqual(fresh, old);
    old.receive(WELCOME);
    old.peerClose();
    old.connect();
    assert.equal(h.client.state, "connecting");
  });

  it("closes idempotently and stays silent afterwards", () => {
    const h = setup({ echoMs: 100 });
    const s = online(h);
    h.client.close();
    h.client.close();
    assert.equal(h.client.state, "closed");
    assert.equal(s.lines().at(-1), "BYE closing");
    assert.ok(s.closed);
    const count = h.lines.length;
    h.fc.advance(10000);
    s.receive("PING 1\n");
    h.client.linkUp("127.0.0.2");
    assert.equal(h.lines.length, count, "nothing logged after close");
    assert.equal(h.fc.pendingTimers, 0, "no timer left behind");
  });
});

describe("linklab/client host names", () => {
  function named(answer: (host: string, cb: (address: string | undefined) => void) => void) {
    const fc = new FakeClock();
    const net = new FakeNet();
    const { log, lines } = captureLog(fc.clock);
    const client = new Client({ ...base, server: "lab-server.local" }, { TCP: net.TCP, timers: fc.timers, clock: fc.clock, log: log.tag("tcp.client"), random: () => 0, resolve: answer });
    client.start();
    client.linkUp("127.0.0.2");
    return { fc, net, client, lines };
  }

  it("looks the host name up before connecting (resolving -> connecting)", () => {
    let reply: ((a: string | undefined) => void) | undefined;
    const h = named((_host, cb) => (reply = cb));
    assert.equal(h.client.state, "resolving");
    assert.equal(h.net.sockets.length, 0);
    reply!("127.0.0.44");
    assert.equal(h.client.state, "connecting");
    assert.equal(h.net.last().remoteAddress, "127.0.0.44");
    assert.ok(h.lines.some((l) => /host name resolved \(DNS\) host=lab-server.local ip=127.0.0.44/.test(l)));
  });

  it("backs off when the lookup fails or never answers (resolving -> waiting)", () => {
    const failed = named((_host, cb) => cb(undefined));
    assert.equal(failed.client.state, "waiting");
    const silent = named(() => {});
    silent.fc.advance(3300);
    assert.equal(silent.client.state, "waiting");
    assert.ok(silent.lines.some((l) => l.includes("host name lookup timed out (DNS)")));
  });

  it("ignores an answer that arrives after the link went down", () => {
    let reply: ((a: string | undefined) => void) | undefined;
    const h = named((_host, cb) => (reply = cb));
    h.client.linkDown("wifi-disconnect");
    reply!("127.0.0.44");
    assert.equal(h.client.state, "paused");
    assert.equal(h.net.sockets.length, 0);
  });
});

describe("linklab/client traffic", () => {
  it("sends ECHO every echoMs with increasing sequence numbers and logs the round trip", () => {
    const h = setup({ echoMs: 500 });
    const s = online(h);
    h.fc.advance(500);
    h.fc.advance(500);
    assert.deepEqual(s.lines().slice(1), ["ECHO 0 from=c1 n=1", "ECHO 1 from=c1 n=2"]);
    h.fc.advance(7);
    s.receive("ECHO 0 from=c1 n=1\nECHO 1 from=c1 n=2\n");
    assert.equal(h.client.stats.echoOk, 2);
    assert.equal(h.client.stats.lastRttMs, 7);
    assert.ok(h.has(/echo reply seq=1 rttMs=7/));
  });

  it("reports a gap when a reply overtakes missing ones, and counts them lost", () => {
    const h = setup();
    const s = online(h);
    for (let i = 0; i < 4; i++) h.client.send("m" + i);
    s.receive("ECHO 0 m0\nECHO 3 m3\n");
    assert.equal(h.client.stats.echoLost, 2);
    assert.ok(h.has(/echo gap, replies missing before=3 missing=2/));
    assert.equal(h.client.inflight, 0);
  });

  it("reports a duplicate reply", () => {
    const h = setup();
    const s = online(h);
    h.client.send("a");
    s.receive("ECHO 0 a\nECHO 0 a\n");
    assert.equal(h.client.stats.echoDuplicate, 1);
    assert.ok(h.has(/W tcp.client: echo duplicate seq=0/));
  });

  it("counts unanswered ECHOs as lost when the connection dies", () => {
    const h = setup();
    const s = online(h);
    h.client.send("a");
    h.client.send("b");
    s.peerClose();
    assert.equal(h.client.stats.echoLost, 2);
    assert.ok(h.has(/echo replies lost with the connection count=2/));
  });

  it("keeps messages made offline in the outbox and sends them in order after reconnect", () => {
    const h = setup({ outboxMax: 4 });
    const s = online(h);
    s.peerClose();
    h.client.send("one");
    h.client.send("two");
    h.client.send("three");
    assert.equal(h.client.outboxLength, 3);
    h.fc.advance(1000);
    const fresh = online(h);
    assert.deepEqual(fresh.lines(), ["HELLO c1", "ECHO 0 one", "ECHO 1 two", "ECHO 2 three"]);
    assert.equal(h.client.outboxLength, 0);
  });

  it("counts and logs outbox overflow instead of dropping silently", () => {
    const h = setup({ outboxMax: 2 });
    h.client.start();
    assert.equal(h.client.send("a"), true);
    assert.equal(h.client.send("b"), true);
    assert.equal(h.client.send("c"), false);
    assert.equal(h.client.send("d"), false);
    assert.equal(h.client.stats.outboxDropped, 2);
    assert.ok(h.has(/W tcp.client: outbox full, message dropped outboxMax=2 dropped=1/));
  });

  it("queues lines while the socket would block and writes them when it drains", () => {
    const h = setup();
    const s = online(h);
    s.writable = 10;
    h.client.send("a long message that will not fit");
    assert.equal(s.lines().length, 1);
    s.drain(4096);
    assert.equal(s.lines().at(-1), "ECHO 0 a long message that will not fit");
  });

  it("asks for TCP keep-alive when tcpKeepaliveS is set, and says so once", () => {
    const h = setup({ tcpKeepaliveS: 5 });
    h.client.start();
    h.client.linkUp("127.0.0.2");
    assert.deepEqual(h.net.last().options.keepalive, { enable: true, idle: 5000, interval: 5000, count: 3 });
    h.net.last().refuse();
    h.fc.advance(1000);
    assert.equal(h.lines.filter((l) => l.includes("asking for TCP keep-alive")).length, 1);
    const plain = setup();
    plain.client.start();
    plain.client.linkUp("127.0.0.2");
    assert.equal(plain.net.last().options.keepalive, undefined);
  });

  it("checks PUSH sequence numbers for gaps", () => {
    const h = setup();
    const s = online(h);
    s.receive("PUSH 0 t=1\nPUSH 1 t=2\nPUSH 3 t=4\n");
    assert.equal(h.client.stats.pushes, 3);
    assert.equal(h.client.stats.pushGaps, 1);
    assert.ok(h.has(/push sequence gap expected=2 got=3/));
  });
});

describe("linklab/client mode=short", () => {
  it("performs connect, HELLO, one ECHO, BYE for each message and rests idle in between", () => {
    const h = setup({ mode: "short" });
    h.client.start();
    h.client.linkUp("127.0.0.2");
    assert.equal(h.client.state, "idle", "nothing to send, no connection");
    h.client.send("first");
    h.client.send("second");
    assert.equal(h.client.state, "connecting");
    for (const [i, text] of ["first", "second"].entries()) {
      const s = h.net.last();
      s.connect();
      s.receive(WELCOME);
      assert.deepEqual(s.lines(), ["HELLO c1", `ECHO ${i} ${text}`]);
      s.receive(`ECHO ${i} ${text}\n`);
      assert.equal(h.client.state, "closing");
      assert.equal(s.lines().at(-1), "BYE");
      s.receive("BYE\n");
      assert.ok(s.closed);
    }
    assert.equal(h.client.state, "idle");
    assert.equal(h.net.sockets.length, 2);
    assert.equal(h.client.stats.handshakes, 2);
    assert.equal(h.client.stats.echoOk, 2);
  });

  it("finishes closing when the server sends FIN instead of BYE (closing -> idle)", () => {
    const h = setup({ mode: "short" });
    h.client.start();
    h.client.linkUp("127.0.0.2");
    h.client.send("x");
    const s = h.net.last();
    s.connect();
    s.receive(WELCOME);
    s.receive("ECHO 0 x\n");
    s.peerClose();
    assert.equal(h.client.state, "idle");
    assert.ok(h.has(/server closed \(FIN received\)/));
  });

  it("closes anyway when the server never answers BYE", () => {
    const h = setup({ mode: "short" });
    h.client.start();
    h.client.linkUp("127.0.0.2");
    h.client.send("x");
    const s = h.net.last();
    s.connect();
    s.receive(WELCOME);
    s.receive("ECHO 0 x\n");
    h.fc.advance(3300);
    assert.equal(h.client.state, "idle");
    assert.ok(s.closed);
    assert.ok(h.has(/no BYE from server in time/));
  });
});
