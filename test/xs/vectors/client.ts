// Vectors for linklab/client: the state machine driven through discovery, handshake, heartbeats, ECHO traffic, a
// silent server, a refused reconnect, ERR busy, a Wi-Fi drop and close, with fake sockets, a fake clock and a
// seeded random. Every log line, state and byte written must be identical on Node and XS.
import { Client, type ClientOptions } from "linklab/client";
import { FakeClock, FakeNet, captureLog, type FakeTCP } from "../../support/fakes.ts";
import { seededRandom } from "../../../host-sim/seeded-random.ts";

export const clientOptions: ClientOptions = {
  id: "c1",
  server: "auto",
  port: 8420,
  token: "",
  maxLine: 256,
  handshakeMs: 2000,
  heartbeatMs: 1000,
  timeoutMs: 3000,
  echoMs: 2000,
  outboxMax: 4,
  mode: "persistent",
  backoffBaseMs: 500,
  backoffMaxMs: 30000,
  connectTimeoutMs: 3000,
  tcpKeepaliveS: 0,
  logEvery: 10,
};

/** A server that answers: PING -> PONG, ECHO -> the same line, on `socket`, for lines not yet answered. */
export function answer(socket: FakeTCP, answered: { count: number }): void {
  const lines = socket.lines();
  for (; answered.count < lines.length; answered.count++) {
    const line = lines[answered.count];
    if (line.startsWith("PING ")) socket.receive("PONG " + line.slice(5) + "\n");
    else if (line.startsWith("ECHO ")) socket.receive(line + "\n");
  }
}

export function vectors(): Record<string, unknown> {
  const clock = new FakeClock();
  const net = new FakeNet();
  const { log, lines } = captureLog(clock.clock, "D");
  const client = new Client(clientOptions, { TCP: net.TCP, timers: clock.timers, clock: clock.clock, log: log.tag("tcp.client"), random: seededRandom(2024) });
  const states: string[] = [];
  const note = (step: string) => states.push(step + ":" + client.state);

  client.start();
  note("start");
  client.linkUp("127.0.0.5");
  note("link-up");
  client.offerServer("s1", "127.0.0.1", 8420);
  note("beacon");
  client.offerServer("s2", "127.0.0.2", 8420); // another server's beacon is ignored
  const first = net.last();
  first.connect();
  note("syn-ack");
  first.receive("WELCOME s1 session=1 heartbeatMs=500 timeoutMs=1500\n");
  note("welcome");

  // Ten seconds online with a server that answers, 100 ms at a time.
  const answered = { count: 0 };
  for (let i = 0; i < 100; i++) {
    clock.advance(100);
    answer(first, answered);
  }
  note("online-10s");
  const onlineStats = { ...client.stats };

  // The server goes silent (power cut): lost after timeoutMs, then backoff.
  clock.advance(2000);
  note("silent");
  client.send("queued while offline");
  for (let i = 0; i < 100 && net.sockets.length === 1; i++) clock.advance(100);
  note("retry");
  net.last().refuse();
  note("refused");
  for (let i = 0; i < 400 && net.sockets.length === 2; i++) clock.advance(100);
  const third = net.last();
  third.connect();
  third.receive("ERR busy server has 8 sessions, max 8\n");
  note("busy");
  for (let i = 0; i < 400 && net.sockets.length === 3; i++) clock.advance(100);
  const fourth = net.last();
  fourth.connect();
  fourth.receive("WELCOME s1 session=9 heartbeatMs=1000 timeoutMs=3000\n");
  note("back-online");
  const answered4 = { count: 0 };
  for (let i = 0; i < 30; i++) {
    clock.advance(100);
    answer(fourth, answered4);
  }
  client.linkDown("wifi-disconnect");
  note("link-down");
  client.linkUp("127.0.0.6");
  note("link-up-again");
  const fifth = net.last();
  fifth.connect();
  fifth.receive("WELCOME s1 session=10 heartbeatMs=1000 timeoutMs=3000\n");
  clock.advance(1000);
  client.close();
  client.close();
  note("closed");
  clock.advance(5000);

  return {
    states,
    lines,
    onlineStats,
    stats: client.stats,
    timing: client.timing,
    server: client.server ?? null,
    written: net.sockets.map((s) => ({ to: s.remoteAddress + ":" + s.remotePort, lines: s.lines(), closed: s.closed, closeCalls: s.closeCalls })),
    pendingTimers: clock.pendingTimers,
  };
}
