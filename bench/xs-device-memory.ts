// The firmware's XS memory on the real engine: linklab built by the user's Moddable SDK for lin with the esp32
// `creation` of manifest.json (a fixed heap, incremental 0), run on mcsim (XS 17), with raw node:net clients on
// 127.0.0.1 that say HELLO and exchange ECHOs, and silent connections (pending handshakes) from 127.0.0.2, .3, ...
// Figures only, never pass/fail. Needs an SDK and Xvfb (host-sim/moddable); test/device/memory.test.ts uses the
// shared pieces exported here.
//
//   node --import ./host-sim/register.mjs bench/xs-device-memory.ts [--sessions 0,1,2,4,8] [--pending 4,8]
//        [--ceiling N,...] [--worst] [--role server|both] [--max-line L] [--creation esp32|board|default|CHUNK,SLOTS]
//        [--repo DIR] [--release] [--seconds 8] [--echo-ms 500] [--json FILE]
//        [--attack N [--attack-kind ping|echo] [--runs 3]] [--burst N,...]
//
// --sessions / --pending: the probe image (its main is a probe module that imports linklab's main and once a second
//   forces a full collection and prints `memprobe: slotBytes=.. chunkBytes=..`: live memory), one step per count.
//   Per connection = (live at N - live at 0) / N, live = the minimum of three probe lines once the ECHOs are done.
// --ceiling N,...: the plain image (linklab's main, nothing added) with maxClients = N, N sessions ECHOing for
//   --seconds; --worst adds N silent connections (N - 1 stay pending). ok = every reply came, no `XS abort`.
// Both also report the `instruments:` lines a debug build (-d; -i with --release) prints every second: "Slot used"
// (bytes, 32 per slot on 64-bit lin) and "Chunk used", live data plus the garbage since the last collection.
// --attack N: N peers (python3) that pipeline PINGs or ECHOs and never read, against the plain image with
//   maxClients N, --runs times; ok = no `XS abort`.
// --burst N,...: N connections opened at once (silent) against maxClients 8; ok = no `XS abort`.
// --repo DIR measures another checkout (e.g. one whose settings.ts does not cap maxClients, to find where the heap
// ends); --creation board is Moddable's m5stack/esp32_thing heap, default mcconfig's fallback, CHUNK,SLOTS any other.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { mcsimMissing } from "../host-sim/moddable/mcsim.ts";
import { ModdableBoard, XS_ABORT } from "../host-sim/moddable/run.ts";
import { findSdk, isSdk, type Sdk } from "../host-sim/moddable/sdk.ts";
import { allReplied, BOARD_TARGET_CREATION, buildImage, connectClients, creationApp, EchoClient, esp32Creation, LIN_SLOT_BYTES, MCCONFIG_DEFAULT_CREATION, nextLine, parseInstruments, parseProbe, silentFleet, type SilentPeer } from "../host-sim/moddable/xs-memory.ts";
import { isMain, machine, round, table } from "./support.ts";

// ---------------------------------------------------------------------------------------------------------------

interface Step {
  image: "probe" | "plain";
  sessions: number;
  /** Silent connections still pending while the sessions ECHO. */
  pending: number;
  maxClients: number;
  ok: boolean;
  why?: string;
  replies: number;
  /** Live after a forced collection (probe image only): idle sessions, minimum of three; while ECHOing, the maximum. */
  liveSlots?: number;
  liveChunkBytes?: number;
  busyLiveSlots?: number;
  busyLiveChunkBytes?: number;
  /** From the `instruments:` lines while ECHOing: min and max of "Slot used"/32 and of "Chunk used". */
  instrumentSlots?: [number, number];
  instrumentChunkBytes?: [number, number];
  /** Collections while ECHOing (each `instruments:` line counts those of its second). */
  collections?: number;
  /** The deepest "Stack used" of the whole run, bytes (32 per slot here). */
  stackBytes?: number;
  seconds?: number;
}

interface Load {
  sessions: number;
  pending: number;
  seconds: number;
  echoMs: number;
  probe: boolean;
  maxClients: number;
  /** role=both: wait for the board's own client to be online first. */
  ownClient?: boolean;
}

