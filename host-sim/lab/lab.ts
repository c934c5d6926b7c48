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
import { faultSpec, type FaultBoard, type FaultNetwork, type NetworkState } from "./faults.ts";
import { checkModdableFaults, ScenarioError, type BoardSpec, type Engine, type Scenario } from "./scenario.ts";
import { summarize, type Summary } from "./summary.ts";
import type { KernelMode, KernelView, NetMode } from "../netns/mode.ts";

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
  /**
   * Each lab event as it is recorded, with the boards as they are then (for a live view: host-sim/ui/). The events of
   * the boot come together when the lab clock starts, with their times on that clock.
   */
  event?(event: LabEvent, boards: readonly BoardRecord[]): void;
}

export interface LabOptions {
  output?: LabOutput;
  /** How long each board may take to print its first line before the run is abandoned (default 60 s). */
  readyTimeoutMs?: number;
  /** Seed for the random parts of faults (latency jitter, UDP loss), so a run can be repeated. */
  seed?: number;
  /** Who carries the network: the boards' runtime (the default) or the kernel (host-sim/netns/); else the scenario's `net` line. */
  net?: NetMode;
  /** Kernel mode only: write one pcap per board interface into this directory. */
  captureDir?: string;
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
  /** Kernel mode: how the network was made, and the kernel's view read from the captures. */
  kernel?: KernelView;
}

interface Live extends FaultBoard {
  /** Its place in the scenario (the kernel network names its interface after it). */
  index: number;
  record: BoardRecord;
  /** What runs it: the host simulator, or Moddable's runtime (mcsim). */
  engine: Engine;
  process?: BoardProcess;
  ready: boolean;
  /** Last blackhole list sent, to send only changes. */
  sentBlackhole?: string;
}

