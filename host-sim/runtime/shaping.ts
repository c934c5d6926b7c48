// The lab's fault layer inside one board: what the network between this board and the others does to its TCP
// connections (through their gates, gate.ts) and its datagrams. Driven by BoardCommands the lab controller sends:
// blackhole (partition, a powered-off peer), latency with jitter, an idle firewall, an injected RST, peer changes.
// A board the lab never talks to is shaped by nothing: every hook below is then a no-op.
import { board, type BoardCommand } from "./board.ts";
import type { Socket } from "node:net";
import type { Gate } from "./gate.ts";
import { seededRandom } from "../seeded-random.ts";

/** The gate methods shaping uses (gate.ts implements them). */
type Shaped = Pick<Gate, "hold" | "release" | "reset" | "remoteAddress" | "lastActivityMs" | "socket">;

const state = {
  /** Remote addresses this board cannot reach: traffic to and from them is held (a blackhole), both ways. */
  blackhole: new Set<string>(),
  /** One-way latency and jitter, in ms; each direction of each hop carries half (sender out, receiver in). */
  latencyMs: 0,
  jitterMs: 0,
  random: seededRandom(1), // seeded, so a lab run repeats its jitter
  /** Idle limit of the firewall between the boards, ms; 0 = no firewall. */
  idleMs: 0,
  /** When the firewall appeared: a connection's idle time is counted from here at the earliest. */
  firewallSinceMs: 0,
};

const gates = new Set<Shaped>();
/** Connections from blackholed peers that reached a Listener: reported once the peer is reachable. */
const heldAccepts = new Map<Socket, () => void>();


function blackholed(address: string | undefined): boolean {
  return address !== undefined && state.blackhole.has(address.replace(/^::ffff:/, ""));
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
 * Gate hook before anything leaves for the network: an idle firewall has forgotten a connection that was quiet
 * for longer than its limit, so this and everything after it vanish (held for good, both ways). The peer's side
 * decides the same way when it next sends, since it saw the same last byte.
 */
export function beforeSend(gate: Shaped): void {
  if (state.idleMs <= 0) return;
  const quietSinceMs = Math.max(gate.lastActivityMs, state.firewallSinceMs);
  if (performance.now() - quietSinceMs > state.idleMs) gate.hold("idle-firewall");
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

/** UDP hook: a datagram to or from a blackholed address is lost. */
export function udpBlocked(address: string | undefined): boolean {
  return blackholed(address);
}

board.on("command", (command: BoardCommand) => {
  switch (command.type) {
    case "blackhole":
      state.blackhole = new Set(command.addresses);
      for (const gate of gates) {
        if (blackholed(gate.remoteAddress)) gate.hold("blackhole");
        else gate.release("blackhole");
      }
      for (const [socket, accept] of [...heldAccepts]) {
        if (blackholed(socket.remoteAddress)) continue;
        heldAccepts.delete(socket);
        if (!socket.destroyed) accept();
      }
      break;
    case "latency":
      state.latencyMs = command.latencyMs;
      state.jitterMs = command.jitterMs;
      state.random = seededRandom(command.seed ?? 1);
      break;
    case "idle-firewall":
      state.idleMs = command.idleMs;
      state.firewallSinceMs = performance.now();
      break;
    case "reset":
      for (const gate of [...gates]) {
        const remote = gate.remoteAddress?.replace(/^::ffff:/, "");
        if (remote !== undefined && command.addresses.includes(remote)) gate.reset();
      }
      break;
    case "peers":
      board.identity = { ...board.identity, peers: command.peers };
      break;
  }
});
