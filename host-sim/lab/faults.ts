// The lab's faults, one entry each: the words a scenario uses (`at <time> <fault> ...`), how they are read and
// checked, which boards a fault touches (for engine checks and for filing reactions under their cause), the lab
// events it produces (the anchors expectations are timed from), and what it does to the running boards. Adding a
// fault is one entry here plus its effect inside the runtime (a case in host-sim/runtime/commands.ts), as
// docs/contributing.md shows. Faults are named after what happens to real boards (docs/simulator.md, "Faults").
import type { BoardCommand } from "../runtime/board.ts";
import { LONG_PRESS_MS } from "../../modules/button.ts";

/** How long the lab holds the BOOT button for a short press (a finger's tap). */
const SHORT_PRESS_MS = 200;

/** Reads a fault's arguments; every method throws (with the scenario's file:line) on a bad word. */
export interface ArgReader {
  /** A declared board id. */
  board(word: string | undefined, what: string): string;
  /** A duration (`3`, `3s`, `500ms`); a bare number is in `unit`. */
  duration(word: string | undefined, what: string, unit?: "s" | "ms"): number;
  fail(message: string): never;
}

/** A board as the running lab sees it, for a fault to act on. */
export interface FaultBoard {
  readonly id: string;
  /** Its current address. */
  address: string;
  /** Every address it had, in order. */
  readonly addresses: string[];
  /** Powered off: its process is frozen and peers blackhole it. */
  off: boolean;
  wifiUp: boolean;
}

/** The network-wide fault state that boards booting later must also learn (see LabRun.greet). */
export interface NetworkState {
  /** "a b" with a < b */
  partitions: Set<string>;
  latency: { latencyMs: number; jitterMs: number };
  udpLossPercent: number;
  idleMs: number;
}

/** What a fault may do to a running lab (implemented by LabRun). */
export interface FaultNetwork {
  readonly boards: FaultBoard[];
  readonly state: NetworkState;
  board(id: string): FaultBoard;
  /** Record a lab event (an anchor) and say it in words on the live log. */
  announce(name: string, args: string[], text: string): void;
  send(board: FaultBoard, command: BoardCommand): void;
  /** Run an action after ms of lab time, unless the run has ended. */
  later(ms: number, action: () => void | Promise<void>): void;
  /** Send every board the blackhole list that partitions and powered-off boards now call for. */
  syncBlackholes(): void;
  /** A fresh seed for a fault's random draws, from the run's seed. */
  nextSeed(): number;
  /** A new address in the lab's network, never used before in the run. */
  newAddress(): string;
  freeze(board: FaultBoard): void;
  kill(board: FaultBoard): Promise<void>;
  /** Start the board's process again (a boot), at its current address. */
  start(board: FaultBoard): Promise<void>;
}

/** Boards a fault or lab event touches: these ids, or every board of the network. */
export type Touched = string[] | "all";

export interface FaultSpec<F> {
  /** The arguments after the fault's name, as the usage line shows them. */
  usage: string;
  /** Least and most arguments. */
  args: [number, number];
  parse(args: string[], read: ArgReader): F;
  /** Which boards it touches. */
  touches(fault: F): Touched;
  /** The boards whose runtime must carry it out, when not all it touches (default: touches). */
  reaches?(fault: F): Touched;
  /** Made by the lab to a board's process (freeze, kill, start): it reaches a board on any engine. Otherwise it is
   * made inside the host runtime, which a board on Moddable's runtime does not run. */
  process?: boolean;
  /** The lab events (anchors) this fault defines, with how many board ids each takes. */
  anchors: Record<string, number>;
  /** Of those, the ones that end a fault (a reaction after one is a recovery, not a new failure). */
  restores?: string[];
  /** The anchors this step produces, as "name board...": each expectation's anchor must be among them. */
  produces(fault: F): string[];
  /** Checked in timeline order, with state shared between steps (e.g. which boards are off). */
  inOrder?(fault: F, powered: Set<string>, fail: (message: string) => never): void;
  apply(fault: F, net: FaultNetwork): void | Promise<void>;
}

function spec<F>(entry: FaultSpec<F>): FaultSpec<F> {
  return entry;
}

function pair(a: string, b: string): string {
  return [a, b].sort().join(" ");
}

function twoBoards(kind: string) {
  return (args: string[], read: ArgReader): { a: string; b: string } => {
    const a = read.board(args[0], kind);
    const b = read.board(args[1], kind);
    if (a === b) read.fail(`${kind} needs two different boards`);
    return { a, b };
  };
}

