// The summary of a lab run, for people (a table per board, the story of each fault, each expectation) and for
// machines (the same object as JSON). Everything here is computed from the timed events; nothing is asked of boards.
import { EV, isEvent } from "../../modules/events.ts";
import type { LabEvent } from "./events.ts";
import { eventTouches, RESTORES } from "./faults.ts";
import type { ExpectationResult } from "./expect.ts";
import type { BoardRecord } from "./lab.ts";
import type { Scenario } from "./scenario.ts";

export interface Outage {
  /** Lab time the board left online, and why (the `reason=` of its state line). */
  lostAtMs: number;
  reason: string;
  /** How long the link had been silent when it was declared lost, when the board says (silentMs=). */
  silentMs?: number;
  onlineAtMs?: number;
  outageMs?: number;
}

export interface BoardSummary {
  id: string;
  role: string;
  addresses: string[];
  boots: number;
  /** Completed application handshakes (HELLO/WELCOME) this board took part in. */
  handshakes: number;
  /** Time in state online (clients), and as a share of the run. */
  onlineMs?: number;
  onlinePercent?: number;
  outages: Outage[];
  /** Sessions this board (as a server) declared offline, with how silent they were. */
  offlineVerdicts: { atMs: number; peer?: string; silentMs?: number }[];
  messages: { sent: number; echoed: number; lost: number };
  /** Caught exceptions the board logged (`callback failed`): bugs, which fail the run unless the scenario expects them. */
  bugs: { atMs: number; where?: string; error?: string }[];
  /** Times the board's process ended without the lab ending it (an XS abort, a crash of the simulator itself). */
  diedAtMs: { atMs: number; how: string }[];
  /** ECHO round trips (client), median and worst, in ms; undefined without echo replies. */
  rttMs?: { p50: number; max: number };
  stderrLines: number;
}

export interface Reaction {
  board: string;
  /** The board event it is (online, lost, offline, boot, exit, peer-closed), for a reader that links it to its line. */
  event: string;
  what: string;
  atMs: number;
  afterMs: number;
}

export interface Incident {
  atMs: number;
  name: string;
  text: string;
  reactions: Reaction[];
}

export interface Summary {
  scenario: { file: string; title: string; notes: string[]; durationMs: number };
  boards: BoardSummary[];
  incidents: Incident[];
  expectations: ExpectationResult[];
  passed: boolean;
}

/** Lab times in the summary are whole milliseconds. */
function ms<T extends number | undefined>(value: T): T {
  return (value === undefined ? undefined : Math.round(value)) as T;
}

function num(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** The client's lines about ECHO messages (modules/events.ts). */
const ECHO_LINES = [EV.client.echoReply, EV.client.echoLostWithConnection, EV.client.echoOverdue, EV.client.echoDuplicate, EV.client.echoNeverSent, EV.client.echoGap];

/**
 * ECHO accounting from the client's lines (modules/client.ts; the lab runs boards at logLevel=D so that every
 * `echo reply` line is there): echoed = replies, lost = the last `lostTotal`, sent = highest seq + 1, per boot.
 */
function messages(lines: LabEvent[]): { sent: number; echoed: number; lost: number } {
  const total = { sent: 0, echoed: 0, lost: 0 };
  let boot = { maxSeq: -1, echoed: 0, lost: 0 };
  const close = (): void => {
    total.sent += Math.max(boot.maxSeq + 1, boot.echoed + boot.lost);
    total.echoed += boot.echoed;
    total.lost += boot.lost;
  };
  for (const event of lines) {
    if (event.name === "boot") {
      close();
      boot = { maxSeq: -1, echoed: 0, lost: 0 };
      continue;
    }
    const line = event.line;
    if (event.name !== "line" || !line || !ECHO_LINES.some((entry) => isEvent(line, entry))) continue;
    const seq = num(line.fields.seq) ?? (num(line.fields.before) ?? 0) - 1;
    boot.maxSeq = Math.max(boot.maxSeq, seq);
    if (isEvent(line, EV.client.echoReply)) boot.echoed++;
    const lost = num(line.fields.lostTotal);
    if (lost !== undefined) boot.lost = Math.max(boot.lost, lost);
  }
  close();
  return total;
}

function roundTrips(lines: LabEvent[]): { p50: number; max: number } | undefined {
  const rtts = lines
    .filter((e) => e.name === "line" && e.line !== undefined && isEvent(e.line, EV.client.echoReply))
    .map((e) => num(e.line!.fields.rttMs))
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b);
  if (rtts.length === 0) return undefined;
  return { p50: rtts[Math.floor((rtts.length - 1) / 2)], max: rtts[rtts.length - 1] };
}

