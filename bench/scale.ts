// Scale: one firmware Server (this process) with 10, 100 and 1,000 firmware Clients heartbeating at 1 s (all in one
// child process, so the server's CPU and heap are its own). For a bounded window per size: server CPU
// (process.cpuUsage), heap after a forced GC, event-loop delay, heartbeats that got no answer, false offline
// verdicts on either side. Sizes that need more descriptors than `ulimit -n` allows are skipped with a reason.
//
//   node --import ./host-sim/register.mjs bench/scale.ts [--quick] [--out DIR]
import { fork, type ChildProcess } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { fileURLToPath } from "node:url";
import { RoleHarness, RuntimeListener, RuntimeTCP } from "../host-sim/harness/roles.ts";
import { Server } from "linklab/server";
import { EV, type LogEvent } from "linklab/events";
import { eventPattern } from "../host-sim/lab/events.ts";
import { TagLog, type EventFields, type Level } from "linklab/log";
import { installGlobals } from "../host-sim/runtime/globals.ts";
import { board } from "../host-sim/runtime/board.ts";
import type { Client } from "linklab/client";
import { isMain, openFilesLimit, pause, repoDir, round, standalone, table, type BenchOptions, type BenchResult } from "./support.ts";

const TIMING = { heartbeatMs: 1000, timeoutMs: 3000 };

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function heapMiB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1048576;
}

/** The server's log: counts every message (no formatting cost for the routine ones) and passes W and E on. */
class CountingLog extends TagLog {
  readonly counts = new Map<string, number>();
  constructor(readonly inner: TagLog) {
    super(undefined as never, inner.tag);
  }
  count(message: string): number {
    return this.counts.get(message) ?? 0;
  }
  override enabled(level: Level): boolean {
    return level === "E" || level === "W";
  }
  override at<K extends string>(level: Level, event: LogEvent<K>, fields?: EventFields<K>): void {
    this.counts.set(event.message, this.count(event.message) + 1);
    if (level === "E" || level === "W") this.inner.at(level, event, fields);
  }
  override e<K extends string>(event: LogEvent<K>, fields?: EventFields<K>): void {
    this.at("E", event, fields);
  }
  override w<K extends string>(event: LogEvent<K>, fields?: EventFields<K>): void {
    this.at("W", event, fields);
  }
  override i<K extends string>(event: LogEvent<K>, fields?: EventFields<K>): void {
    this.at("I", event, fields);
  }
  override d<K extends string>(event: LogEvent<K>, fields?: EventFields<K>): void {
    this.at("D", event, fields);
  }
  override state<K extends string>(level: Level, event: LogEvent<K | "reason">, from: string, to: string, fields: EventFields<K | "reason">): void {
    this.counts.set(event.message, this.count(event.message) + 1);
    if (level === "E" || level === "W") this.inner.state(level, event, from, to, fields);
  }
}

const SERVER_PING = EV.server.pingSent.message;
const SERVER_PONG = EV.server.pongReceived.message;

type ClientCounts = { pingsSent: number; pongs: number; lost: number; online: number; attempts: number };
type ChildMessage = { type: "online"; online: number; of: number } | { type: "counts"; counts: ClientCounts; cpuMs: number };

export type ScaleRow = {
  clients: number;
  windowS: number;
  skipped?: string;
  rampMs?: number;
  onlineAtStart?: number;
  onlineAtEnd?: number;
  serverCpuPercent?: number;
  serverCpuMsPerClientSecond?: number;
  clientsProcessCpuPercent?: number;
  heapBeforeMiB?: number;
  heapMiB?: number;
  heapAfterMiB?: number;
  heapPerSessionKiB?: number;
  rssMiB?: number;
  eventLoopDelayP99Ms?: number;
  eventLoopDelayMaxMs?: number;
  pingsSent?: number;
  pongs?: number;
  /** PINGs (either side) in the window with no PONG in the window (boundary error: at most one per client). */
  missedHeartbeats?: number;
  heartbeatsPerClientPerS?: number;
  /** PINGs sent by the clients (the rest of the heartbeats were the server's: whichever side hears nothing for
   *  heartbeatMs probes first, and the other side's answer resets its silence too). */
  clientPings?: number;
  serverPings?: number;
  falseOfflineServer?: number;
  falseLostClient?: number;
};