/**
 * The board stops dead (a power cut, a crash, the instant of a reset): its process is frozen (SIGSTOP), so nothing
 * more leaves it, and the peers blackhole it and learn that it forgot every connection (`forget`). A real board's
 * lwIP state is simply gone: no FIN and no RST, only silence; the FIN or RST its kernel sends when the process is
 * killed later reaches no app, and a peer's next segment once the board is back is answered with RST
 * (docs/simulator.md, "How each fault is made").
 */
function goDark(net: FaultNetwork, board: FaultBoard): void {
  board.off = true;
  net.freeze(board);
  // The blackhole first: a peer must never answer its own next segment with the RST before the board is gone.
  net.syncBlackholes();
  for (const other of net.boards) if (other !== board) net.send(other, { type: "forget", addresses: [...board.addresses] });
}

/** The dark board boots again: its frozen process is killed and a fresh one starts at the same address. */
async function powerOn(net: FaultNetwork, board: FaultBoard): Promise<void> {
  await net.kill(board);
  board.off = false;
  const starting = net.start(board);
  net.syncBlackholes();
  await starting;
}

export const FAULTS = {
  "wifi-drop": spec({
    usage: "<board> <seconds>",
    args: [2, 2],
    parse: (args, read) => ({ board: read.board(args[0], "wifi-drop"), durationMs: read.duration(args[1], "wifi-drop <seconds>") }),
    touches: (f) => [f.board],
    anchors: { "wifi-drop": 1, "wifi-restore": 1 },
    restores: ["wifi-restore"],
    produces: (f) => [`wifi-drop ${f.board}`, `wifi-restore ${f.board}`],
    apply(f, net) {
      const board = net.board(f.board);
      net.announce("wifi-drop", [f.board], `${f.board}: Wi-Fi drops for ${f.durationMs / 1000}s (its traffic stops both ways)`);
      board.wifiUp = false;
      net.send(board, { type: "wifi", up: false });
      net.later(f.durationMs, () => {
        board.wifiUp = true;
        net.announce("wifi-restore", [f.board], `${f.board}: Wi-Fi is back (same address ${board.address})`);
        net.send(board, { type: "wifi", up: true, address: board.address });
      });
    },
  }),
  "router-reboot": spec({
    usage: "<seconds>",
    args: [1, 1],
    parse: (args, read) => ({ durationMs: read.duration(args[0], "router-reboot <seconds>") }),
    touches: () => "all",
    anchors: { "router-reboot": 0, "router-restore": 0 },
    restores: ["router-restore"],
    produces: () => ["router-reboot", "router-restore"],
    apply(f, net) {
      net.announce("router-reboot", [], `router reboots for ${f.durationMs / 1000}s: every board loses Wi-Fi`);
      for (const board of net.boards) {
        board.wifiUp = false;
        net.send(board, { type: "wifi", up: false });
      }
      net.later(f.durationMs, () => {
        for (const board of net.boards) {
          board.address = net.newAddress();
          board.addresses.push(board.address);
        }
        const peers = net.boards.map((b) => b.address);
        net.announce("router-restore", [], `router is back: new addresses ${net.boards.map((b) => `${b.id}=${b.address}`).join(" ")}`);
        for (const board of net.boards) {
          board.wifiUp = true;
          net.send(board, { type: "peers", peers });
          net.send(board, { type: "wifi", up: true, address: board.address });
        }
        net.syncBlackholes();
      });
    },
  }),
  "power-off": spec({
    usage: "<board> [<seconds> until power-on]",
    args: [1, 2],
    parse: (args, read): { board: string; durationMs?: number } => {
      const fault: { board: string; durationMs?: number } = { board: read.board(args[0], "power-off") };
      if (args[1] !== undefined) fault.durationMs = read.duration(args[1], "power-off <seconds>");
      return fault;
    },
    touches: (f) => [f.board],
    process: true,
    anchors: { "power-off": 1 },
    produces: (f) => [`power-off ${f.board}`, ...(f.durationMs !== undefined ? [`power-on ${f.board}`] : [])],
    inOrder(f, off, fail) {
      if (off.has(f.board)) fail(`${f.board} is already powered off`);
      if (f.durationMs === undefined) off.add(f.board);
    },
    apply(f, net) {
      const board = net.board(f.board);
      net.announce("power-off", [f.board], `${f.board}: power cut (the process is frozen: no FIN, no RST, only silence)`);
      goDark(net, board);
      if (f.durationMs !== undefined)
        net.later(f.durationMs, async () => {
          net.announce("power-on", [f.board], `${f.board}: power is back, it boots again at ${board.address}`);
          await powerOn(net, board);
        });
    },
  }),
  "power-on": spec({
    usage: "<board>",
    args: [1, 1],
    parse: (args, read) => ({ board: read.board(args[0], "power-on") }),
    touches: (f) => [f.board],
    process: true,
    anchors: { "power-on": 1 },
    restores: ["power-on"],
    produces: (f) => [`power-on ${f.board}`],
    inOrder(f, off, fail) {
      if (!off.delete(f.board)) fail(`power-on ${f.board}: it was not powered off (without a time) before this line`);
    },
    async apply(f, net) {
      const board = net.board(f.board);
      net.announce("power-on", [f.board], `${f.board}: power is back, it boots again at ${board.address}`);
      await powerOn(net, board);
    },
  }),
  crash: spec({
    usage: "<board>",
    args: [1, 1],
    parse: (args, read) => ({ board: read.board(args[0], "crash") }),
    touches: (f) => [f.board],
    process: true,
    anchors: { crash: 1 },
    produces: (f) => [`crash ${f.board}`],
    apply(f, net) {
      net.announce("crash", [f.board], `${f.board}: crashes and stays down (no FIN, no RST: its peers hear only silence)`);
      goDark(net, net.board(f.board));
    },
  }),
  reboot: spec({
    usage: "<board> <seconds>",
    args: [2, 2],
    parse: (args, read) => ({ board: read.board(args[0], "reboot"), durationMs: read.duration(args[1], "reboot <seconds>") }),
    touches: (f) => [f.board],
    process: true,
    anchors: { reboot: 1 },
    produces: (f) => [`reboot ${f.board}`],
    apply(f, net) {
      const board = net.board(f.board);
      net.announce("reboot", [f.board], `${f.board}: resets (no FIN, no RST: silence), boots again in ${f.durationMs / 1000}s`);
      goDark(net, board);
      net.later(f.durationMs, () => powerOn(net, board));
    },
  }),
  "idle-firewall": spec({
    usage: "<seconds> | idle-firewall off",
    args: [1, 1],
    parse: (args, read) => {
      const idleMs = args[0] === "off" ? 0 : read.duration(args[0], "idle-firewall <seconds>");
      if (idleMs === 0 && args[0] !== "off") read.fail("idle-firewall needs more than 0 seconds (or 'off')");
      return { idleMs };
    },
    touches: () => "all",
    anchors: { "idle-firewall": 0 },
    produces: () => ["idle-firewall"],
    apply(f, net) {
      net.state.idleMs = f.idleMs;
      net.announce("idle-firewall", [], f.idleMs ? `a firewall now silently drops any TCP connection idle for more than ${f.idleMs / 1000}s` : "the idle firewall is gone");
      for (const board of net.boards) net.send(board, { type: "idle-firewall", idleMs: f.idleMs });
    },
  }),
  partition: spec({
    usage: "<board> <board>",
    args: [2, 2],
    parse: twoBoards("partition"),
    touches: (f) => [f.a, f.b],
    anchors: { partition: 2 },
    produces: (f) => [`partition ${f.a} ${f.b}`, `partition ${f.b} ${f.a}`],
    apply(f, net) {
      net.state.partitions.add(pair(f.a, f.b));
      net.announce("partition", [f.a, f.b], `${f.a} and ${f.b} can no longer reach each other (traffic blackholed)`);
      net.syncBlackholes();
    },
  }),
  heal: spec({
    usage: "[<board> <board>] (no boards: heal every partition)",
    args: [0, 2],
    parse: (args, read): { a?: string; b?: string } => {
      if (args.length === 1) read.fail("usage: at <time> heal [<board> <board>] (no boards: heal every partition)");
      return args.length ? { a: read.board(args[0], "heal"), b: read.board(args[1], "heal") } : {};
    },
    touches: (f) => (f.a && f.b ? [f.a, f.b] : "all"),
    // A bare heal lifts partitions, and a board on Moddable's runtime is never in one.
    reaches: (f) => (f.a && f.b ? [f.a, f.b] : []),
    anchors: { heal: 0 },
    restores: ["heal"],
    produces: () => ["heal"],
    apply(f, net) {
      if (f.a && f.b) net.state.partitions.delete(pair(f.a, f.b));
      else net.state.partitions.clear();
      net.announce("heal", f.a && f.b ? [f.a, f.b] : [], f.a ? `${f.a} and ${f.b} can reach each other again` : "every partition heals");
      net.syncBlackholes();
    },
  }),
  latency: spec({
    usage: "<ms> [<jitter ms>]",
    args: [1, 2],
    parse: (args, read) => ({
      latencyMs: read.duration(args[0], "latency <ms>", "ms"),
      jitterMs: args[1] === undefined ? 0 : read.duration(args[1], "latency jitter <ms>", "ms"),
    }),
    touches: () => "all",
    anchors: { latency: 0 },
    produces: () => ["latency"],
    apply(f, net) {
      net.state.latency = { latencyMs: f.latencyMs, jitterMs: f.jitterMs };
      net.announce("latency", [], `every packet now takes ${f.latencyMs} ms${f.jitterMs ? ` ± ${f.jitterMs} ms` : ""} each way`);
      for (const board of net.boards) net.send(board, { type: "latency", ...net.state.latency, seed: net.nextSeed() });
    },
  }),
  "udp-loss": spec({
    usage: "<percent>",
    args: [1, 1],
    parse: (args, read) => {
      const match = /^(\d+(?:\.\d+)?)%?$/.exec(args[0]);
      if (!match || Number(match[1]) > 100) read.fail(`udp-loss: expected a percentage from 0 to 100, got '${args[0]}'`);
      return { percent: Number(match![1]) };
    },
    touches: () => "all",
    anchors: { "udp-loss": 0 },
    produces: () => ["udp-loss"],
    apply(f, net) {
      net.state.udpLossPercent = f.percent;
      net.announce("udp-loss", [], `${f.percent}% of UDP datagrams are now lost`);
      for (const board of net.boards) net.send(board, { type: "udp-loss", percent: f.percent, seed: net.nextSeed() });
    },
  }),
  reset: spec({
    usage: "<board> <board>",
    args: [2, 2],
    parse: twoBoards("reset"),
    touches: (f) => [f.a, f.b],
    anchors: { reset: 2 },
    produces: (f) => [`reset ${f.a} ${f.b}`, `reset ${f.b} ${f.a}`],
    apply(f, net) {
      net.announce("reset", [f.a, f.b], `a middlebox injects RST into every connection between ${f.a} and ${f.b}`);
      net.send(net.board(f.a), { type: "reset", addresses: net.board(f.b).addresses });
    },
  }),
  button: spec({
    usage: "<board> short|long",
    args: [2, 2],
    parse: (args, read): { board: string; press: "short" | "long" } => {
      const board = read.board(args[0], "button");
      if (args[1] !== "short" && args[1] !== "long") read.fail(`button: expected short or long, got '${args[1]}'`);
      return { board, press: args[1] as "short" | "long" };
    },
    touches: (f) => [f.board],
    anchors: { button: 1 },
    produces: (f) => [`button ${f.board}`],
    apply(f, net) {
      // The firmware (modules/button.ts) tells the presses apart; the lab only holds GPIO 0 down for a while.
      const ms = f.press === "short" ? SHORT_PRESS_MS : LONG_PRESS_MS + 500;
      const what = f.press === "short" ? "short press (its firmware drops Wi-Fi)" : "long press (its firmware cuts the power: silence)";
      net.announce("button", [f.board], `${f.board}: BOOT button held ${ms / 1000}s: ${what}`);
      net.send(net.board(f.board), { type: "button", ms });
    },
  }),
};