const LAB_QUIET = new Set(["start", "end", "lab-error", "network"]);
const REACTIONS = new Set(["online", "lost", "offline", "boot", "exit", "peer-closed"]);
const FOLLOWS_LATEST = new Set(["online", "boot", "exit"]);

function describe(event: LabEvent): string {
  const f = event.fields ?? {};
  const extra = [f.reason && `reason=${f.reason}`, f.silentMs && `silent ${f.silentMs} ms`].filter(Boolean).join(", ");
  const tail = extra ? ` (${extra})` : "";
  switch (event.name) {
    case "online":
      return `online${tail}`;
    case "lost":
      return `lost its server${tail}`;
    case "offline":
      return `declared ${event.args[0] ?? "a client"} offline${tail}`;
    case "boot":
      return "booted";
    case "exit":
      return `process ended (${event.text})`;
    case "peer-closed":
      return `was told its connection is gone (socket onError: FIN, RST or abort)${tail}`;
    default:
      return event.name;
  }
}

export function summarize(scenario: Scenario, boards: BoardRecord[], events: LabEvent[], expectations: ExpectationResult[]): Summary {
  const endMs = events.find((e) => e.board === "lab" && e.name === "end")?.t ?? scenario.durationMs;
  const summaries = boards.map((board): BoardSummary => {
    const mine = events.filter((e) => e.board === board.id);
    const outages: Outage[] = [];
    let onlineSince: number | undefined;
    let onlineMs = 0;
    let everOnline = false;
    for (const event of mine) {
      if (event.name === "online") {
        everOnline = true;
        onlineSince ??= Math.max(0, event.t);
        const open = outages.at(-1);
        if (open && open.onlineAtMs === undefined) {
          open.onlineAtMs = event.t;
          open.outageMs = event.t - open.lostAtMs;
        }
      } else if (event.name === "lost" || event.name === "exit" || (event.name === "boot" && board.boots > 1)) {
        if (onlineSince !== undefined) onlineMs += Math.max(0, event.t - onlineSince);
        if (event.name === "lost")
          outages.push({ lostAtMs: event.t, reason: event.fields?.reason ?? "?", silentMs: num(event.fields?.silentMs) });
        else if (onlineSince !== undefined) outages.push({ lostAtMs: event.t, reason: event.name === "exit" ? "board stopped" : "board rebooted" });
        onlineSince = undefined;
      }
    }
    if (onlineSince !== undefined) onlineMs += Math.max(0, endMs - onlineSince);
    return {
      id: board.id,
      role: board.role,
      addresses: board.addresses,
      boots: board.boots,
      handshakes: mine.filter((e) => e.name === "handshake").length,
      onlineMs: everOnline ? Math.round(onlineMs) : undefined,
      onlinePercent: everOnline ? Math.round((100 * onlineMs) / endMs) : undefined,
      outages: outages.map((o) => ({ ...o, lostAtMs: ms(o.lostAtMs), onlineAtMs: ms(o.onlineAtMs), outageMs: ms(o.outageMs) })),
      offlineVerdicts: mine.filter((e) => e.name === "offline").map((e) => ({ atMs: ms(e.t), peer: e.args[0], silentMs: num(e.fields?.silentMs) })),
      messages: messages(mine),
      bugs: mine.filter((e) => e.name === "bug").map((e) => ({ atMs: ms(e.t), where: e.fields?.where, error: e.fields?.error })),
      diedAtMs: mine.filter((e) => e.name === "exit" && e.args[0] === "by-itself").map((e) => ({ atMs: ms(e.t), how: e.text ?? "?" })),
      rttMs: roundTrips(mine),
      stderrLines: mine.filter((e) => e.name === "stderr").length,
    };
  });

  const headers = events.filter((e) => e.board === "lab" && !LAB_QUIET.has(e.name));
  const incidents = headers.map((header): Incident => ({ atMs: ms(header.t), name: header.name, text: header.text ?? header.name, reactions: [] }));
  // A board's reaction is filed under its cause: a fault that touched that board or its peer (the server a client
  // last shook hands with, the client a server declared offline). Among those, booting or ending goes under the
  // latest; losing a link or a peer under the latest that is not a restore, even when a restore came in between (a
  // power cut can be detected after the power is back); coming back online under the restore that followed the
  // fault it was lost under. When the peer is unknown, or no fault touched the board or its peer, time decides.
  const touched = headers.map((header) => eventTouches(header.name, header.args));
  const lostUnder = new Map<string, number>();
  const serverOf = new Map<string, string>();
  /** Boards that came online as clients (only a client's state line gives `online`). */
  const clients = new Set<string>();
  for (const event of events) {
    if (event.board !== "lab" && event.name === "handshake" && event.args[0] !== undefined) serverOf.set(event.board, event.args[0]);
    if (event.name === "online") clients.add(event.board);
    if (event.board === "lab" || !REACTIONS.has(event.name) || event.t < 0) continue;
    let latest = -1;
    for (let i = 0; i < headers.length && headers[i].t <= event.t; i++) latest = i;
    if (latest < 0) continue;
    // A client's connection-ended line names no peer: it is the server it last shook hands with.
    const peer =
      event.name === "offline" ? event.args[0]
      : event.name === "peer-closed" ? (event.args[0] ?? (clients.has(event.board) ? serverOf.get(event.board) : undefined))
      : event.name === "lost" || event.name === "online" ? serverOf.get(event.board)
      : undefined;
    // Without a known peer, any fault may have been the peer's: fall back to time alone (not for a board's own boot
    // or exit, which only a fault of that board explains).
    const related = (i: number): boolean => {
      if (peer === undefined && event.name !== "boot" && event.name !== "exit") return true;
      const who = touched[i];
      return who === "all" || who.includes(event.board) || (peer !== undefined && who.includes(peer));
    };
    let at = latest;
    while (at >= 0 && !related(at)) at--;
    // The faults that may be this reaction's cause: the related ones, or, when none was, any.
    const candidate = at >= 0 ? related : () => true;
    if (at < 0) at = latest;
    if (event.name === "online") {
      // Back online: under the first restore after the fault it was lost under, else under that fault.
      const lost = lostUnder.get(event.board);
      lostUnder.delete(event.board);
      if (lost !== undefined) {
        at = lost;
        for (let i = lost + 1; i <= latest; i++)
          if (RESTORES.has(headers[i].name) && candidate(i)) {
            at = i;
            break;
          }
      }
    } else if (!FOLLOWS_LATEST.has(event.name)) {
      let cause = at;
      while (cause >= 0 && (RESTORES.has(headers[cause].name) || !candidate(cause))) cause--;
      if (cause >= 0) at = cause;
      if (event.name === "lost" && !lostUnder.has(event.board)) lostUnder.set(event.board, at);
    }
    const header = headers[at];
    incidents[at].reactions.push({ board: event.board, event: event.name, what: describe(event), atMs: ms(event.t), afterMs: ms(event.t - header.t) });
  }
  for (const incident of incidents) incident.reactions.sort((a, b) => a.atMs - b.atMs);

  return {
    scenario: { file: scenario.file, title: scenario.title, notes: scenario.notes, durationMs: scenario.durationMs },
    boards: summaries,
    incidents,
    expectations,
    // A board whose process ends by itself (an XS abort) fails the run whatever the expectations say, and so does a
    // bug it caught and logged (`callback failed`), unless an expectation of that board names `bug`.
    passed:
      expectations.every((e) => e.passed) &&
      summaries.every((b) => b.diedAtMs.length === 0 && (b.bugs.length === 0 || scenario.expectations.some((e) => e.board === b.id && e.event.name === "bug"))),
  };
}

