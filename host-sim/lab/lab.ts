// The lab controller: starts each board of a scenario as its own process on its own 127.0.0.x address, relays its
// serial log (live, prefixed), turns log lines into timed events, plays the fault timeline, and at the end stops
// every board (always, also when something throws) and judges the expectations. One run = one runLab() call.
// A board with engine=moddable is the firmware built by the user's Moddable SDK for lin, run on mcsim (real XS):
// its image is built with its final config before the boards start, and only process faults reach it.
import { createServer, type Server } from "node:net";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AppError, loadApp } from "../app.ts";
import type { BoardCommand } from "../runtime/board.ts";
import { classify, parseLogLine, type LabEvent } from "./events.ts";
import { judge, type ExpectationResult } from "./expect.ts";
import type { buildApp } from "../moddable/build.ts";
import type { mcsimLaunch } from "../moddable/mcsim.ts";
import type { Sdk } from "../moddable/sdk.ts";
import { BoardProcess, type BoardLaunch } from "./process.ts";
import { ScenarioError, type BoardSpec, type Engine, type Fault, type Scenario } from "./scenario.ts";
import { summarize, type Summary } from "./summary.ts";

/** The run could not go on (a board never booted); like a ScenarioError, reported in one line. */
export class LabError extends Error {}

export const repoDir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Where the lab's live output goes: the CLI prints it, tests usually collect or drop it. */
export interface LabOutput {
  /** A serial-log (or stderr) line of a board, at lab time t (ms; negative while the boards boot). */
  boardLine?(board: string, index: number, text: string, stream: "stdout" | "stderr", t: number): void;
  /** A fault being applied or ending, said in words. */
  labLine?(text: string, t: number): void;
  /** Called about every 250 ms while the timeline runs. */
  tick?(t: number): void;
  /** Called about every 250 ms while the boards boot: how many have printed their first line. */
  booting?(ready: number, total: number): void;
}

export interface LabOptions {
  output?: LabOutput;
  /** How long each board may take to print its first line before the run is abandoned (default 60 s). */
  readyTimeoutMs?: number;
  /** Seed for the random parts of faults (latency jitter, UDP loss), so a run can be repeated. */
  seed?: number;
}

export interface BoardRecord {
  id: string;
  index: number;
  config: Record<string, string>;
  /** The board's role (config, else the app's manifest default), for the summary. */
  role: string;
  /** Every address the board had, in order (a router reboot hands out new ones). */
  addresses: string[];
  boots: number;
}

export interface LabResult {
  scenario: Scenario;
  boards: BoardRecord[];
  events: LabEvent[];
  expectations: ExpectationResult[];
  summary: Summary;
  passed: boolean;
}

/** Board commands, the lab's fault layer included (host-sim/runtime/board.ts, runtime/shaping.ts). */
type NetCommand = BoardCommand;

interface Live {
  record: BoardRecord;
  /** What runs it: the host simulator, or Moddable's runtime (mcsim). */
  engine: Engine;
  address: string;
  process?: BoardProcess;
  ready: boolean;
  /** Powered off: frozen process, peers blackhole it. */
  off: boolean;
  wifiUp: boolean;
  /** Last blackhole list sent, to send only changes. */
  sentBlackhole?: string;
}

/** Resolve the app directory of a scenario: its `app` line is relative to the scenario file. */
export function scenarioAppDir(scenario: Scenario): string {
  if (!scenario.app) return repoDir;
  return isAbsolute(scenario.app) ? scenario.app : resolve(dirname(scenario.file), scenario.app);
}

function addressPlus(first: string, n: number): string {
  const parts = first.split(".").map(Number);
  let value = ((parts[1] << 16) | (parts[2] << 8) | parts[3]) + n;
  const last = value & 255;
  if (last === 0 || last === 255) value += 2;
  return `127.${(value >> 16) & 255}.${(value >> 8) & 255}.${value & 255}`;
}

/** The port a running lab holds on the first address of its network, so a second lab does not take the same one. */
export const LAB_LOCK_PORT = 8419;

function tryLock(address: string): Promise<Server | undefined> {
  return new Promise((resolveLock) => {
    const server = createServer();
    server.once("error", () => resolveLock(undefined));
    server.listen({ host: address, port: LAB_LOCK_PORT, exclusive: true }, () => resolveLock(server));
  });
}

