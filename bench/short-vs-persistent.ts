// Short vs persistent connections, per message: TCP handshakes, protocol handshakes, latency and bytes, so the
// cost of connection set-up is a number. One firmware Server and one firmware Client (mode=short, then
// mode=persistent) on the host runtime in this process; between them a counting TCP proxy that can add one-way
// delay, so the bytes each way are measured and set-up round trips show up in the latency.
// Run: node --import ./host-sim/register.mjs bench/short-vs-persistent.ts [messages=200] [delays=0,5,20]
// Prints a table and writes bench/results/short-vs-persistent.json. Never fails on speed.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem, platform, release } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer, connect, type Server as NetServer, type Socket } from "node:net";
import { RoleHarness } from "../host-sim/harness/roles.ts";

type Mode = "short" | "persistent";
const here = dirname(fileURLToPath(import.meta.url));

/** A TCP proxy on 127.0.0.1 that counts connections and payload bytes each way and delays each chunk by delayMs. */
class CountingProxy {
  readonly server: NetServer;
  connections = 0;
  bytesUp = 0;
  bytesDown = 0;
  readonly #sockets = new Set<Socket>();

  constructor(
    readonly targetPort: number,
    readonly delayMs: number,
  ) {
    this.server = createServer({ allowHalfOpen: true }, (inbound) => this.#accept(inbound));
  }

  listen(): Promise<number> {
    return new Promise((resolve) => {
      this.server.listen(0, "127.0.0.1", () => {
        const address = this.server.address();
        resolve(typeof address === "object" && address ? address.port : 0);
      });
    });
  }

  #accept(inbound: Socket): void {
    this.connections++;
    inbound.pause();
    const outbound = connect({ host: "127.0.0.1", port: this.targetPort, allowHalfOpen: true }, () => {
      // The client's SYN has been answered only once the server side is connected (a delay adds to both).
      inbound.resume();
    });
    for (const s of [inbound, outbound]) {
      this.#sockets.add(s);
      s.setNoDelay(true);
      s.on("error", () => {});
      s.on("close", () => this.#sockets.delete(s));
    }
    this.#pipe(inbound, outbound, (n) => (this.bytesUp += n));
    this.#pipe(outbound, inbound, (n) => (this.bytesDown += n));
  }

  #pipe(from: Socket, to: Socket, count: (n: number) => void): void {
    const later = (action: () => void): void => {
      if (this.delayMs > 0) setTimeout(action, this.delayMs);
      else action();
    };
    from.on("data", (chunk: Buffer) => {
      count(chunk.length);
      later(() => {
        if (!to.destroyed) to.write(chunk);
      });
    });
    from.on("end", () => later(() => to.end()));
    from.on("close", () => later(() => to.destroy()));
  }

