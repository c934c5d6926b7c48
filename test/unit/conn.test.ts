import { strict as assert } from "node:assert";
import { LineConnection, type ConnEvents } from "linklab/conn";
import type { Frame } from "linklab/framing";
import { FakeClock, FakeNet } from "../support/fakes.ts";

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

describe("linklab/conn (a line connection over ECMA-419 TCP)", () => {
  it("holds lines written before the connection is up and sends them on the first onWritable", () => {
    const h = setup();
    assert.equal(h.conn.send("HELLO c1"), true);
    assert.equal(h.socket.written, "");
    h.socket.connect();
    assert.deepEqual(h.events, ["connected"]);
    assert.equal(h.socket.written, "HELLO c1\n");
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
});