/**
 * Take the scenario's network, or the next free block (127.0.Y+1.Z, ...) when another lab on this machine holds it:
 * two labs on the same addresses would talk to each other's boards.
 */
async function lockNetwork(first: string, count: number): Promise<{ first: string; lock: Server }> {
  const parts = first.split(".").map(Number);
  for (let shift = 0; shift < 64; shift++) {
    const third = (parts[2] + shift) % 256;
    const candidate = `127.${parts[1]}.${third}.${parts[3]}`;
    const lock = await tryLock(candidate);
    if (lock) return { first: candidate, lock };
  }
  throw new LabError(`no free network for ${count} boards near ${first}: 64 other labs are running?`);
}

/** A board's config value: its board line, else the app's manifest default (undefined when the app has no such key). */
function configValue(spec: BoardSpec, defaults: Record<string, unknown>, key: string): string | undefined {
  return spec.config[key] ?? (key in defaults ? String(defaults[key]) : undefined);
}

/** A board of the firmware that listens (role server or both), with its TCP port. */
function listenPort(spec: BoardSpec, defaults: Record<string, unknown>): string | undefined {
  const role = configValue(spec, defaults, "role");
  return role === "server" || role === "both" ? configValue(spec, defaults, "port") : undefined;
}

/**
 * What lin cannot do that a scenario would ask of a board on Moddable's runtime: UDP broadcast (the server beacons
 * behind server=auto), and sharing a port (mcsim binds INADDR_ANY, so its port is taken on every address).
 */
function checkEngines(scenario: Scenario, defaults: Record<string, unknown>): void {
  const moddable = scenario.boards.filter((b) => b.engine === "moddable");
  if (moddable.length === 0) return;
  const at = (spec: BoardSpec): string => `${scenario.file}:${spec.line}`;
  const moddableServer = moddable.find((b) => listenPort(b, defaults) !== undefined);
  for (const spec of scenario.boards) {
    const role = configValue(spec, defaults, "role");
    if ((role !== "client" && role !== "both") || configValue(spec, defaults, "server") !== "auto") continue;
    const auto = `server=auto${spec.config.server === undefined ? " (the default)" : ""}`;
    if (spec.engine === "moddable")
      throw new ScenarioError(`${at(spec)}: board ${spec.id} (engine=moddable) has ${auto}: it would find its server by UDP broadcast beacons, and lin refuses broadcast; name its server, e.g. server=@<board>`);
    if (moddableServer)
      throw new ScenarioError(`${at(spec)}: board ${spec.id} has ${auto}, but server ${moddableServer.id} has engine=moddable and lin refuses UDP broadcast, so its beacons never arrive; name it: server=@${moddableServer.id}`);
  }
  for (const spec of moddable) {
    const port = listenPort(spec, defaults);
    if (port === undefined) continue;
    if (Number(port) === LAB_LOCK_PORT)
      throw new ScenarioError(`${at(spec)}: board ${spec.id} (engine=moddable) listens on port ${port}, which the lab itself holds; choose another port=`);
    const other = scenario.boards.find((b) => b !== spec && listenPort(b, defaults) === port);
    if (other)
      throw new ScenarioError(
        `${at(other.line > spec.line ? other : spec)}: boards ${spec.id} and ${other.id} both listen on port ${port}, and ${spec.id} (engine=moddable) takes it on every address (mcsim binds INADDR_ANY); give one of them another port=`,
      );
  }
}

/** A port that a board on Moddable's runtime will bind on every address must be free on this machine (another lab?). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once("error", () => resolveFree(false));
    server.listen({ host: "0.0.0.0", port, exclusive: true }, () => server.close(() => resolveFree(true)));
  });
}

/** What the boards on Moddable's runtime need (loaded only for them): the SDK, its build, mcsim and its XS abort line. */
interface ModdableRuntime {
  sdk: Sdk;
  build: typeof buildApp;
  launch: typeof mcsimLaunch;
  abortLine: RegExp;
}

