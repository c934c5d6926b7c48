// Lab scenario files: a small line-oriented text format (boards, a timeline of faults, expectations). Parsing is
// strict: the first problem refuses the whole scenario with `file:line: message`, before any board starts.
import { readFileSync } from "node:fs";
import { ANCHORS, FAULTS, faultSpec, isFaultKind, type ArgReader, type Fault } from "./faults.ts";

export class ScenarioError extends Error {}

export type { Fault, FaultKind } from "./faults.ts";

/** What runs a board: the host simulator (a Node process, default) or Moddable's runtime (mcsim, real XS, lin). */
export type Engine = "host" | "moddable";

export interface BoardSpec {
  id: string;
  /** key=value words exactly as written; `@board` values are replaced by that board's address at start. */
  config: Record<string, string>;
  /** `engine=...` on the board line: a word for the lab, not a config key of the firmware. */
  engine: Engine;
  line: number;
}

export interface TimelineStep {
  atMs: number;
  fault: Fault;
  line: number;
  /** The fault as written, e.g. "wifi-drop c1 4". */
  text: string;
}

/** An event that the lab itself records (a fault, its end, a board starting): what expectations are timed from. */
export interface Anchor {
  name: string;
  args: string[];
}

/** A board event, as parsed from its serial log (see events.ts). */
export interface EventPattern {
  name: string;
  args: string[];
}

export interface Expectation {
  board: string;
  /** true: the event must NOT happen in the window. */
  negated: boolean;
  event: EventPattern;
  window:
    | { kind: "after"; withinMs: number; anchor: Anchor }
    | { kind: "between"; fromMs: number; toMs: number }
    /** At least once before toMs, boot included (`by 5s`); with `no`: never before toMs. */
    | { kind: "by"; toMs: number }
    | { kind: "run" };
  /** The expectation as written, for the summary. */
  text: string;
  /** The comment lines just above it (or above the expectations before it), shown as a heading in the summary. */
  group?: string;
  line: number;
}

export interface Scenario {
  file: string;
  title: string;
  notes: string[];
  durationMs: number;
  /** App directory for every board, resolved by the caller; undefined = this repository's firmware. */
  app?: string;
  /** First board address; boards get consecutive addresses from here (127.0.0.2 by default). */
  firstAddress: string;
  /** `net kernel`: the kernel carries the network (host-sim/netns/); absent = the boards' runtime does (the default). */
  net?: "runtime" | "kernel";
  boards: BoardSpec[];
  timeline: TimelineStep[];
  expectations: Expectation[];
}

/** Events an expectation can name, with how many arguments each takes (see events.ts for what each means). */
export const EVENT_ARITY: Record<string, { min: number; max: number; boardArg?: boolean; usage: string }> = {
  online: { min: 0, max: 0, usage: "online" },
  lost: { min: 0, max: 0, usage: "lost" },
  offline: { min: 0, max: 1, boardArg: true, usage: "offline [<board>]" },
  handshake: { min: 0, max: 1, boardArg: true, usage: "handshake [<board>]" },
  "peer-closed": { min: 0, max: 0, usage: "peer-closed" },
  state: { min: 1, max: 1, usage: "state <name>" },
  log: { min: 1, max: 1, usage: 'log "<text>"' },
  exit: { min: 0, max: 0, usage: "exit" },
  boot: { min: 0, max: 0, usage: "boot" },
  bug: { min: 0, max: 0, usage: "bug" },
  // The kernel's view, read from the captures in kernel mode only (host-sim/netns/view.ts): a SYN the board's kernel
  // sent again, an RST that reached the board, a keep-alive probe the board's kernel sent.
  "syn-retry": { min: 0, max: 1, boardArg: true, usage: "syn-retry [<board>]" },
  "rst-in": { min: 0, max: 1, boardArg: true, usage: "rst-in [<board>]" },
  keepalive: { min: 0, max: 1, boardArg: true, usage: "keepalive [<board>]" },
};

const ID = /^[A-Za-z][\w-]*$/;
const KEY = /^[A-Za-z_$][\w$]*$/;

/** Split a line into words; "double quoted" words may hold spaces (\" and \\ escape). A bare # starts a comment. */
export function tokenize(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === " " || c === "\t") {
      i++;
      continue;
    }
    if (c === "#") break;
    let word = "";
    if (c === '"') {
      i++;
      let closed = false;
      while (i < text.length) {
        const d = text[i++];
        if (d === "\\" && i < text.length) word += text[i++];
        else if (d === '"') {
          closed = true;
          break;
        } else word += d;
      }
      if (!closed) throw new ScenarioError("unterminated \"quoted\" text");
      words.push('"' + word);
      continue;
    }
    while (i < text.length && text[i] !== " " && text[i] !== "\t") word += text[i++];
    words.push(word);
  }
  return words;
}

