import { strict as assert } from "node:assert";
import { checkIntervalMs, PeriodicCheck, verdict } from "linklab/heartbeat";

describe("linklab/heartbeat", () => {
  it("says ok while the peer spoke within heartbeatMs", () => {
    assert.equal(verdict(1999, 1000, 1000, 1000, 3000), "ok");
  });

  it("says ping-due when the peer and we have both been quiet for heartbeatMs", () => {
    assert.equal(verdict(2000, 1000, 1000, 1000, 3000), "ping-due");
  });

  it("does not probe again while our last probe is younger than heartbeatMs", () => {
    assert.equal(verdict(2500, 1000, 2000, 1000, 3000), "ok");
    assert.equal(verdict(3000, 1000, 2000, 1000, 3000), "ping-due");
  });

  it("declares the peer dead after timeoutMs of silence, whatever we sent", () => {
    assert.equal(verdict(3999, 1000, 3900, 1000, 3000), "ok");
    assert.equal(verdict(4000, 1000, 3900, 1000, 3000), "dead");
    assert.equal(verdict(4000, 1000, 1000, 1000, 3000), "dead");
  });

  it("checks often enough to declare death within 1.1 x timeoutMs", () => {
    for (const [hb, to] of [[1000, 3000], [500, 1500], [200, 600], [20, 50]]) {
      const every = checkIntervalMs(hb, to);
      assert.ok(every >= 10 && every <= Math.max(10, to / 10), `${hb}/${to}: ${every}`);
    }
  });
});

describe("linklab/heartbeat PeriodicCheck", () => {
  it("starts with the check interval of the timings, and is on time while turns come within two periods", () => {
    const check = new PeriodicCheck();
    assert.equal(check.start(1000, 3000, 0), 250);
    assert.equal(check.late(250), undefined);
    assert.equal(check.late(750), undefined, "exactly two periods is not late");
  });

  it("says how long it was since the last turn when a turn comes more than two periods late", () => {
    const check = new PeriodicCheck();
    check.start(1000, 3000, 0);
    assert.equal(check.late(501), 501);
    assert.equal(check.late(600), undefined, "counted from the late turn");
  });
});