/** The SDK and a headless display for the boards on Moddable's runtime, or a LabError saying what is missing. */
async function moddableRuntime(scenario: Scenario, defaults: Record<string, unknown>): Promise<ModdableRuntime> {
  const first = scenario.boards.find((b) => b.engine === "moddable")!;
  const where = `${scenario.file}:${first.line}: board ${first.id} has engine=moddable`;
  const { findSdk, isSdk } = await import("../moddable/sdk.ts");
  const found = findSdk();
  if (!isSdk(found)) throw new LabError(`${where}, which needs the Moddable SDK: ${found.missing}`);
  const { mcsimMissing, mcsimLaunch: launch } = await import("../moddable/mcsim.ts");
  const missing = mcsimMissing();
  if (missing) throw new LabError(`${where}, which needs Moddable's runtime (mcsim): ${missing}`);
  for (const spec of scenario.boards) {
    const port = spec.engine === "moddable" ? listenPort(spec, defaults) : undefined;
    if (port !== undefined && !(await portFree(Number(port))))
      throw new LabError(`${scenario.file}:${spec.line}: board ${spec.id} (engine=moddable) binds port ${port} on every address, and it is in use on this machine (another lab or program)`);
  }
  const { buildApp: build } = await import("../moddable/build.ts");
  const { XS_ABORT } = await import("../moddable/run.ts");
  return { sdk: found, build, launch, abortLine: XS_ABORT };
}

/** Check the board lines against the app's manifest before anything starts, pointing at the line. */
function checkBoards(scenario: Scenario, defaults: Record<string, unknown>): void {
  for (const spec of scenario.boards) {
    for (const key of Object.keys(spec.config)) {
      if (!(key in defaults))
        throw new ScenarioError(`${scenario.file}:${spec.line}: unknown config key '${key}' (the app's manifest.json declares: ${Object.keys(defaults).join(" ") || "nothing"})`);
    }
    for (const [key, value] of Object.entries(spec.config)) {
      if (value.startsWith("@") && !scenario.boards.some((b) => b.id === value.slice(1)))
        throw new ScenarioError(`${scenario.file}:${spec.line}: ${key}=${value}: no board '${value.slice(1)}'`);
    }
  }
  checkEngines(scenario, defaults);
}

