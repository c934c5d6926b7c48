// Dead-peer detection: how long after a peer loses power (silence: no FIN, no RST) the other side declares it gone.
// Application heartbeat: the firmware Server (or Client) on the host runtime against raw node:net peers that talk
// the protocol and then go silent at a random moment, many trials at once. Kernel TCP keep-alive: computed, and the
// ESP-IDF example's settings measured for real between two network namespaces joined by a veth whose far end the
// bench sets down (root only; always cleaned up, skipped with a reason when `ip netns add` fails).
// Optional --soak: a 10-minute lab run (boards as processes) with 200 ms ± 200 ms latency and 1% UDP loss, counting
// false offline verdicts.
//
//   node --import ./host-sim/register.mjs bench/detection.ts [--quick] [--soak] [--out DIR]
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { connect, createServer, type Socket } from "node:net";
import { Lab } from "../test/sim/harness.ts";
import { runLab } from "../host-sim/lab/lab.ts";
import { parseScenario } from "../host-sim/lab/scenario.ts";
import { installGlobals } from "../host-sim/runtime/globals.ts";
import { isMain, pause, repoDir, round, standalone, stats, table, type BenchOptions, type BenchResult, type Stats } from "./support.ts";

export type Pair = { heartbeatMs: number; timeoutMs: number };
export const PAIRS: Pair[] = [
  { heartbeatMs: 1000, timeoutMs: 3000 },
  { heartbeatMs: 500, timeoutMs: 1500 },
  { heartbeatMs: 200, timeoutMs: 600 },
];

export type DetectionRow = Pair & {
  direction: "server-detects-client" | "client-detects-server";
  /** ms from the power cut to the verdict. */
  detectMs: Stats;
  ratioP99: number;
  ratioMax: number;
  /** Verdicts that never came within the deadline (3 x timeoutMs + 2 s). */
  missed: number;
  /** Verdicts before the power cut (false offline while the peer was alive). */
  early: number;
};

/** Split a socket's bytes into lines. */
function lines(socket: Socket, onLine: (line: string) => void): void {
  let buffer = "";
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => {
    buffer += chunk;
    for (let at = buffer.indexOf("\n"); at >= 0; at = buffer.indexOf("\n")) {
      onLine(buffer.slice(0, at).replace(/\r$/, ""));
      buffer = buffer.slice(at + 1);
    }
  });
}

/**
 * A raw client that behaves like the firmware's (HELLO, a PING every heartbeatMs, PONG to the server's PINGs) and
 * then loses power: it stops sending and reading, and keeps its socket open (no FIN).
 */
class SilentClient {
  readonly socket: Socket;
  off = false;
  #ping: NodeJS.Timeout | undefined;
  #seq = 0;

  constructor(port: number, id: string, heartbeatMs: number, online: () => void) {
    this.socket = connect({ host: "127.0.0.1", port }, () => this.socket.write(`HELLO ${id}\n`));
    this.socket.setNoDelay(true);
    this.socket.on("error", () => {});
    lines(this.socket, (line) => {
      if (this.off) return;
      if (line.startsWith("WELCOME")) {
        online();
        this.#ping = setInterval(() => this.socket.write(`PING ${this.#seq++}\n`), heartbeatMs);
      } else if (line.startsWith("PING ")) this.socket.write(`PONG ${line.slice(5)}\n`);
    });
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  powerOff(): void {
    this.off = true;
    clearInterval(this.#ping);
    this.socket.pause();
  }

  destroy(): void {
    clearInterval(this.#ping);
    this.socket.destroy();
  }
}

function deadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]).finally(() => clearTimeout(timer));
}

