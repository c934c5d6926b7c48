// Throughput and latency: the host runtime's TCP (embedded:io/socket/tcp + listener on Node, with lwIP's 8 KiB send
// buffer and posted callbacks) against raw node:net, on the same loopback in the same run, rounds interleaved so
// machine load hits both alike. ECHO: sequential one-line round trips. Bulk: one connection sends N bytes to a
// receiver that discards them. The ratio runtime / node:net is the runtime's cost.
//
//   node --import ./host-sim/register.mjs bench/throughput.ts [--quick] [--out DIR]
import { connect, createServer, type Server as NetServer, type Socket } from "node:net";
import TCP from "../host-sim/runtime/tcp.ts";
import Listener from "../host-sim/runtime/listener.ts";
import { board } from "../host-sim/runtime/board.ts";
import { installGlobals } from "../host-sim/runtime/globals.ts";
import { setAbort } from "../host-sim/runtime/machine.ts";
import { isMain, round, standalone, stats, table, type BenchOptions, type BenchResult, type Stats } from "./support.ts";

type Side = "runtime" | "node";
type Tcp = InstanceType<typeof TCP>;

/** An echo or discard server of either kind on 127.0.0.1; `close()` releases it and its connections. */
interface Peer {
  port: number;
  close(): void;
}

function nodeServer(kind: "echo" | "discard", onBytes?: (n: number) => void): Promise<Peer> {
  const sockets = new Set<Socket>();
  const server: NetServer = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    if (kind === "echo") socket.pipe(socket);
    else socket.on("data", (chunk: Buffer) => onBytes?.(chunk.length));
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        port: (server.address() as { port: number }).port,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      }),
    ),
  );
}

function runtimeServer(kind: "echo" | "discard", onBytes?: (n: number) => void): Peer {
  const conns = new Set<Tcp>();
  const listener = new Listener({
    port: 0,
    onReadable(count: number) {
      for (let i = 0; i < count; i++) {
        const from = this.read();
        if (!from) break;
        const pending: ArrayBuffer[] = [];
        let writable = 0;
        const flush = (tcp: Tcp): void => {
          while (pending.length && writable >= pending[0].byteLength) writable = tcp.write(pending.shift()!) as number;
        };
        const tcp: Tcp = new TCP({
          from,
          nodelay: true,
          onReadable(n: number) {
            const data = tcp.read() as ArrayBuffer;
            if (kind === "discard") onBytes?.(n);
            else {
              pending.push(data);
              flush(tcp);
            }
          },
          onWritable(n: number) {
            writable = n;
            flush(tcp);
          },
          onError() {
            conns.delete(tcp);
            tcp.close();
          },
        });
        conns.add(tcp);
      }
    },
  });
  return {
    port: listener.port,
    close: () => {
      for (const c of conns) c.close();
      listener.close();
    },
  };
}

const LINE = Buffer.from("ECHO 1 " + "x".repeat(56) + "\n"); // 64 bytes, a typical protocol line

/** Sequential round trips of one 64-byte line; ms each. */
async function echoRound(side: Side, messages: number): Promise<number[]> {
  const rtts: number[] = [];
  if (side === "node") {
    const peer = await nodeServer("echo");
    try {
      const socket = await new Promise<Socket>((resolve, reject) => {
        const s = connect({ host: "127.0.0.1", port: peer.port }, () => resolve(s));
        s.once("error", reject);
      });
      socket.setNoDelay(true);
      let got = 0;
      let wake: () => void = () => {};
      socket.on("data", (chunk: Buffer) => {
        got += chunk.length;
        if (got >= LINE.length) wake();
      });
      for (let i = 0; i < messages; i++) {
        got = 0;
        const done = new Promise<void>((r) => (wake = r));
        const t0 = performance.now();
        socket.write(LINE);
        await done;
        rtts.push(performance.now() - t0);
      }
      socket.destroy();
    } finally {
      peer.close();
    }
    return rtts;
  }
  const peer = runtimeServer("echo");
  try {
    let got = 0;
    let wake: () => void = () => {};
    let ready: () => void = () => {};
    const connected = new Promise<void>((r) => (ready = r));
    const line = new Uint8Array(LINE).buffer;
    const tcp: Tcp = new TCP({
      address: "127.0.0.1",
      port: peer.port,
      nodelay: true,
      onWritable() {
        ready();
      },
      onReadable(n: number) {
        tcp.read();
        got += n;
        if (got >= LINE.length) wake();
      },
      onError() {},
    });
    await connected;
    for (let i = 0; i < messages; i++) {
      got = 0;
      const done = new Promise<void>((r) => (wake = r));
      const t0 = performance.now();
      tcp.write(line);
      await done;
      rtts.push(performance.now() - t0);
    }
    tcp.close();
  } finally {
    peer.close();
  }
  return rtts;
}

