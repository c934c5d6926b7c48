// XS heap of the firmware roles, measured on the real XS engine (xsnap) with fake sockets and a fake clock
// (workloads in test/xs/workloads/memory.ts): the client over 10,000 heartbeat cycles, the server with 1, 8 and 16
// sessions. Figures only, never pass/fail. Live memory = slots and chunk bytes in the machine's snapshot after a
// full collection. This host is 64-bit (32-byte slots); the ESP32 figure counts 16-byte slots and the chunk bytes
// as measured (an upper bound: chunk items and pointers are smaller on the ESP32).
//
//   node --import ./host-sim/register.mjs bench/xs-memory.ts [--json FILE]
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { XSSession, repoDir, xsnapVersion, type XSMemory } from "../host-sim/harness/xs.ts";

const workload = join(repoDir, "test", "xs", "workloads", "memory.ts");

type Figures = { slots: number; chunkBytes: number; hostBytes: number; esp32Bytes: number };

function figures(m: { slots: number; chunkBytes: number }): Figures {
  return { slots: m.slots, chunkBytes: m.chunkBytes, hostBytes: m.slots * 32 + m.chunkBytes, esp32Bytes: m.slots * 16 + m.chunkBytes };
}

function minus(a: XSMemory, b: XSMemory, per = 1): Figures {
  return figures({ slots: (a.slots - b.slots) / per, chunkBytes: (a.chunkBytes - b.chunkBytes) / per });
}

type ServerRow = {
  sessions: number;
  online: [number, number];
  heap: Figures;
  perSession: Figures | null;
  serverPerSession: Figures | null;
  growthPer1000Cycles: Figures;
  pings: number;
  echoes: number;
};

export type XsMemoryResult = {
  engine: string;
  harnessPerCall: Figures;
  client: { cycles: number; cost: Figures; fakes: Figures; net: Figures; growthPer1000Cycles: Figures; seriesEsp32Bytes: number[]; stats: unknown };
  fakesPerSession: Figures;
  server: ServerRow[];
};

export async function xsMemory(): Promise<XsMemoryResult> {
  const session = await XSSession.open(workload);
  let calls = 0;
  const call = async <T = unknown>(name: string, args: unknown[] = []): Promise<T> => {
    calls++;
    return (await session.call<T>(name, args)).result;
  };
  /** Growth between two measurements with the harness's own per-call residue taken out. */
  let perCall = { slots: 0, chunkBytes: 0 };
  const net = (after: XSMemory, before: XSMemory, callsBetween: number, per: number): Figures =>
    minus({ slots: after.slots - callsBetween * perCall.slots, chunkBytes: after.chunkBytes - callsBetween * perCall.chunkBytes }, before, per);
  try {
    // What one call leaves behind in the harness (each call is an eval'd script), to tell it from growth.
    await call("idle");
    const idle0 = await session.memory();
    for (let i = 0; i < 20; i++) await call("idle");
    const idle20 = await session.memory();
    perCall = { slots: (idle20.slots - idle0.slots) / 20, chunkBytes: (idle20.chunkBytes - idle0.chunkBytes) / 20 };

    // Client: its cost over its fakes alone, then 10 x 1,000 heartbeat cycles after 100 to warm up.
    await call("reset");
    const empty = await session.memory();
    calls = 0;
    await call("clientFakesOnly");
    const fakesOnly = await session.memory();
    const clientFakes = net(fakesOnly, empty, calls, 1);
    await call("reset");
    calls = 0;
    await call("clientStart");
    await call("clientCycles", [100]);
    const clientSeries: XSMemory[] = [await session.memory()];
    const clientCost = net(clientSeries[0], empty, calls + 2, 1); // + clientFakesOnly and reset
    let clientStats: unknown;
    calls = 0;
    for (let k = 0; k < 10; k++) {
      clientStats = await call("clientCycles", [1000]);
      clientSeries.push(await session.memory());
    }
    const clientGrowth = net(clientSeries[10], clientSeries[0], calls, 10);

    // Server: 0 (listening only), 1, 8, 16 sessions; each warmed up 100 cycles, then 2 x 1,000 cycles.
    // The fake sockets of one session (listener's raw socket + the adopted one), from 0 and 16 back to back.
    await call("reset");
    calls = 0;
    await call("fakeSocketsOnly", [0]);
    const fakes0 = await session.memory();
    calls = 0;
    await call("reset");
    await call("fakeSocketsOnly", [16]);
    const fakes16 = await session.memory();
    const fakesPerSession = net(fakes16, fakes0, calls, 16);

    const server: ServerRow[] = [];
    let base: { start: XSMemory; calls: number } | undefined;
    for (const sessions of [0, 1, 8, 16]) {
      await call("reset");
      calls = 0;
      const started = await call<{ online: number }>("serverStart", [sessions]);
      await call("serverCycles", [100]);
      const start = await session.memory();
      const startCalls = calls;
      calls = 0;
      await call("serverCycles", [1000]);
      const end = await call<{ online: number; pings: number; echoes: number }>("serverCycles", [1000]);
      const after = await session.memory();
      base ??= { start, calls: startCalls };
      server.push({
        sessions,
        online: [started.online, end.online],
        heap: figures(start),
        perSession: sessions ? net(start, base.start, startCalls - base.calls, sessions) : null,
        serverPerSession: sessions ? minus(net(start, base.start, startCalls - base.calls, sessions), { slots: fakesPerSession.slots, chunkBytes: fakesPerSession.chunkBytes }) : null,
        growthPer1000Cycles: net(after, start, calls, 2),
        pings: end.pings,
        echoes: end.echoes,
      });
    }
    return {
      engine: await xsnapVersion(),
      harnessPerCall: figures(perCall),
      client: {
        cycles: 10_000,
        cost: clientCost,
        fakes: clientFakes,
        net: minus({ slots: clientCost.slots - clientFakes.slots, chunkBytes: clientCost.chunkBytes - clientFakes.chunkBytes }, { slots: 0, chunkBytes: 0 }),
        growthPer1000Cycles: clientGrowth,
        seriesEsp32Bytes: clientSeries.map((m) => m.slots * 16 + m.chunkBytes),
        stats: clientStats,
      },
      fakesPerSession,
      server,
    };
  } finally {
    session.close();
  }
}

