// Hostile datagrams against the firmware's beacon listener on the host runtime (real UDP on 127.0.0.1), sent by a
// raw node:dgram socket: malformed, oversized, non-ASCII and spoofed beacons are ignored (debug log, rate-limited)
// while a real beacon is still heard; a beacon pointing at a port with nothing listening makes the client's connect
// fail and back off, and it recovers as soon as a real beacon arrives.
import { strict as assert } from "node:assert";
import { createSocket, type Socket as DgramSocket } from "node:dgram";
import { BeaconListener, type HeardBeacon } from "linklab/beacon";
import { formatBeacon, type Beacon } from "linklab/protocol";
import UDP from "../../host-sim/runtime/udp.ts";
import { RoleHarness } from "../../host-sim/harness/roles.ts";
import { seededRandom } from "../../host-sim/seeded-random.ts";
import { freeTcpPort, freeUdpPort } from "../support/ports.ts";
import { until } from "./peer.ts";

const fast = { heartbeatMs: 200, timeoutMs: 600, handshakeMs: 300 };

/** A port with nothing bound to it right now, for UDP or TCP. */
function freePort(kind: "udp" | "tcp"): Promise<number> {
  return kind === "udp" ? freeUdpPort() : freeTcpPort();
}

class Spoofer {
  readonly socket: DgramSocket = createSocket("udp4");
  constructor(readonly port: number) {}

  send(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(typeof data === "string" ? Buffer.from(data, "latin1") : data, this.port, "127.0.0.1", (error) => (error ? reject(error) : resolve())),
    );
  }

  close(): void {
    this.socket.close();
  }
}

const beacon = (fields: Partial<Beacon> = {}): string => formatBeacon({ id: "srv", role: "server", ip: "127.0.0.1", port: 8420, seq: 1, uptimeMs: 1000, ...fields });

describe("a beacon listener receiving hostile datagrams", function () {
  this.timeout(10000);
  let lab: RoleHarness;
  let listener: BeaconListener;
  let heard: HeardBeacon[];
  let spoofer: Spoofer;

  beforeEach(async () => {
    lab = new RoleHarness();
    heard = [];
    const port = await freePort("udp");
    listener = new BeaconListener({ beaconPort: port, logEvery: 10 }, { UDP, clock: lab.clock, log: lab.log.tag("udp.beacon") }, (h) => heard.push(h));
    listener.start();
    assert.equal(listener.state, "listening", lab.lines.join("\n"));
    lab.onClose(() => listener.close());
    spoofer = new Spoofer(port);
    lab.onClose(() => spoofer.close());
  });
  afterEach(() => {
    lab.close();
    assert.deepEqual(lab.aborts, [], "no firmware callback threw");
  });

  it("ignores malformed, oversized and non-ASCII datagrams, logging them at debug and at most once per 5 s", async () => {
    const valid = beacon();
    const junk: (string | Uint8Array)[] = [
      "",
      "hello",
      "LINKLAB1",
      "linklab1" + valid.slice(8),
      valid.replace("role=server", "role=client"),
      valid.replace("ip=127.0.0.1", "ip=256.0.0.1"),
      valid.replace("ip=127.0.0.1", "ip=127.0.0.01"),
      valid.replace("port=8420", "port=0"),
      valid.replace("port=8420", "port=65536"),
      valid.replace("seq=1", "seq=-1"),
      valid.replace(" ", "  "),
      valid + " extra=1",
      valid + "\n",
      valid.replace("id=srv", "id=sr\u00e9"),
      valid.replace("id=srv", "id=s\u0000v"),
      valid + " pad=" + "x".repeat(300),
      Buffer.concat([Buffer.from(valid), Buffer.alloc(8000, 0xff)]),
    ];
    const random = seededRandom(7);
    for (let i = 0; i < 200; i++) junk.push(Uint8Array.from({ length: 1 + Math.floor(random() * 400) }, () => Math.floor(random() * 256)));
    const startMs = performance.now();
    // In batches of 16, each taken in before the next: a faster flood only makes the kernel drop datagrams
    // (RcvbufErrors), which would make the count below a measure of the kernel instead of the listener.
    for (let at = 0; at < junk.length; at += 16) {
      for (const datagram of junk.slice(at, at + 16)) await spoofer.send(datagram);
      const expected = Math.min(junk.length, at + 16);
      await until(() => listener.ignored === expected, expected + " datagrams ignored (have " + listener.ignored + ")");
    }
    await spoofer.send(beacon({ seq: 2 }));
    await until(() => heard.length > 0, "the real beacon after the junk");
    const elapsedMs = performance.now() - startMs;
    assert.deepEqual(
      heard.map((h) => h.beacon),
      [{ id: "srv", role: "server", ip: "127.0.0.1", port: 8420, seq: 2, uptimeMs: 1000 }],
    );
    assert.equal(listener.ignored, junk.length);
    const logged = lab.count(/ D udp\.beacon: ignored datagram from=127\.0\.0\.1:\d+ reason=/);
    assert.ok(logged >= 1 && logged <= 1 + Math.floor(elapsedMs / 5000), "ignored-datagram lines: " + logged);
    assert.equal(lab.count(/ [EW] udp\.beacon: /), 0);
    assert.equal(listener.state, "listening");
  });

  it("logs the first ignored datagram and stays quiet about the next ones within 5 s", async () => {
    // The ones kept quiet are counted into the next line the rate limit allows (suppressed=N).
    await spoofer.send("junk-1");
    await lab.waitFor(/ignored datagram .*reason=.* suppressed=0/, 2000, 0);
    for (let i = 0; i < 10; i++) await spoofer.send("junk-more");
    await until(() => listener.ignored === 11, "all junk counted");
    assert.equal(lab.count(/ignored datagram/), 1);
  });
});