/** One connection sends `bytes` to a discarding receiver; MB/s (10^6 bytes) until the receiver has them all. */
async function bulkRound(sender: Side, receiver: Side, bytes: number): Promise<number> {
  let received = 0;
  let allIn: () => void = () => {};
  const done = new Promise<void>((r) => (allIn = r));
  const onBytes = (n: number): void => {
    received += n;
    if (received >= bytes) allIn();
  };
  const peer = receiver === "node" ? await nodeServer("discard", onBytes) : runtimeServer("discard", onBytes);
  const chunk = Buffer.alloc(65536, 0x61);
  try {
    let t0 = 0;
    if (sender === "node") {
      const socket = connect({ host: "127.0.0.1", port: peer.port });
      socket.on("error", () => {});
      await new Promise<void>((r) => socket.once("connect", () => r()));
      t0 = performance.now();
      let sent = 0;
      const pump = (): void => {
        while (sent < bytes) {
          const n = Math.min(chunk.length, bytes - sent);
          sent += n;
          if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
            socket.once("drain", pump);
            return;
          }
        }
      };
      pump();
      await done;
      socket.destroy();
    } else {
      // As an app on lwIP does: write what onWritable reports free, at most the 8 KiB send buffer at a time.
      let sent = 0;
      let ready: () => void = () => {};
      const connected = new Promise<void>((r) => (ready = r));
      const tcp: Tcp = new TCP({
        address: "127.0.0.1",
        port: peer.port,
        onWritable(free: number) {
          ready();
          while (t0 > 0 && sent < bytes && free > 0) {
            const n = Math.min(free, bytes - sent, chunk.length);
            free = tcp.write(chunk.subarray(0, n)) as number;
            sent += n;
          }
        },
        onError() {},
      });
      await connected;
      t0 = performance.now();
      const n = Math.min(8192, bytes);
      tcp.write(chunk.subarray(0, n));
      sent += n;
      await done;
      tcp.close();
    }
    return bytes / 1e6 / ((performance.now() - t0) / 1000);
  } finally {
    peer.close();
  }
}

export type EchoRow = { side: Side; messages: number; rttMs: Stats; perSecond: number };
export type BulkRow = { sender: Side; receiver: Side; bytes: number; rounds: number; mbPerS: Stats };

