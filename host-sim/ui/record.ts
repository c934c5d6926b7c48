// The run record: what the page and the report are drawn from. A run is a header (title, boards, expectations) and
// the lab's timed events in order (host-sim/lab/events.ts: every serial-log line, what the lab recognised in it, and
// the lab's own events such as faults). It comes from three places: a live lab (`linklab lab --ui`, through RunFeed),
// the `--json` file of a finished run (its `run` field), and a recorded event file (one JSON object per line: the
// header, then one event per line, so a file cut off mid-write still replays up to its last whole line).
// Pure: no Node modules, so the page's script (bundled for the browser) reads files the same way the CLI does.

import { classify, parseLogLine, type LabEvent, type LogLine } from "../lab/events.ts";
import type { Expectation } from "../lab/scenario.ts";

export const RECORD_FORMAT = "linklab-run";
export const RECORD_VERSION = 1;

export interface RunBoard {
  id: string;
  role: string;
  /** Every address the board had, in order (a router reboot hands out new ones). */
  addresses: string[];
}

export interface RunHeader {
  format: typeof RECORD_FORMAT;
  version: number;
  /** "lab" for a simulated run; a monitor of real boards says "monitor". */
  source: string;
  title: string;
  file: string;
  notes: string[];
  /** The planned length of the run (ms of lab time); 0 when open-ended (a monitor). */
  durationMs: number;
  boards: RunBoard[];
  /** The scenario's expectations, judged again by the page (host-sim/lab/expect.ts) to pin each on the timeline. */
  expectations: Expectation[];
}

/** A lab event as stored: without the parsed `line`, which is read again from `text` (see expandEvents). */
export type StoredEvent = Omit<LabEvent, "line">;

export interface RunRecord {
  header: RunHeader;
  events: LabEvent[];
  /** Whether the run has ended (false while a live run goes on). */
  ended: boolean;
  /** Problems met while reading the record (a cut-off file, unknown events): shown on the page, never fatal. */
  problems: string[];
}

/** The lab events a board or the lab may record (host-sim/lab/events.ts, lab.ts and the fault anchors). */
const BOARD_EVENT_NAMES = new Set(["line", "stderr", "boot", "exit", "state", "online", "lost", "offline", "handshake", "peer-closed", "bug"]);

/** The record of a finished lab run, for the `--json` file (its `run` field) and the report. */
export function recordOf(result: {
  scenario: { file: string; title: string; notes: string[]; durationMs: number; expectations: Expectation[] };
  boards: { id: string; role: string; addresses: string[] }[];
  events: LabEvent[];
}): { header: RunHeader; events: StoredEvent[] } {
  return { header: headerOf(result.scenario, result.boards), events: compactEvents(result.events) };
}

export function headerOf(
  scenario: { file: string; title: string; notes: string[]; durationMs: number; expectations: Expectation[] },
  boards: readonly { id: string; role: string; addresses: string[] }[],
  source = "lab",
): RunHeader {
  return {
    format: RECORD_FORMAT,
    version: RECORD_VERSION,
    source,
    title: scenario.title,
    file: scenario.file,
    notes: [...scenario.notes],
    durationMs: scenario.durationMs,
    boards: boards.map((b) => ({ id: b.id, role: b.role, addresses: [...b.addresses] })),
    expectations: scenario.expectations,
  };
}

/**
 * Events for storage: the parsed line is dropped (it is read again from the text), and so are the fields of an event
 * the lab recognised in the line just before it (same board, same time), which are that line's fields.
 */
export function compactEvents(events: readonly LabEvent[]): StoredEvent[] {
  const out: StoredEvent[] = [];
  const lastLine = new Map<string, LabEvent>();
  for (const event of events) {
    const { line, ...stored } = event;
    const source = lastLine.get(event.board);
    if (event.name === "line") lastLine.set(event.board, event);
    else if (line && source && source.line === line && source.t === event.t) delete stored.fields;
    out.push(stored);
  }
  return out;
}

/** The inverse of compactEvents: each line event gets its parsed line, each event recognised in it that line's fields. */
export function expandEvents(stored: readonly StoredEvent[]): LabEvent[] {
  return new LineExpander().expand(stored);
}

/** expandEvents for a stream that arrives in pieces: it remembers each board's last line between calls. */
export class LineExpander {
  readonly #lastLine = new Map<string, LabEvent>();

