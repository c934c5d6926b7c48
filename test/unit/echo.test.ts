// linklab/echo: the client's ECHO accounting and PUSH sequence check, on their own (the client logs what they return).
import assert from "node:assert/strict";
import { EchoTracker, SequenceCheck } from "linklab/echo";

describe("linklab/echo", () => {
  it("numbers ECHOs from 0 and gives each reply its round-trip time", () => {
    const echoes = new EchoTracker();
    assert.deepEqual([echoes.send(100), echoes.send(150)], [{ seq: 0 }, { seq: 1 }]);
    assert.deepEqual(echoes.reply(0, 130), { kind: "ok", rttMs: 30, missing: 0 });
    assert.deepEqual(echoes.reply(1, 190), { kind: "ok", rttMs: 40, missing: 0 });
    assert.equal(echoes.inflight, 0);
  });

  it("counts the earlier unanswered ECHOs as missing when a later one is answered (TCP delivers in order)", () => {
    const echoes = new EchoTracker();
    for (let t = 0; t < 4; t++) echoes.send(t);
    assert.deepEqual(echoes.reply(2, 10), { kind: "ok", rttMs: 8, missing: 2 });
    assert.equal(echoes.inflight, 1);
  });

  it("tells a duplicate (already answered) from a reply to an ECHO never sent", () => {
    const echoes = new EchoTracker();
    echoes.send(0);
    echoes.reply(0, 1);
    assert.deepEqual(echoes.reply(0, 2), { kind: "duplicate" });
    assert.deepEqual(echoes.reply(7, 2), { kind: "never-sent" });
  });

  it("keeps at most max unanswered, giving up the oldest", () => {
    const echoes = new EchoTracker(2);
    echoes.send(0);
    echoes.send(1);
    assert.deepEqual(echoes.send(2), { seq: 2, overdue: 0 });
    assert.equal(echoes.inflight, 2);
  });

  it("forgets the unanswered ones when the connection goes, and says how many", () => {
    const echoes = new EchoTracker();
    echoes.send(0);
    echoes.send(1);
    assert.equal(echoes.dropAll(), 2);
    assert.equal(echoes.inflight, 0);
    assert.deepEqual(echoes.send(5), { seq: 2 }, "numbering goes on across connections");
  });

  it("checks that PUSH sequence numbers go up by one, taking the first of a session as it comes", () => {
    const pushes = new SequenceCheck();
    assert.equal(pushes.next(5), undefined);
    assert.equal(pushes.next(6), undefined);
    assert.equal(pushes.next(8), 7);
    assert.equal(pushes.next(9), undefined);
    pushes.reset();
    assert.equal(pushes.next(0), undefined);
  });
});