export async function throughput(options: BenchOptions): Promise<BenchResult> {
  installGlobals();
  setAbort((error) => {
    throw error;
  });
  board.identity = { id: "bench", address: "127.0.0.1", peers: ["127.0.0.1"], netmask: "255.0.0.0" };
  const rounds = options.quick ? 2 : 5;
  const messages = options.quick ? 100 : 2000;
  const bytes = options.quick ? 1 << 20 : 64 << 20;
  try {
    options.progress(`throughput: ECHO ${rounds} rounds x ${messages} round trips, runtime and node:net interleaved`);
    const rtts: Record<Side, number[]> = { runtime: [], node: [] };
    const elapsed: Record<Side, number> = { runtime: 0, node: 0 };
    for (let r = 0; r < rounds; r++) {
      for (const side of (r % 2 ? ["node", "runtime"] : ["runtime", "node"]) as Side[]) {
        const t0 = performance.now();
        rtts[side].push(...(await echoRound(side, messages)));
        elapsed[side] += performance.now() - t0;
      }
    }
    const echo: EchoRow[] = (["runtime", "node"] as Side[]).map((side) => ({
      side,
      messages: rtts[side].length,
      rttMs: stats(rtts[side].map((v) => v * 1000)), // in µs, rounded below
      perSecond: Math.round((rtts[side].length / elapsed[side]) * 1000),
    }));
    for (const e of echo) e.rttMs = { ...e.rttMs, min: round(e.rttMs.min / 1000, 3), p50: round(e.rttMs.p50 / 1000, 3), p99: round(e.rttMs.p99 / 1000, 3), max: round(e.rttMs.max / 1000, 3), mean: round(e.rttMs.mean / 1000, 3) };

    const combos: [Side, Side][] = [
      ["runtime", "runtime"],
      ["node", "node"],
      ["runtime", "node"],
      ["node", "runtime"],
    ];
    options.progress(`throughput: bulk ${bytes >> 20} MiB x ${rounds} rounds per sender/receiver pair, interleaved`);
    const bulkRates = new Map<string, number[]>();
    for (let r = 0; r < rounds; r++) {
      for (const [s, rcv] of combos) {
        const key = `${s}>${rcv}`;
        bulkRates.set(key, [...(bulkRates.get(key) ?? []), await bulkRound(s, rcv, bytes)]);
      }
    }
    const bulk: BulkRow[] = combos.map(([s, rcv]) => ({ sender: s, receiver: rcv, bytes, rounds, mbPerS: stats(bulkRates.get(`${s}>${rcv}`)!) }));

    const [rt, nd] = echo;
    const ratio = {
      echoP50: round(rt.rttMs.p50 / nd.rttMs.p50, 2),
      echoMean: round(rt.rttMs.mean / nd.rttMs.mean, 2),
      echoPerSecond: round(rt.perSecond / nd.perSecond, 2),
      bulkRuntimeBothEnds: round(bulk[0].mbPerS.p50 / bulk[1].mbPerS.p50, 3),
      bulkRuntimeSender: round(bulk[2].mbPerS.p50 / bulk[1].mbPerS.p50, 3),
      bulkRuntimeReceiver: round(bulk[3].mbPerS.p50 / bulk[1].mbPerS.p50, 3),
    };
    const tables = [
      table(
        `ECHO round trip, one 64-byte line at a time on one connection, both ends of the same kind; ${rounds} rounds x ${messages}`,
        ["stack", "n", "min ms", "p50 ms", "p99 ms", "max ms", "mean ms", "round trips/s", "p50 vs node:net"],
        echo.map((e) => [e.side === "runtime" ? "host runtime TCP + Listener" : "raw node:net", e.messages, e.rttMs.min, e.rttMs.p50, e.rttMs.p99, e.rttMs.max, e.rttMs.mean, e.perSecond, round(e.rttMs.p50 / nd.rttMs.p50, 2)]),
      ),
      table(
        `bulk transfer, one connection, ${bytes >> 20} MiB per round, ${rounds} rounds (MB/s = 10^6 bytes/s)`,
        ["sender > receiver", "p50 MB/s", "min MB/s", "max MB/s", "p50 vs node:net"],
        bulk.map((b) => [`${b.sender} > ${b.receiver}`, round(b.mbPerS.p50, 1), round(b.mbPerS.min, 1), round(b.mbPerS.max, 1), round(b.mbPerS.p50 / bulk[1].mbPerS.p50, 3)]),
      ),
    ];
    const notes = [
      "runtime = host-sim/runtime/tcp.ts and listener.ts: every callback is posted (setImmediate) like Moddable's, and a sender may have at most lwIP's TCP_SND_BUF (8 KiB) unacknowledged, so bulk sending runs in 8 KiB steps",
      `runtime cost, ECHO p50: ${round((ratio.echoP50 - 1) * 100, 0)}% over node:net; bulk (runtime both ends): ${round(ratio.bulkRuntimeBothEnds * 100, 1)}% of node:net's rate`,
    ];
    return { name: "throughput", tables, notes, data: { rounds, messages, bytes, echo, bulk, ratio } };
  } finally {
    board.closeAll();
    setAbort(undefined);
  }
}

if (isMain(import.meta.url)) {
  await standalone("throughput", throughput);
  process.exit(0);
}
