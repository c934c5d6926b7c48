import { strict as assert } from "node:assert";
import type { ListenerOptions, ListenerSocket } from "linklab/ports";
import { Server, type ServerOptions } from "linklab/server";
import { captureLog, FakeClock, FakeNet, FakeTCP } from "../support/fakes.ts";

const base: ServerOptions = { id: "s1", port: 8420, token: "", maxClients: 2, maxLine: 64, handshakeMs: 2000, heartbeatMs: 1000, timeoutMs: 3000, pushMs: 0, logEvery: 1 };

function setup(overrides: Partial<ServerOptions> = {}) {
  const fc = new FakeClock();
  const net = new FakeNet();
  const { log, lines } = captureLog(fc.clock);
  const server = new Server({ ...base, ...overrides }, { Listener: net.Listener, TCP: net.TCP, timers: fc.timers, clock: fc.clock, log: log.tag("tcp.server") });
  server.start("127.0.0.1");
  const listener = net.listeners[0];
  const connect = (port?: number, address = "127.0.0.9"): FakeTCP => {
    const s = listener.connect(address, port);
    assert.ok(s, "server adopted the socket");
    return s;
  };
  /** Keep an online session alive across a long advance: a PING every 500 ms, its PONG read at once. */
  const keepAlive = (s: FakeTCP, ms: number): void => {
    for (let t = 0; t < ms; t += 500) {
      s.receive("PING " + t + "\n");
      s.drain();
      fc.advance(Math.min(500, ms - t));
    }
  };
  const hello = (id: string, extra = ""): FakeTCP => {
    const s = connect();
    s.receive(`HELLO ${id}${extra}\n`);
    return s;
  };
  const has = (pattern: RegExp) => lines.some((l) => pattern.test(l));
  return { fc, net, server, lines, listener, connect, hello, has, keepAlive };
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

  it("refuses a connection while maxClients clients are online with ERR busy, keeping the others", () => {
    const h = setup({ maxClients: 2 });
    const a = h.hello("a");
    const b = h.hello("b");
    const c = h.connect();
    assert.deepEqual(c.lines(), ["ERR busy server has 2 clients online, max 2"]);
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

  it("gives up on a peer after 16 bad lines", () => {
    const h = setup();
    const s = h.hello("c1");
    for (let i = 0; i < 15; i++) s.receive("NOPE\n");
    assert.equal(s.closed, false);
    s.receive("NOPE\n");
    assert.ok(s.closed);
    assert.equal(s.lines().at(-1), "ERR too-many-errors 16 bad lines, one forgiven per 5 s");
    assert.equal(h.server.stats.tooManyErrors, 1);
  });

  it("counts ERR not-ready toward the bad-line limit (a peer that never says HELLO)", () => {
    const h = setup();
    const s = h.connect();
    for (let i = 0; i < 40 && !s.closed; i++) s.receive("PING " + i + "\n");
    assert.ok(s.closed);
    assert.equal(s.lines().filter((l) => l.startsWith("ERR not-ready ")).length, 16);
    assert.match(s.lines().at(-1)!, /^ERR too-many-errors /);
  });

  it("counts ERR bad-hello (already online) and ERR unexpected toward the bad-line limit", () => {
    const h = setup();
    const s = h.hello("c1");
    for (let i = 0; i < 40 && !s.closed; i++) s.receive(i % 2 === 0 ? "HELLO c1\n" : "PUSH " + i + " x\n");
    assert.ok(s.closed);
    const errs = s.lines().filter((l) => l.startsWith("ERR "));
    assert.equal(errs.length, 17);
    assert.deepEqual(new Set(errs.slice(0, 16).map((l) => l.split(" ")[1])), new Set(["bad-hello", "unexpected"]));
  });

  it("does not let a good line between bad ones reset the budget", () => {
    const h = setup();
    const s = h.hello("c1");
    for (let i = 0; i < 40 && !s.closed; i++) s.receive("PING " + i + "\nNOPE\n");
    assert.ok(s.closed);
    assert.equal(s.lines().filter((l) => l.startsWith("ERR unknown")).length, 16);
    assert.equal(s.lines().filter((l) => l.startsWith("PONG ")).length, 16);
  });

  it("forgives one bad line per 5 s, so a person making a typo now and then is never closed", () => {
    const h = setup();
    const s = h.hello("c1");
    for (let i = 0; i < 15; i++) s.receive("NOPE\n");
    h.keepAlive(s, 10000); // two forgiven: 13 left
    s.receive("NOPE\nNOPE\n");
    assert.equal(s.closed, false, "15 after two were forgiven");
    s.receive("NOPE\n");
    assert.ok(s.closed);
    // One a minute for an hour is far below the rate that is forgiven.
    const t = h.hello("c2");
    for (let minute = 0; minute < 60; minute++) {
      t.receive("PINNG 1\n");
      h.keepAlive(t, 60000);
    }
    assert.equal(t.closed, false);
  });

  it("logs at most one sending ERR line per session per 5 s, the next one with suppressed=N", () => {
    const h = setup();
    const s = h.hello("c1");
    const other = h.hello("c2");
    for (let i = 0; i < 5; i++) s.receive("NOPE\n");
    other.receive("NOPE\n");
    const errLines = () => h.lines.filter((l) => l.includes("sending ERR"));
    assert.equal(s.lines().filter((l) => l.startsWith("ERR unknown")).length, 5, "every bad line is still answered");
    assert.equal(errLines().length, 2, "one for each session:\n" + errLines().join("\n"));
    assert.doesNotMatch(errLines()[0], /suppressed=/);
    h.keepAlive(s, 5000);
    s.receive("NOPE\n");
    assert.match(errLines().at(-1)!, /W tcp.server: sending ERR session=1 client=c1 peer=127.0.0.9:\d+ code=unknown text="unknown message" suppressed=4$/);
  });

  it("always logs the ERR that closes a session, with what was suppressed before it", () => {
    const h = setup();
    const s = h.hello("c1");
    for (let i = 0; i < 16; i++) s.receive("NOPE\n");
    const errLines = h.lines.filter((l) => l.includes("sending ERR"));
    assert.equal(errLines.length, 2, errLines.join("\n"));
    assert.match(errLines[1], /code=too-many-errors text="16 bad lines, one forgiven per 5 s" suppressed=15$/);
  });

  it("rate-limits the peer sent ERR lines of a session the same way", () => {
    const h = setup();
    const s = h.hello("c1");
    for (let i = 0; i < 50; i++) s.receive("ERR oops number " + i + "\n");
    assert.equal(h.lines.filter((l) => l.includes("peer sent ERR")).length, 1);
    h.keepAlive(s, 5000);
    s.receive("ERR oops again\n");
    assert.match(h.lines.filter((l) => l.includes("peer sent ERR")).at(-1)!, /code=oops text=again suppressed=49$/);
    assert.equal(s.closed, false, "a peer's ERR is a valid line, not a bad one");
  });

  it("closes the stale session when the same client comes online again, telling it why with ERR replaced", () => {
    const h = setup();
    const old = h.hello("c1");
    const fresh = h.hello("c1");
    assert.ok(old.closed);
    assert.equal(old.lines().at(-1), "ERR replaced client c1 came online again on session 2");
    assert.equal(fresh.closed, false);
    assert.ok(h.has(/W tcp.server: client reconnected, closing its old session session=1 client=c1 peer=127.0.0.9:\d+ newSession=2 newPeer=127.0.0.9:\d+$/));
    assert.ok(h.has(/W tcp.server: sending ERR session=1 client=c1 peer=127.0.0.9:\d+ code=replaced /));
    assert.ok(h.has(/session state online->closed reason=replaced session=1 client=c1/));
    assert.equal(h.server.stats.replaced, 1);
  });

  it("lets a HELLO with the token take over an online client's id, and no HELLO without it", () => {
    const h = setup({ token: "sesame" });
    const old = h.hello("c1", " token=sesame");
    const spoof = h.hello("c1", " token=guess");
    assert.deepEqual(spoof.lines(), ["ERR auth wrong token"]);
    assert.equal(old.closed, false);
    const fresh = h.hello("c1", " token=sesame");
    assert.match(fresh.lines()[0], /^WELCOME /);
    assert.match(old.lines().at(-1)!, /^ERR replaced /);
    assert.ok(old.closed);
  });

  it("keeps pending handshakes apart from maxClients: a HELLO when maxClients are online gets ERR busy", () => {
    const h = setup({ maxClients: 2 });
    const early = h.connect(undefined, "127.0.0.20");
    const a = h.hello("a");
    const b = h.hello("b");
    assert.match(b.lines()[0], /^WELCOME /, "a silent connection does not take an online slot");
    early.receive("HELLO late\n");
    assert.deepEqual(early.lines(), ["ERR busy server has 2 clients online, max 2"]);
    assert.ok(early.closed);
    assert.equal(a.closed || b.closed, false);
    assert.equal(h.server.stats.refusedBusy, 1);
  });

  it("lets a client id already online come back through a pending handshake when maxClients are online", () => {
    const h = setup({ maxClients: 2 });
    const pending = h.connect(undefined, "127.0.0.20");
    const a = h.hello("a");
    h.hello("b");
    pending.receive("HELLO a\n");
    assert.match(pending.lines()[0], /^WELCOME /);
    assert.match(a.lines().at(-1)!, /^ERR replaced /);
  });

  it("evicts the oldest pending handshake when the pending budget is full, so the newcomer gets its chance", () => {
    const h = setup({ maxClients: 2 }); // 2 pending slots, 1 per address
    const silent1 = h.connect(undefined, "127.0.0.21");
    const silent2 = h.connect(undefined, "127.0.0.22");
    const honest = h.connect(undefined, "127.0.0.23");
    assert.deepEqual(silent1.lines(), ["ERR busy handshake slots full, oldest evicted"]);
    assert.ok(silent1.closed);
    assert.equal(silent2.closed, false);
    honest.receive("HELLO honest\n");
    assert.match(honest.lines()[0], /^WELCOME /);
    assert.equal(h.server.stats.evicted, 1);
    assert.ok(h.has(/session state handshaking->closed reason=evicted session=1 /));
  });

  it("holds at most 4 pending handshakes per address, evicting that address's oldest, never another's", () => {
    const h = setup({ maxClients: 8 }); // 8 pending slots, 4 per address
    const other = h.connect(undefined, "127.0.0.30");
    const flood: FakeTCP[] = [];
    for (let i = 0; i < 4; i++) flood.push(h.connect(undefined, "127.0.0.31"));
    assert.ok(flood.every((s) => !s.closed));
    flood.push(h.connect(undefined, "127.0.0.31"));
    assert.deepEqual(flood[0].lines(), ["ERR busy 4 handshakes pending from 127.0.0.31, oldest evicted"]);
    for (let i = 0; i < 100; i++) flood.push(h.connect(undefined, "127.0.0.31"));
    assert.equal(flood.filter((s) => !s.closed).length, 4);
    assert.equal(other.closed, false, "another address's handshake is untouched");
    other.receive("HELLO other\n");
    assert.match(other.lines()[0], /^WELCOME /);
  });

  it("lets an honest client in while an attacker reopens its silent connections as soon as they are closed", () => {
    const h = setup({ maxClients: 8, handshakeMs: 2000 });
    const attackers: FakeTCP[] = [];
    const open = (i: number) => (attackers[i] = h.connect(undefined, "127.0.0." + (40 + (i % 2))));
    for (let i = 0; i < 8; i++) open(i);
    /** One round trip of the attacker: every connection closed so far is opened again (evicting the oldest). */
    const reopen = () => {
      const closed = attackers.flatMap((s, i) => (s.closed ? [i] : []));
      for (const i of closed) open(i);
    };
    const honest = h.connect(undefined, "127.0.0.50");
    assert.equal(attackers.filter((s) => s.closed).length, 1, "the oldest silent one was evicted");
    reopen(); // the attacker is as fast as the honest client: one round trip each
    honest.receive("HELLO honest\n");
    assert.match(honest.lines()[0], /^WELCOME /);
    for (let i = 0; i < 40; i++) {
      h.fc.advance(100); // the attack goes on: hello-timeouts and evictions, each reopened at once
      reopen();
      honest.receive("PING " + i + "\n");
    }
    assert.equal(honest.closed, false);
    assert.ok(h.server.stats.helloTimeouts + h.server.stats.evicted >= 8, JSON.stringify(h.server.stats));
  });

  it("drains a burst of 200 connections reported by one onReadable (Moddable's listeners call it only for new arrivals)", () => {
    const fc = new FakeClock();
    const net = new FakeNet();
    const { log } = captureLog(fc.clock);
    const waiting: FakeTCP[] = [];
    let onReadable: (() => void) | undefined;
    class OnceListener implements ListenerSocket {
      readonly port: number;
      constructor(options: ListenerOptions) {
        this.port = options.port ?? 0;
        onReadable = () => options.onReadable?.call(this, waiting.length);
      }
      read(): FakeTCP | undefined {
        return waiting.shift();
      }
      close(): void {}
    }
    const server = new Server({ ...base, maxClients: 8 }, { Listener: OnceListener, TCP: net.TCP, timers: fc.timers, clock: fc.clock, log: log.tag("tcp.server") });
    server.start("127.0.0.1");
    const total = 200;
    for (let i = 0; i < total; i++) {
      const raw = new FakeTCP({ address: "127.0.1." + (1 + (i % 50)), port: 50000 + i });
      raw.ready = true;
      waiting.push(raw);
    }
    onReadable!(); // once, for all 200
    const adopted = () => net.sockets.filter((s) => "from" in s.options);
    let turns = 0;
    for (; turns < 100 && waiting.length > 0; turns++) {
      for (const s of adopted()) if (!s.closed && s.written === "") s.receive("HELLO c" + s.remotePort + "\n");
      fc.advance(0);
    }
    for (const s of adopted()) if (!s.closed && s.written === "") s.receive("HELLO c" + s.remotePort + "\n");
    assert.equal(waiting.length, 0, "connections left unread in the listener");
    assert.equal(server.stats.accepted, total);
    assert.equal(adopted().length, total);
    const first = adopted().map((s) => s.lines()[0] ?? "(nothing)");
    const welcomed = first.filter((l) => l.startsWith("WELCOME ")).length;
    assert.deepEqual(first.filter((l) => !l.startsWith("WELCOME ") && !l.startsWith("ERR busy ")), [], "every connection is answered");
    assert.equal(welcomed, 8, "maxClients came online");
  });

  it("logs a peer's FIN and frees its session", () => {
    const h = setup();
    const s = h.hello("c1");
    s.peerClose();
    assert.equal(h.server.sessions().length, 0);
    assert.ok(h.has(/connection ended \(FIN or RST received, or lwIP aborted it\)/));
  });

  it("pushes PUSH lines to every online client every pushMs", () => {
    const h = setup({ pushMs: 500 });
    const a = h.hello("a");
    const waiting = h.connect();
    h.fc.advance(1000);
    assert.deepEqual(a.lines().slice(1).filter((l) => l.startsWith("PUSH")).map((l) => l.split(" ")[1]), ["0", "1"]);
    assert.equal(waiting.lines().filter((l) => l.startsWith("PUSH")).length, 0, "no push before the handshake");
  });

  it("closes a peer that does not read once its send queue has made no progress for timeoutMs", () => {
    const h = setup();
    const s = h.hello("c1");
    s.writable = 0;
    for (let i = 0; i < 100 && !s.closed; i++) s.receive("ECHO " + i + " " + "y".repeat(40) + "\n");
    assert.ok(!s.closed, "a full queue alone is not a verdict: the server stops reading instead");
    h.fc.advance(3000);
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
