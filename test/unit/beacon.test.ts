import { strict as assert } from "node:assert";
import { BeaconListener, BeaconSender, type HeardBeacon } from "linklab/beacon";
import { captureLog, FakeClock, FakeNet } from "../support/fakes.ts";

function sender(overrides: { beaconMs?: number; beaconAddress?: string } = {}) {
  const fc = new FakeClock();
  const net = new FakeNet();
  const { log, lines } = captureLog(fc.clock);
  const s = new BeaconSender(
    { id: "s1", tcpPort: () => 8420, beaconMs: overrides.beaconMs ?? 2000, beaconPort: 8421, beaconAddress: overrides.beaconAddress ?? "255.255.255.255", logEvery: 10 },
    { UDP: net.UDP, timers: fc.timers, clock: fc.clock, log: log.tag("udp.beacon") },
  );
  return { fc, net, s, lines };
}

function listener() {
  const fc = new FakeClock();
  const net = new FakeNet();
  const { log, lines } = captureLog(fc.clock);
  const heard: HeardBeacon[] = [];
  const l = new BeaconListener({ beaconPort: 8421, logEvery: 1 }, { UDP: net.UDP, clock: fc.clock, log: log.tag("udp.beacon") }, (h) => heard.push(h));
  l.start();
  return { fc, net, l, lines, heard, udp: net.udps[0] };
}

describe("linklab/beacon", () => {
  it("sends the beacon at once and then every beaconMs to beaconAddress:beaconPort", () => {
    const h = sender();
    h.fc.advance(1000);
    h.s.start("127.0.0.1");
    h.fc.advance(4000);
    const sent = h.net.udps[0].sent;
    assert.equal(sent.length, 3);
    assert.deepEqual(sent[0], { text: "LINKLAB1 id=s1 role=server ip=127.0.0.1 port=8420 seq=0 uptimeMs=1000", address: "255.255.255.255", port: 8421 });
    assert.match(sent[2].text, / seq=2 uptimeMs=5000$/);
  });

  it("samples the routine sent lines: the first and every Nth at info, the rest at debug", () => {
    const h = sender({ beaconMs: 100 });
    h.s.start("127.0.0.1");
    h.fc.advance(1900);
    const sentLines = h.lines.filter((l) => l.includes("beacon sent"));
    assert.equal(sentLines.length, 20);
    assert.equal(sentLines.filter((l) => / I /.test(l)).length, 2);
  });

  it("keeps going when a send fails (broadcast refused) and logs it rate-limited", () => {
    const h = sender({ beaconMs: 100 });
    h.s.start("127.0.0.1");
    h.net.udps[0].failWrites = true;
    h.fc.advance(5000);
    assert.equal(h.s.state, "sending");
    assert.ok(h.s.failed >= 50);
    assert.equal(h.lines.filter((l) => l.includes("beacon send failed")).length, 1);
  });

  it("stops sending and releases its socket on stop, and does nothing with beaconMs=0", () => {
    const h = sender();
    h.s.start("127.0.0.1");
    h.s.stop("wifi-disconnect");
    assert.ok(h.net.udps[0].closed);
    assert.equal(h.fc.pendingTimers, 0);
    const off = sender({ beaconMs: 0 });
    off.s.start("127.0.0.1");
    assert.equal(off.net.udps.length, 0);
  });

  it("hands a well-formed beacon to its callback with the sender's address", () => {
    const h = listener();
    h.udp.deliver("LINKLAB1 id=s1 role=server ip=127.0.0.1 port=8420 seq=3 uptimeMs=99", "127.0.0.1");
    assert.deepEqual(h.heard, [{ beacon: { id: "s1", role: "server", ip: "127.0.0.1", port: 8420, seq: 3, uptimeMs: 99 }, from: "127.0.0.1" }]);
    assert.ok(h.lines.some((l) => l.includes("I udp.beacon: beacon heard server=s1")));
  });

  it("ignores anything else, logging at debug level at most once per 5 s", () => {
    const h = listener();
    for (let i = 0; i < 20; i++) h.udp.deliver("hello " + i);
    h.udp.deliver(Uint8Array.from([0, 1, 2, 255]));
    assert.equal(h.heard.length, 0);
    assert.equal(h.l.ignored, 21);
    const ignored = h.lines.filter((l) => l.includes("ignored datagram"));
    assert.equal(ignored.length, 1);
    assert.match(ignored[0], / D udp.beacon: ignored datagram/);
    h.fc.advance(5000);
    h.udp.deliver("again");
    assert.match(h.lines.at(-1)!, /ignored datagram .* suppressed=20/);
  });

  it("joins the multicast group when beacons go to one, and not for broadcast", () => {
    const fc = new FakeClock();
    const net = new FakeNet();
    const { log } = captureLog(fc.clock);
    new BeaconListener({ beaconPort: 8421, logEvery: 1, beaconAddress: "239.1.2.3" }, { UDP: net.UDP, clock: fc.clock, log: log.tag("udp.beacon") }, () => {}).start();
    new BeaconListener({ beaconPort: 8421, logEvery: 1, beaconAddress: "255.255.255.255" }, { UDP: net.UDP, clock: fc.clock, log: log.tag("udp.beacon") }, () => {}).start();
    assert.deepEqual(net.udps[0].groups, ["239.1.2.3"]);
    assert.deepEqual(net.udps[1].groups, []);
  });

  it("stays quiet after stop", () => {
    const h = listener();
    h.l.stop();
    assert.ok(h.udp.closed);
    h.udp.deliver("LINKLAB1 id=s1 role=server ip=127.0.0.1 port=8420 seq=3 uptimeMs=99");
    assert.equal(h.heard.length, 0);
  });
});
