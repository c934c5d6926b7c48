// The lab's kernel mode (`linklab lab --net kernel`, or `net kernel` in a scenario): what LabRun (host-sim/lab/lab.ts)
// asks of the network when the kernel carries it. The faults in host-sim/lab/faults.ts stay the same; they act
// through the lab's FaultNetwork, and here each of their effects is made by the kernel instead of inside the
// boards' runtime:
// - a board command that describes the network (blackhole, forget, idle-firewall, udp-loss, reset, latency when
//   netem exists) is made by the kernel network and not sent to the board; the commands a board itself hears on
//   the ESP32 (its Wi-Fi events, the address plan, its button) still go to its runtime, and the kernel also acts
//   on Wi-Fi (the link goes down, comes back renumbered);
// - freeze (power cut) stops the process and unplugs its interface; kill (reboot, crash, power-on) kills it
//   unplugged, so no FIN or RST leaves, and deletes its namespace: the kernel state is gone;
// - start boots a fresh namespace first, and the board's process runs inside it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import type { BoardCommand } from "../runtime/board.ts";
import { CAPTURE_PREFIX, cleanLeftovers } from "./names.ts";
import { KernelNetwork, type KernelBoardSpec } from "./network.ts";
import { kernelPrivilege } from "./privilege.ts";
import { describeKernelView, readKernelView, type KernelEvent } from "./view.ts";

export type NetMode = "runtime" | "kernel";

/** A board as kernel mode sees it (LabRun's Live). */
export interface KernelModeBoard {
  readonly id: string;
  readonly index: number;
  address: string;
  readonly addresses: string[];
  off: boolean;
  wifiUp: boolean;
}

export interface KernelView {
  /** How the run was made, said once (e.g. that latency falls back to the runtime). */
  notes: string[];
  /** The kernel's view, a few lines (SYN retries, RSTs, keep-alive probes); empty without tshark. */
  lines: string[];
  events: KernelEvent[];
  /** The per-board pcaps when --capture was given. */
  captures: string[];
}

/** Why kernel mode cannot run here (one line, with how to get it), or undefined when it can. */
export function kernelModeMissing(): string | undefined {
  const privilege = kernelPrivilege();
  if (privilege.how === "none") return privilege.why;
  if (privilege.how === "userns")
    return "--net kernel: not root; `npx linklab lab <scenario> --net kernel` runs itself in a user namespace here (unprivileged user namespaces are allowed), or run this with sudo";
  try {
    execFileSync("nft", ["--version"], { stdio: "ignore", timeout: 10_000 });
  } catch {
    return "--net kernel needs nftables (apt-get install nftables)";
  }
  return undefined;
}