export async function runLab(scenario: Scenario, options: LabOptions = {}): Promise<LabResult> {
  const output = options.output ?? {};
  const appDir = scenarioAppDir(scenario);
  let defaults: Record<string, unknown>;
  try {
    defaults = loadApp(appDir).defaults;
  } catch (error) {
    if (error instanceof AppError) throw new ScenarioError(`${scenario.file}: app ${appDir}: ${error.message}`);
    throw error;
  }
  checkBoards(scenario, defaults);
  const moddable = scenario.boards.some((b) => b.engine === "moddable") ? await moddableRuntime(scenario, defaults) : undefined;

  let seed = (options.seed ?? 1) >>> 0 || 1;
  const nextSeed = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);

  const events: LabEvent[] = [];
  let spawnedAt = performance.now();
  let t0 = spawnedAt;
  let ended = false;
  let started = false;
  const now = (): number => performance.now() - t0;
  const { first: firstAddress, lock } = await lockNetwork(scenario.firstAddress, scenario.boards.length);
  let nextAddress = 0;
  const takeAddress = (): string => addressPlus(firstAddress, nextAddress++);

  const boards: Live[] = scenario.boards.map((spec, index) => {
    const address = takeAddress();
    return {
      record: { id: spec.id, index, config: spec.config, role: spec.config.role ?? String(defaults.role ?? ""), addresses: [address], boots: 0 },
      engine: spec.engine,
      address,
      ready: false,
      off: false,
      wifiUp: true,
    };
  });
  const byId = new Map(boards.map((b) => [b.record.id, b]));
  const byAddress = new Map<string, string>();
  for (const b of boards) byAddress.set(b.address, b.record.id);
  const peerOf = (value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    if (byId.has(value)) return value;
    const address = value.replace(/:\d+$/, "");
    return byAddress.get(address);
  };

  // Network-wide fault state, turned into per-board commands by syncNetwork().
  const partitions = new Set<string>(); // "a b" with a < b
  let latency = { latencyMs: 0, jitterMs: 0 };
  let udpLossPercent = 0;
  let idleMs = 0;

  const record = (event: LabEvent): void => {
    if (!ended) events.push(event);
  };
  const lab = (name: string, args: string[], text: string): void => {
    const t = now();
    record({ t, board: "lab", name, args, text });
    output.labLine?.(text, t);
  };

  const send = (board: Live, command: NetCommand): void => {
    board.process?.send(command);
  };

  const blackholeFor = (board: Live): string[] => {
    const out = new Set<string>();
    for (const other of boards) {
      if (other === board) continue;
      const key = [board.record.id, other.record.id].sort().join(" ");
      if (other.off || partitions.has(key)) for (const address of other.record.addresses) out.add(address);
    }
    return [...out].sort();
  };

  const syncNetwork = (board: Live): void => {
    if (!board.process || board.off || !board.ready) return;
    const addresses = blackholeFor(board);
    const key = addresses.join(",");
    if (key !== board.sentBlackhole) {
      board.sentBlackhole = key;
      send(board, { type: "blackhole", addresses });
    }
  };
  const syncAll = (): void => {
    for (const board of boards) syncNetwork(board);
  };

  /** A freshly booted board learns the network's current state (its Wi-Fi, latency, loss, firewall, partitions). */
  const greet = (board: Live): void => {
    board.sentBlackhole = undefined;
    if (!board.wifiUp) send(board, { type: "wifi", up: false });
    if (latency.latencyMs || latency.jitterMs) send(board, { type: "latency", ...latency, seed: nextSeed() });
    if (udpLossPercent) send(board, { type: "udp-loss", percent: udpLossPercent, seed: nextSeed() });
    if (idleMs) send(board, { type: "idle-firewall", idleMs });
    syncNetwork(board);
  };

  /** The config a board runs with: its words, `@board` as that board's address, and the lab's own defaults. */
  const configFor = (board: Live): Record<string, string> => {
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(board.record.config)) {
      const target = value.startsWith("@") ? byId.get(value.slice(1)) : undefined;
      config[key] = target ? target.address : value;
    }
    // Firmware boards get their board id as their protocol id, and log everything (the live view hides D lines,
    // the summary counts them).
    if ("id" in defaults && !("id" in board.record.config)) config.id = board.record.id;
    if ("logLevel" in defaults && !("logLevel" in board.record.config)) config.logLevel = "D";
    return config;
  };

  /** Boards on Moddable's runtime: their lin image (the config is compiled in), built before any board starts. */
  const images = new Map<string, string>();

  const start = async (board: Live): Promise<void> => {
    const words = Object.entries(configFor(board)).map(([key, value]) => `${key}=${value}`);
    board.ready = false;
    board.record.boots++;
    let launch: BoardLaunch | undefined;
    if (moddable && board.engine === "moddable") {
      launch = await moddable.launch(moddable.sdk, images.get(board.record.id)!);
      if (ended) {
        // The run ended while mcsim's display and config directory were being prepared.
        launch.cleanup();
        return;
      }
    }
    const boardProcess = new BoardProcess({
      id: board.record.id,
      appDir,
      words,
      address: board.address,
      peers: boards.map((b) => b.address),
      launch,
      endLine: launch ? moddable?.abortLine : undefined,
      onLine(stream, text) {
        if (boardProcess !== board.process) return;
        const t = now();
        output.boardLine?.(board.record.id, board.record.index, text, stream, started ? t : -1);
        if (stream === "stderr") {
          record({ t, board: board.record.id, name: "stderr", args: [], text });
          return;
        }
        if (!board.ready) {
          board.ready = true;
          record({ t, board: board.record.id, name: "boot", args: [], text });
          greet(board);
        }
        const line = parseLogLine(text);
        record({ t, board: board.record.id, name: "line", args: [], text, line });
        if (!line) return;
        for (const event of classify(line, peerOf)) record({ t, board: board.record.id, ...event, line, fields: line.fields });
      },
      onExit(code, signal) {
        const how = boardProcess.aborted ? "XS abort" : signal ? `signal ${signal}` : `code ${code}`;
        const byItself = boardProcess.aborted || !boardProcess.killedByLab;
        record({ t: now(), board: board.record.id, name: "exit", args: byItself ? ["by-itself"] : [], text: how });
      },
    });
    board.process = boardProcess;
  };

  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, action: () => void | Promise<void>): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!ended) void Promise.resolve(action()).catch((error) => lab("lab-error", [], `lab error: ${(error as Error).message}`));
    }, Math.max(0, ms));
    timers.add(timer);
  };

  const powerOn = async (board: Live): Promise<void> => {
    await board.process?.kill();
    board.off = false;
    const starting = start(board);
    syncAll();
    await starting;
  };

  const apply = async (fault: Fault): Promise<void> => {
    switch (fault.kind) {
      case "wifi-drop": {
        const board = byId.get(fault.board)!;
        lab("wifi-drop", [fault.board], `${fault.board}: Wi-Fi drops for ${fault.durationMs / 1000}s (its traffic stops both ways)`);
        board.wifiUp = false;
        send(board, { type: "wifi", up: false });
        later(fault.durationMs, () => {
          board.wifiUp = true;
          lab("wifi-restore", [fault.board], `${fault.board}: Wi-Fi is back (same address ${board.address})`);
          send(board, { type: "wifi", up: true, address: board.address });
        });
        break;
      }
      case "router-reboot":
        lab("router-reboot", [], `router reboots for ${fault.durationMs / 1000}s: every board loses Wi-Fi`);
        for (const board of boards) {
          board.wifiUp = false;
          send(board, { type: "wifi", up: false });
        }
        later(fault.durationMs, () => {
          for (const board of boards) {
            board.address = takeAddress();
            board.record.addresses.push(board.address);
            byAddress.set(board.address, board.record.id);
          }
          const peers = boards.map((b) => b.address);
          lab("router-restore", [], `router is back: new addresses ${boards.map((b) => `${b.record.id}=${b.address}`).join(" ")}`);
          for (const board of boards) {
            board.wifiUp = true;
            send(board, { type: "peers", peers });
            send(board, { type: "wifi", up: true, address: board.address });
          }
          syncAll();
        });
        break;
      case "power-off": {
        const board = byId.get(fault.board)!;
        lab("power-off", [fault.board], `${fault.board}: power cut (the process is frozen: no FIN, no RST, only silence)`);
        board.off = true;
        board.process?.freeze();
        syncAll();
        if (fault.durationMs !== undefined)
          later(fault.durationMs, async () => {
            lab("power-on", [fault.board], `${fault.board}: power is back, it boots again at ${board.address}`);
            await powerOn(board);
          });
        break;
      }
      case "power-on": {
        const board = byId.get(fault.board)!;
        lab("power-on", [fault.board], `${fault.board}: power is back, it boots again at ${board.address}`);
        await powerOn(board);
        break;
      }
      case "crash": {
        const board = byId.get(fault.board)!;
        lab("crash", [fault.board], `${fault.board}: crashes (its kernel closes its sockets: peers get FIN/RST at once)`);
        await board.process?.kill();
        break;
      }
      case "reboot": {
        const board = byId.get(fault.board)!;
        lab("reboot", [fault.board], `${fault.board}: reboots (killed now, boots again in ${fault.durationMs / 1000}s)`);
        await board.process?.kill();
        later(fault.durationMs, () => {
          board.off = false;
          return start(board);
        });
        break;
      }
      case "idle-firewall":
        idleMs = fault.idleMs;
        lab(
          "idle-firewall",
          [],
          idleMs
            ? `a firewall now silently drops any TCP connection idle for more than ${idleMs / 1000}s`
            : "the idle firewall is gone",
        );
        for (const board of boards) send(board, { type: "idle-firewall", idleMs });
        break;
      case "partition":
        partitions.add([fault.a, fault.b].sort().join(" "));
        lab("partition", [fault.a, fault.b], `${fault.a} and ${fault.b} can no longer reach each other (traffic blackholed)`);
        syncAll();
        break;
      case "heal":
        if (fault.a && fault.b) partitions.delete([fault.a, fault.b].sort().join(" "));
        else partitions.clear();
        lab("heal", fault.a ? [fault.a, fault.b!] : [], fault.a ? `${fault.a} and ${fault.b} can reach each other again` : "every partition heals");
        syncAll();
        break;
      case "latency":
        latency = { latencyMs: fault.latencyMs, jitterMs: fault.jitterMs };
        lab("latency", [], `every packet now takes ${fault.latencyMs} ms${fault.jitterMs ? ` ± ${fault.jitterMs} ms` : ""} each way`);
        for (const board of boards) send(board, { type: "latency", ...latency, seed: nextSeed() });
        break;
      case "udp-loss":
        udpLossPercent = fault.percent;
        lab("udp-loss", [], `${fault.percent}% of UDP datagrams are now lost`);
        for (const board of boards) send(board, { type: "udp-loss", percent: fault.percent, seed: nextSeed() });
        break;
      case "reset": {
        const a = byId.get(fault.a)!;
        const b = byId.get(fault.b)!;
        lab("reset", [fault.a, fault.b], `a middlebox injects RST into every connection between ${fault.a} and ${fault.b}`);
        send(a, { type: "reset", addresses: b.record.addresses });
        break;
      }
    }
  };

  try {
    if (moddable) {
      // One after the other (one build tree per app), before the boot clock: the first build takes about 40 s.
      for (const board of boards.filter((b) => b.engine === "moddable")) {
        const spec = scenario.boards[board.record.index];
        output.labLine?.(`building ${board.record.id} for Moddable's runtime (lin)...`, -1);
        const built = await moddable.build(moddable.sdk, { appDir, overrides: configFor(board) });
        if (!built.ok || !built.image) throw new ScenarioError(`${scenario.file}:${spec.line}: board ${board.record.id}: ${built.summary}`);
        output.labLine?.(`${board.record.id}: ${built.summary} (${(built.ms / 1000).toFixed(1)}s)`, -1);
        images.set(board.record.id, built.image);
      }
      spawnedAt = t0 = performance.now();
    }
    // Host boards are spawned at once, in order; a board on Moddable's runtime once its launch is ready.
    await Promise.all(boards.map((board) => start(board)));
    // The lab clock starts when every board has printed its first line (booted), like powering a bench at once.
    const readyBy = spawnedAt + (options.readyTimeoutMs ?? 60_000);
    await new Promise<void>((resolveReady, reject) => {
      let polls = 0;
      const poll = setInterval(() => {
        if (polls++ % 12 === 0) output.booting?.(boards.filter((b) => b.ready).length, boards.length);
        const dead = boards.find((b) => !b.process?.running && !b.ready);
        if (dead) {
          clearInterval(poll);
          const errors = events.filter((e) => e.board === dead.record.id && e.name === "stderr").map((e) => e.text);
          reject(new ScenarioError(`${scenario.file}:${scenario.boards[dead.record.index].line}: board ${dead.record.id} exited before it booted${errors.length ? `: ${errors.join(" | ")}` : ""}`));
        } else if (boards.every((b) => b.ready)) {
          clearInterval(poll);
          resolveReady();
        } else if (performance.now() > readyBy) {
          clearInterval(poll);
          reject(new LabError(`boards not booted within ${(options.readyTimeoutMs ?? 60_000) / 1000} s: ${boards.filter((b) => !b.ready).map((b) => b.record.id).join(", ")} (is the machine very busy?)`));
        }
      }, 20);
    });
    t0 = performance.now();
    started = true;
    for (const event of events) event.t -= t0 - spawnedAt;
    if (firstAddress !== scenario.firstAddress) lab("network", [], `network ${scenario.firstAddress} is in use by another lab on this machine; using ${firstAddress}`);
    const named = (b: Live): string => `${b.record.id}=${b.address}${b.engine === "moddable" ? " (engine=moddable)" : ""}`;
    lab("start", [], `lab clock starts (all ${boards.length} boards booted in ${((t0 - spawnedAt) / 1000).toFixed(1)}s): ${boards.map(named).join(" ")}`);

    for (const step of scenario.timeline) later(step.atMs, () => apply(step.fault));
    await new Promise<void>((resolveEnd) => {
      const tick = setInterval(() => output.tick?.(now()), 250);
      const end = setTimeout(() => {
        clearInterval(tick);
        resolveEnd();
      }, scenario.durationMs);
      timers.add(end);
    });
    lab("end", [], `end of scenario after ${scenario.durationMs / 1000}s`);
  } finally {
    ended = true;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    await Promise.all(boards.map((b) => b.process?.stop()));
    lock.close();
  }

  const records = boards.map((b) => b.record);
  const expectations = scenario.expectations.map((expectation) => judge(expectation, events, scenario));
  const summary = summarize(scenario, records, events, expectations);
  return { scenario, boards: records, events, expectations, summary, passed: summary.passed };
}