/** The firmware Server detects silent raw clients: `trials` peers at once, each cut at its own random moment. */
export async function serverDetects(pair: Pair, trials: number): Promise<DetectionRow> {
  const lab = new Lab("W");
  const peers: SilentClient[] = [];
  try {
    const { heartbeatMs, timeoutMs } = pair;
    const server = lab.server({ id: "bench", heartbeatMs, timeoutMs, handshakeMs: 5000, maxClients: trials + 8, logEvery: 0 });
    server.start("127.0.0.1");
    const detections: number[] = [];
    let missed = 0;
    let early = 0;
    await Promise.all(
      Array.from({ length: trials }, async (_, i) => {
        // Staggered connects so the handshakes and the peers' heartbeat phases spread out.
        await pause((i * heartbeatMs) / trials);
        let online!: () => void;
        const welcomed = new Promise<true>((r) => (online = () => r(true)));
        const peer = new SilentClient(server.port, `p${i}`, heartbeatMs, online);
        peers.push(peer);
        if ((await deadline(welcomed, 10_000)) === undefined) {
          missed++;
          return;
        }
        // Alive for 1.5 heartbeats and then a random part of two more, then the power cut.
        await pause(heartbeatMs * 1.5 + Math.random() * 2 * heartbeatMs);
        const pattern = new RegExp(`peer silent, closing .*peer=127\\.0\\.0\\.1:${peer.localPort}(\\s|$)`);
        if (lab.count(pattern) > 0) {
          early++;
          return;
        }
        const from = lab.lines.length;
        peer.powerOff();
        const offMs = performance.now();
        const verdict = await lab.waitFor(pattern, timeoutMs * 3 + 2000, from).then(
          () => performance.now(),
          () => undefined,
        );
        if (verdict === undefined) missed++;
        else detections.push(verdict - offMs);
      }),
    );
    return row("server-detects-client", pair, detections, missed, early);
  } finally {
    for (const p of peers) p.destroy();
    lab.close();
  }
}

/**
 * A raw server that talks like the firmware's (WELCOME with the pair's timings, PONG, ECHO) and can lose power per
 * connection: it stops answering and reading that connection and keeps it open.
 */
class SilentServer {
  readonly server = createServer((socket) => this.#accept(socket));
  readonly byClient = new Map<string, { socket: Socket; off: boolean }>();
  readonly #sockets = new Set<Socket>();

  constructor(readonly pair: Pair) {}

  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, "127.0.0.1", () => resolve((this.server.address() as { port: number }).port)));
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("error", () => {});
    socket.on("close", () => this.#sockets.delete(socket));
    const state = { socket, off: false };
    lines(socket, (line) => {
      if (state.off) return;
      const [verb, a] = line.split(" ");
      if (verb === "HELLO") {
        this.byClient.set(a, state);
        socket.write(`WELCOME raw session=1 heartbeatMs=${this.pair.heartbeatMs} timeoutMs=${this.pair.timeoutMs}\n`);
      } else if (verb === "PING") socket.write(`PONG ${a}\n`);
      else if (verb === "ECHO") socket.write(line + "\n");
    });
  }

  powerOff(clientId: string): boolean {
    const state = this.byClient.get(clientId);
    if (!state) return false;
    state.off = true;
    state.socket.pause();
    return true;
  }

  close(): void {
    for (const s of this.#sockets) s.destroy();
    this.server.close();
  }
}

/** Firmware Clients detect a silent raw server: `trials` clients at once, each connection cut at a random moment. */
export async function clientDetects(pair: Pair, trials: number): Promise<DetectionRow> {
  const lab = new Lab("I");
  const raw = new SilentServer(pair);
  try {
    const { heartbeatMs, timeoutMs } = pair;
    const port = await raw.listen();
    const detections: number[] = [];
    let missed = 0;
    let early = 0;
    await Promise.all(
      Array.from({ length: trials }, async (_, i) => {
        await pause((i * heartbeatMs) / trials);
        const id = `c${i}`;
        const tag = `tcp.${id}`;
        const client = lab.client(
          { id, port, heartbeatMs, timeoutMs, handshakeMs: 5000, connectTimeoutMs: 5000, backoffBaseMs: 60_000, backoffMaxMs: 60_000, logEvery: 0 },
          tag,
        );
        client.start();
        client.linkUp("127.0.0.1");
        try {
          await lab.waitFor(new RegExp(`${tag}: state handshaking->online`), 10_000, 0);
        } catch {
          missed++;
          client.close();
          return;
        }
        await pause(heartbeatMs * 1.5 + Math.random() * 2 * heartbeatMs);
        const lost = new RegExp(`${tag}: server silent, link lost`);
        if (lab.count(lost) > 0) {
          early++;
          client.close();
          return;
        }
        const from = lab.lines.length;
        raw.powerOff(id);
        const offMs = performance.now();
        const verdict = await lab.waitFor(lost, timeoutMs * 3 + 2000, from).then(
          () => performance.now(),
          () => undefined,
        );
        client.close();
        if (verdict === undefined) missed++;
        else detections.push(verdict - offMs);
      }),
    );
    return row("client-detects-server", pair, detections, missed, early);
  } finally {
    raw.close();
    lab.close();
  }
}

