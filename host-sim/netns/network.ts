// The kernel network of a lab run (`linklab lab --net kernel`): every board in its own network namespace, joined by a
// veth pair to a "router" namespace whose bridge is the Wi-Fi network (the broadcast domain). Faults are made by the
// kernel, not inside the boards' runtime:
//   wifi-drop      the board's own interface goes down (and its runtime hears the Wi-Fi event, as the ESP32 app does)
//   power-off      the board's process stops (SIGSTOP) and its interface is unplugged: silent both ways
//   reboot/crash   the process stops, the interface is unplugged, the process is killed (its FIN goes nowhere) and the
//                  namespace is deleted: the kernel state is gone, so the returning board answers old segments with RST
//   partition      nftables in the router drops between the two boards' addresses
//   udp-loss       nftables `numgen random` in the router drops that share of UDP datagrams (no seed: the kernel's RNG)
//   idle-firewall  nftables conntrack in the router: entries of established TCP expire after the idle time, and a
//                  segment without an entry is invalid and dropped (idle time counts from the firewall's start)
//   router-reboot  every board's link goes down; then each is renumbered and conntrack starts empty (a new zone)
//   reset          each board's kernel destroys its sockets to the other (ss -K: tcp_abort sends an RST), both at once;
//                  without SOCK_DESTROY, nftables in the router answers the next segment each way with an RST
//   latency        tc netem on the router's ports when the kernel has it; otherwise the runtime's own shaping
// Addresses stay in 127.0.0.0/8 (route_localnet on, IPv6 off), and nothing outside the namespaces is touched: every
// interface is created inside the router namespace and moved into a board's. Teardown is synchronous, so it also
// runs from a process `exit` hook; a lab killed with SIGKILL is cleaned by the next start (names.ts).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { addNamespace, ipSync, removeNamespace, runStem } from "./names.ts";
import { insideUserNamespace } from "./unprivileged.ts";

/** What the kernel network needs to know of a board. */
export interface KernelBoardSpec {
  id: string;
  address: string;
}

export interface KernelNetworkOptions {
  boards: KernelBoardSpec[];
  /** The first board address: the router takes .1 of its /24 (or .254 when a board has .1); the network is its /16. */
  firstAddress: string;
  /** Write one pcap per board interface here (`--capture DIR`). */
  captureDir?: string;
}

const PREFIX_LENGTH = 16;