async function step(sdk: Sdk, image: string, port: number, load: Load): Promise<Step> {
  const board = await ModdableBoard.start(sdk, image);
  const echoes = Math.max(2, Math.round((load.seconds * 1000) / load.echoMs));
  const clients = [] as EchoClient[];
  let silent: SilentPeer[] = [];
  try {
    await board.waitForLine(/tcp\.server: state stopped->listening/, 30_000);
    if (load.ownClient) await board.waitForLine(/tcp\.client: state handshaking->online/, 30_000);
    let why: string | undefined;
    let busyFrom = board.lines.length;
    let settled = busyFrom;
    let busyMs = 0;
    try {
      // With pending ones: all sessions but the last online, then the silent ones (the pending budget is free
      // while fewer than maxClients are online; at maxClients a newcomer is refused at once), then the last session
      // (whose connection evicts the oldest silent one): maxClients online and pending - 1 still pending.
      const early = load.pending > 0 && load.sessions > 0 ? load.sessions - 1 : load.sessions;
      const options = { echoes, echoMs: load.echoMs, deadlineMs: 10_000 };
      await connectClients(port, 1, early, options, clients);
      silent = await silentFleet(board, port, load.pending, 10_000);
      await connectClients(port, early + 1, load.sessions, options, clients);
      for (const client of clients) client.begin();
      busyFrom = board.lines.length;
      const started = Date.now();
      await allReplied(clients, echoes, load.seconds * 1000 + 20_000);
      busyMs = Date.now() - started;
      // Idle sessions (connected, no ECHO any more): three more lines of the probe (after a full collection each)
      // or of the instruments.
      settled = board.lines.length;
      let at = settled;
      for (let k = 0; k < 3; k++) at = await nextLine(board, load.probe ? /^memprobe: / : /^instruments: /, at, 5000);
    } catch (error) {
      why = String(error).split("\n")[0];
    }
    const aborted = board.lines.find((line) => XS_ABORT.test(line));
    const probe = parseProbe(board.lines.slice(settled));
    const busy = parseProbe(board.lines.slice(busyFrom, settled));
    // instruments lines need their key line, which comes first: parse everything, keep the busy window's samples.
    const all = parseInstruments(board.lines);
    const samples = all.slice(parseInstruments(board.lines.slice(0, busyFrom)).length, parseInstruments(board.lines.slice(0, settled)).length);
    const slots = samples.map((s) => s["Slot used"] / LIN_SLOT_BYTES);
    const chunks = samples.map((s) => s["Chunk used"]);
    return {
      image: load.probe ? "probe" : "plain",
      sessions: load.sessions,
      pending: load.sessions > 0 && load.pending > 0 ? load.pending - 1 : load.pending,
      maxClients: load.maxClients,
      ok: !why && !aborted && clients.every((c) => c.replies >= echoes),
      why: aborted ?? why,
      replies: clients.reduce((sum, c) => sum + c.replies, 0),
      liveSlots: probe.length ? Math.min(...probe.map((p) => p.slotBytes / LIN_SLOT_BYTES)) : undefined,
      liveChunkBytes: probe.length ? Math.min(...probe.map((p) => p.chunkBytes)) : undefined,
      busyLiveSlots: busy.length ? Math.max(...busy.map((p) => p.slotBytes / LIN_SLOT_BYTES)) : undefined,
      busyLiveChunkBytes: busy.length ? Math.max(...busy.map((p) => p.chunkBytes)) : undefined,
      instrumentSlots: slots.length ? [Math.min(...slots), Math.max(...slots)] : undefined,
      instrumentChunkBytes: chunks.length ? [Math.min(...chunks), Math.max(...chunks)] : undefined,
      collections: samples.reduce((sum, s) => sum + s["Garbage collections"], 0),
      stackBytes: Math.max(0, ...all.map((s) => s["Stack used"])),
      seconds: round(busyMs / 1000, 1),
    };
  } finally {
    for (const c of clients) c.close();
    for (const s of silent) s.socket.destroy();
    await board.stop();
  }
}