  close(): void {
    for (const s of this.#sockets) s.destroy();
    this.server.close();
  }
}

type Result = {
  mode: Mode;
  delayMs: number;
  messages: number;
  tcpHandshakesPerMessage: number;
  helloHandshakesPerMessage: number;
  latencyMs: { p50: number; p99: number; max: number; mean: number };
  /** Wall time per message, including (short) the BYE exchange and close before the next message starts. */
  wallMsPerMessage: number;
  bytesUpPerMessage: number;
  bytesDownPerMessage: number;
  /** Minimum IPv4+TCP header bytes of the set-up and tear-down segments per message (7 segments x 40 B, +4 B MSS on SYN and SYN/ACK). */
  setupHeaderBytesPerMessage: number;
  lost: number;
};

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

async function run(mode: Mode, messages: number, delayMs: number): Promise<Result> {
  const lab = new RoleHarness("D");
  try {
    const server = lab.server({ id: "srv", heartbeatMs: 1000, timeoutMs: 3000, handshakeMs: 2000, logEvery: 0 });
    server.start("127.0.0.1");
    const proxy = new CountingProxy(server.port, delayMs);
    lab.onClose(() => proxy.close());
    const port = await proxy.listen();
    const client = lab.client({ id: "bench", port, mode, echoMs: 0, heartbeatMs: 1000, timeoutMs: 3000, handshakeMs: 2000, connectTimeoutMs: 3000, logEvery: 0 });
    client.start();
    client.linkUp("127.0.0.1");
    // persistent: its one connection's set-up (and heartbeats) are counted too, spread over the messages.
    if (mode === "persistent") await lab.waitFor(/tcp\.client: state handshaking->online/, 5000, 0);
    const latencies: number[] = [];
    const wallStart = performance.now();
    for (let i = 0; i < messages; i++) {
      const from = lab.lines.length;
      const t0 = performance.now();
      client.send("bench message " + i);
      await lab.waitFor(/tcp\.client: echo reply /, 5000, from);
      latencies.push(performance.now() - t0);
      // short: the connection is closed (BYE both ways, FIN) before the next message starts from idle.
      if (mode === "short") await lab.waitFor(/tcp\.client: state closing->idle/, 5000, from);
    }
    const wallMs = performance.now() - wallStart;
    const sorted = [...latencies].sort((a, b) => a - b);
    const connections = proxy.connections;
    return {
      mode,
      delayMs,
      messages,
      tcpHandshakesPerMessage: connections / messages,
      helloHandshakesPerMessage: server.stats.handshakes / messages,
      latencyMs: {
        p50: round(quantile(sorted, 0.5)),
        p99: round(quantile(sorted, 0.99)),
        max: round(sorted[sorted.length - 1]),
        mean: round(latencies.reduce((a, b) => a + b, 0) / latencies.length),
      },
      wallMsPerMessage: round(wallMs / messages),
      bytesUpPerMessage: round(proxy.bytesUp / messages),
      bytesDownPerMessage: round(proxy.bytesDown / messages),
      setupHeaderBytesPerMessage: round(((7 * 40 + 8) * connections) / messages),
      lost: client.stats.echoLost + client.stats.lost,
    };
  } finally {
    lab.close();
  }
}

const round = (n: number): number => Math.round(n * 100) / 100;

async function main(): Promise<void> {
  const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split("=", 2) as [string, string]));
  const messages = Number(args.messages ?? 200);
  const delays = (args.delays ?? "0,5,20").split(",").map(Number);
  const results: Result[] = [];
  for (const delayMs of delays) for (const mode of ["short", "persistent"] as const) results.push(await run(mode, messages, delayMs));

  const header = ["mode", "delay", "msgs", "TCP hs/msg", "HELLO/msg", "p50 ms", "p99 ms", "max ms", "wall ms/msg", "up B/msg", "down B/msg", "setup hdr B/msg", "lost"];
  const rows = results.map((r) => [r.mode, r.delayMs + " ms", r.messages, r.tcpHandshakesPerMessage, r.helloHandshakesPerMessage, r.latencyMs.p50, r.latencyMs.p99, r.latencyMs.max, r.wallMsPerMessage, r.bytesUpPerMessage, r.bytesDownPerMessage, r.setupHeaderBytesPerMessage, r.lost].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join("  ");
  console.log("short vs persistent: one client, sequential ECHO messages through a counting proxy (delay = added one-way delay)");
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  const notes = [
    "latency: from client.send() to the ECHO reply (short: includes TCP connect, HELLO/WELCOME); wall: per message including short's BYE/FIN",
    "delay: added by the proxy to every data chunk each way, not to TCP's own SYN/SYN-ACK (the kernel completes those with the proxy at once): on a link with round trip 2 x delay, short pays about one more round trip per message than shown",
    "bytes: TCP payload through the proxy, both ways, heartbeats included; setup hdr: IPv4+TCP headers of SYN, SYN/ACK, ACK, FIN, ACK, FIN, ACK (40 B each, +4 B MSS option on the first two), computed, not captured",
  ];
  for (const n of notes) console.log("  " + n);

  const machine = { loadavg: loadavg().map((l) => round(l)), cpus: cpus().length, cpu: cpus()[0]?.model, memoryMiB: Math.round(totalmem() / 1048576), os: platform() + " " + release(), node: process.version };
  const out = join(here, "results", "short-vs-persistent.json");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ bench: "short-vs-persistent", date: new Date().toISOString(), notes, command: "node --import ./host-sim/register.mjs bench/short-vs-persistent.ts " + process.argv.slice(2).join(" "), machine, results }, null, 2) + "\n");
  console.log("written " + out);
}

await main();
process.exit(0);
