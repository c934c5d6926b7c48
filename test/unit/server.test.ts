import { strict as assert } from "node:assert";
import { Server, type ServerOptions } from "linklab/server";
import { captureLog, FakeClock, FakeNet, type FakeTCP } from "../support/fakes.ts";

const base: ServerOptions = { id: "s1", port: 8420, token: "", maxClients: 2, maxLine: 64, handshakeMs: 2000, heartbeatMs: 1000, timeoutMs: 3000, pushMs: 0, logEvery: 1 };

function setup(overrides: Partial<ServerOptions> = {}) {
  const fc = new FakeClock();
  const net = new FakeNet();
  const { log, lines } = captureLog(fc.clock);
  const server = new Server({ ...base, ...overrides }, { Listener: net.Listener, TCP: net.TCP, timers: fc.timers, clock: fc.clock, log: log.tag("tcp.server") });
  server.start("127.0.0.1");
  const listener = net.listeners[0];
  const connect = (port?: number): FakeTCP => {
    const s = listener.connect("127.0.0.9", port);
    assert.ok(s, "server adopted the socket");
    return s;
  };
  const hello = (id: string, extra = ""): FakeTCP => {
    const s = connect();
    s.receive(`HELLO ${id}${extra}\n`);
    return s;
  };
  const has = (pattern: RegExp) => lines.some((l) => pattern.test(l));
  return { fc, net, server, lines, listener, connect, hello, has };
}

