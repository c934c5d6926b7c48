// The network between this board and the others, as the lab's faults shape it: what it does to the board's TCP
// connections (through their gates, gate.ts) and to its datagrams (udp.ts). Only the effects live here; the board
// commands that set them are read in one place, commands.ts: blackhole (partition, a board that went dark), latency
// with jitter, UDP loss, an idle firewall, an injected RST, and peers that forgot their connections (a reset board).
// A board the lab never talks to is shaped by nothing: every hook below is then a no-op.
import type { Socket } from "node:net";
import type { Gate } from "./gate.ts";
import { seededRandom } from "../seeded-random.ts";

/** The gate methods shaping uses (gate.ts implements them). */
type Shaped = Pick<Gate, "hold" | "release" | "reset" | "peerForgot" | "remoteAddress" | "lastActivityMs" | "socket">;

const state = {
  /** Remote addresses this board cannot reach: traffic to and from them is held (a blackhole), both ways. */
  blackhole: new Set<string>(),
  /** One-way latency and jitter, in ms; each direction of each hop carries half (sender out, receiver in). */
  latencyMs: 0,
  jitterMs: 0,
  random: seededRandom(1), // seeded, so a lab run repeats its jitter
  /** Idle limit of the firewall between the boards, ms; 0 = no firewall. */
  idleMs: 0,
  /** Share of received datagrams lost, in percent, and the seeded draw (mulberry32) that picks them. */
  udpLossPercent: 0,
  udpRandom: seededRandom(1),
};

/** The network's clock for idle times (ms). Tests replace `now` to let time pass without waiting for it. */
export const networkClock = { now: (): number => performance.now() };

const gates = new Set<Shaped>();
/** Connections from blackholed peers that reached a Listener: reported once the peer is reachable. */
const heldAccepts = new Map<Socket, () => void>();

const plain = (address: string | undefined): string | undefined => address?.replace(/^::ffff:/, "");

function blackholed(address: string | undefined): boolean {
  return address !== undefined && state.blackhole.has(plain(address)!);
}

/** Gate constructor hook: a new connection starts under the current partition state. */
export function attachGate(gate: Shaped): void {
  gates.add(gate);
  gate.socket.once("close", () => gates.delete(gate));
  if (blackholed(gate.remoteAddress)) gate.hold("blackhole");
  // An outgoing socket learns its remote address when it connects; this listener runs before tcp.ts's, so a
  // connection to a blackholed peer is held before the app could hear that it connected.
  else if (gate.remoteAddress === undefined)
    gate.socket.once("connect", () => {
      if (blackholed(gate.remoteAddress)) gate.hold("blackhole");
    });
}

/**
 * Gate hook before anything leaves for the network. A stateful firewall or NAT keeps one entry per connection and
 * forgets it once the connection has been quiet for longer than its limit, counted from the connection's last
 * segment either way (Linux conntrack refreshes an entry's timeout on every packet it sees, net/netfilter/
 * nf_conntrack_proto_tcp.c): so this and everything after it vanish (held for good, both ways). The peer's side
 * decides the same way when it next sends, since it saw the same last segment.
 */
export function beforeSend(gate: Shaped): void {
  if (state.idleMs <= 0) return;
  if (networkClock.now() - gate.lastActivityMs > state.idleMs) gate.hold("idle-firewall");
}

/** Gate hook: the delay of one hop's half (this board's send or receive side), with jitter. */
export function hopDelayMs(): number {
  if (state.latencyMs <= 0 && state.jitterMs <= 0) return 0;
  const jitter = state.jitterMs > 0 ? (state.random() * 2 - 1) * state.jitterMs : 0;
  return Math.max(0, (state.latencyMs + jitter) / 2);
}

/**
 * Listener hook: a connection from a blackholed peer completed in the kernel, but its SYN would never have reached
 * the board; the Listener hears of it (`accept`) only when the peer is reachable again, like a retried SYN getting
 * through. True when held.
 */
export function holdAccept(socket: Socket, accept: () => void): boolean {
  if (!blackholed(socket.remoteAddress)) return false;
  heldAccepts.set(socket, accept);
  socket.once("close", () => heldAccepts.delete(socket));
  return true;
}

/** UDP hook: a datagram from `address` is lost (a blackholed sender, or the draw of the UDP loss). */
export function udpLost(address: string | undefined): { lost: boolean; drawn: boolean } {
  if (blackholed(address)) return { lost: true, drawn: false };
  if (state.udpLossPercent > 0 && state.udpRandom() * 100 < state.udpLossPercent) return { lost: true, drawn: true };
  return { lost: false, drawn: false };
}

// --- the effects of the board commands (commands.ts) ---

/** Traffic to and from `addresses` is blackholed from now on (and only theirs: the others are released). */
export function setBlackhole(addresses: string[]): void {
  state.blackhole = new Set(addresses);
  for (const gate of gates) {
    if (blackholed(gate.remoteAddress)) gate.hold("blackhole");
    else gate.release("blackhole");
  }
  for (const [socket, accept] of [...heldAccepts]) {
    if (blackholed(socket.remoteAddress)) continue;
    heldAccepts.delete(socket);
    if (!socket.destroyed) accept();
  }
}

export function setLatency(latencyMs: number, jitterMs: number, seed = 1): void {
  state.latencyMs = latencyMs;
  state.jitterMs = jitterMs;
  state.random = seededRandom(seed);
}

export function setUdpLoss(percent: number, seed = 1): void {
  state.udpLossPercent = Math.min(100, Math.max(0, Number(percent) || 0));
  state.udpRandom = seededRandom(seed);
}

export function setIdleFirewall(idleMs: number): void {
  state.idleMs = idleMs;
}

/** Connections with these remote addresses, in the state `act` puts them (an injected RST, a forgetful peer). */
function eachGateTo(addresses: string[], act: (gate: Shaped) => void): void {
  for (const gate of [...gates]) {
    const remote = plain(gate.remoteAddress);
    if (remote !== undefined && addresses.includes(remote)) act(gate);
  }
}

/** A middlebox injects RST into every connection with these addresses. */
export function injectReset(addresses: string[]): void {
  eachGateTo(addresses, (gate) => gate.reset());
}

/** The boards at these addresses lost every connection (a reset, a crash, a power cut): see Gate.peerForgot. */
export function forgetPeers(addresses: string[]): void {
  eachGateTo(addresses, (gate) => gate.peerForgot());
}