const sec = (ms: number | undefined): string => (ms === undefined ? "-" : `${(ms / 1000).toFixed(1)}s`);

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ").trimEnd());
}

/** The summary as text for a terminal: what to look at first, then the numbers, then the story, then the verdict. */
export function formatSummary(summary: Summary, options: { color?: boolean } = {}): string {
  const green = (t: string): string => (options.color ? `\x1b[32m${t}\x1b[0m` : t);
  const red = (t: string): string => (options.color ? `\x1b[31m${t}\x1b[0m` : t);
  const bold = (t: string): string => (options.color ? `\x1b[1m${t}\x1b[0m` : t);
  const out: string[] = [];
  out.push("", bold(`== ${summary.scenario.title || summary.scenario.file} ==`));
  for (const note of summary.scenario.notes) out.push(note);

  out.push("", bold("Boards") + "  (handshakes = HELLO/WELCOME exchanges; online = time a client could talk to its server;");
  out.push("        outages = times a client lost its server; verdicts = sessions a server declared offline;");
  out.push("        echo = ECHO messages a client sent, got back, and counted lost; rtt = their round trip)");
  const rows = [["board", "role", "address", "boots", "handshakes", "online", "outages", "verdicts", "echo sent/back/lost", "rtt p50/max"]];
  for (const b of summary.boards) {
    rows.push([
      b.id,
      b.role || "-",
      b.addresses.join(" > "),
      String(b.boots),
      String(b.handshakes),
      b.onlineMs === undefined ? "-" : `${sec(b.onlineMs)} (${b.onlinePercent}%)`,
      String(b.outages.length),
      String(b.offlineVerdicts.length),
      b.messages.sent || b.messages.echoed ? `${b.messages.sent}/${b.messages.echoed}/${b.messages.lost}` : "-",
      b.rttMs ? `${b.rttMs.p50}/${b.rttMs.max} ms` : "-",
    ]);
  }
  out.push(...table(rows).map((r) => "  " + r));
  for (const b of summary.boards) {
    for (const o of b.outages)
      out.push(
        `  ${b.id}: lost at ${sec(o.lostAtMs)} (${o.reason}${o.silentMs !== undefined ? `, link silent ${o.silentMs} ms` : ""})` +
          (o.onlineAtMs !== undefined ? `, online again at ${sec(o.onlineAtMs)}: ${sec(o.outageMs)} without a link` : ", never back online"),
      );
    for (const v of b.offlineVerdicts)
      out.push(`  ${b.id}: declared ${v.peer ?? "a client"} offline at ${sec(v.atMs)}${v.silentMs !== undefined ? ` after ${v.silentMs} ms of silence` : ""}`);
    for (const bug of b.bugs) out.push(red(`  ${b.id}: a bug at ${sec(bug.atMs)}: callback failed where=${bug.where ?? "?"} error=${bug.error ?? "?"}`));
    for (const d of b.diedAtMs) out.push(red(`  ${b.id}: the process ended by itself at ${sec(d.atMs)} (${d.how}); see its stderr lines (!) in the live log`));
    if (b.stderrLines) out.push(`  ${b.id}: ${b.stderrLines} line(s) on stderr (see the live log)`);
  }

  if (summary.incidents.length) {
    out.push("", bold("What happened") + "  (each fault, then how the boards reacted and how long after it)");
    for (const incident of summary.incidents) {
      out.push(`  ${sec(incident.atMs).padStart(6)}  ${incident.text}`);
      for (const r of incident.reactions) out.push(`          +${sec(r.afterMs).padStart(5)}  ${r.board} ${r.what}`);
      if (incident.reactions.length === 0) out.push("                 (no board reacted)");
    }
  }

  if (summary.expectations.length) {
    out.push("", bold("Expectations") + "  (what the scenario says must happen, and what did)");
    let group: string | undefined;
    for (const e of summary.expectations) {
      if (e.group && e.group !== group) out.push(`  ${e.group}`);
      group = e.group;
      out.push(`  ${e.passed ? green("PASS") : red("FAIL")}  ${e.text}  -> ${e.detail}  (line ${e.line})`);
    }
    const failed = summary.expectations.filter((e) => !e.passed).length;
    out.push("", failed ? red(`${failed} of ${summary.expectations.length} expectations failed`) : green(`all ${summary.expectations.length} expectations passed`));
  }
  const died = summary.boards.filter((b) => b.diedAtMs.length > 0).map((b) => b.id);
  if (died.length) out.push("", red(`failed: ${died.join(", ")} ended by itself (a board must never abort)`));
  const buggy = summary.boards.filter((b) => b.bugs.length > 0).map((b) => b.id);
  if (buggy.length && !summary.passed) out.push("", red(`failed: ${buggy.join(", ")} logged a bug (callback failed); a scenario that expects one says so: expect <board> bug ...`));
  out.push(
    "",
    "More: one scenario per fault (npx linklab lab --list, then e.g. npx linklab lab power-off); every log line explained in",
    "docs/serial-log.md; how each fault is made and how faithful it is in docs/simulator.md (Faults).",
  );
  return out.join("\n") + "\n";
}
