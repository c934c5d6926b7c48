// Vectors for linklab/server: sessions handshaking, online, refused (busy, auth, hello-timeout), PING/PONG,
// ECHO, PUSH, bad lines, a silent peer closed, a duplicate client id, BYE, and stop, with fake sockets and a fake
// clock. Every log line and byte written must be identical on Node and XS.
import { Server, type ServerOptions } from "linklab/server";
import { FakeClock, FakeNet, captureLog, type FakeTCP } from "../../support/fakes.ts";

export const serverOptions: ServerOptions = {
  id: "s1",
  port: 8420,
  token: "",
  maxClients: 4,
  maxLine: 64,
  handshakeMs: 2000,
  heartbeatMs: 1000,
  timeoutMs: 3000,
  pushMs: 0,
  logEvery: 10,
};

export function vectors(): Record<string, unknown> {
  const clock = new FakeClock();
  const net = new FakeNet();
  const { log, lines } = captureLog(clock.clock, "D");
  const server = new Server({ ...serverOptions, token: "t0k", pushMs: 1500 }, { Listener: net.Listener, TCP: net.TCP, timers: clock.timers, clock: clock.clock, log: log.tag("tcp.server") });
  server.start("127.0.0.1");
  const listener = net.listeners[0];
  const peers: (FakeTCP | undefined)[] = [];
  const connect = (n: number) => {
    const socket = listener.connect("127.0.0." + (10 + n), 50000 + n);
    peers.push(socket);
    return socket!;
  };

  const a = connect(1);
  a.receive("HELLO a token=t0k\n");
  const b = connect(2);
  b.receive("HEL");
  b.receive("LO b token=t0k\r\nPING 7\nECHO 1 hello there\n");
  const wrong = connect(3);
  wrong.receive("HELLO w token=nope\n");
  const mute = connect(4); // never says HELLO
  const early = connect(5);
  early.receive("PING 1\n"); // not-ready, then a proper HELLO
  early.receive("HELLO e token=t0k\n");
  const busy = connect(6); // a pending handshake beside the others (the budget for them is apart from maxClients)
  clock.advance(100);
  a.receive("ECHO 2 x".padEnd(80, "x") + "\n"); // too long for maxLine 64
  a.receive("\u0001\u0002\n");
  a.receive("WHAT 1\n");
  a.receive("HELLO a token=t0k\n");
  const sessionsEarly = server.sessions();

  // b answers PINGs, a stays silent and is closed, the mute one times out.
  let answeredPings = 0;
  for (let i = 0; i < 50; i++) {
    clock.advance(100);
    const pings = b.lines().filter((line) => line.startsWith("PING "));
    for (; answeredPings < pings.length; answeredPings++) b.receive("PONG " + pings[answeredPings].slice(5) + "\n");
    early.receive("ECHO " + i + " keep\n");
  }
  const again = connect(7);
  again.receive("HELLO b token=t0k\n"); // the same client id replaces the older session
  early.receive("BYE done\n");
  clock.advance(1500);
  early.peerClose();
  again.peerClose();
  clock.advance(200);
  const sessionsLate = server.sessions();
  server.stop("link-down");
  server.close();
  server.close();

  return {
    lines,
    sessionsEarly,
    sessionsLate,
    stats: server.stats,
    state: server.state,
    listenerClosed: listener.closed,
    written: peers.map((s) => (s ? { peer: s.remoteAddress + ":" + s.remotePort, lines: s.lines(), closed: s.closed } : null)),
    pendingTimers: clock.pendingTimers,
    busyLines: busy.lines(),
    wrongClosed: wrong.closed,
    muteLines: mute.lines(),
  };
}