function ip(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile("ip", args, { timeout: 15_000, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) reject(new Error(`ip ${args.join(" ")}: ${stderr.trim().split("\n")[0] || error.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** sysctl -w in a namespace; unknown keys (IPv6 compiled out, a module not loaded) are ignored. */
function sysctlArgs(ns: string, settings: Record<string, string | number>): string[] {
  return ["netns", "exec", ns, "sysctl", "-e", "-q", "-w", ...Object.entries(settings).map(([k, v]) => `${k}=${v}`)];
}

/** The sysctls every namespace of the lab gets: no IPv6 (no fe80:: addresses), 127.0.0.0/8 routable on a wire. */
const COMMON_SYSCTLS = {
  "net.ipv6.conf.all.disable_ipv6": 1,
  "net.ipv6.conf.default.disable_ipv6": 1,
  "net.ipv4.conf.all.route_localnet": 1,
  "net.ipv4.conf.default.route_localnet": 1,
};

/** Kernel default for established TCP in conntrack (5 days), restored when the idle firewall goes. */
const CT_ESTABLISHED_DEFAULT_S = 432000;

interface BoardNet {
  index: number;
  id: string;
  /** The board's namespace while it is powered (booted); undefined while unplugged and wiped. */
  ns?: string;
  /** Its current address and every address it had. */
  address: string;
  addresses: string[];
  plugged: boolean;
  linkUp: boolean;
  boots: number;
}

interface ResetWindow {
  id: number;
  a: string[];
  b: string[];
  hits: [boolean, boolean];
}

export class KernelNetwork {
  readonly stem: string;
  readonly router: string;
  readonly routerAddress: string;
  /** tc netem exists here, so latency is made by the kernel. */
  readonly netem: boolean;
  readonly captureDir?: string;
  readonly #boards: BoardNet[];
  readonly #captures: ChildProcess[] = [];
  readonly #resets: ResetWindow[] = [];
  #partitions: [string[], string[]][] = [];
  #udpLossPercent = 0;
  #idleMs = 0;
  #zone = 1;
  #resetIds = 0;
  #torn = false;
  #rulesQueue: Promise<void> = Promise.resolve();
  /** The lab runs without root, in a user namespace of its own (host-sim/netns/unprivileged.ts). */
  readonly #userns = insideUserNamespace();

  /** Create the router, its bridge and one veth per board (all inside the router namespace); start captures. */
  static async create(options: KernelNetworkOptions): Promise<KernelNetwork> {
    const network = new KernelNetwork(options);
    try {
      await network.#setup(options);
    } catch (error) {
      network.teardown();
      throw error;
    }
    return network;
  }

  private constructor(options: KernelNetworkOptions) {
    this.stem = runStem();
    this.router = `${this.stem}-router`;
    const [, b, c, d] = options.firstAddress.split(".").map(Number);
    this.routerAddress = `127.${b}.${c}.${d === 1 ? 254 : 1}`;
    this.captureDir = options.captureDir;
    this.#boards = options.boards.map((spec, index) => ({ index, id: spec.id, address: spec.address, addresses: [spec.address], plugged: false, linkUp: true, boots: 0 }));
    this.netem = false;
    register(this);
  }

  async #setup(options: KernelNetworkOptions): Promise<void> {
    const r = this.router;
    await addNamespace(r, this.#userns);
    ipSync(sysctlArgs(r, {
      ...COMMON_SYSCTLS,
      // Bridged IPv4 goes through the inet hooks (br_netfilter), so nftables and conntrack see the boards' traffic.
      "net.bridge.bridge-nf-call-iptables": 1,
      // Conntrack picks up no connection mid-stream: a segment whose entry expired is invalid (the idle firewall).
      "net.netfilter.nf_conntrack_tcp_loose": 0,
      // Window tracking stays out of the way: only a missing entry makes a segment invalid.
      "net.netfilter.nf_conntrack_tcp_be_liberal": 1,
    }));
    ipSync(["-n", r, "link", "add", "br0", "type", "bridge"]);
    ipSync(["-n", r, "addr", "add", `${this.routerAddress}/${PREFIX_LENGTH}`, "dev", "br0"]);
    ipSync(["-n", r, "link", "set", "br0", "up"]);
    for (const board of this.#boards) {
      // h<i>: the router's port (captured); p<i>: the board's end, parked here while the board has no namespace.
      ipSync(["-n", r, "link", "add", `h${board.index}`, "type", "veth", "peer", "name", `p${board.index}`]);
      ipSync(["-n", r, "link", "set", `h${board.index}`, "master", "br0", "up"]);
    }
    (this as { netem: boolean }).netem = this.#boards.length > 0 && this.#tryNetem();
    await this.#applyRules();
    if (options.captureDir) await this.#startCaptures(options.captureDir);
  }

  #tryNetem(): boolean {
    try {
      ipSync(["netns", "exec", this.router, "tc", "qdisc", "add", "dev", "h0", "root", "netem", "delay", "0ms"]);
      ipSync(["netns", "exec", this.router, "tc", "qdisc", "del", "dev", "h0", "root"]);
      return true;
    } catch {
      return false;
    }
  }

  #board(index: number): BoardNet {
    return this.#boards[index];
  }

  /** The namespace a board runs in (exists from boot() to unplug()/wipe()). */
  namespaceOf(index: number): string | undefined {
    return this.#board(index).ns;
  }

  /** The command prefix that runs a board's process in its namespace, killed if the lab dies. */
  wrap(index: number): string[] {
    const ns = this.#board(index).ns;
    if (!ns) throw new Error(`board ${this.#board(index).id} has no namespace (not booted)`);
    return ["ip", "netns", "exec", ns, "setpriv", "--pdeathsig", "KILL", "--"];
  }

  /** Power on: a fresh namespace (an empty kernel), the board's interface plugged in, its address, link up. */
  async boot(index: number, address: string, linkUp: boolean): Promise<void> {
    const board = this.#board(index);
    if (board.ns) return;
    board.boots++;
    const ns = `${this.stem}-${board.index}.${board.boots}`;
    board.address = address;
    if (!board.addresses.includes(address)) board.addresses.push(address);
    await addNamespace(ns, this.#userns);
    board.ns = ns;
    await ip(sysctlArgs(ns, COMMON_SYSCTLS));
    await ip(["-n", this.router, "link", "set", `p${index}`, "netns", ns]);
    await ip(["-n", ns, "link", "set", `p${index}`, "name", "eth0"]);
    await ip(["-n", ns, "addr", "add", `${address}/${PREFIX_LENGTH}`, "dev", "eth0"]);
    board.plugged = true;
    board.linkUp = linkUp;
    if (linkUp) await ip(["-n", ns, "link", "set", "eth0", "up"]);
  }

  /** Power cut: the board's interface leaves its namespace, so its kernel can send nothing and hears nothing. */
  async unplug(index: number): Promise<void> {
    const board = this.#board(index);
    if (!board.ns || !board.plugged) return;
    board.plugged = false;
    await ip(["-n", board.ns, "link", "set", "eth0", "down"]);
    await ip(["-n", board.ns, "link", "set", "eth0", "name", `p${index}`]);
    await ip(["-n", board.ns, "link", "set", `p${index}`, "netns", this.router]);
  }

  /** The kernel state is gone: the (unplugged) namespace and everything in it are removed. */
  async wipe(index: number): Promise<void> {
    await this.unplug(index);
    const board = this.#board(index);
    if (board.ns) removeNamespace(board.ns);
    board.ns = undefined;
  }

  /** The board's own link (its Wi-Fi): down, or up again at an address (a new one renumbers the interface). */
  async link(index: number, up: boolean, address?: string): Promise<void> {
    const board = this.#board(index);
    board.linkUp = up;
    if (!board.ns || !board.plugged) {
      if (address) board.address = address;
      return;
    }
    if (!up) {
      await ip(["-n", board.ns, "link", "set", "eth0", "down"]);
      return;
    }
    if (address && address !== board.address) {
      await ip(["-n", board.ns, "addr", "flush", "dev", "eth0"]);
      await ip(["-n", board.ns, "addr", "add", `${address}/${PREFIX_LENGTH}`, "dev", "eth0"]);
      board.address = address;
      if (!board.addresses.includes(address)) board.addresses.push(address);
    }
    await ip(["-n", board.ns, "link", "set", "eth0", "up"]);
  }

  /** Pairs of address groups that cannot reach each other (both ways). */
  partitions(pairs: [string[], string[]][]): Promise<void> {
    this.#partitions = pairs;
    return this.#applyRules();
  }

  udpLoss(percent: number): Promise<void> {
    this.#udpLossPercent = percent;
    return this.#applyRules();
  }

  /** A stateful firewall in the router: established TCP idle for more than idleMs is forgotten (0 = none). */
  async idleFirewall(idleMs: number): Promise<void> {
    const starting = idleMs > 0 && this.#idleMs === 0;
    this.#idleMs = idleMs;
    const seconds = idleMs > 0 ? Math.max(1, Math.ceil(idleMs / 1000)) : CT_ESTABLISHED_DEFAULT_S;
    await ip(sysctlArgs(this.router, { "net.netfilter.nf_conntrack_tcp_timeout_established": seconds }));
    if (!starting) return this.#applyRules();
    // A firewall that appears knows no connection yet: idle time counts from now, as in the default mode. For one
    // idle period it picks up every connection that sends (a new conntrack zone, loose pickup); after that, a
    // connection it never saw, or whose entry expired, is invalid and dropped.
    this.#zone = (this.#zone % 65535) + 1;
    await ip(sysctlArgs(this.router, { "net.netfilter.nf_conntrack_tcp_loose": 1 }));
    await this.#applyRules();
    setTimeout(() => {
      if (!this.#torn) void ip(sysctlArgs(this.router, { "net.netfilter.nf_conntrack_tcp_loose": 0 })).catch(() => undefined);
    }, idleMs).unref();
  }

  /** The router forgets every connection it tracked: conntrack starts over in a new zone (old entries never match). */
  routerReboot(): Promise<void> {
    this.#zone = (this.#zone % 65535) + 1;
    return this.#applyRules();
  }

  /**
   * A middlebox resets every connection between two boards, both ends at once: in each board's namespace the kernel
   * destroys its sockets to the other board (SOCK_DESTROY, `ss -K`; Linux's tcp_abort() sends an active RST to the
   * peer and fails the socket with ECONNABORTED). A board that is unplugged or has its link down hears nothing, so
   * its sockets stay. Where the kernel has no SOCK_DESTROY (CONFIG_INET_DIAG_DESTROY off), a socket is still there
   * afterwards; then nftables in the router answers the next TCP segment each way with an RST (`reject with tcp
   * reset`), and the rule goes once both ways were reset, or after `windowMs`.
   */
  async reset(a: number, b: number, windowMs = 5000): Promise<"destroy" | "reject"> {
    const [boardA, boardB] = [this.#board(a), this.#board(b)];
    const left = await Promise.all([this.#destroy(boardA, boardB.addresses), this.#destroy(boardB, boardA.addresses)]);
    if (left.every((n) => n === 0)) return "destroy";
    await this.#rejectWindow([...boardA.addresses], [...boardB.addresses], windowMs);
    return "reject";
  }

  /** Destroy a powered, linked board's TCP sockets to these addresses; how many are still there (not TIME-WAIT). */
  async #destroy(board: BoardNet, peers: string[]): Promise<number> {
    const ns = board.ns;
    if (!ns || !board.plugged || !board.linkUp || this.#torn) return 0;
    const filter = `( ${peers.map((p) => `dst ${p}`).join(" or ")} )`;
    await ip(["netns", "exec", ns, "ss", "-K", "-t", "-n", "-H", filter]).catch(() => "");
    const still = await ip(["netns", "exec", ns, "ss", "-t", "-n", "-H", "state", "connected", "exclude", "time-wait", filter]).catch(() => "");
    return still.split("\n").filter((line) => line.trim()).length;
  }

  async #rejectWindow(a: string[], b: string[], windowMs: number): Promise<void> {
    const window: ResetWindow = { id: ++this.#resetIds, a, b, hits: [false, false] };
    this.#resets.push(window);
    await this.#applyRules();
    const until = performance.now() + windowMs;
    while (!this.#torn && performance.now() < until && !(window.hits[0] && window.hits[1])) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (this.#torn) return;
      for (const side of [0, 1] as const) {
        if (window.hits[side]) continue;
        const out = await ip(["netns", "exec", this.router, "nft", "list", "counter", "inet", "linklab", `reset${window.id}${side}`]).catch(() => "");
        if (/packets [1-9]/.test(out)) window.hits[side] = true;
      }
    }
    this.#resets.splice(this.#resets.indexOf(window), 1);
    if (!this.#torn) await this.#applyRules();
  }

  /** One-way latency with jitter on every router port (tc netem); false when the kernel has no netem. */
  async latency(latencyMs: number, jitterMs: number): Promise<boolean> {
    if (!this.netem) return false;
    for (const board of this.#boards) {
      const dev = `h${board.index}`;
      if (latencyMs <= 0 && jitterMs <= 0) await ip(["netns", "exec", this.router, "tc", "qdisc", "del", "dev", dev, "root"]).catch(() => "");
      else await ip(["netns", "exec", this.router, "tc", "qdisc", "replace", "dev", dev, "root", "netem", "delay", `${latencyMs}ms`, ...(jitterMs ? [`${jitterMs}ms`] : [])]);
    }
    return true;
  }

  /** The router's nftables ruleset, whole, from the current state (applied atomically with `flush ruleset`). */
  rules(): string {
    const set = (addresses: string[]): string => `{ ${addresses.join(", ")} }`;
    const forward: string[] = [];
    for (const [a, b] of this.#partitions) {
      forward.push(`ip saddr ${set(a)} ip daddr ${set(b)} counter drop`);
      forward.push(`ip saddr ${set(b)} ip daddr ${set(a)} counter drop`);
    }
    const counters: string[] = [];
    for (const window of this.#resets) {
      counters.push(`counter reset${window.id}0 {}`, `counter reset${window.id}1 {}`);
      forward.push(`ip saddr ${set(window.a)} ip daddr ${set(window.b)} tcp flags & (syn | rst) == 0 counter name "reset${window.id}0" reject with tcp reset`);
      forward.push(`ip saddr ${set(window.b)} ip daddr ${set(window.a)} tcp flags & (syn | rst) == 0 counter name "reset${window.id}1" reject with tcp reset`);
    }
    if (this.#udpLossPercent > 0) forward.push(`meta l4proto udp numgen random mod 10000 < ${Math.round(this.#udpLossPercent * 100)} counter drop`);
    if (this.#idleMs > 0) forward.push("ct state invalid counter drop");
    return [
      "flush ruleset",
      "table inet linklab {",
      ...counters.map((c) => `  ${c}`),
      `  chain pre { type filter hook prerouting priority raw; policy accept; ct zone set ${this.#zone}; }`,
      "  chain forward {",
      "    type filter hook forward priority filter; policy accept;",
      ...forward.map((rule) => `    ${rule}`),
      "  }",
      "}",
      "",
    ].join("\n");
  }

  /** Rules are applied one after the other, each time from the whole current state. */
  #applyRules(): Promise<void> {
    const next = this.#rulesQueue.then(async () => {
      if (this.#torn) return;
      await ip(["netns", "exec", this.router, "nft", "-f", "-"], this.rules());
    });
    this.#rulesQueue = next.catch(() => undefined);
    return next;
  }

  async #startCaptures(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const ready: Promise<void>[] = [];
    for (const board of this.#boards) {
      const file = join(dir, `${board.id}.pcap`);
      const child = spawn("ip", ["netns", "exec", this.router, "setpriv", "--pdeathsig", "KILL", "--", "dumpcap", "-q", "-P", "-i", `h${board.index}`, "-w", file], { stdio: ["ignore", "ignore", "pipe"] });
      this.#captures.push(child);
      child.on("error", () => {});
      ready.push(
        new Promise<void>((resolve, reject) => {
          let text = "";
          const timer = setTimeout(() => reject(new Error(`dumpcap on ${board.id}'s interface did not start within 10 s: ${text.trim()}`)), 10_000);
          child.stderr.setEncoding("utf8");
          child.stderr.on("data", (chunk: string) => {
            text += chunk;
            if (/File: /.test(text)) {
              clearTimeout(timer);
              resolve();
            }
          });
          child.once("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`dumpcap on ${board.id}'s interface exited (code ${code}): ${text.trim().split("\n").pop()}`));
          });
        }),
      );
    }
    await Promise.all(ready);
  }

  /** The pcap of each board's interface (board id to file), when capturing. */
  captureFiles(): Map<string, string> {
    const dir = this.captureDir;
    return new Map(dir ? this.#boards.map((b) => [b.id, join(dir, `${b.id}.pcap`)]) : []);
  }

  /** Every address each board had (board id to addresses). */
  addressesOf(): Map<string, string[]> {
    return new Map(this.#boards.map((b) => [b.id, [...b.addresses]]));
  }

  /** Let the captures write their last packets and exit (SIGTERM, then SIGKILL after 5 s). */
  async stopCaptures(): Promise<void> {
    await Promise.all(
      this.#captures.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
            child.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill("SIGTERM");
          }),
      ),
    );
  }

  /** Remove every namespace of this run (with whatever still runs in it). Synchronous and idempotent. */
  teardown(): void {
    if (this.#torn) return;
    this.#torn = true;
    for (const child of this.#captures) if (child.exitCode === null) child.kill("SIGKILL");
    for (const board of this.#boards) if (board.ns) removeNamespace(board.ns);
    removeNamespace(this.router);
    unregister(this);
  }
}

/** Networks alive in this process: torn down by the exit hook if the lab ends without its own teardown. */
const alive = new Set<KernelNetwork>();
let hooked = false;

/** SIGTERM (and SIGHUP) would end Node without its `exit` hooks; while a network is up they exit properly instead. */
function onSignal(signal: NodeJS.Signals): void {
  process.exit(signal === "SIGTERM" ? 143 : 129);
}

function register(network: KernelNetwork): void {
  if (alive.size === 0) {
    process.on("SIGTERM", onSignal);
    process.on("SIGHUP", onSignal);
  }
  alive.add(network);
  if (hooked) return;
  hooked = true;
  process.once("exit", () => {
    for (const each of [...alive]) each.teardown();
  });
}

function unregister(network: KernelNetwork): void {
  alive.delete(network);
  if (alive.size > 0) return;
  process.removeListener("SIGTERM", onSignal);
  process.removeListener("SIGHUP", onSignal);
}