function row(direction: DetectionRow["direction"], pair: Pair, detections: number[], missed: number, early: number): DetectionRow {
  const s = stats(detections);
  return { direction, ...pair, detectMs: s, ratioP99: round(s.p99 / pair.timeoutMs, 3), ratioMax: round(s.max / pair.timeoutMs, 3), missed, early };
}

// ---------------------------------------------------------------------------------------------------------------
// Kernel TCP keep-alive

export type KeepaliveMeasured = { trials: number; fromLinkDownS: Stats; fromLastByteS: Stats; linkDownCommandMs: number; errors: string[] };

export type KeepaliveRow = {
  setting: string;
  idleS: number;
  intervalS: number;
  probes: number;
  /** idle + probes x interval: how long after the last byte received a silent peer is declared dead. */
  computedS: number;
  measured?: KeepaliveMeasured;
  notMeasured?: string;
};

const LWIP_DEFAULTS = { setting: "lwIP defaults (TCP_KEEPIDLE/INTVL/CNT_DEFAULT)", idleS: 7200, intervalS: 75, probes: 9 };
const ESP_IDF_EXAMPLE = { setting: "ESP-IDF tcp_server example (KEEPALIVE_IDLE/INTERVAL/COUNT)", idleS: 5, intervalS: 5, probes: 3 };
// The simulator's own TCP is not measured: Moddable SDK 8.2.3 ignores the ECMA-419 keepalive option (neither
// modules/io/socket/lwip/tcp.c nor lin/tcp.c reads it), so the host runtime ignores it too and never probes.

function ip(args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 });
}

/** Run one line-oriented child, handing each stdout line to `onLine`. */
function child(args: string[], onLine: (line: string) => void): ChildProcess {
  const proc = spawn(args[0], args.slice(1), { stdio: ["ignore", "pipe", "pipe"], cwd: repoDir });
  createInterface({ input: proc.stdout! }).on("line", onLine);
  proc.stderr!.on("data", () => {});
  return proc;
}

/** The ESP-IDF example's settings set on each socket exactly (setsockopt), which Node cannot do: a Python observer. */
const PYTHON_OBSERVER = `
import socket, json, sys, time, random, threading
n = int(sys.argv[1]); socks = []
def say(m): print(json.dumps(m), flush=True)
for i in range(n):
    s = socket.create_connection(("127.0.0.3", 8420), source_address=("127.0.0.2", 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
    socks.append(s)
def run(i, s):
    time.sleep(random.random() * 6)
    s.sendall(b"hello\\n")
    while True:
        try:
            data = s.recv(100)
        except OSError as e:
            say({"conn": i, "errorAt": time.time() * 1000, "code": e.errno}); return
        if not data:
            say({"conn": i, "errorAt": time.time() * 1000, "code": "eof"}); return
        say({"conn": i, "byteAt": time.time() * 1000})
for i, s in enumerate(socks): threading.Thread(target=run, args=(i, s), daemon=True).start()
say({"ready": True})
time.sleep(120)
`;

type Observer = { row: KeepaliveRow; lastByte: Map<number, number>; errorAt: Map<number, number>; problems: string[]; ready: Promise<true | undefined>; done: Promise<void> };

/**
 * Kernel keep-alive measured for real: namespace A (observers) and namespace B (a plain echo peer) joined by a veth
 * carrying 127.0.0.2 <-> 127.0.0.3 (route_localnet on). After traffic at random moments, B's end of the veth is set
 * down: B's kernel answers nothing any more, as with a board that lost power. One observer in A: a Python one with
 * the ESP-IDF example's settings on each socket (what a board would get from ESP-IDF's own sockets; Moddable's TCP
 * ignores the keepalive option).
 */