/**
 * The --attack mode's peer, in Python because Node cannot shrink a TCP socket's receive buffer: HELLO, then a flood of
 * `PING n` (or 200-byte ECHO) lines as fast as the socket takes them, never reading, with a 1 KB receive buffer so
 * its window closes at once and the server's replies pile up in its send queue.
 */
const ATTACKER = `
import os, socket, sys, time
port, n, kind, linger = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
s.connect(("127.0.0.1", port))
s.sendall(b"HELLO attacker%d\\n" % os.getpid())
time.sleep(0.3)
s.setblocking(False)
i, start = 0, time.time()
while i < n and time.time() - start < 30:
    line = (b"PING %d\\n" % i) if kind == "ping" else (b"ECHO %d %s\\n" % (i, b"x" * 200))
    try:
        s.send(line)
        i += 1
    except BlockingIOError:
        time.sleep(0.01)
    except OSError:
        break
time.sleep(linger)
`;

/** N attackers at once against a plain image with maxClients N; ok = no `XS abort`. */
async function attack(sdk: Sdk, image: string, port: number, count: number, kind: string): Promise<Record<string, unknown>> {
  const board = await ModdableBoard.start(sdk, image);
  try {
    await board.waitForLine(/tcp\.server: state stopped->listening/, 30_000);
    const kids = Array.from({ length: count }, () => spawn("python3", ["-c", ATTACKER, String(port), "100000", kind, "6"], { stdio: ["ignore", "ignore", "inherit"] }));
    await Promise.all(kids.map((kid) => new Promise((resolve) => kid.on("exit", resolve))));
    const samples = parseInstruments(board.lines);
    const aborted = board.lines.find((line) => XS_ABORT.test(line));
    return {
      attackers: count,
      kind,
      ok: !aborted,
      why: aborted ?? "",
      maxSlotsUsed: Math.max(0, ...samples.map((x) => x["Slot used"] / LIN_SLOT_BYTES)),
      maxChunkUsed: Math.max(0, ...samples.map((x) => x["Chunk used"])),
      collections: samples.reduce((sum, x) => sum + x["Garbage collections"], 0),
      closedNotReading: board.lines.filter((line) => /peer not reading/.test(line)).length,
    };
  } finally {
    await board.stop();
  }
}

