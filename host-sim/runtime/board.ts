// The identity and control surface of one simulated board (one per process): its id, its address in
// 127.0.0.0/8, the other boards on its simulated Wi-Fi network, its boot time and its merged config. The runtime
// modules read it; the boot script (host-sim/boot.ts) fills it before the app is imported; the lab controller
// drives it through board commands (relayed from IPC messages, carried out by commands.ts).

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

/**
 * Commands the lab controller (over IPC) or a test sends to a board. Every one is handled in one place,
 * host-sim/runtime/commands.ts; the modules it calls keep only the effect (station.ts, shaping.ts, digital.ts).
 */
export type BoardCommand =
  // The access point goes (up: false) or comes back, with a new address if given.
  | { type: "wifi"; up: false }
  | { type: "wifi"; up: true; address?: string }
  // The network between the boards (runtime/shaping.ts): traffic to/from these addresses is blackholed; one-way
  // latency; loss of received datagrams; an idle firewall (0 = none); an injected RST on connections with these
  // addresses; the boards at these addresses lost every connection (reset, crash, power cut); the new broadcast set.
  | { type: "blackhole"; addresses: string[] }
  | { type: "latency"; latencyMs: number; jitterMs: number; seed?: number }
  | { type: "udp-loss"; percent: number; seed?: number }
  | { type: "idle-firewall"; idleMs: number }
  | { type: "reset"; addresses: string[] }
  | { type: "forget"; addresses: string[] }
  | { type: "peers"; peers: string[] }
  // Someone presses the board's BOOT button (GPIO 0) for ms (runtime/digital.ts).
  | { type: "button"; ms: number };

class Board {
  identity: BoardIdentity = { id: "board", address: "127.0.0.1", peers: ["127.0.0.1"], netmask: "255.0.0.0" };
  /** performance.now() at boot: Time.ticks counts from here, like milliseconds since reset on the ESP32. */
  bootMs = performance.now();
  /** Config after manifest defaults and key=value overrides (see runtime/config.ts). */
  config: Readonly<Record<string, unknown>> = Object.freeze({});
  /** Sockets and timers register a closer here so SIGINT/SIGTERM or a simulated power cut can release them. */
  readonly closers = new Set<() => void>();

  #dispatch: ((command: BoardCommand) => void) | undefined;

  /**
   * Carry out a command (commands.ts). A board whose app loaded no network or GPIO module has nothing a command
   * could act on, and ignores it.
   */
  command(command: BoardCommand): void {
    this.#dispatch?.(command);
  }

  /** Install the one dispatcher (host-sim/runtime/commands.ts does, when it loads). */
  handleCommands(dispatch: (command: BoardCommand) => void): void {
    this.#dispatch = dispatch;
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