  expand(stored: readonly StoredEvent[]): LabEvent[] {
    const out: LabEvent[] = [];
    for (const item of stored) {
      const event: LabEvent = { ...item, args: [...item.args] };
      if (event.name === "line") {
        event.line = parseLogLine(event.text ?? "");
        this.#lastLine.set(event.board, event);
      } else if (event.board !== "lab" && event.name !== "boot" && event.name !== "exit" && event.name !== "stderr") {
        const source = this.#lastLine.get(event.board);
        if (source && source.t === event.t && source.line) {
          event.line = source.line;
          event.fields ??= source.line.fields;
        }
      }
      out.push(event);
    }
    return out;
  }
}

/** A file could not be read as a run at all (nothing to show); the message says what and where. */
export class RecordError extends Error {}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkHeader(value: unknown, where: string): RunHeader {
  if (!isObject(value) || value.format !== RECORD_FORMAT)
    throw new RecordError(`${where}: not a linklab run (no "format": "${RECORD_FORMAT}" header). Write one with: npx linklab lab <scenario> --json FILE`);
  if (value.version !== RECORD_VERSION) throw new RecordError(`${where}: run format version ${String(value.version)}; this linklab reads version ${RECORD_VERSION}`);
  if (!Array.isArray(value.boards)) throw new RecordError(`${where}: the header has no boards list`);
  const header = value as unknown as RunHeader;
  return { ...header, notes: Array.isArray(header.notes) ? header.notes : [], expectations: Array.isArray(header.expectations) ? header.expectations : [], durationMs: Number(header.durationMs) || 0 };
}

/**
 * One stored event, checked: a wrong shape or an event name no part of linklab records is a problem (said once per
 * name, the event skipped), never a crash.
 */
function checkEvent(value: unknown, known: Set<string>, problems: string[], unknown: Set<string>, where: string): StoredEvent | undefined {
  if (!isObject(value) || typeof value.t !== "number" || typeof value.board !== "string" || typeof value.name !== "string") {
    problems.push(`${where}: not an event (expected t, board and name); skipped`);
    return undefined;
  }
  const isKnown = value.board === "lab" ? known.has(value.name) || LAB_NAMES.has(value.name) : BOARD_EVENT_NAMES.has(value.name);
  if (!isKnown) {
    if (!unknown.has(value.name)) problems.push(`${where}: unknown event '${value.name}' (board ${value.board}); events of that name are skipped`);
    unknown.add(value.name);
    return undefined;
  }
  return {
    t: value.t,
    board: value.board,
    name: value.name,
    args: Array.isArray(value.args) ? value.args.map(String) : [],
    ...(typeof value.text === "string" ? { text: value.text } : {}),
    ...(isObject(value.fields) ? { fields: value.fields as Record<string, string> } : {}),
  };
}

/** The lab's own event names besides the fault anchors (lab.ts: start, end, network, lab-error). */
const LAB_NAMES = new Set(["start", "end", "network", "lab-error"]);

/**
 * Read a run from a file's text: the `--json` file of `linklab lab` (the summary with a `run` field), a bare record
 * ({header, events}), or a recorded event file (JSON lines: header first). `anchors` are the lab event names the
 * reader knows (the fault anchors, host-sim/lab/faults.ts ANCHORS). A cut-off file gives what it holds up to the cut,
 * with a problem saying so; a file that holds no run throws RecordError.
 */