describe("a client following beacons", function () {
  this.timeout(15000);
  let lab: RoleHarness;
  let spoofer: Spoofer;

  beforeEach(() => {
    lab = new RoleHarness();
  });
  afterEach(() => {
    lab.close();
    assert.deepEqual(lab.aborts, [], "no firmware callback threw");
  });

  async function start(): Promise<{ serverPort: number; client: ReturnType<RoleHarness["client"]>; listener: BeaconListener }> {
    const server = lab.server({ id: "srv", logEvery: 10, ...fast });
    server.start("127.0.0.1");
    const beaconPort = await freePort("udp");
    const client = lab.client({ id: "c1", server: "auto", port: 0, logEvery: 10, backoffBaseMs: 50, backoffMaxMs: 200, ...fast });
    const listener = new BeaconListener({ beaconPort, logEvery: 10 }, { UDP, clock: lab.clock, log: lab.log.tag("udp.beacon") }, (h) =>
      client.offerServer(h.beacon.id, h.beacon.ip, h.beacon.port),
    );
    listener.start();
    lab.onClose(() => listener.close());
    client.start();
    client.linkUp("127.0.0.1");
    spoofer = new Spoofer(beaconPort);
    lab.onClose(() => spoofer.close());
    return { serverPort: server.port, client, listener };
  }

  it("backs off from a beacon that points at a port with nothing listening, and recovers on a real beacon", async () => {
    const { serverPort, client } = await start();
    const deadPort = await freePort("tcp");
    await spoofer.send(beacon({ port: deadPort }));
    await lab.waitFor(/W tcp\.client: connect failed \(refused or unreachable: RST or no route\) server=127\.0\.0\.1:\d+/, 2000, 0);
    await lab.waitFor(/I tcp\.client: backoff delay chosen delayMs=\d+ attempt=2 /, 2000, 0);
    assert.equal(client.server, "127.0.0.1:" + deadPort);
    assert.notEqual(client.state, "online");
    await spoofer.send(beacon({ port: serverPort, seq: 2 }));
    await lab.waitFor(/I tcp\.client: server address changed server=srv /, 2000, 0);
    await lab.waitFor(/I tcp\.client: state handshaking->online /, 2000, 0);
    assert.equal(client.server, "127.0.0.1:" + serverPort);
    assert.ok(client.stats.attempts >= 3, "attempts: " + client.stats.attempts);
  });

  it("finds the real server after a spoofed beacon of another server id that points at nothing", async () => {
    const { serverPort, client } = await start();
    const deadPort = await freePort("tcp");
    await spoofer.send(beacon({ id: "ghost", port: deadPort }));
    await lab.waitFor(/W tcp\.client: connect failed \(refused or unreachable: RST or no route\)/, 2000, 0);
    await spoofer.send(beacon({ id: "srv", port: serverPort }));
    await lab.waitFor(/I tcp\.client: server found by beacon server=srv ip=127\.0\.0\.1 port=\d+ replacing=ghost$/, 2000, 0);
    await lab.waitFor(/I tcp\.client: state handshaking->online /, 3000, 0);
    assert.equal(client.server, "127.0.0.1:" + serverPort);
  });

  it("does not follow a spoofed beacon from another server id once it has found its server", async () => {
    const { serverPort, client } = await start();
    await spoofer.send(beacon({ port: serverPort }));
    await lab.waitFor(/I tcp\.client: state handshaking->online /, 2000, 0);
    const deadPort = await freePort("tcp");
    await spoofer.send(beacon({ id: "evil", port: deadPort }));
    await spoofer.send(beacon({ id: "srv", port: serverPort, seq: 3 }));
    await lab.waitFor(/beacon heard server=srv .*seq=3/, 2000, 0);
    assert.equal(client.server, "127.0.0.1:" + serverPort);
    assert.equal(client.state, "online");
    assert.equal(lab.count(/server address changed/), 0);
  });
});