/** N connections opened at once, never saying anything, against a plain image with maxClients 8; ok = no abort. */
async function burst(sdk: Sdk, image: string, port: number, count: number): Promise<Record<string, unknown>> {
  const board = await ModdableBoard.start(sdk, image);
  const sockets: Socket[] = [];
  try {
    await board.waitForLine(/tcp\.server: state stopped->listening/, 30_000);
    let closed = 0;
    let wake = (): void => {};
    for (let i = 0; i < count; i++) {
      const socket = connect({ host: "127.0.0.1", port });
      socket.on("error", () => {});
      socket.on("close", () => {
        closed++;
        wake();
      });
      sockets.push(socket);
    }
    // Until every connection was closed by the server, or the board aborted (then its sockets close too).
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 20_000);
      wake = () => {
        if (closed < count) return;
        clearTimeout(timer);
        resolve();
      };
      wake();
    });
    const aborted = board.lines.find((line) => XS_ABORT.test(line));
    const samples = parseInstruments(board.lines);
    return { connections: count, closed, ok: !aborted, why: aborted ?? "", maxSlotsUsed: Math.max(0, ...samples.map((x) => x["Slot used"] / LIN_SLOT_BYTES)) };
  } finally {
    for (const socket of sockets) socket.destroy();
    await board.stop();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const value = (name: string): string | undefined => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const list = (name: string, fallback: number[]): number[] => {
    const text = value(name);
    return text === undefined ? fallback : text.split(",").filter(Boolean).map(Number);
  };
  const found = findSdk();
  if (!isSdk(found)) throw new Error(found.missing);
  const missing = mcsimMissing();
  if (missing) throw new Error(missing);
  const sdk = found;
  const kind = argv.includes("--release") ? "instrumented" : "debug";
  const seconds = Number(value("--seconds") ?? 8);
  const echoMs = Number(value("--echo-ms") ?? 500);
  const maxLine = value("--max-line");
  const which = value("--creation") ?? "esp32";
  const [chunk, heap] = which.split(",").map(Number);
  const creation =
    which === "default"
      ? MCCONFIG_DEFAULT_CREATION
      : which === "board"
        ? BOARD_TARGET_CREATION
        : heap > 0
          ? { ...esp32Creation(), chunk: { initial: chunk, incremental: 0 }, heap: { initial: heap, incremental: 0 } }
          : esp32Creation();
  const port = 20_000 + (process.pid % 20_000);
  const role = value("--role") ?? "server";
  // --repo DIR: measure another checkout, e.g. a copy whose modules/settings.ts does not cap maxClients, to find
  // where the heap really ends; its manifest.json must have the same esp32 creation or --creation must say one.
  const repo = value("--repo");
  const overrides = (max: number): Record<string, string> => ({
    role,
    // role=both: the board's client connects to its own server (one session of the N).
    ...(role === "both" ? { server: "127.0.0.1" } : {}),
    port: String(port),
    id: "xs-server",
    maxClients: String(max),
    // Beacons go to a port nobody listens on (lin refuses the broadcast anyway: udp.c "sendto failed").
    beaconPort: String(port + 1),
    // Pending handshakes stay pending for the whole measurement.
    handshakeMs: "600000",
    ...(maxLine ? { maxLine } : {}),
  });
  process.stderr.write(`  .. ${kind} builds, creation ${JSON.stringify(creation)}\n`);

  // --attack N: N peers that pipeline and never read (see ATTACKER), --attack-kind ping|echo, --runs R.
  const attackers = Number(value("--attack") ?? 0);
  if (attackers > 0) {
    const image = await buildImage(sdk, creationApp(creation, { repo }), overrides(attackers), kind);
    const kindOf = value("--attack-kind") ?? "ping";
    const runs = [];
    for (let r = 0; r < Number(value("--runs") ?? 3); r++) runs.push(await attack(sdk, image, port, attackers, kindOf));
    console.log(
      table(
        `${attackers} peers pipelining ${kindOf === "ping" ? "PINGs" : "200-byte ECHOs"} and never reading (1 KB receive buffer), maxClients ${attackers}, lin ${kind}, creation chunk ${creation.chunk.initial} bytes, heap ${creation.heap.initial} slots`,
        ["run", "ok", "max slots used", "max chunk B used", "GCs", "closed as not reading", "why"],
        runs.map((r, i) => [i + 1, r.ok ? "yes" : "NO", String(r.maxSlotsUsed), String(r.maxChunkUsed), String(r.collections), String(r.closedNotReading), String(r.why)]),
      ),
    );
    const out = value("--json");
    if (out) writeFileSync(out, JSON.stringify({ command: "node --import ./host-sim/register.mjs bench/xs-device-memory.ts " + argv.join(" "), date: new Date().toISOString(), sdk: sdk.version, kind, creation, machine: machine(), runs }, null, 2) + "\n");
    return;
  }

  // --burst N,...: N connections at once against maxClients 8.
  const bursts = list("--burst", []);
  if (bursts.length) {
    const image = await buildImage(sdk, creationApp(creation, { repo }), overrides(8), kind);
    const runs = [];
    for (const n of bursts) runs.push(await burst(sdk, image, port, n));
    console.log(
      table(
        `connections opened at once, maxClients 8, lin ${kind}, creation chunk ${creation.chunk.initial} bytes, heap ${creation.heap.initial} slots`,
        ["connections", "ok", "closed by the server", "max slots used (sampled)", "why"],
        runs.map((r) => [String(r.connections), r.ok ? "yes" : "NO", String(r.closed), String(r.maxSlotsUsed), String(r.why)]),
      ),
    );
    const out = value("--json");
    if (out) writeFileSync(out, JSON.stringify({ command: "node --import ./host-sim/register.mjs bench/xs-device-memory.ts " + argv.join(" "), date: new Date().toISOString(), sdk: sdk.version, kind, creation, machine: machine(), runs }, null, 2) + "\n");
    return;
  }

  const rows: Step[] = [];
  // Per-session and per-pending costs: the probe image, maxClients = the largest session count measured.
  const sizes = list("--sessions", [0, 1, 2, 4, 8]);
  const pendings = list("--pending", []);
  const probeMax = Math.max(1, ...sizes, ...pendings) + (role === "both" ? 1 : 0);
  if (sizes.length || pendings.length) {
    const image = await buildImage(sdk, creationApp(creation, { probe: true, repo }), overrides(probeMax), kind);
    // role=both: the board's own client is online on its own server too, so it needs one more place.
    for (const sessions of sizes) rows.push(await step(sdk, image, port, { sessions, pending: 0, seconds, echoMs, probe: true, maxClients: probeMax, ownClient: role === "both" }));
    for (const pending of pendings) rows.push(await step(sdk, image, port, { sessions: 0, pending, seconds: 2, echoMs, probe: true, maxClients: probeMax, ownClient: role === "both" }));
  }
  // The ceiling: the plain image (no probe) with maxClients = N and N sessions ECHOing; with --worst also N silent
  // pending handshakes (N - 1 of them stay: the last session's connection evicts one).
  const ratio = argv.includes("--worst") ? 1 : 0;
  for (const n of list("--ceiling", [])) {
    const image = await buildImage(sdk, creationApp(creation, { repo }), overrides(n), kind);
    rows.push(await step(sdk, image, port, { sessions: n, pending: Math.round(n * ratio), seconds, echoMs, probe: false, maxClients: n, ownClient: role === "both" }));
  }
  for (const r of rows) process.stderr.write(`  .. ${r.image} ${r.sessions}+${r.pending}: ${r.ok ? "ok" : "FAILED " + r.why}\n`);
  const base = rows.find((r) => r.image === "probe" && r.sessions === 0 && r.pending === 0 && r.ok);
  const per = (r: Step, key: "liveSlots" | "liveChunkBytes"): number | string => {
    const n = r.sessions + r.pending;
    return base && n > 0 && r[key] !== undefined && base[key] !== undefined ? round((r[key] - base[key]) / n, 1) : "-";
  };
  console.log(
    table(
      `XS memory of role=${role} on real XS (lin ${kind}, creation chunk ${creation.chunk.initial}/${creation.chunk.incremental} bytes, heap ${creation.heap.initial}/${creation.heap.incremental} slots${maxLine ? ", maxLine " + maxLine : ""}); sessions ECHO every ${echoMs} ms, pending ones are silent`,
      ["image", "maxClients", "sessions", "pending", "ok", "replies", "live slots", "live chunk B", "slots/conn", "chunk B/conn", "busy live slots", "busy live chunk B", "instr. slots min-max", "instr. chunk B min-max", "GCs", "stack B", "s", "why"],
      rows.map((r) => [
        r.image,
        r.maxClients,
        r.sessions,
        r.pending,
        r.ok ? "yes" : "NO",
        r.replies,
        r.liveSlots ?? "-",
        r.liveChunkBytes ?? "-",
        per(r, "liveSlots"),
        per(r, "liveChunkBytes"),
        r.busyLiveSlots ?? "-",
        r.busyLiveChunkBytes ?? "-",
        r.instrumentSlots ? r.instrumentSlots.join("-") : "-",
        r.instrumentChunkBytes ? r.instrumentChunkBytes.join("-") : "-",
        r.collections ?? "-",
        r.stackBytes ?? "-",
        r.seconds ?? "-",
        r.why ?? "",
      ]),
    ),
  );
  const out = value("--json");
  if (out) {
    const result = { role, repo: repo ?? "this checkout", command: "node --import ./host-sim/register.mjs bench/xs-device-memory.ts " + argv.join(" "), date: new Date().toISOString(), sdk: sdk.version, kind, creation, maxLine: maxLine ?? "default", seconds, echoMs, machine: machine(), rows };
    writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  }
}

if (isMain(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(String(error));
      process.exit(1);
    },
  );
}