export function parseRecord(text: string, name: string, anchors: Iterable<string>): RunRecord {
  const known = new Set(anchors);
  const problems: string[] = [];
  const unknown = new Set<string>();
  const trimmed = text.trim();
  if (!trimmed) throw new RecordError(`${name}: the file is empty`);
  let header: RunHeader;
  const stored: StoredEvent[] = [];
  let whole: unknown;
  let wholeError: string | undefined;
  try {
    whole = JSON.parse(trimmed);
  } catch (error) {
    wholeError = (error as Error).message;
  }
  if (whole !== undefined) {
    const run = isObject(whole) && isObject(whole.run) ? whole.run : whole;
    if (isObject(whole) && !isObject(whole.run) && whole.format !== RECORD_FORMAT && "boards" in whole && "expectations" in whole)
      throw new RecordError(`${name}: a lab summary without its run (written by an older linklab?): only the summary is there, no events to draw. Run the scenario again with --json`);
    if (!isObject(run)) throw new RecordError(`${name}: not a linklab run`);
    header = checkHeader(run.header, name);
    // A report carries the problems met when it was made.
    if (Array.isArray(run.problems)) problems.push(...run.problems.filter((p): p is string => typeof p === "string"));
    if (!Array.isArray(run.events)) throw new RecordError(`${name}: the run has no events list`);
    run.events.forEach((value, i) => {
      const event = checkEvent(value, known, problems, unknown, `${name}: event ${i + 1}`);
      if (event) stored.push(event);
    });
  } else {
    // JSON lines: a header, then one event per line. Only the last line may be cut off (a run still being written, or
    // a copy taken too soon); a bad line in the middle is skipped and said.
    const lines = trimmed.split("\n");
    let first: unknown;
    try {
      first = JSON.parse(lines[0]);
    } catch {
      if (lines.length === 1 && trimmed.startsWith("{"))
        throw new RecordError(`${name}: cut off or not JSON (${wholeError ?? "unreadable"}): a --json file must be whole. Run the scenario again with --json`);
      throw new RecordError(`${name}: not a linklab run: neither a --json file nor a recorded event file (its first line is not JSON)`);
    }
    header = checkHeader(isObject(first) && isObject(first.header) ? first.header : first, `${name}:1`);
    for (let i = 1; i < lines.length; i++) {
      if (!lines[i].trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(lines[i]);
      } catch {
        problems.push(
          i === lines.length - 1
            ? `${name}:${i + 1}: the file is cut off in the middle of an event; showing the ${stored.length} events before it`
            : `${name}:${i + 1}: not JSON; line skipped`,
        );
        continue;
      }
      const event = checkEvent(value, known, problems, unknown, `${name}:${i + 1}`);
      if (event) stored.push(event);
    }
  }
  const ended = stored.some((e) => e.board === "lab" && e.name === "end");
  if (!ended && header.source === "lab") problems.push(`${name}: the run has no end event: it was stopped or the file is incomplete; showing what it holds`);
  return { header, events: expandEvents(stored), ended, problems };
}

/** A recorded event file's text (JSON lines), for a live run to write as it goes. */
export function eventFileLines(header: RunHeader, events: readonly LabEvent[]): string {
  return [JSON.stringify(header), ...compactEvents(events).map((e) => JSON.stringify(e))].join("\n") + "\n";
}

/** What changed in a run, as a feed tells its listeners. */
export type FeedChange = { type: "events"; from: number; events: LabEvent[] } | { type: "header"; header: RunHeader } | { type: "end" };

/**
 * The data seam of the page: an event source of board log lines and lab events. `linklab lab --ui` pushes the lab's
 * events as they are recorded (push); a monitor of real boards hands raw serial lines (boardLine), which are
 * recognised here through the same catalogue as the lab's (classify in host-sim/lab/events.ts).
 */
export class RunFeed {
  #header: RunHeader;
  readonly #events: LabEvent[] = [];
  #ended = false;
  readonly #listeners = new Set<(change: FeedChange) => void>();

  constructor(header: RunHeader) {
    this.#header = header;
  }

  get header(): RunHeader {
    return this.#header;
  }

  get events(): readonly LabEvent[] {
    return this.#events;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Listen to changes; returns the function that stops listening. */
  subscribe(listener: (change: FeedChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  setHeader(header: RunHeader): void {
    this.#header = header;
    this.#emit({ type: "header", header });
  }

  /** An event as the lab recorded it. */
  push(event: LabEvent): void {
    if (this.#ended) return;
    this.#events.push(event);
    this.#emit({ type: "events", from: this.#events.length - 1, events: [event] });
  }

  /** A board's serial-log line at time t (ms): recorded as a line event, plus what it means (classify). A board not
   * in the header yet is added to it. */
  boardLine(board: string, t: number, text: string): void {
    // A board seen for the first time (a monitor meets boards as they talk) joins the header.
    if (!this.#header.boards.some((b) => b.id === board)) this.setHeader({ ...this.#header, boards: [...this.#header.boards, { id: board, role: "", addresses: [] }] });
    const line: LogLine | undefined = parseLogLine(text);
    this.push({ t, board, name: "line", args: [], text, line });
    if (!line) return;
    for (const event of classify(line, (value) => this.#peerOf(value))) this.push({ t, board, ...event, line, fields: line.fields });
  }

  /** A lab event (a fault, its end, start, end). */
  labEvent(t: number, name: string, args: string[], text: string): void {
    this.push({ t, board: "lab", name, args, text });
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#emit({ type: "end" });
  }

  #peerOf(value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    if (this.#header.boards.some((b) => b.id === value)) return value;
    const address = value.replace(/:\d+$/, "");
    return this.#header.boards.find((b) => b.addresses.includes(address))?.id;
  }

  #emit(change: FeedChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}
