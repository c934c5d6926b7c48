import { strict as assert } from "node:assert";
import { LineConnection, type ConnEvents } from "linklab/conn";
import type { Frame } from "linklab/framing";
import { FakeClock, FakeNet, FakeTCP } from "../support/fakes.ts";

function setup(queueMax = 1024) {
  const fc = new FakeClock();
  const net = new FakeNet();
  const frames: Frame[] = [];
  const events: string[] = [];
  const handlers: ConnEvents = {
    connected: () => events.push("connected"),
    frame: (f) => frames.push(f),
    ended: (how) => events.push("ended:" + how),
    overflow: () => events.push("overflow"),
  };
  const conn = new LineConnection(net.TCP, { address: "127.0.0.1", port: 8420 }, { maxLine: 64, queueMax, clock: fc.clock }, handlers);
  return { fc, net, conn, frames, events, socket: net.last() };
}

/**
 * A server-side connection (an accepted socket, adopted with {from}) that answers every line with the same line,
 * as the server answers ECHO. maxLine 64, queueMax 512: reads are held from 256 queued bytes, resumed at 128.
 */
function echoing(options: { stallMs?: number; holdReads?: boolean; writable?: number } = {}) {
  const fc = new FakeClock();
  const net = new FakeNet();
  const raw = new FakeTCP({ address: "127.0.0.9", port: 50000 });
  raw.ready = true;
  const events: string[] = [];
  const seen: string[] = [];
  const conn: LineConnection = new LineConnection(
    net.TCP,
    { from: raw },
    { maxLine: 64, queueMax: 512, clock: fc.clock, stallMs: options.stallMs, holdReads: options.holdReads },
    {
      frame: (f) => {
        if (f.kind !== "line") return;
        seen.push(f.text);
        conn.send(f.text);
      },
      ended: (how) => events.push("ended:" + how),
      overflow: () => events.push("overflow"),
    },
  );
  const socket = net.last();
  socket.writable = options.writable ?? 4096;
  return { fc, conn, socket, events, seen };
}

function lines(count: number, text = "x"): string {
  let out = "";
  for (let n = 0; n < count; n++) out += "ECHO " + n + " " + text + "\n";
  return out;
}