/** `5s`, `1.5s`, `500ms`, `2m`; a bare number takes `bareUnit`. */
export function parseDuration(word: string | undefined, bareUnit: "s" | "ms", what: string): number {
  const match = word === undefined ? null : /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(word);
  if (!match) throw new ScenarioError(`${what}: expected a duration like 3, 3s, 1.5s or 500ms, got ${word === undefined ? "nothing" : `'${word}'`}`);
  const value = Number(match[1]);
  const unit = match[2] ?? bareUnit;
  return Math.round(unit === "ms" ? value : unit === "s" ? value * 1000 : value * 60_000);
}

function plain(word: string | undefined): string | undefined {
  return word !== undefined && word.startsWith('"') ? undefined : word;
}

/** `net`: the mode the run will use when the command line says (`--net`); else the scenario's own `net` line decides. */
export function parseScenario(text: string, file: string, net?: "runtime" | "kernel"): Scenario {
  const scenario: Scenario = {
    file,
    title: "",
    notes: [],
    durationMs: 0,
    firstAddress: "127.0.0.2",
    boards: [],
    timeline: [],
    expectations: [],
  };
  const boards = new Set<string>();
  let durationLine = 0;
  const lines = text.split(/\r?\n/);
  const pending: { line: number; words: string[]; raw: string; group?: string }[] = [];
  let comment: string[] = [];
  let group: string | undefined;

  const fail = (line: number, message: string): never => {
    throw new ScenarioError(`${file}:${line}: ${message}`);
  };

  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    let words: string[];
    try {
      words = tokenize(lines[index]);
    } catch (error) {
      return fail(line, (error as Error).message);
    }
    if (words.length === 0) {
      const text = lines[index].trim();
      if (text.startsWith("#")) comment.push(text.replace(/^#+\s*/, ""));
      else comment = [];
      continue;
    }
    const [keyword, ...rest] = words;
    if (keyword === "expect" && comment.length) group = comment.join(" ");
    else if (keyword !== "expect") group = undefined;
    comment = [];
    const restText = lines[index].trim().slice(keyword.length).trim();
    switch (keyword) {
      case "title":
        scenario.title = restText;
        break;
      case "note":
        scenario.notes.push(restText);
        break;
      case "duration":
        if (rest.length !== 1) fail(line, "usage: duration <time>, e.g. duration 40s");
        try {
          scenario.durationMs = parseDuration(rest[0], "s", "duration");
        } catch (error) {
          fail(line, (error as Error).message);
        }
        if (scenario.durationMs <= 0) fail(line, "duration must be more than 0");
        durationLine = line;
        break;
      case "app":
        if (rest.length !== 1) fail(line, "usage: app <directory> (relative to the scenario file)");
        scenario.app = rest[0].replace(/^"/, "");
        break;
      case "network": {
        const match = rest.length === 1 ? /^127\.(\d+)\.(\d+)\.(\d+)$/.exec(rest[0]) : null;
        if (!match || match.slice(1).some((n) => Number(n) > 255) || Number(match[3]) < 1 || Number(match[3]) > 200)
          fail(line, "usage: network 127.X.Y.Z: the first board address, in 127.0.0.0/8, with Z from 1 to 200");
        scenario.firstAddress = rest[0];
        break;
      }
      case "net":
        if (rest.length !== 1 || (rest[0] !== "kernel" && rest[0] !== "runtime"))
          fail(line, "usage: net kernel | net runtime (kernel: each board in its own network namespace, faults made by the kernel; runtime: the default)");
        scenario.net = rest[0] as "runtime" | "kernel";
        break;
      case "board": {
        const id = plain(rest[0]);
        if (!id || !ID.test(id)) fail(line, "usage: board <id> [key=value ...], id like server or c1");
        if (boards.has(id!)) fail(line, `board '${id}' is declared twice`);
        const config: Record<string, string> = {};
        let engine: Engine = "host";
        for (const word of rest.slice(1)) {
          const at = word.indexOf("=");
          if (word.startsWith('"') || at <= 0 || !KEY.test(word.slice(0, at)))
            fail(line, `bad config word '${word.replace(/^"/, "")}': expected key=value, e.g. role=client`);
          if (word.slice(0, at) === "engine") {
            const value = word.slice(at + 1);
            if (value !== "host" && value !== "moddable")
              fail(line, `engine=${value}: expected engine=host (the host simulator, the default) or engine=moddable (the firmware built by the Moddable SDK for lin, on Moddable's runtime)`);
            engine = value as Engine;
            continue;
          }
          config[word.slice(0, at)] = word.slice(at + 1);
        }
        boards.add(id!);
        scenario.boards.push({ id: id!, config, engine, line });
        break;
      }
      case "at":
      case "expect":
        pending.push({ line, words, raw: lines[index].replace(/\s#.*$/, "").trim(), group: keyword === "expect" ? group : undefined });
        break;
      default:
        fail(line, `unknown keyword '${keyword.replace(/^"/, "")}' (expected title, note, duration, app, network, net, board, at or expect)`);
    }
  }

  if (scenario.boards.length === 0) fail(lines.length, "no boards: declare at least one with 'board <id> key=value ...'");
  if (!durationLine) fail(lines.length, "no duration: say how long the scenario runs, e.g. 'duration 40s'");
  const last = Number(scenario.firstAddress.split(".")[3]) + scenario.boards.length - 1;
  if (last > 254) fail(durationLine, `too many boards for network ${scenario.firstAddress}`);

  const board = (line: number, word: string | undefined, what: string): string => {
    const id = plain(word);
    if (!id) return fail(line, `${what}: expected a board id`);
    if (!boards.has(id)) fail(line, `unknown board '${id}' (declared: ${[...boards].join(", ")})`);
    return id;
  };
  const durationArg = (line: number, word: string | undefined, what: string, unit: "s" | "ms" = "s"): number => {
    try {
      return parseDuration(plain(word) ?? (word === undefined ? undefined : "?"), unit, what);
    } catch (error) {
      return fail(line, (error as Error).message);
    }
  };

  for (const { line, words, raw, group } of pending) {
    if (words[0] === "at") scenario.timeline.push(parseStep(line, words.slice(1)));
    else scenario.expectations.push({ ...parseExpect(line, words.slice(1), raw), ...(group ? { group } : {}) });
  }
  scenario.timeline.sort((x, y) => x.atMs - y.atMs || x.line - y.line);
  checkTimeline(scenario, fail);
  // In kernel mode the kernel makes every fault, so a board on Moddable's runtime receives them all (docs/kernel.md).
  if ((net ?? scenario.net) !== "kernel") checkEngines(scenario, fail);
  return scenario;

  function parseStep(line: number, words: string[]): TimelineStep {
    const atMs = durationArg(line, words[0], "at <time>");
    if (atMs > scenario.durationMs) fail(line, `at ${words[0]} is after the end of the scenario (duration ${scenario.durationMs / 1000}s)`);
    const [kind, ...args] = words.slice(1);
    if (!isFaultKind(kind))
      return fail(
        line,
        kind === undefined ? "usage: at <time> <fault> ..." : `unknown fault '${kind.replace(/^"/, "")}' (known: ${Object.keys(FAULTS).join(", ")})`,
      );
    const entry = faultSpec(kind);
    if (args.length < entry.args[0] || args.length > entry.args[1]) fail(line, `usage: at <time> ${kind} ${entry.usage}`);
    const read: ArgReader = {
      board: (word, what) => board(line, word, what),
      duration: (word, what, unit = "s") => durationArg(line, word, what, unit),
      fail: (message) => fail(line, message),
    };
    const fault: Fault = Object.assign({ kind }, entry.parse(args, read));
    return { atMs, fault, line, text: words.slice(1).join(" ") };
  }

  function parseExpect(line: number, words: string[], raw: string): Expectation {
    const usage =
      "usage: expect <board> [no] <event> [within <time> of <anchor> | between <time> and <time> | by <time>], e.g. expect c1 online within 2s of wifi-restore c1";
    const who = board(line, words[0], "expect");
    let at = 1;
    const negated = words[at] === "no";
    if (negated) at++;
    const name = plain(words[at++]);
    if (!name) return fail(line, usage);
    const arity = EVENT_ARITY[name];
    if (!arity) fail(line, `unknown event '${name}' (known: ${Object.values(EVENT_ARITY).map((a) => a.usage).join(", ")})`);
    const args: string[] = [];
    while (at < words.length && words[at] !== "within" && words[at] !== "between" && words[at] !== "by") args.push(words[at++]);
    if (args.length < arity.min || args.length > arity.max) fail(line, `usage: event ${arity.usage}`);
    if (arity.boardArg && args[0] !== undefined) board(line, args[0], name);
    if (name === "log" && !args[0].startsWith('"')) fail(line, 'usage: log "<text>" (quote the text)');
    if (name === "log") args[0] = args[0].slice(1);
    let window: Expectation["window"] = { kind: "run" };
    if (words[at] === "within") {
      const withinMs = durationArg(line, words[at + 1], "within <time>");
      if (words[at + 2] !== "of") fail(line, usage);
      const anchorName = plain(words[at + 3]);
      const anchorArgs = words.slice(at + 4);
      if (!anchorName || !(anchorName in ANCHORS))
        fail(line, `unknown anchor '${anchorName ?? ""}' (known: ${Object.keys(ANCHORS).join(", ")})`);
      if (anchorArgs.length !== ANCHORS[anchorName!])
        fail(line, `anchor '${anchorName}' takes ${ANCHORS[anchorName!]} board name(s), got ${anchorArgs.length}`);
      for (const arg of anchorArgs) board(line, arg, anchorName!);
      window = { kind: "after", withinMs, anchor: { name: anchorName!, args: anchorArgs } };
    } else if (words[at] === "between") {
      const fromMs = durationArg(line, words[at + 1], "between <time>");
      if (words[at + 2] !== "and" || words.length !== at + 4) fail(line, usage);
      const toMs = durationArg(line, words[at + 3], "and <time>");
      if (toMs <= fromMs) fail(line, "between <from> and <to>: <to> must be later than <from>");
      window = { kind: "between", fromMs, toMs };
    } else if (words[at] === "by") {
      if (words.length !== at + 2) fail(line, usage);
      const toMs = durationArg(line, words[at + 1], "by <time>");
      if (toMs > scenario.durationMs) fail(line, `by ${words[at + 1]} is after the end of the scenario`);
      window = { kind: "by", toMs };
    } else if (at !== words.length) fail(line, usage);
    if (!negated && window.kind === "run" && name !== "log" && name !== "online" && name !== "handshake" && name !== "boot" && name !== "bug")
      fail(line, `'expect ${who} ${name}' needs a window: within <time> of <anchor>, between <time> and <time>, or by <time>`);
    return { board: who, negated, event: { name, args }, window, text: raw.replace(/^expect\s+/, ""), line };
  }
}

/** Each anchor an expectation names must happen on the timeline; faults must make sense in order. */
function checkTimeline(scenario: Scenario, fail: (line: number, message: string) => never): void {
  const anchors = new Set(["start"].concat(scenario.boards.map((b) => `boot ${b.id}`)));
  const off = new Set<string>();
  for (const { fault, line } of scenario.timeline) {
    const entry = faultSpec(fault.kind);
    entry.inOrder?.(fault, off, (message) => fail(line, message));
    for (const anchor of entry.produces(fault)) anchors.add(anchor);
  }
  for (const expectation of scenario.expectations) {
    if (expectation.window.kind !== "after") continue;
    const { name, args } = expectation.window.anchor;
    const key = [name, ...args].join(" ");
    if (!anchors.has(key)) fail(expectation.line, `anchor '${key}' never happens in this scenario's timeline`);
  }
}

/** The engine check for a scenario parsed for kernel mode but run in the default mode (`--net runtime`). */
export function checkModdableFaults(scenario: Scenario): void {
  checkEngines(scenario, (line, message) => {
    throw new ScenarioError(`${scenario.file}:${line}: ${message}`);
  });
}

/**
 * A board on Moddable's runtime (mcsim) has no IPC channel: the faults the lab makes inside the host runtime (its
 * gates and Wi-Fi) cannot reach it. Process faults can: the lab freezes, kills and starts mcsim as it does a Node board.
 * In kernel mode this check is skipped: the kernel makes the faults, outside every board's process.
 */
function checkEngines(scenario: Scenario, fail: (line: number, message: string) => never): void {
  const moddable = scenario.boards.filter((b) => b.engine === "moddable").map((b) => b.id);
  if (moddable.length === 0) return;
  const process = Object.entries(FAULTS).filter(([, entry]) => "process" in entry && entry.process).map(([kind]) => kind);
  const why = `the faults made inside the host runtime cannot reach Moddable's runtime; process faults can (${process.join(", ")})`;
  for (const { fault, line } of scenario.timeline) {
    const entry = faultSpec(fault.kind);
    if (entry.process) continue;
    const touched = entry.reaches?.(fault) ?? entry.touches(fault);
    const board = (touched === "all" ? moddable : touched).find((id) => moddable.includes(id));
    if (board) fail(line, `${fault.kind} cannot reach board ${board} (engine=moddable): ${why}`);
  }
}

export function loadScenario(path: string, net?: "runtime" | "kernel"): Scenario {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ScenarioError(`cannot read scenario ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseScenario(text, path, net);
}