/** The child: `clients` firmware Clients of the server at `port`, counting their heartbeats on request. */
async function clientsChild(clients: number, port: number, rampMs: number): Promise<void> {
  installGlobals();
  const lab = new RoleHarness("W");
  const all: Client[] = [];
  const send = (m: ChildMessage): void => void process.send?.(m);
  for (let i = 0; i < clients; i++) {
    const c = lab.client({ id: `c${i}`, port, ...TIMING, handshakeMs: 10_000, connectTimeoutMs: 10_000, backoffBaseMs: 500, backoffMaxMs: 5000, logEvery: 0, echoMs: 0 }, `tcp.c${i}`);
    all.push(c);
    c.start();
    c.linkUp("127.0.0.1");
    if (rampMs > 0 && i % 10 === 9) await pause((rampMs * 10) / clients);
  }
  const counts = (): ClientCounts => {
    const out = { pingsSent: 0, pongs: 0, lost: 0, online: 0, attempts: 0 };
    for (const c of all) {
      out.pingsSent += c.stats.pingsSent;
      out.pongs += c.stats.pongs;
      out.lost += c.stats.lost;
      out.attempts += c.stats.attempts;
      if (c.state === "online") out.online++;
    }
    return out;
  };
  const report = setInterval(() => send({ type: "online", online: counts().online, of: clients }), 200);
  process.on("message", (m: { type: string }) => {
    if (m.type === "counts") send({ type: "counts", counts: counts(), cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 });
    if (m.type === "exit") {
      clearInterval(report);
      lab.close();
      process.exit(0);
    }
  });
  process.on("disconnect", () => process.exit(0));
}

function ask(child: ChildProcess, predicate: (m: ChildMessage) => boolean, timeoutMs: number, send?: object): Promise<ChildMessage | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off("message", on);
      resolve(undefined);
    }, timeoutMs);
    const on = (m: ChildMessage): void => {
      if (!predicate(m)) return;
      clearTimeout(timer);
      child.off("message", on);
      resolve(m);
    };
    child.on("message", on);
    if (send) child.send(send);
  });
}