export type FaultKind = keyof typeof FAULTS;
type FaultData<K extends FaultKind> = (typeof FAULTS)[K] extends FaultSpec<infer F> ? F : never;
/** A fault on the timeline: its kind and what its entry's parse returned. */
export type Fault = { [K in FaultKind]: { kind: K } & FaultData<K> }[FaultKind];

export function isFaultKind(word: string | undefined): word is FaultKind {
  return word !== undefined && Object.hasOwn(FAULTS, word);
}

/** The entry of a fault, typed loosely for code that handles every kind alike. */
export function faultSpec(kind: FaultKind): FaultSpec<Fault> {
  return FAULTS[kind] as unknown as FaultSpec<Fault>;
}

/** The lab's own anchors, beside those of the faults: the clock starting, and a board (re)booting. */
export const LAB_ANCHORS: Record<string, number> = { start: 0, boot: 1 };

/** Every anchor an expectation may name, with how many board ids it takes. */
export const ANCHORS: Record<string, number> = { ...LAB_ANCHORS };
for (const fault of Object.values(FAULTS)) Object.assign(ANCHORS, fault.anchors);

/** Anchors that end a fault. */
export const RESTORES = new Set(Object.values(FAULTS).flatMap((f) => f.restores ?? []));

/** The boards a lab event touches, from its name and arguments (every board for a network-wide event). */
export function eventTouches(name: string, args: string[]): Touched {
  return args.length > 0 ? args : name in ANCHORS ? "all" : [];
}
