// The class group (config `group`, issue 12): the beacon carries it, a listener hands on only beacons of its own
// group, and a bad or spoofed group field harms nothing: a malformed one is an ignored datagram (debug, rate-limited),
// another group's beacon is counted and logged at most once per 10 s, and the client is never offered it.
import { strict as assert } from "node:assert";
import { BeaconListener, BeaconSender, type HeardBeacon } from "linklab/beacon";
import { formatBeacon, parseBeacon } from "linklab/protocol";
import { readSettings } from "linklab/settings";
import { captureLog, FakeClock, FakeNet } from "../support/fakes.ts";

const bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
const base = "LINKLAB1 id=s1 role=server ip=127.0.0.2 port=8420 seq=3 uptimeMs=99";

function listener(group?: string) {
  const fc = new FakeClock();
  const net = new FakeNet();
  const { log, lines } = captureLog(fc.clock);
  const heard: HeardBeacon[] = [];
  const l = new BeaconListener({ beaconPort: 8421, logEvery: 1, group }, { UDP: net.UDP, clock: fc.clock, log: log.tag("udp.beacon") }, (h) => heard.push(h));
  l.start();
  return { fc, l, lines, heard, udp: net.udps[0] };
}

describe("the class group", () => {
  it("rides in the beacon as a last field only when set, so a beacon without a group is the one of before", () => {
    const b = { id: "s1", role: "server" as const, ip: "127.0.0.2", port: 8420, seq: 3, uptimeMs: 99 };
    assert.equal(formatBeacon(b), base);
    assert.equal(formatBeacon({ ...b, group: "" }), base);
    assert.equal(formatBeacon({ ...b, group: "pair-07" }), base + " group=pair-07");
    assert.deepEqual(parseBeacon(bytes(base + " group=pair-07")), { ok: true, beacon: { ...b, group: "pair-07" } });
    assert.deepEqual(parseBeacon(bytes(base)), { ok: true, beacon: b });
    for (const [text, reason] of [
      [base + " group=", "bad group"],
      [base + " group=a!b", "bad group"],
      [base + " group=" + "g".repeat(33), "bad group"],
      [base + " team=x", "field after uptimeMs is not group"],
      [base + " group=a group=b", "not LINKLAB1 with 6 fields (7 with group)"],
      ["LINKLAB1 id=s1 group=x role=server ip=127.0.0.2 port=8420 seq=3", "role is not server"],
    ]) assert.deepEqual(parseBeacon(bytes(text)), { ok: false, reason }, text);
  });

  it("is sent by the server's beacon sender", () => {
    const fc = new FakeClock();
    const net = new FakeNet();
    const { log } = captureLog(fc.clock);
    const s = new BeaconSender(
      { id: "s1", tcpPort: () => 8420, beaconMs: 2000, beaconPort: 8421, beaconAddress: "255.255.255.255", logEvery: 10, group: "pair-07" },
      { UDP: net.UDP, timers: fc.timers, clock: fc.clock, log: log.tag("udp.beacon") },
    );
    s.start("127.0.0.2");
    assert.match(net.udps[0].sent[0].text, /^LINKLAB1 id=s1 role=server ip=127\.0\.0\.2 port=8420 seq=0 uptimeMs=0 group=pair-07$/);
  });

  it("lets a listener take only its own group's beacons, counting and logging the others at most once per 10 s", () => {
    const h = listener("pair-07");
    h.udp.deliver(base + " group=pair-08", "127.0.0.2");
    h.udp.deliver(base, "127.0.0.4");
    for (let i = 0; i < 20; i++) h.udp.deliver(base + " group=pair-09", "127.0.0.5");
    assert.equal(h.heard.length, 0);
    assert.equal(h.l.otherGroup, 22);
    assert.equal(h.l.heard, 0);
    assert.deepEqual(
      h.lines.filter((l) => l.includes("another group")),
      ["     0 I udp.beacon: beacon of another group ignored server=s1 group=pair-08 mine=pair-07 from=127.0.0.2 suppressed=0"],
    );
    h.fc.advance(10000);
    h.udp.deliver(base + " group=pair-08", "127.0.0.2");
    assert.match(h.lines[h.lines.length - 1], /beacon of another group ignored server=s1 group=pair-08 mine=pair-07 from=127\.0\.0\.2 suppressed=21$/);
    h.udp.deliver(base + " group=pair-07", "127.0.0.3");
    assert.deepEqual(h.heard.map((x): [string | undefined, string] => [x.beacon.group, x.from]), [["pair-07", "127.0.0.3"]]);
    assert.equal(h.lines.filter((l) => / [EW] /.test(l)).length, 0);
  });

  it("makes a listener without a group ignore grouped beacons, and a malformed group an ignored datagram", () => {
    const h = listener();
    h.udp.deliver(base + " group=pair-07", "127.0.0.2");
    h.udp.deliver(base + " group=bad!", "127.0.0.2");
    h.udp.deliver(base, "127.0.0.2");
    assert.equal(h.heard.length, 1);
    assert.equal(h.heard[0].beacon.group, undefined);
    assert.equal(h.l.otherGroup, 1);
    assert.equal(h.l.ignored, 1);
    assert.ok(h.lines.some((l) => / D udp\.beacon: ignored datagram from=127\.0\.0\.2:\d+ reason="bad group"/.test(l)), h.lines.join("\n"));
  });

  it("is a checked config key, as is logTo: a bad value gets a clear problem and the default (off, no group)", () => {
    const ok = readSettings({ group: "pair-07", logTo: "127.0.0.10:5514" });
    assert.deepEqual([ok.settings.group, ok.settings.logTo, ok.problems], ["pair-07", "127.0.0.10:5514", []]);
    const bad = readSettings({ group: "pair 7", logTo: "laptop:5514" });
    assert.deepEqual([bad.settings.group, bad.settings.logTo], ["", ""]);
    assert.deepEqual(bad.problems, [
      { key: "logTo", value: "laptop:5514", allowed: "empty (off) or <IPv4>:<port> of a syslog receiver (the machine running linklab monitor)", using: "" },
      { key: "group", value: "pair 7", allowed: "empty (no group) or 1-32 of A-Z a-z 0-9 . _ -", using: "" },
    ]);
    assert.deepEqual(readSettings({ logTo: "127.0.0.1:0" }).problems.map((p) => p.key), ["logTo"]);
    assert.deepEqual(readSettings({}).settings.group, "");
  });
});
