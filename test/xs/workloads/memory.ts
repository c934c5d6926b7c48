// Memory workloads for bench/xs-memory.ts, run on XS with fake sockets and a fake clock: a client heartbeating
// against a server that answers, and a server holding N sessions whose peers answer its PINGs. State lives in
// this module between calls so the bench can measure the machine's heap between phases. Logs go to a sink that
// drops them (formatted, then garbage), so the log itself does not grow.
import { Client } from "linklab/client";
import { Log } from "linklab/log";
import { Server } from "linklab/server";
import { FakeClock, FakeNet, FakeTCP } from "../../support/fakes.ts";
import { seededRandom } from "../../../host-sim/seeded-random.ts";
import { clientOptions } from "../vectors/client.ts";
import { serverOptions } from "../vectors/server.ts";

let clock: FakeClock | undefined;
let net: FakeNet | undefined;
let client: Client | undefined;
let server: Server | undefined;
let peers: FakeTCP[] = [];
let lines = 0;
/** Kept alive only so the heap measurement counts it (clientFakesOnly's log): never read. */
const retained: { log?: Log } = {};

function quietLog(c: FakeClock): Log {
  return new Log({ clock: c.clock, sink: () => void lines++, level: "I" });
}

/**
 * Answer what the other side wrote since last time (PING -> PONG, and ECHO -> ECHO when playing the server),
 * forget it, and drain the socket.
 */
function answer(socket: FakeTCP, echo: boolean): void {
  const written = socket.written;
  if (!written) return;
  socket.written = "";
  socket.drain(4096);
  for (const line of written.split("\n")) {
    if (line.startsWith("PING ")) socket.receive("PONG " + line.slice(5) + "\n");
    else if (echo && line.startsWith("ECHO ")) socket.receive(line + "\n");
  }
}

/** A client online with a server that answers: heartbeatMs 1000, timeoutMs 3000, ECHO every 2 s. */
export function clientStart(): string {
  clock = new FakeClock();
  net = new FakeNet();
  lines = 0;
  client = new Client({ ...clientOptions, server: "127.0.0.1" }, { TCP: net.TCP, timers: clock.timers, clock: clock.clock, log: quietLog(clock).tag("tcp.client"), random: seededRandom(1) });
  client.start();
  client.linkUp("127.0.0.5");
  const socket = net.last();
  socket.connect();
  socket.receive("WELCOME s1 session=1 heartbeatMs=1000 timeoutMs=3000\n");
  socket.written = "";
  return client.state;
}

/** Run `cycles` heartbeat periods (1 s each, in 250 ms steps, answering after each step). */
export function clientCycles(cycles: number): { state: string; sockets: number; pingsSent: number; pongs: number; echoOk: number; lines: number } {
  const socket = net!.last();
  for (let i = 0; i < cycles * 4; i++) {
    clock!.advance(250);
    answer(socket, true);
  }
  const { pingsSent, pongs, echoOk } = client!.stats;
  return { state: client!.state, sockets: net!.sockets.length, pingsSent, pongs, echoOk, lines };
}

/** A listening server with `sessions` clients online (maxClients 16 here: room for the workload; the board caps maxClients to what its XS heap holds, modules/settings.ts). */
export function serverStart(sessions: number): { online: number } {
  clock = new FakeClock();
  net = new FakeNet();
  lines = 0;
  server = new Server({ ...serverOptions, maxClients: 16, maxLine: 256 }, { Listener: net.Listener, TCP: net.TCP, timers: clock.timers, clock: clock.clock, log: quietLog(clock).tag("tcp.server") });
  server.start("127.0.0.1");
  peers = [];
  for (let n = 0; n < sessions; n++) {
    const socket = net.listeners[0].connect("127.0.0." + (10 + n), 50000 + n)!;
    socket.receive("HELLO c" + n + "\n");
    socket.written = "";
    peers.push(socket);
  }
  return { online: server.onlineCount() };
}

/** Run `cycles` heartbeat periods; every peer answers the server's PINGs, and sends one ECHO per period. */
export function serverCycles(cycles: number): { online: number; pings: number; echoes: number; lines: number } {
  for (let i = 0; i < cycles * 4; i++) {
    clock!.advance(250);
    for (let p = 0; p < peers.length; p++) {
      if (i % 4 === p % 4) peers[p].receive("ECHO " + i + " hello\n");
      answer(peers[p], false);
    }
  }
  return { online: server!.onlineCount(), pings: server!.stats.pings, echoes: server!.stats.echoes, lines };
}

let held: FakeTCP[] = [];

/** Only the fakes a server session costs here (the listener's raw socket and the adopted one), without the server. */
export function fakeSocketsOnly(sessions: number): number {
  clock = undefined;
  net = new FakeNet();
  client = undefined;
  server = undefined;
  peers = [];
  held = [];
  for (let n = 0; n < sessions; n++) {
    const raw = new FakeTCP({ address: "127.0.0." + (10 + n), port: 50000 + n });
    raw.ready = true;
    held.push(new net.TCP({ from: raw, onReadable() {}, onWritable() {}, onError() {} }));
  }
  return held.length;
}

/** Drop everything (the baseline for the next phase). */
export function reset(): void {
  retained.log = undefined;
  clock = undefined;
  net = undefined;
  client = undefined;
  server = undefined;
  peers = [];
  held = [];
}

/** Does nothing: what one call and one measurement cost the harness itself. */
export function idle(): number {
  return lines;
}


/** The fakes and log a client run uses (clock, network, one connected socket), without the client. */
export function clientFakesOnly(): number {
  reset();
  clock = new FakeClock();
  net = new FakeNet();
  retained.log = quietLog(clock);
  const socket = new net.TCP({ address: "127.0.0.1", port: 8420, onReadable() {}, onWritable() {}, onError() {} });
  socket.connect();
  return net.sockets.length;
}