export async function scaleOne(clients: number, windowS: number, progress: (line: string) => void): Promise<ScaleRow> {
  const limit = openFilesLimit();
  // This process holds one socket per session, the child one per client, plus node's own descriptors.
  const needed = clients + 64;
  if (needed > limit) return { clients, windowS, skipped: `ulimit -n is ${limit}; ${needed} descriptors needed per process` };
  const lab = new RoleHarness("W");
  let child: ChildProcess | undefined;
  try {
    const heapBefore = heapMiB();
    const log = new CountingLog(lab.log.tag("tcp.server"));
    const server = new Server(
      { id: "scale", port: 0, token: "", maxLine: 256, pushMs: 0, ...TIMING, handshakeMs: 10_000, maxClients: clients + 8, logEvery: 0 },
      { Listener: RuntimeListener, TCP: RuntimeTCP, timers: lab.timers, clock: lab.clock, log },
    );
    lab.onClose(() => server.close());
    server.start("127.0.0.1");
    const rampMs = clients >= 1000 ? 3000 : clients >= 100 ? 1000 : 0;
    const started = performance.now();
    child = fork(fileURLToPath(import.meta.url), ["--clients-child", String(clients), String(server.port), String(rampMs)], {
      cwd: repoDir,
      execArgv: ["--import", "./host-sim/register.mjs"],
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    const all = await ask(child, (m) => m.type === "online" && m.online === clients && server.onlineCount() === clients, 60_000 + rampMs);
    const rampMs_ = performance.now() - started;
    const onlineAtStart = server.onlineCount();
    if (!all) progress(`scale: only ${onlineAtStart} of ${clients} online after ${Math.round(rampMs_)} ms; measuring anyway`);
    // A settling second after the ramp, then the window.
    await pause(1000);
    const c0 = (await ask(child, (m) => m.type === "counts", 10_000, { type: "counts" })) as Extract<ChildMessage, { type: "counts" }> | undefined;
    const serverPings0 = log.count(SERVER_PING);
    const serverPongs0 = log.count(SERVER_PONG);
    const lost0 = lab.count(eventPattern(EV.server.peerSilent));
    const cpu0 = process.cpuUsage();
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const t0 = performance.now();
    progress(`scale: ${clients} clients online, measuring ${windowS} s`);
    await pause(windowS * 1000);
    const cpu = process.cpuUsage(cpu0);
    const elapsedMs = performance.now() - t0;
    loop.disable();
    const c1 = (await ask(child, (m) => m.type === "counts", 10_000, { type: "counts" })) as Extract<ChildMessage, { type: "counts" }> | undefined;
    const heap = heapMiB();
    const onlineAtEnd = server.onlineCount();
    // The same process without the sessions: the server closed, the clients gone; the difference is theirs.
    server.close();
    child.send({ type: "exit" });
    await Promise.race([new Promise((r) => child!.once("exit", r)), pause(5000)]);
    await pause(200);
    const heapAfter = heapMiB();
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const clientPings = c1 && c0 ? c1.counts.pingsSent - c0.counts.pingsSent : NaN;
    const clientPongs = c1 && c0 ? c1.counts.pongs - c0.counts.pongs : NaN;
    const serverPings = log.count(SERVER_PING) - serverPings0;
    const serverPongs = log.count(SERVER_PONG) - serverPongs0;
    const pingsSent = clientPings + serverPings;
    const pongs = clientPongs + serverPongs;
    return {
      clients,
      windowS,
      rampMs: Math.round(rampMs_),
      onlineAtStart,
      onlineAtEnd,
      serverCpuPercent: round((cpuMs / elapsedMs) * 100, 1),
      serverCpuMsPerClientSecond: round(cpuMs / (clients * (elapsedMs / 1000)), 3),
      clientsProcessCpuPercent: c1 && c0 ? round(((c1.cpuMs - c0.cpuMs) / elapsedMs) * 100, 1) : undefined,
      heapBeforeMiB: round(heapBefore, 2),
      heapMiB: round(heap, 2),
      heapAfterMiB: round(heapAfter, 2),
      heapPerSessionKiB: round(((heap - heapAfter) * 1024) / clients, 2),
      rssMiB: round(process.memoryUsage().rss / 1048576, 1),
      eventLoopDelayP99Ms: round(loop.percentile(99) / 1e6, 2),
      eventLoopDelayMaxMs: round(loop.max / 1e6, 2),
      pingsSent,
      pongs,
      missedHeartbeats: Math.max(0, pingsSent - pongs),
      heartbeatsPerClientPerS: round(pingsSent / clients / (elapsedMs / 1000), 3),
      clientPings,
      serverPings,
      falseOfflineServer: lab.count(eventPattern(EV.server.peerSilent)) - lost0,
      falseLostClient: c1 && c0 ? c1.counts.lost - c0.counts.lost : NaN,
    };
  } finally {
    if (child && child.exitCode === null) {
      if (child.connected) child.send({ type: "exit" });
      await Promise.race([new Promise((r) => child!.once("exit", r)), pause(5000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    lab.close();
    board.closeAll();
  }
}

export async function scale(options: BenchOptions): Promise<BenchResult> {
  installGlobals();
  const sizes = options.quick ? [10] : [10, 100, 1000];
  const windowS = options.quick ? 2 : 20;
  const rows: ScaleRow[] = [];
  for (const n of sizes) {
    options.progress(`scale: ${n} clients`);
    rows.push(await scaleOne(n, windowS, options.progress));
  }
  const tables = [
    table(
      `scale: one server, N clients heartbeating at 1 s (timeout 3 s) from another process, ${windowS} s window after all are online`,
      ["clients", "online start/end", "ramp ms", "server CPU %", "CPU ms/client/s", "heap MiB", "KiB/session", "loop p99 ms", "loop max ms", "heartbeats", "per client/s", "missed", "false offline (server)", "false lost (client)"],
      rows.map((r) =>
        r.skipped
          ? [r.clients, "skipped: " + r.skipped]
          : [
              r.clients,
              `${r.onlineAtStart}/${r.onlineAtEnd}`,
              r.rampMs!,
              r.serverCpuPercent!,
              r.serverCpuMsPerClientSecond!,
              r.heapMiB!,
              r.heapPerSessionKiB!,
              r.eventLoopDelayP99Ms!,
              r.eventLoopDelayMaxMs!,
              r.pingsSent!,
              r.heartbeatsPerClientPerS!,
              r.missedHeartbeats!,
              r.falseOfflineServer!,
              r.falseLostClient!,
            ],
      ),
    ),
  ];
  const notes = [
    "server CPU % = process.cpuUsage() of the server's process over the window / wall time (100% = one core); heap = heapUsed after a forced GC; KiB/session = (heap with N sessions - heap of the same process once they are closed) / N",
    "heartbeats = PINGs by either side in the window (whichever side has heard nothing for heartbeatMs probes; the answer resets both sides' silence); missed = PINGs minus PONGs received in the window (one per client may be in flight at either edge)",
    `ulimit -n = ${openFilesLimit()}`,
  ];
  return { name: "scale", tables, notes, data: { timing: TIMING, windowS, rows } };
}

if (isMain(import.meta.url)) {
  const at = process.argv.indexOf("--clients-child");
  if (at >= 0) await clientsChild(Number(process.argv[at + 1]), Number(process.argv[at + 2]), Number(process.argv[at + 3]));
  else {
    await standalone("scale", scale);
    process.exit(0);
  }
}
