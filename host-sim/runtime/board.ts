// The identity and control surface of one simulated board (one per process): its id, its address in
// 127.0.0.0/8, the other boards on its simulated Wi-Fi network, its boot time and its merged config. The runtime
// modules read it; the boot script (host-sim/boot.ts) fills it before the app is imported; the lab controller
// drives it through `control` events (relayed from IPC messages).
import { EventEmitter } from "node:events";

export interface BoardIdentity {
  /** Board id shown in logs and scenarios, e.g. "server" or "c1". */
  id: string;
  /** The board's own IPv4 address; on the simulator always in 127.0.0.0/8. */
  address: string;
  /** Addresses of every board on the same simulated network (including this one): where a broadcast goes. */
  peers: string[];
  /** Netmask used to compute the subnet broadcast address (127.255.255.255 for 255.0.0.0). */
  netmask: string;
}

/** Commands the lab controller (or a test) sends to a board. */
export type BoardCommand =
  | { type: "wifi"; up: false }
  | { type: "wifi"; up: true; address?: string }
  | { type: "udp-loss"; percent: number; seed?: number }
  // The lab's fault layer (runtime/shaping.ts): traffic to/from these addresses is blackholed; one-way latency;
  // an idle firewall (0 = none); an injected RST on connections with these addresses; the new broadcast set.
  | { type: "blackhole"; addresses: string[] }
  | { type: "latency"; latencyMs: number; jitterMs: number; seed?: number }
  | { type: "idle-firewall"; idleMs: number }
  | { type: "reset"; addresses: string[] }
  | { type: "peers"; peers: string[] };

class Board extends EventEmitter {
  identity: BoardIdentity = { id: "board", address: "127.0.0.1", peers: ["127.0.0.1"], netmask: "255.0.0.0" };
  /** performance.now() at boot: Time.ticks counts from here, like milliseconds since reset on the ESP32. */
  bootMs = performance.now();
  /** Config after manifest defaults and key=value overrides (see runtime/config.ts). */
  config: Readonly<Record<string, unknown>> = Object.freeze({});
  /** Sockets and timers register a closer here so SIGINT/SIGTERM or a simulated power cut can release them. */
  readonly closers = new Set<() => void>();

  command(command: BoardCommand): void {
    this.emit("command", command);
  }

  closeAll(): void {
    for (const close of [...this.closers]) {
      try {
        close();
      } catch {
        // Closing is best effort during shutdown; one failed closer must not keep the others open.
      }
    }
    this.closers.clear();
  }
}

/** The board this process simulates. */
export const board = new Board();
