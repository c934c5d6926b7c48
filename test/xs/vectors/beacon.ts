// Vectors for linklab/beacon: the sender's datagrams and its failure lines, and the listener's verdicts on valid,
// malformed, oversized and binary datagrams, with fake UDP and a fake clock, on Node and XS.
import { BeaconListener, BeaconSender, type HeardBeacon } from "linklab/beacon";
import { FakeClock, FakeNet, captureLog } from "../../support/fakes.ts";

export function vectors(): Record<string, unknown> {
  const clock = new FakeClock();
  const net = new FakeNet();
  const { log, lines } = captureLog(clock.clock, "D");
  let port = 8420;
  const sender = new BeaconSender(
    { id: "srv", tcpPort: () => port, beaconMs: 1000, beaconPort: 8421, beaconAddress: "255.255.255.255", logEvery: 3 },
    { UDP: net.UDP, timers: clock.timers, clock: clock.clock, log: log.tag("udp.beacon") },
  );
  sender.start("127.168.4.1");
  clock.advance(3500);
  port = 9000;
  net.udps[0].failWrites = true;
  clock.advance(2000);
  net.udps[0].failWrites = false;
  sender.start("127.168.4.2"); // the link came back with a new address
  clock.advance(1000);
  const sent = net.udps.map((u) => u.sent);
  sender.close();
  sender.close();
  clock.advance(5000);

  const heard: HeardBeacon[] = [];
  const listener = new BeaconListener({ beaconPort: 8421, logEvery: 2 }, { UDP: net.UDP, clock: clock.clock, log: log.tag("udp.beacon") }, (h) => heard.push(h));
  listener.start();
  const udp = net.udps[net.udps.length - 1];
  udp.deliver("LINKLAB1 id=srv role=server ip=127.168.4.1 port=8420 seq=0 uptimeMs=10", "127.168.4.1", 8421);
  udp.deliver("LINKLAB1 id=srv role=server ip=127.168.4.1 port=8420 seq=1 uptimeMs=1010", "127.168.4.1", 8421);
  udp.deliver("hello", "127.168.4.9", 5000);
  udp.deliver("LINKLAB1 id=srv role=client ip=127.168.4.1 port=8420 seq=2 uptimeMs=1", "127.168.4.9", 5000);
  udp.deliver("x".repeat(300), "127.168.4.9", 5000);
  udp.deliver(new Uint8Array([0, 1, 2, 255]), "127.168.4.9", 5000);
  clock.advance(6000);
  udp.deliver("nope", "127.168.4.9", 5000);
  udp.deliver("LINKLAB1 id=srv role=server ip=127.168.4.2 port=9000 seq=3 uptimeMs=9000", "127.168.4.2", 8421);
  listener.stop();
  udp.deliver("LINKLAB1 id=srv role=server ip=127.168.4.2 port=9000 seq=4 uptimeMs=9000", "127.168.4.2", 8421);

  return { lines, sent, senderState: sender.state, heard, counts: [listener.heard, listener.ignored], listenerState: listener.state, pendingTimers: clock.pendingTimers };
}