export async function measureKeepalive(trials: number, progress: (line: string) => void): Promise<KeepaliveRow[] | string> {
  const tag = `llk${process.pid % 100000}`;
  const nsA = `${tag}a`;
  const nsB = `${tag}b`;
  const vethA = `${tag}x`;
  const vethB = `${tag}y`;
  const procs: ChildProcess[] = [];
  const cleanup = (): void => {
    for (const p of procs) p.kill("SIGKILL");
    for (const args of [["netns", "del", nsA], ["netns", "del", nsB], ["link", "del", vethA]]) {
      try {
        ip(args);
      } catch {
        // not created, or gone with its namespace
      }
    }
  };
  // Always leave the machine as it was: on normal exit, on an exception, and on Ctrl-C or a kill.
  const interrupted = (): void => {
    cleanup();
    process.exit(130);
  };
  process.once("exit", cleanup);
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    try {
      ip(["netns", "add", nsA]);
    } catch (error) {
      return `ip netns add failed (${String((error as { stderr?: Buffer }).stderr ?? error).trim().split("\n")[0]}): needs root (CAP_NET_ADMIN)`;
    }
    ip(["netns", "add", nsB]);
    ip(["link", "add", vethA, "type", "veth", "peer", "name", vethB]);
    ip(["link", "set", vethA, "netns", nsA]);
    ip(["link", "set", vethB, "netns", nsB]);
    const side = (ns: string, dev: string, me: string, peer: string) => {
      const exec = (cmd: string[]) => execFileSync("ip", ["netns", "exec", ns, ...cmd], { stdio: "ignore", timeout: 10_000 });
      exec(["sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1", `net.ipv4.conf.${dev}.route_localnet=1`]);
      exec(["ip", "addr", "add", `${me}/32`, "dev", dev]);
      exec(["ip", "link", "set", dev, "up"]);
      exec(["ip", "route", "add", `${peer}/32`, "dev", dev]);
      return exec;
    };
    side(nsA, vethA, "127.0.0.2", "127.0.0.3");
    side(nsB, vethB, "127.0.0.3", "127.0.0.2");

    // The peer in B: echo every byte back.
    let peerReady!: () => void;
    const peerUp = new Promise<true>((r) => (peerReady = () => r(true)));
    const peerScript = `require("net").createServer(s=>{s.on("error",()=>{});s.pipe(s)}).listen(8420,"127.0.0.3",()=>console.log("listening"))`;
    procs.push(child(["ip", "netns", "exec", nsB, process.execPath, "-e", peerScript], (line) => line === "listening" && peerReady()));
    if ((await deadline(peerUp, 20_000)) === undefined) return "the peer in the namespace did not start";

    const observe = (row: KeepaliveRow, command: string[]): Observer => {
      const o = { row, lastByte: new Map<number, number>(), errorAt: new Map<number, number>(), problems: [] as string[] } as Observer;
      let ready!: () => void;
      let done!: () => void;
      o.ready = deadline(new Promise<true>((r) => (ready = () => r(true))), 60_000);
      o.done = new Promise<void>((r) => (done = r));
      procs.push(
        child(["ip", "netns", "exec", nsA, ...command], (line) => {
          let m: { ready?: boolean; conn?: number; byteAt?: number; errorAt?: number; problem?: string };
          try {
            m = JSON.parse(line);
          } catch {
            return;
          }
          if (m.ready) ready();
          if (m.problem) o.problems.push(m.problem);
          if (m.conn !== undefined && m.byteAt !== undefined) o.lastByte.set(m.conn, m.byteAt);
          if (m.conn !== undefined && m.errorAt !== undefined) {
            o.errorAt.set(m.conn, m.errorAt);
            if (o.errorAt.size === trials) done();
          }
        }),
      );
      return o;
    };
    const espIdf: KeepaliveRow = { ...ESP_IDF_EXAMPLE, computedS: ESP_IDF_EXAMPLE.idleS + ESP_IDF_EXAMPLE.probes * ESP_IDF_EXAMPLE.intervalS };
    const observers = [
      observe(espIdf, ["python3", "-c", PYTHON_OBSERVER, String(trials)]),
    ];
    for (const o of observers) if ((await o.ready) === undefined) return `an observer in the namespace did not start (${o.row.setting}) ${o.problems.join("; ")}`;
    progress(`keep-alive: ${trials} + ${trials} connections up, traffic for 8 s, then the peer's link goes down`);
    await pause(8_000);
    const before = Date.now();
    execFileSync("ip", ["netns", "exec", nsB, "ip", "link", "set", vethB, "down"], { stdio: "ignore" });
    const linkDownCommandMs = Date.now() - before;
    await deadline(Promise.all(observers.map((o) => o.done)), 60_000);
    for (const o of observers) {
      // The link went down somewhere within the command; the start of the command is the reference.
      const fromDown = [...o.errorAt.values()].map((t) => (t - before) / 1000);
      const fromLast = [...o.errorAt.entries()].map(([c, t]) => (t - (o.lastByte.get(c) ?? before)) / 1000);
      if (o.errorAt.size < trials) o.problems.push(`${trials - o.errorAt.size} connections still open 60 s after the link went down`);
      o.row.measured = { trials: o.errorAt.size, fromLinkDownS: stats(fromDown), fromLastByteS: stats(fromLast), linkDownCommandMs, errors: o.problems };
    }
    return [espIdf];
  } finally {
    cleanup();
    process.removeListener("exit", cleanup);
    process.removeListener("SIGINT", interrupted);
    process.removeListener("SIGTERM", interrupted);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Soak: no false offline verdict in 10 minutes of 200 ms +- 200 ms latency and 1% UDP loss

export type SoakResult = {
  durationS: number;
  latency: string;
  udpLossPercent: number;
  boards: { id: string; config: string; online: number; handshakes: number; lost: number; offline: number; onlineAtEnd?: boolean; echoReplies: number; echoLost: number; rttMs?: Stats }[];
  falseVerdicts: number;
};

export async function soak(durationS: number, progress: (line: string) => void): Promise<SoakResult> {
  const text = [
    "title soak: no false offline verdict under latency jitter and UDP loss",
    `duration ${durationS}s`,
    "board server role=server beaconMs=1000",
    "board c1 role=client server=auto echoMs=1000",
    "board c2 role=client server=auto echoMs=1000",
    "board c3 role=client server=auto echoMs=0",
    "at 0s latency 200 200",
    "at 0s udp-loss 1",
  ].join("\n");
  const scenario = parseScenario(text, "bench/detection.ts(soak)");
  let lastReport = 0;
  const result = await runLab(scenario, {
    seed: 7,
    readyTimeoutMs: 120_000,
    output: {
      tick(t) {
        if (t - lastReport >= 60_000) {
          lastReport = t;
          progress(`soak: ${Math.round(t / 1000)} s of ${durationS} s`);
        }
      },
    },
  });
  const boards = result.boards.map((b) => {
    const mine = result.events.filter((e) => e.board === b.id);
    const lines = mine.filter((e) => e.name === "line" && e.line).map((e) => e.line!);
    const rtts = lines.filter((l) => l.message === "echo reply" && l.fields.rttMs).map((l) => Number(l.fields.rttMs));
    const states = mine.filter((e) => e.name === "state");
    return {
      id: b.id,
      config: Object.entries(b.config).map(([k, v]) => `${k}=${v}`).join(" "),
      online: mine.filter((e) => e.name === "online").length,
      handshakes: lines.filter((l) => l.message.startsWith("handshake done")).length,
      lost: mine.filter((e) => e.name === "lost").length,
      offline: mine.filter((e) => e.name === "offline").length,
      onlineAtEnd: b.role === "client" ? states[states.length - 1]?.args[0] === "online" : undefined,
      echoReplies: rtts.length,
      echoLost: lines.filter((l) => l.message.startsWith("echo gap") || l.message.startsWith("echo replies lost") || l.message.startsWith("echo reply overdue")).length,
      rttMs: rtts.length ? stats(rtts) : undefined,
    };
  });
  // Nothing fails in this run: every lost or offline verdict is a false one.
  const falseVerdicts = boards.reduce((n, b) => n + b.lost + b.offline, 0);
  return { durationS, latency: "200 ms ± 200 ms one way (0-400 ms), seeded", udpLossPercent: 1, boards, falseVerdicts };
}

function soakTable(r: SoakResult): string {
  return table(
    `soak: ${r.durationS} s of lab time (boards as processes), latency ${r.latency}, ${r.udpLossPercent}% UDP loss; false verdicts: ${r.falseVerdicts}`,
    ["board", "config", "online", "handshakes", "lost", "offline", "online at end", "echo replies", "echo lost", "rtt p50 ms", "rtt max ms"],
    r.boards.map((b) => [b.id, b.config, b.online, b.handshakes, b.lost, b.offline, b.onlineAtEnd === undefined ? "-" : String(b.onlineAtEnd), b.echoReplies, b.echoLost, b.rttMs?.p50 ?? "-", b.rttMs?.max ?? "-"]),
  );
}

// ---------------------------------------------------------------------------------------------------------------

export async function detection(options: BenchOptions): Promise<BenchResult> {
  installGlobals();
  const pairs = options.quick ? [PAIRS[2]] : PAIRS;
  const trials = options.quick ? 5 : 50;
  const rows: DetectionRow[] = [];
  for (const pair of pairs) {
    options.progress(`detection: server detects ${trials} silent clients, heartbeatMs=${pair.heartbeatMs} timeoutMs=${pair.timeoutMs}`);
    rows.push(await serverDetects(pair, trials));
    options.progress(`detection: ${trials} clients detect a silent server, heartbeatMs=${pair.heartbeatMs} timeoutMs=${pair.timeoutMs}`);
    rows.push(await clientDetects(pair, trials));
  }

  const keepalive: KeepaliveRow[] = [{ ...LWIP_DEFAULTS, computedS: LWIP_DEFAULTS.idleS + LWIP_DEFAULTS.probes * LWIP_DEFAULTS.intervalS, notMeasured: "2 h 11 min 15 s: computed only" }];
  const unmeasured = (reason: string): void => {
    for (const k of [ESP_IDF_EXAMPLE]) keepalive.push({ ...k, computedS: k.idleS + k.probes * k.intervalS, notMeasured: reason });
  };
  if (options.quick) unmeasured("--quick: not measured (takes about 40 s)");
  else {
    options.progress("detection: kernel keep-alive between two network namespaces (a veth set down)");
    const measured = await measureKeepalive(10, options.progress).catch((error: unknown) => `failed: ${(error as Error).message.split("\n")[0]}`);
    if (typeof measured === "string") unmeasured(measured + "; on loopback a frozen process's kernel still ACKs the probes, so loopback cannot show it");
    else keepalive.push(...measured);
  }

  let soakResult: SoakResult | undefined;
  if (options.soak) {
    options.progress("detection: soak, 10 minutes (lab boards as processes)");
    soakResult = await soak(options.quick ? 30 : 600, options.progress);
  }

  const tables = [
    table(
      `dead-peer detection, application heartbeat: ms from the power cut (no FIN) to the verdict, ${trials} trials each`,
      ["who detects", "heartbeatMs", "timeoutMs", "n", "min", "p50", "p99", "max", "p99/timeout", "max/timeout", "missed", "early"],
      rows.map((r) => [
        r.direction === "server-detects-client" ? "server (silent client)" : "client (silent server)",
        r.heartbeatMs,
        r.timeoutMs,
        r.detectMs.n,
        r.detectMs.min,
        r.detectMs.p50,
        r.detectMs.p99,
        r.detectMs.max,
        r.ratioP99,
        r.ratioMax,
        r.missed,
        r.early,
      ]),
    ),
    table(
      "kernel TCP keep-alive: s until the socket reports the peer dead; computed = idle + probes x interval after the last segment received",
      ["setting", "idle s", "interval s", "probes", "computed s", "n", "after link down p50", "max", "after last data byte p50", "max"],
      keepalive.map((k) => [
        k.setting,
        k.idleS,
        k.intervalS,
        k.probes,
        k.computedS,
        k.measured?.trials ?? "-",
        k.measured?.fromLinkDownS.p50 ?? "-",
        k.measured?.fromLinkDownS.max ?? "-",
        k.measured?.fromLastByteS.p50 ?? "-",
        k.measured?.fromLastByteS.max ?? "-",
      ]),
    ),
  ];
  const notes = keepalive.filter((k) => k.notMeasured).map((k) => `${k.setting}: ${k.notMeasured}`);
  for (const k of keepalive) {
    if (!k.measured) continue;
    notes.push(
      `${k.setting}: ${k.measured.fromLinkDownS.max} s at most after the link went down (computed bound ${k.computedS} s; the down command took ${k.measured.linkDownCommandMs} ms). ` +
        `After the last data byte it took ${k.measured.fromLastByteS.p50} s (p50), ${k.measured.fromLastByteS.max} s (max): the kernel counts from the last segment received, and a probe answered before the link went down starts the idle time again`,
    );
    for (const e of k.measured.errors) notes.push("keep-alive: " + e);
  }
  if (soakResult) {
    tables.push(soakTable(soakResult));
  } else notes.push("soak not run (opt in with --soak: 10 minutes)");
  return { name: "detection", tables, notes, data: { trials, rows, keepalive, soak: soakResult ?? null } };
}

if (isMain(import.meta.url)) {
  if (process.argv.includes("--soak-only")) {
    // Only the soak, into bench/results/detection-soak.json (the full detection bench takes its own time).
    await standalone("detection-soak", async (options) => {
      const result = await soak(options.quick ? 30 : 600, options.progress);
      return {
        name: "detection-soak",
        tables: [soakTable(result)],
        notes: [`false offline/lost verdicts: ${result.falseVerdicts}`],
        data: { soak: result },
      };
    }, "detection");
    process.exit(0);
  } else {
    await standalone("detection", detection);
    process.exit(0);
  }
}