function bytes(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

function print(r: XsMemoryResult): void {
  const f = (x: Figures) => `${bytes(x.slots)} slots + ${bytes(x.chunkBytes)} chunk B = ${bytes(x.esp32Bytes)} B ESP32 (${bytes(x.hostBytes)} B here)`;
  const out: string[] = [];
  out.push(`XS memory on ${r.engine}, live after a full GC (ESP32 B = slots x 16 + chunk bytes)`);
  out.push(`harness residue per call (subtracted below): ${f(r.harnessPerCall)}`);
  out.push("");
  out.push("client (heartbeatMs 1000, timeoutMs 3000, ECHO every 2 s, a server that answers)");
  out.push(`  cost online          ${f(r.client.cost)}`);
  out.push(`    of which fakes     ${f(r.client.fakes)} (clock, network, socket, log)`);
  out.push(`    client alone       ${f(r.client.net)}`);
  out.push(`  growth / 1,000 cyc.  ${f(r.client.growthPer1000Cycles)}   over ${r.client.cycles} cycles`);
  out.push("");
  out.push("server (maxClients 16, maxLine 256; each peer answers PINGs, sends one ECHO per second)");
  out.push(`  fake sockets of one session (listener's + adopted): ${f(r.fakesPerSession)}`);
  out.push("  sessions  online   per session, fake sockets taken out                growth / 1,000 cycles");
  for (const s of r.server) {
    out.push(
      `  ${String(s.sessions).padStart(8)}  ${String(s.online[1]).padStart(6)}   ` +
        (s.serverPerSession ? `${bytes(s.serverPerSession.slots)} slots + ${bytes(s.serverPerSession.chunkBytes)} B = ${bytes(s.serverPerSession.esp32Bytes)} B ESP32`.padEnd(67) : "(baseline: listening)".padEnd(67)) +
        `${bytes(s.growthPer1000Cycles.esp32Bytes)} B`,
    );
  }
  process.stdout.write(out.join("\n") + "\n");
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const jsonAt = process.argv.indexOf("--json");
  const file = jsonAt > 0 ? process.argv[jsonAt + 1] : join(repoDir, "bench", "results", "xs-memory.json");
  const started = Date.now();
  const result = await xsMemory();
  print(result);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ ...result, ranAt: new Date().toISOString(), durationMs: Date.now() - started }, null, 2) + "\n");
  process.stdout.write(`JSON: ${file}\n`);
}