describe("linklab/conn (a line connection over ECMA-419 TCP)", () => {
  it("holds lines written before the connection is up and sends them on the first onWritable", () => {
    const h = setup();
    assert.equal(h.conn.send("HELLO c1"), true);
    assert.equal(h.socket.written, "");
    h.socket.connect();
    assert.deepEqual(h.events, ["connected"]);
    assert.equal(h.socket.written, "HELLO c1\n");
  });

  it("hands an exception thrown by the owner's handler in a socket callback to events.failed, naming the callback", () => {
    const fc = new FakeClock();
    const net = new FakeNet();
    const failures: string[] = [];
    new LineConnection(net.TCP, { address: "127.0.0.1", port: 8420 }, { maxLine: 64, queueMax: 1024, clock: fc.clock }, {
      frame: () => {
        throw new TypeError("boom");
      },
      ended: () => {},
      failed: (error, where) => failures.push(where + ": " + String(error)),
    });
    const socket = net.last();
    socket.connect();
    assert.doesNotThrow(() => socket.receive("PING 1\n"));
    assert.deepEqual(failures, ["onReadable: TypeError: boom"]);
  });

  it("lets the exception reach the runtime (an XS abort) when the owner has no failed handler", () => {
    const fc = new FakeClock();
    const net = new FakeNet();
    new LineConnection(net.TCP, { address: "127.0.0.1", port: 8420 }, { maxLine: 64, queueMax: 1024, clock: fc.clock }, {
      frame: () => {
        throw new TypeError("boom");
      },
      ended: () => {},
    });
    const socket = net.last();
    socket.connect();
    assert.throws(() => socket.receive("PING 1\n"), /boom/);
  });

  it("reports a connect failure as refused and a later failure as ended", () => {
    const a = setup();
    a.socket.refuse();
    assert.deepEqual(a.events, ["ended:refused"]);
    const b = setup();
    b.socket.connect();
    b.socket.peerClose();
    assert.deepEqual(b.events, ["connected", "ended:ended"]);
    assert.ok(b.socket.closed);
  });

  it("updates lastRxMs on every read and lastTxMs on every write", () => {
    const h = setup();
    h.socket.connect();
    h.fc.advance(100);
    h.socket.receive("PING 1\n");
    assert.equal(h.conn.lastRxMs, 100);
    h.fc.advance(50);
    h.conn.send("PONG 1");
    assert.equal(h.conn.lastTxMs, 150);
  });

  it("refuses a line when its bounded send queue is full, and says so", () => {
    const h = setup(20);
    h.socket.connect(0);
    assert.equal(h.conn.send("0123456789"), true);
    assert.equal(h.conn.send("0123456789"), false);
    assert.deepEqual(h.events, ["connected", "overflow"]);
    h.socket.drain(100);
    assert.equal(h.socket.written, "0123456789\n");
  });

  it("closes after the queued lines are written when ended", () => {
    const h = setup();
    h.conn.send("BYE");
    h.conn.end();
    assert.equal(h.socket.closed, false, "the line has not left yet");
    h.socket.connect();
    assert.equal(h.socket.written, "BYE\n");
    assert.ok(h.socket.closed);
  });

  it("is silent and idempotent after close", () => {
    const h = setup();
    h.socket.connect();
    h.conn.close();
    h.conn.close();
    assert.equal(h.socket.closeCalls, 1);
    assert.equal(h.conn.send("x"), false);
    h.socket.closed = false; // a runtime that still delivered events would be ignored by identity
    h.socket.receive("PING 1\n");
    h.socket.peerClose();
    assert.deepEqual(h.frames, []);
    assert.deepEqual(h.events, ["connected"]);
  });

  describe("flow control", () => {
    it("holds reads while the send queue is high, so a pipelined burst waits in the socket instead of overflowing", () => {
      const h = echoing({ writable: 100 });
      h.socket.receive(lines(1000));
      assert.deepEqual(h.events, [], "no overflow");
      assert.ok(h.conn.holding, "reads are held");
      assert.ok(h.conn.queuedBytes >= 256 && h.conn.queuedBytes <= 512, "queued " + h.conn.queuedBytes);
      assert.ok(h.socket.unread > 10_000, "the rest waits unread in the socket: " + h.socket.unread);
      assert.ok(h.seen.length < 50, "only the lines read so far were answered: " + h.seen.length);
    });

    it("resumes from onWritable once the queue drains, reading what waited (no new onReadable), until every line is answered", () => {
      const h = echoing({ writable: 100 });
      h.socket.receive(lines(1000));
      for (let i = 0; i < 10_000 && h.socket.lines().length < 1000; i++) {
        h.fc.advance(1);
        h.socket.drain(100);
      }
      assert.deepEqual(h.events, []);
      assert.equal(h.socket.unread, 0);
      assert.equal(h.socket.lines().length, 1000);
      h.socket.lines().forEach((line, n) => assert.equal(line, "ECHO " + n + " x"));
      assert.equal(h.conn.holding, false);
    });

    it("reads and answers lines that straddle the pieces it reads, and lines of maxLine", () => {
      const h = echoing({ writable: 70 });
      const long = "z".repeat(64 - "ECHO 00 ".length - 1);
      let burst = "";
      for (let n = 10; n < 60; n++) burst += "ECHO " + n + " " + long + "\n";
      h.socket.receive(burst.slice(0, 1001));
      h.socket.receive(burst.slice(1001));
      for (let i = 0; i < 10_000 && h.socket.lines().length < 50; i++) h.socket.drain(70);
      assert.deepEqual(h.socket.lines(), burst.split("\n").slice(0, -1));
    });

    it("judges the peer not reading only after stallMs with no byte of the queue sent", () => {
      const h = echoing({ writable: 100, stallMs: 3000 });
      h.socket.receive(lines(1000));
      h.socket.writable = 0;
      h.fc.advance(2999);
      assert.equal(h.conn.checkStall(), false);
      assert.equal(h.conn.send("PING 1"), true, "a line is still taken before the stall bound");
      assert.deepEqual(h.events, []);
      h.fc.advance(1);
      assert.equal(h.conn.send("PING 2"), false);
      assert.deepEqual(h.events, ["overflow"]);
      assert.equal(h.conn.checkStall(), true);
      assert.deepEqual(h.events, ["overflow", "overflow"]);
    });

    it("never calls a queue that keeps moving a stall, however long the peer takes", () => {
      const h = echoing({ writable: 100, stallMs: 1000 });
      h.socket.receive(lines(1000));
      // 20 bytes every 900 ms: far slower than the burst, but progress within every stall period.
      for (let i = 0; i < 20_000 && h.socket.lines().length < 1000; i++) {
        h.fc.advance(900);
        assert.equal(h.conn.checkStall(), false);
        h.socket.drain(20);
      }
      assert.deepEqual(h.events, []);
      assert.equal(h.socket.lines().length, 1000);
    });

    it("counts the peer alive while reads are held: new bytes arriving, and the queue moving on", () => {
      const h = echoing({ writable: 100 });
      h.socket.receive(lines(1000));
      assert.ok(h.conn.holding);
      h.fc.advance(500);
      h.socket.receive("PING 1\n");
      assert.equal(h.conn.lastRxMs, 500, "bytes arrived");
      h.fc.advance(500);
      h.socket.drain(30);
      assert.ok(h.conn.holding, "still held");
      assert.equal(h.conn.lastRxMs, 1000, "the peer took bytes");
    });

    it("still refuses a line that would take the queue past queueMax (the hard cap)", () => {
      const h = echoing({ writable: 0 });
      h.socket.receive("ECHO 1 x\n");
      const big = "y".repeat(60);
      let accepted = 0;
      for (let i = 0; i < 100 && h.events.length === 0; i++) if (h.conn.send(big)) accepted++;
      assert.deepEqual(h.events, ["overflow"]);
      assert.ok(h.conn.queuedBytes <= 512);
      assert.equal(accepted, Math.floor((512 - 9) / 61));
    });

    it("keeps reading on an outgoing connection (a client reads its replies whatever it has queued)", () => {
      const h = setup(512);
      h.socket.connect(0);
      for (let i = 0; i < 6; i++) h.conn.send("ECHO " + i + " " + "q".repeat(60));
      assert.ok(h.conn.queuedBytes >= 256);
      h.socket.receive(lines(100));
      assert.equal(h.conn.holding, false);
      assert.equal(h.frames.length, 100);
      assert.equal(h.socket.unread, 0);
    });

    it("reads everything at once when holdReads is off", () => {
      const h = echoing({ writable: 0, holdReads: false });
      h.socket.receive(lines(20));
      assert.equal(h.socket.unread, 0);
      assert.equal(h.seen.length, 20);
    });

    it("drops bytes held unread when ended, so the close is a FIN, not an RST", () => {
      const h = echoing({ writable: 100 });
      h.socket.receive(lines(1000));
      assert.ok(h.socket.unread > 0);
      const seen = h.seen.length;
      h.conn.end();
      assert.equal(h.socket.unread, 0);
      assert.equal(h.seen.length, seen, "nothing framed after end()");
      h.socket.receive("ECHO 5000 late\n");
      assert.equal(h.socket.unread, 0);
      assert.equal(h.seen.length, seen);
      for (let i = 0; i < 1000 && !h.socket.closed; i++) h.socket.drain(100);
      assert.ok(h.socket.closed, "closed once the queue was written");
    });
  });
});

