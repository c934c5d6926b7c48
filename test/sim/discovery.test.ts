// server=auto on real UDP: a client hears the server's beacon on loopback and connects to the address in it.
import { strict as assert } from "node:assert";
import { createSocket } from "node:dgram";
import { BeaconListener, BeaconSender } from "linklab/beacon";
import type { UdpClass } from "linklab/ports";
import UDP from "../../host-sim/runtime/udp.ts";
import { RoleHarness } from "../../host-sim/harness/roles.ts";

const RuntimeUDP = UDP as unknown as UdpClass;

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => {
      const port = socket.address().port;
      socket.close(() => resolve(port));
    });
  });
}

describe("discovery by UDP beacon", () => {
  let lab: RoleHarness;
  beforeEach(() => {
    lab = new RoleHarness();
  });
  afterEach(() => lab.close());

  it("lets a client with server=auto find the server by its beacon and go online", async () => {
    const beaconPort = await freeUdpPort();
    const server = lab.server();
    server.start("127.0.0.1");
    const sender = new BeaconSender(
      { id: "s1", tcpPort: () => server.port, beaconMs: 100, beaconPort, beaconAddress: "127.0.0.1", logEvery: 1 },
      { UDP: RuntimeUDP, timers: lab.timers, clock: lab.clock, log: lab.log.tag("udp.beacon") },
    );
    lab.onClose(() => sender.close());
    const client = lab.client({ server: "auto", port: 1 });
    const listener = new BeaconListener({ beaconPort, logEvery: 1 }, { UDP: RuntimeUDP, clock: lab.clock, log: lab.log.tag("udp.listen") }, (heard) =>
      client.offerServer(heard.beacon.id, heard.beacon.ip, heard.beacon.port),
    );
    lab.onClose(() => listener.close());
    listener.start();
    client.start();
    client.linkUp("127.0.0.1");
    assert.equal(client.state, "discovering");
    sender.start("127.0.0.1");
    await lab.waitFor(/tcp\.client: server found by beacon server=s1 ip=127\.0\.0\.1/, 2000, 0);
    await lab.waitFor(/tcp\.client: state handshaking->online/, 2000, 0);
    assert.equal(client.server, "127.0.0.1:" + server.port);
  });

  it("ignores datagrams that are not exactly a beacon", async () => {
    const beaconPort = await freeUdpPort();
    let heard = 0;
    const listener = new BeaconListener({ beaconPort, logEvery: 1 }, { UDP: RuntimeUDP, clock: lab.clock, log: lab.log.tag("udp.listen") }, () => heard++);
    lab.onClose(() => listener.close());
    listener.start();
    const spoof = createSocket("udp4");
    lab.onClose(() => spoof.close());
    const junk = ["LINKLAB1 id=s1 role=client ip=127.0.0.1 port=1 seq=0 uptimeMs=0", "hello", "LINKLAB1 id=s1 role=server ip=127.0.0.1 port=99999 seq=0 uptimeMs=0"];
    for (const text of junk) spoof.send(text, beaconPort, "127.0.0.1");
    spoof.send("LINKLAB1 id=s1 role=server ip=127.0.0.1 port=8420 seq=0 uptimeMs=0", beaconPort, "127.0.0.1");
    await lab.waitFor(/udp\.listen: beacon heard server=s1/, 2000, 0);
    assert.equal(heard, 1);
    assert.equal(listener.ignored, 3);
  });
});