/** What a run needs that is found before it starts. */
interface RunSetup {
  appDir: string;
  /** The app manifest's config defaults. */
  defaults: Record<string, unknown>;
  moddable: ModdableRuntime | undefined;
  /** The first address of the network this run holds (the scenario's, or the next free block). */
  firstAddress: string;
  /** Kernel mode: the network made of namespaces (host-sim/netns/mode.ts). */
  kernel?: KernelMode;
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
async function moddableRuntime(scenario: Scenario, defaults: Record<string, unknown>, kernelMode: boolean): Promise<ModdableRuntime> {
  const first = scenario.boards.find((b) => b.engine === "moddable")!;
  const where = `${scenario.file}:${first.line}: board ${first.id} has engine=moddable`;
  const { findSdk, isSdk } = await import("../moddable/sdk.ts");
  const found = findSdk();
  if (!isSdk(found)) throw new LabError(`${where}, which needs the Moddable SDK: ${found.missing}`);
  const { mcsimMissing, mcsimLaunch: launch } = await import("../moddable/mcsim.ts");
  const missing = mcsimMissing();
  if (missing) throw new LabError(`${where}, which needs Moddable's runtime (mcsim): ${missing}`);
  // In kernel mode mcsim binds inside its own network namespace: the host's ports do not matter.
  for (const spec of kernelMode ? [] : scenario.boards) {
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
  const appDir = scenarioAppDir(scenario);
  let defaults: Record<string, unknown>;
  try {
    defaults = loadApp(appDir).defaults;
  } catch (error) {
    if (error instanceof AppError) throw new ScenarioError(`${scenario.file}: app ${appDir}: ${error.message}`);
    throw error;
  }
  checkBoards(scenario, defaults);
  const kernelMode = (options.net ?? scenario.net ?? "runtime") === "kernel";
  const moddable = scenario.boards.some((b) => b.engine === "moddable") ? await moddableRuntime(scenario, defaults, kernelMode) : undefined;
  // A scenario with `net kernel` skipped the engine check when parsed; run in the default mode, it must pass it.
  if (!kernelMode && scenario.net === "kernel") checkModdableFaults(scenario);
  if (options.captureDir !== undefined && !kernelMode) throw new ScenarioError("--capture needs --net kernel (in the default mode every board shares the host's loopback interface)");
  const { first, lock } = await lockNetwork(scenario.firstAddress, scenario.boards.length);
  let kernel: KernelMode | undefined;
  try {
    if (kernelMode) kernel = await openKernel(scenario, first, options);
    const run = new LabRun(scenario, { appDir, defaults, moddable, firstAddress: first, kernel }, options);
    return await run.run();
  } finally {
    kernel?.close();
    lock.close();
  }
}

/** Kernel mode's network (loaded only for it), or a LabError in one line saying why it cannot run here. */
async function openKernel(scenario: Scenario, first: string, options: LabOptions): Promise<KernelMode> {
  const { KernelMode } = await import("../netns/mode.ts");
  const boards = scenario.boards.map((b, i) => ({ id: b.id, address: addressPlus(first, i) }));
  try {
    return await KernelMode.open(boards, first, { captureDir: options.captureDir, say: (text) => options.output?.labLine?.(text, -1) });
  } catch (error) {
    throw new LabError((error as Error).message);
  }
}

/**
 * One run of a scenario: its boards (processes), the lab clock, the event log, the network's fault state (what the
 * faults in faults.ts act on, as a FaultNetwork) and, at the end, the verdicts. Used once: construct, then run().
 */
class LabRun implements FaultNetwork {
  readonly boards: Live[];
  readonly state: NetworkState = { partitions: new Set(), latency: { latencyMs: 0, jitterMs: 0 }, udpLossPercent: 0, idleMs: 0 };
  readonly events: LabEvent[] = [];
  readonly #scenario: Scenario;
  readonly #setup: RunSetup;
  readonly #output: LabOutput;
  readonly #options: LabOptions;
  readonly #byId: Map<string, Live>;
  /** Boards on Moddable's runtime: their lin image (the config is compiled in), built before any board starts. */
  readonly #images = new Map<string, string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #seed: number;
  #nextAddress = 0;
  #spawnedAt = performance.now();
  #t0 = this.#spawnedAt;
  #ended = false;
  #started = false;

  constructor(scenario: Scenario, setup: RunSetup, options: LabOptions) {
    this.#scenario = scenario;
    this.#setup = setup;
    this.#options = options;
    this.#output = options.output ?? {};
    this.#seed = (options.seed ?? 1) >>> 0 || 1;
    this.boards = scenario.boards.map((spec, index): Live => {
      const address = this.newAddress();
      const record: BoardRecord = { id: spec.id, index, config: spec.config, role: configValue(spec, setup.defaults, "role") ?? "", addresses: [address], boots: 0 };
      return { record, index, id: spec.id, address, addresses: record.addresses, engine: spec.engine, ready: false, off: false, wifiUp: true };
    });
    this.#byId = new Map(this.boards.map((b) => [b.id, b]));
  }

  // --- FaultNetwork: what a fault may do (host-sim/lab/faults.ts) ---

  board(id: string): Live {
    return this.#byId.get(id)!;
  }

  announce(name: string, args: string[], text: string): void {
    const t = this.#now();
    this.#record({ t, board: "lab", name, args, text });
    this.#output.labLine?.(text, t);
  }

  send(board: FaultBoard, command: BoardCommand): void {
    // Kernel mode makes what a command says about the network, and passes on what the board itself would hear.
    const deliver = (): unknown => (board as Live).process?.send(command);
    if (this.#setup.kernel && !this.#setup.kernel.command(board as Live, command, this.boards, deliver)) return;
    deliver();
  }

  later(ms: number, action: () => void | Promise<void>): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#ended) void Promise.resolve(action()).catch((error) => this.announce("lab-error", [], `lab error: ${(error as Error).message}`));
    }, Math.max(0, ms));
    this.#timers.add(timer);
  }