describe("linklab/server", () => {
  it("listens on the port and logs it (stopped -> listening)", () => {
    const h = setup();
    assert.equal(h.server.state, "listening");
    assert.equal(h.server.port, 8420);
    assert.ok(h.has(/I tcp.server: state stopped->listening reason=start local=127.0.0.1:8420/));
  });

  it("logs each accepted connection with its 5-tuple", () => {
    const h = setup();
    h.connect(50123);
    assert.ok(h.has(/connection accepted \(SYN, SYN\/ACK, ACK done\) session=1 proto=tcp local=127.0.0.1:8420 peer=127.0.0.9:50123/));
  });

  it("answers HELLO with WELCOME carrying the session number and timings", () => {
    const h = setup();
    const s = h.hello("c1");
    assert.deepEqual(s.lines(), ["WELCOME s1 session=1 heartbeatMs=1000 timeoutMs=3000"]);
    assert.deepEqual(h.server.sessions().map((x) => [x.clientId, x.state]), [["c1", "online"]]);
    assert.ok(h.has(/session state handshaking->online reason=hello/));
  });

  it("sends ERR hello-timeout and closes a connection without HELLO after handshakeMs", () => {
    const h = setup();
    const s = h.connect();
    h.fc.advance(1999);
    assert.equal(s.closed, false);
    h.fc.advance(300);
    assert.ok(s.closed);
    assert.match(s.lines()[0], /^ERR hello-timeout /);
    assert.equal(h.server.sessions().length, 0);
  });

  it("answers anything but HELLO before the handshake with ERR not-ready and keeps waiting", () => {
    const h = setup();
    const s = h.connect();
    s.receive("PING 1\n");
    assert.match(s.lines()[0], /^ERR not-ready /);
    s.receive("HELLO c1\n");
    assert.match(s.lines()[1], /^WELCOME /);
  });

  it("refuses a connection beyond maxClients with ERR busy, keeping the others", () => {
    const h = setup({ maxClients: 2 });
    const a = h.hello("a");
    const b = h.hello("b");
    const c = h.connect();
    assert.match(c.lines()[0], /^ERR busy /);
    assert.ok(c.closed);
    assert.equal(a.closed || b.closed, false);
    assert.equal(h.server.stats.refusedBusy, 1);
    a.receive("BYE\n");
    const d = h.hello("d");
    assert.match(d.lines()[0], /^WELCOME /, "a freed slot is usable again");
  });

  it("refuses a wrong or missing token with ERR auth", () => {
    const h = setup({ token: "sesame" });
    const wrong = h.hello("c1", " token=nope");
    assert.match(wrong.lines()[0], /^ERR auth wrong token/);
    assert.ok(wrong.closed);
    const missing = h.hello("c2");
    assert.match(missing.lines()[0], /^ERR auth token required/);
    const right = h.hello("c3", " token=sesame");
    assert.match(right.lines()[0], /^WELCOME /);
  });

  it("PINGs a session quiet for heartbeatMs", () => {
    const h = setup();
    const s = h.hello("c1");
    h.fc.advance(1300);
    assert.equal(s.lines()[1], "PING 0");
  });

  it("declares a session silent for timeoutMs offline, closes it and logs silentMs", () => {
    const h = setup();
    const s = h.hello("c1");
    h.fc.advance(2999);
    assert.equal(s.closed, false);
    h.fc.advance(250);
    assert.ok(s.closed);
    const line = h.lines.find((l) => l.includes("peer silent, closing"))!;
    assert.match(line, /W tcp.server: peer silent, closing session=1 client=c1 peer=127.0.0.9:\d+ silentMs=3\d\d\d timeoutMs=3000/);
    assert.equal(h.server.stats.silentClosed, 1);
  });

  it("keeps a session that answers its PINGs", () => {
    const h = setup();
    const s = h.hello("c1");
    for (let i = 0; i < 20; i++) {
      h.fc.advance(1250);
      const ping = s.lines().at(-1)!;
      if (ping.startsWith("PING")) s.receive(ping.replace("PING", "PONG") + "\n");
    }
    assert.equal(s.closed, false);
  });

  it("answers PING with PONG and ECHO with the same ECHO", () => {
    const h = setup();
    const s = h.hello("c1");
    s.receive("PING 5\r\nECHO 6 hello there\n");
    assert.deepEqual(s.lines().slice(1), ["PONG 5", "ECHO 6 hello there"]);
  });

  it("answers BYE with BYE and closes (FIN sent)", () => {
    const h = setup();
    const s = h.hello("c1");
    s.receive("BYE\n");
    assert.equal(s.lines().at(-1), "BYE");
    assert.ok(s.closed);
    assert.ok(h.has(/peer said BYE, answering BYE and closing/));
    assert.ok(h.has(/closing \(FIN sent\)/));
  });

  it("sends ERR for too-long, unknown and bad-byte lines without hurting other sessions", () => {
    const h = setup();
    const a = h.hello("a");
    const b = h.hello("b");
    a.receive("x".repeat(200) + "\n");
    a.receive("FROB 1\n");
    a.receive(Uint8Array.from([0x50, 0x00, 0x0a]));
    a.receive("PING x\n");
    assert.deepEqual(a.lines().slice(1).map((l) => l.split(" ")[1]), ["too-long", "unknown", "bad-bytes", "bad-syntax"]);
    assert.equal(a.closed, false);
    b.receive("PING 1\n");
    assert.equal(b.lines().at(-1), "PONG 1");
    a.receive("PING 2\n");
    assert.equal(a.lines().at(-1), "PONG 2", "the session still works after bad lines");
  });

  it("gives up on a peer after 16 bad lines in a row", () => {
    const h = setup();
    const s = h.hello("c1");
    for (let i = 0; i < 16; i++) s.receive("NOPE\n");
    assert.ok(s.closed);
    assert.match(s.lines().at(-1)!, /^ERR too-many-errors/);
  });

  it("closes the stale session when the same client comes online again", () => {
    const h = setup();
    const old = h.hello("c1");
    const fresh = h.hello("c1");
    assert.ok(old.closed);
    assert.equal(fresh.closed, false);
    assert.ok(h.has(/client reconnected, closing its old session/));
  });

  it("logs a peer's FIN and frees its session", () => {
    const h = setup();
    const s = h.hello("c1");
    s.peerClose();
    assert.equal(h.server.sessions().length, 0);
    assert.ok(h.has(/peer closed the connection \(FIN or RST received\)/));
  });

  it("pushes PUSH lines to every online client every pushMs", () => {
    const h = setup({ pushMs: 500 });
    const a = h.hello("a");
    const waiting = h.connect();
    h.fc.advance(1000);
    assert.deepEqual(a.lines().slice(1).filter((l) => l.startsWith("PUSH")).map((l) => l.split(" ")[1]), ["0", "1"]);
    assert.equal(waiting.lines().filter((l) => l.startsWith("PUSH")).length, 0, "no push before the handshake");
  });

  it("closes a peer that does not read once its send queue is full", () => {
    const h = setup();
    const s = h.hello("c1");
    s.writable = 0;
    for (let i = 0; i < 100 && !s.closed; i++) s.receive("ECHO " + i + " " + "y".repeat(40) + "\n");
    assert.ok(s.closed);
    assert.ok(h.has(/send queue full, peer not reading; closing/));
  });

  it("drops every session and the listener when stopped (link down), and listens again on start", () => {
    const h = setup();
    const s = h.hello("c1");
    h.server.stop("wifi-disconnect");
    assert.ok(s.closed);
    assert.ok(h.listener.closed);
    assert.equal(h.server.state, "stopped");
    assert.equal(h.fc.pendingTimers, 0);
    h.server.start("127.0.0.5");
    assert.equal(h.server.state, "listening");
    assert.equal(h.net.listeners.length, 2);
  });

  it("closes idempotently", () => {
    const h = setup();
    h.server.close();
    h.server.close();
    assert.equal(h.server.state, "closed");
    h.server.start("127.0.0.1");
    assert.equal(h.server.state, "closed");
  });

  it("retries listening when the port cannot be bound", () => {
    const fc = new FakeClock();
    const net = new FakeNet();
    const { log, lines } = captureLog(fc.clock);
    let fail = true;
    class FlakyListener extends net.Listener {
      constructor(options: ConstructorParameters<typeof net.Listener>[0]) {
        if (fail) throw new Error("address in use");
        super(options);
      }
    }
    const server = new Server(base, { Listener: FlakyListener, TCP: net.TCP, timers: fc.timers, clock: fc.clock, log: log.tag("tcp.server") });
    server.start("127.0.0.1");
    assert.equal(server.state, "stopped");
    assert.ok(lines.some((l) => /E tcp.server: cannot listen, retrying in 5 s port=8420 error="Error: address in use"/.test(l)));
    fail = false;
    fc.advance(5000);
    assert.equal(server.state, "listening");
  });
});