function has(command: string): boolean {
  try {
    execFileSync(command, ["--version"], { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export class KernelMode {
  readonly network: KernelNetwork;
  readonly notes: string[] = [];
  readonly #say: (text: string) => void;
  readonly #userCapture: boolean;
  /** The last value made for a network-wide command (sent to every board, made once). */
  #idleMs = 0;
  #udpLoss = 0;
  #latency = "0/0";
  #peers = "";
  #rejectNoted = false;
  /** Kernel work per board, in order (a kill waits for the unplug of the freeze before it). */
  readonly #queues = new Map<number, Promise<void>>();

  /** Clean what killed labs left, then build the network. Throws a one-line Error when it cannot. */
  static async open(boards: KernelBoardSpec[], firstAddress: string, options: { captureDir?: string; say(text: string): void }): Promise<KernelMode> {
    const missing = kernelModeMissing();
    if (missing) throw new Error(missing);
    const removed = cleanLeftovers();
    if (removed.length) options.say(`kernel: removed what a killed lab left behind: ${removed.join(" ")}`);
    // A temporary capture directory carries the lab's pid: the exit hook removes it, and after a SIGKILL the next
    // start does (cleanLeftovers).
    const temporary = has("dumpcap") && options.captureDir === undefined ? mkdtempSync(join(tmpdir(), `${CAPTURE_PREFIX}${process.pid}-`)) : undefined;
    if (temporary) process.once("exit", () => rmSync(temporary, { recursive: true, force: true }));
    const capture = has("dumpcap") ? (options.captureDir ?? temporary) : undefined;
    const network = await KernelNetwork.create({ boards, firstAddress, captureDir: capture });
    const mode = new KernelMode(network, (text) => options.say(text), options.captureDir !== undefined);
    mode.#note(`kernel: each board in its own network namespace, joined by a bridge in the router namespace ${network.router} (${network.routerAddress})`);
    if (!capture) mode.#note("kernel: no dumpcap here, so no captures and no kernel view (apt-get install tshark)");
    if (!network.netem) mode.#note("kernel: tc netem is not available in this kernel, so the kernel cannot delay packets: latency is made inside each host board's runtime, as in the default mode");
    mode.#note("kernel: udp-loss uses nftables numgen random, which takes no seed: the lost datagrams differ from run to run");
    return mode;
  }

  private constructor(network: KernelNetwork, say: (text: string) => void, userCapture: boolean) {
    this.network = network;
    this.#say = say;
    this.#userCapture = userCapture;
  }

  #note(text: string): void {
    this.notes.push(text);
    this.#say(text);
  }

  #queue(board: KernelModeBoard, work: () => Promise<void>): Promise<void> {
    const next = (this.#queues.get(board.index) ?? Promise.resolve()).then(work);
    this.#queues.set(board.index, next.catch((error: Error) => this.#say(`kernel error on ${board.id}: ${error.message}`)));
    return next;
  }

  /** The command prefix that runs a board's process in its namespace. */
  wrap(board: KernelModeBoard): string[] {
    return this.network.wrap(board.index);
  }

  /** Before a board's process starts: a fresh namespace (an empty kernel) at its current address. */
  boot(board: KernelModeBoard): Promise<void> {
    return this.#queue(board, () => this.network.boot(board.index, board.address, board.wifiUp));
  }

  /** Power cut (the caller stops the process): the interface is unplugged, silent both ways. */
  freeze(board: KernelModeBoard): void {
    void this.#queue(board, () => this.network.unplug(board.index)).catch(() => undefined);
  }

  /** Reboot, crash, power-on: the process dies unplugged (its FIN reaches nobody) and its kernel state is gone. */
  kill(board: KernelModeBoard, freezeProcess: () => void, killProcess: () => Promise<void>): Promise<void> {
    return this.#queue(board, async () => {
      freezeProcess();
      await this.network.unplug(board.index);
      await killProcess();
      await this.network.wipe(board.index);
    });
  }

  /** Partitions as address groups for the router's nftables. */
  sync(boards: KernelModeBoard[], partitions: Set<string>): void {
    const byId = new Map(boards.map((b) => [b.id, b]));
    const pairs: [string[], string[]][] = [];
    for (const key of partitions) {
      const [a, b] = key.split(" ").map((id) => byId.get(id));
      if (a && b) pairs.push([[...a.addresses], [...b.addresses]]);
    }
    void this.network.partitions(pairs).catch((error: Error) => this.#say(`kernel error: ${error.message}`));
  }

  /**
   * A board command, made by the kernel where it describes the network. True when the board's runtime must also
   * hear it (its own Wi-Fi events, the address plan, its button, latency without netem). Wi-Fi coming back is
   * delivered by `deliver` once the kernel has the interface up at its address (the runtime binds to it at once).
   */
  command(board: KernelModeBoard, command: BoardCommand, all: KernelModeBoard[], deliver: () => void): boolean {
    const fail = (error: Error): void => this.#say(`kernel error: ${error.message}`);
    switch (command.type) {
      case "blackhole":
      case "forget":
        // Partitions are the router's rules (sync); a board that lost its state really has (its namespace is new).
        return false;
      case "idle-firewall":
        if (command.idleMs !== this.#idleMs) {
          this.#idleMs = command.idleMs;
          void this.network.idleFirewall(command.idleMs).catch(fail);
        }
        return false;
      case "udp-loss":
        if (command.percent !== this.#udpLoss) {
          this.#udpLoss = command.percent;
          void this.network.udpLoss(command.percent).catch(fail);
        }
        return false;
      case "latency": {
        if (!this.network.netem) return true;
        const key = `${command.latencyMs}/${command.jitterMs}`;
        if (key !== this.#latency) {
          this.#latency = key;
          void this.network.latency(command.latencyMs, command.jitterMs).catch(fail);
        }
        return false;
      }
      case "reset": {
        const peer = all.find((b) => b !== board && b.addresses.some((a) => command.addresses.includes(a)));
        if (!peer) return false;
        void this.network
          .reset(board.index, peer.index)
          .then((how) => {
            if (how === "reject" && !this.#rejectNoted) {
              this.#rejectNoted = true;
              this.#note("kernel: reset: a socket survived SOCK_DESTROY (ss -K; the kernel needs CONFIG_INET_DIAG_DESTROY), so nftables answers the next segment each way with an RST instead");
            }
          })
          .catch(fail);
        return false;
      }
      case "peers": {
        // A new address plan is the router coming back from a reboot: it tracked no connection any more.
        const key = command.peers.join(",");
        if (key !== this.#peers) {
          this.#peers = key;
          void this.network.routerReboot().catch(fail);
        }
        return true;
      }
      case "wifi":
        if (!command.up) {
          void this.#queue(board, () => this.network.link(board.index, false)).catch(() => undefined);
          return true;
        }
        void this.#queue(board, () => this.network.link(board.index, true, command.address)).then(deliver, () => undefined);
        return false;
      default:
        return true;
    }
  }

  /** After the boards stopped: the captures end and are read into the kernel's view (lab times from epochOfLabZero). */
  async finish(epochOfLabZero: number): Promise<KernelView> {
    await this.network.stopCaptures();
    const files = this.network.captureFiles();
    let events: KernelEvent[] = [];
    let lines: string[] = [];
    if (files.size > 0) {
      if (has("tshark")) {
        try {
          events = await readKernelView(files, this.network.addressesOf(), epochOfLabZero);
          lines = describeKernelView(events);
        } catch (error) {
          lines = [`kernel view unavailable: ${(error as Error).message}`];
        }
      } else lines = ["kernel view unavailable: no tshark here (apt-get install tshark)"];
    }
    return { notes: this.notes, lines, events, captures: this.#userCapture ? [...files.values()] : [] };
  }

  /** Remove the namespaces (and the temporary captures when --capture was not given). */
  close(): void {
    this.network.teardown();
    const dir = this.network.captureDir;
    if (dir && !this.#userCapture) rmSync(dir, { recursive: true, force: true });
  }
}