  syncBlackholes(): void {
    if (this.#setup.kernel) return this.#setup.kernel.sync(this.boards, this.state.partitions);
    for (const board of this.boards) this.#syncBlackhole(board);
  }

  nextSeed(): number {
    return (this.#seed = (Math.imul(this.#seed, 1103515245) + 12345) >>> 0);
  }

  newAddress(): string {
    return addressPlus(this.#setup.firstAddress, this.#nextAddress++);
  }

  freeze(board: FaultBoard): void {
    (board as Live).process?.freeze();
    this.#setup.kernel?.freeze(board as Live);
  }

  async kill(board: FaultBoard): Promise<void> {
    const live = board as Live;
    // Kernel mode: the process dies unplugged, and its namespace (its kernel's state) goes with it.
    if (this.#setup.kernel) return this.#setup.kernel.kill(live, () => live.process?.freeze(), async () => live.process?.kill());
    await live.process?.kill();
  }

  async start(board: FaultBoard): Promise<void> {
    const live = board as Live;
    const words = Object.entries(this.#configFor(live)).map(([key, value]) => `${key}=${value}`);
    live.ready = false;
    live.record.boots++;
    let launch: BoardLaunch | undefined;
    const moddable = this.#setup.moddable;
    if (moddable && live.engine === "moddable") {
      launch = await moddable.launch(moddable.sdk, this.#images.get(live.id)!);
      if (this.#ended) {
        // The run ended while mcsim's display and config directory were being prepared.
        launch.cleanup();
        return;
      }
    }
    if (this.#setup.kernel) {
      await this.#setup.kernel.boot(live);
      if (this.#ended) return;
    }
    const boardProcess: BoardProcess = new BoardProcess({
      wrap: this.#setup.kernel?.wrap(live),
      id: live.id,
      appDir: this.#setup.appDir,
      words,
      address: live.address,
      peers: this.boards.map((b) => b.address),
      launch,
      endLine: launch ? moddable?.abortLine : undefined,
      onLine: (stream, text) => {
        if (boardProcess === live.process) this.#boardLine(live, stream, text);
      },
      onExit: (code, signal) => {
        const how = boardProcess.aborted ? "XS abort" : signal ? `signal ${signal}` : `code ${code}`;
        const byItself = boardProcess.aborted || !boardProcess.killedByLab;
        this.#record({ t: this.#now(), board: live.id, name: "exit", args: byItself ? ["by-itself"] : [], text: how });
      },
    });
    live.process = boardProcess;
  }

  // --- the run ---

  async run(): Promise<LabResult> {
    const scenario = this.#scenario;
    try {
      await this.#buildModdableImages();
      await this.#bootAll();
      if (this.#setup.firstAddress !== scenario.firstAddress)
        this.announce("network", [], `network ${scenario.firstAddress} is in use by another lab on this machine; using ${this.#setup.firstAddress}`);
      const named = (b: Live): string => `${b.id}=${b.address}${b.engine === "moddable" ? " (engine=moddable)" : ""}`;
      this.announce("start", [], `lab clock starts (all ${this.boards.length} boards booted in ${((this.#t0 - this.#spawnedAt) / 1000).toFixed(1)}s): ${this.boards.map(named).join(" ")}`);
      for (const step of scenario.timeline) this.later(step.atMs, () => faultSpec(step.fault.kind).apply(step.fault, this));
      await this.#playOut();
      this.announce("end", [], `end of scenario after ${scenario.durationMs / 1000}s`);
    } finally {
      this.#ended = true;
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers.clear();
      await Promise.all(this.boards.flatMap((b) => (b.process ? [b.process.stop()] : [])));
    }
    // Kernel mode: what the kernels did, read from the captures, becomes events expectations can name.
    const kernel = await this.#setup.kernel?.finish(Date.now() - this.#now());
    if (kernel?.events.length) {
      for (const e of kernel.events) this.events.push({ t: e.t, board: e.board, name: e.name, args: [e.peer], text: e.flow });
      this.events.sort((a, b) => a.t - b.t);
    }
    const records = this.boards.map((b) => b.record);
    const expectations = scenario.expectations.map((expectation) => judge(expectation, this.events, scenario));
    const summary = summarize(scenario, records, this.events, expectations);
    return { scenario, boards: records, events: this.events, expectations, summary, passed: summary.passed, ...(kernel ? { kernel } : {}) };
  }

  #now(): number {
    return performance.now() - this.#t0;
  }

  #record(event: LabEvent): void {
    if (this.#ended) return;
    this.events.push(event);
    if (this.#started) this.#output.event?.(event, this.boards.map((b) => b.record));
  }

  /** Which board a log field names: a board id, or any address a board has had (with or without :port). */
  #peerOf = (value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    if (this.#byId.has(value)) return value;
    const address = value.replace(/:\d+$/, "");
    return this.boards.find((b) => b.addresses.includes(address))?.id;
  };

  #boardLine(board: Live, stream: "stdout" | "stderr", text: string): void {
    const t = this.#now();
    this.#output.boardLine?.(board.id, board.record.index, text, stream, this.#started ? t : -1);
    if (stream === "stderr") {
      this.#record({ t, board: board.id, name: "stderr", args: [], text });
      return;
    }
    if (!board.ready) {
      board.ready = true;
      this.#record({ t, board: board.id, name: "boot", args: [], text });
      this.#greet(board);
    }
    const line = parseLogLine(text);
    this.#record({ t, board: board.id, name: "line", args: [], text, line });
    if (!line) return;
    for (const event of classify(line, this.#peerOf)) this.#record({ t, board: board.id, ...event, line, fields: line.fields });
  }

  #blackholeFor(board: Live): string[] {
    const out = new Set<string>();
    for (const other of this.boards) {
      if (other === board) continue;
      const key = [board.id, other.id].sort().join(" ");
      if (other.off || this.state.partitions.has(key)) for (const address of other.addresses) out.add(address);
    }
    return [...out].sort();
  }

  #syncBlackhole(board: Live): void {
    if (!board.process || board.off || !board.ready) return;
    const addresses = this.#blackholeFor(board);
    const key = addresses.join(",");
    if (key !== board.sentBlackhole) {
      board.sentBlackhole = key;
      this.send(board, { type: "blackhole", addresses });
    }
  }

  /** A freshly booted board learns the network's current state (its Wi-Fi, latency, loss, firewall, partitions). */
  #greet(board: Live): void {
    const { latency, udpLossPercent, idleMs } = this.state;
    board.sentBlackhole = undefined;
    if (!board.wifiUp) this.send(board, { type: "wifi", up: false });
    if (latency.latencyMs || latency.jitterMs) this.send(board, { type: "latency", ...latency, seed: this.nextSeed() });
    if (udpLossPercent) this.send(board, { type: "udp-loss", percent: udpLossPercent, seed: this.nextSeed() });
    if (idleMs) this.send(board, { type: "idle-firewall", idleMs });
    this.#syncBlackhole(board);
  }

  /** The config a board runs with: its words, `@board` as that board's address, and the lab's own defaults. */
  #configFor(board: Live): Record<string, string> {
    const defaults = this.#setup.defaults;
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(board.record.config)) {
      const target = value.startsWith("@") ? this.#byId.get(value.slice(1)) : undefined;
      config[key] = target ? target.address : value;
    }
    // Firmware boards get their board id as their protocol id, and log everything (the live view hides D lines,
    // the summary counts them).
    if ("id" in defaults && !("id" in board.record.config)) config.id = board.id;
    if ("logLevel" in defaults && !("logLevel" in board.record.config)) config.logLevel = "D";
    return config;
  }

  /** One after the other (one build tree per app), before the boot clock: the first build takes about 40 s. */
  async #buildModdableImages(): Promise<void> {
    const moddable = this.#setup.moddable;
    if (!moddable) return;
    for (const board of this.boards.filter((b) => b.engine === "moddable")) {
      const spec = this.#scenario.boards[board.record.index];
      this.#output.labLine?.(`building ${board.id} for Moddable's runtime (lin)...`, -1);
      const built = await moddable.build(moddable.sdk, { appDir: this.#setup.appDir, overrides: this.#configFor(board) });
      if (!built.ok || !built.image) throw new ScenarioError(`${this.#scenario.file}:${spec.line}: board ${board.id}: ${built.summary}`);
      this.#output.labLine?.(`${board.id}: ${built.summary} (${(built.ms / 1000).toFixed(1)}s)`, -1);
      this.#images.set(board.id, built.image);
    }
    this.#spawnedAt = this.#t0 = performance.now();
  }

  /**
   * Host boards are spawned at once, in order; a board on Moddable's runtime once its launch is ready. The lab clock
   * starts when every board has printed its first line (booted), like powering a bench at once.
   */
  async #bootAll(): Promise<void> {
    const scenario = this.#scenario;
    await Promise.all(this.boards.map((board) => this.start(board)));
    const readyTimeoutMs = this.#options.readyTimeoutMs ?? 60_000;
    const readyBy = this.#spawnedAt + readyTimeoutMs;
    await new Promise<void>((resolveReady, reject) => {
      let polls = 0;
      const poll = setInterval(() => {
        if (polls++ % 12 === 0) this.#output.booting?.(this.boards.filter((b) => b.ready).length, this.boards.length);
        const dead = this.boards.find((b) => !b.process?.running && !b.ready);
        if (dead) {
          clearInterval(poll);
          const errors = this.events.filter((e) => e.board === dead.id && e.name === "stderr").map((e) => e.text);
          reject(new ScenarioError(`${scenario.file}:${scenario.boards[dead.record.index].line}: board ${dead.id} exited before it booted${errors.length ? `: ${errors.join(" | ")}` : ""}`));
        } else if (this.boards.every((b) => b.ready)) {
          clearInterval(poll);
          resolveReady();
        } else if (performance.now() > readyBy) {
          clearInterval(poll);
          reject(new LabError(`boards not booted within ${readyTimeoutMs / 1000} s: ${this.boards.filter((b) => !b.ready).map((b) => b.id).join(", ")} (is the machine very busy?)`));
        }
      }, 20);
    });
    this.#t0 = performance.now();
    this.#started = true;
    for (const event of this.events) event.t -= this.#t0 - this.#spawnedAt;
    for (const event of this.events) this.#output.event?.(event, this.boards.map((b) => b.record));
  }

  /** The timeline plays out for the scenario's duration; the output ticks about every 250 ms. */
  #playOut(): Promise<void> {
    return new Promise<void>((resolveEnd) => {
      const tick = setInterval(() => this.#output.tick?.(this.#now()), 250);
      const end = setTimeout(() => {
        clearInterval(tick);
        resolveEnd();
      }, this.#scenario.durationMs);
      this.#timers.add(end);
    });
  }
}
