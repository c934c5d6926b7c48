// The page's event model: a run record (record.ts) turned into what the page draws: the boards' states over time, a
// sequence diagram per connection (client and server), fault bands with the reactions filed under each by the lab
// summary's own cause attribution (host-sim/lab/summary.ts), the expectations pinned where they were judged, and each
// client's ECHO round trips. Pure and deterministic: the same events give the same model, and every element keeps
// the index of the event (log line) it came from. Lines are recognised by meaning through the firmware's catalogue
// (modules/events.ts), never by their words, so a reworded log line keeps its place in the diagram.

import { EV, isEvent, transitionOf, type LogEvent } from "../../modules/events.ts";
import type { LabEvent, LogLine } from "../lab/events.ts";
import { anchorTimes, judge, matches, type ExpectationResult } from "../lab/expect.ts";
import { eventTouches, RESTORES } from "../lab/faults.ts";
import type { BoardRecord } from "../lab/lab.ts";
import type { Expectation, Scenario } from "../lab/scenario.ts";
import { summarize, type Summary } from "../lab/summary.ts";
import type { RunRecord } from "./record.ts";

/** What an element of a diagram is about: the page's filters by kind of event. */
export const KINDS = ["tcp", "protocol", "heartbeat", "echo", "push", "udp", "silence", "state"] as const;
export type Kind = (typeof KINDS)[number];

/** One thing drawn in a connection's diagram: an arrow between the two lifelines, a note on one, or a silence. */
export interface Element {
  t: number;
  kind: Kind;
  /** The board it starts on (a note's or a silence's board). */
  from: string;
  /** For an arrow: the board it points to ("*" for a broadcast); undefined for a note or a silence. */
  to?: string;
  label: string;
  /** Index in the run's events of the log line it came from. */
  line: number;
  /** A silence: when it started (t is when the board declared it). */
  since?: number;
  /** Drawn as a failure (RST, ERR, a loss). */
  bad?: boolean;
  /** For a reaction the summary filed under a fault: that band's index. */
  cause?: number;
}

export interface Connection {
  id: string;
  client: string;
  server: string;
  elements: Element[];
}

export interface Reaction {
  board: string;
  what: string;
  t: number;
  afterMs: number;
  /** Index of the event (log line) it came from, when there is one. */
  line?: number;
}

/** A fault as a band across the diagrams and the timeline: from the fault to its restore (or an instant). */
export interface Band {
  index: number;
  name: string;
  text: string;
  /** The boards it touches ("all" for the whole network). */
  boards: string[] | "all";
  t: number;
  endT: number;
  /** Index of the lab event. */
  event: number;
  /** The restore that ended it, if one did (its own reactions: coming back). */
  restore?: { name: string; text: string; t: number; event: number; reactions: Reaction[] };
  reactions: Reaction[];
}

/** An expectation pinned on the timeline where it was judged. */
export interface Pin {
  t: number;
  text: string;
  passed: boolean;
  detail: string;
  /** Its line in the scenario file. */
  line: number;
  board: string;
}

/** A board's state at one moment, as the page's board list shows it. */
export interface BoardStatus {
  id: string;
  role: string;
  address: string;
  /** The headline state: online, waiting, lost, discovering, connecting, handshaking, listening, off, ... */
  state: string;
  /** Words beside it: the backoff and the time left, the reason of the last change. */
  detail: string;
  peers: string[];
  /** The event index of the line that set this state. */
  line?: number;
}

export interface Snapshot {
  t: number;
  line: number;
  client?: string;
  server?: string;
  wifi?: string;
  beacon?: string;
  reason?: string;
  off: boolean;
  address: string;
  backoff?: { t: number; delayMs: number };
  peers: string[];
}

export interface Model {
  title: string;
  file: string;
  notes: string[];
  durationMs: number;
  /** The last time in the run (its end, or the latest event of a live run). */
  endMs: number;
  ended: boolean;
  boards: { id: string; role: string }[];
  connections: Connection[];
  bands: Band[];
  pins: Pin[];
  /** ECHO round trips per client: [t, rttMs, event index]. */
  rtt: Record<string, [number, number, number][]>;
  /** Indexes of the serial-log and stderr lines among the events. */
  lines: number[];
  summary: Summary;
  problems: string[];
  /** Per board, its state after each change (boardsAt reads them). */
  snapshots: Record<string, Snapshot[]>;
}

const num = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
};

/** A fault that lasts until changed (its band runs to the next one of its name, or the end of the run). */
const LASTING = new Set(["idle-firewall", "latency", "udp-loss"]);
/** The summary's reaction events (host-sim/lab/summary.ts REACTIONS), drawn as notes on the lifelines. */
const REACTION_NAMES = new Set(["online", "lost", "offline", "boot", "exit", "peer-closed"]);
/** Lines on which a board's address is said (its Wi-Fi got one). */
const ADDRESS_LINES = [EV.wifi.noSsid, EV.wifi.gotIp, EV.wifi.joinedAtBoot];

interface ClientMessage {
  entry: LogEvent;
  /** Arrows: "out" client->server, "in" server->client. */
  arrows: { dir: "out" | "in"; kind: Kind; label: (f: Record<string, string>) => string; bad?: boolean; back?: (f: Record<string, string>) => number }[];
}

const seq = (f: Record<string, string>): string => (f.seq !== undefined ? ` ${f.seq}` : "");

/** What the client's lines say went over the wire (modules/client.ts), as arrows between client and server. */
const CLIENT_MESSAGES: ClientMessage[] = [
  { entry: EV.client.connecting, arrows: [{ dir: "out", kind: "tcp", label: () => "SYN" }] },
  {
    entry: EV.client.connected,
    arrows: [
      { dir: "in", kind: "tcp", label: () => "SYN/ACK" },
      { dir: "out", kind: "tcp", label: (f) => `ACK${f.connectMs ? ` (connect ${f.connectMs} ms)` : ""}` },
    ],
  },
  { entry: EV.client.connectFailed, arrows: [{ dir: "in", kind: "tcp", label: () => "RST or no route: connect failed", bad: true }] },
  { entry: EV.client.closing, arrows: [{ dir: "out", kind: "tcp", label: (f) => `FIN${f.reason ? ` (${f.reason})` : ""}` }] },
  { entry: EV.client.noWelcome, arrows: [{ dir: "out", kind: "tcp", label: () => "FIN (no WELCOME in time)", bad: true }] },
  { entry: EV.client.noBye, arrows: [{ dir: "out", kind: "tcp", label: () => "FIN (no BYE in time)" }] },
  { entry: EV.client.serverFin, arrows: [{ dir: "in", kind: "tcp", label: () => "FIN" }] },
  { entry: EV.client.serverGone, arrows: [{ dir: "in", kind: "tcp", label: () => "FIN or RST", bad: true }] },
  { entry: EV.client.pingSent, arrows: [{ dir: "out", kind: "heartbeat", label: (f) => `PING${seq(f)}` }] },
  { entry: EV.client.pongReceived, arrows: [{ dir: "in", kind: "heartbeat", label: (f) => `PONG${seq(f)}${f.rttMs ? ` (rtt ${f.rttMs} ms)` : ""}` }] },
  {
    entry: EV.client.echoReply,
    arrows: [
      { dir: "out", kind: "echo", label: (f) => `ECHO${seq(f)}`, back: (f) => num(f.rttMs) ?? 0 },
      { dir: "in", kind: "echo", label: (f) => `ECHO${seq(f)} back (rtt ${f.rttMs ?? "?"} ms)` },
    ],
  },
  { entry: EV.client.push, arrows: [{ dir: "in", kind: "push", label: (f) => `PUSH${seq(f)}` }] },
  { entry: EV.client.pushGap, arrows: [{ dir: "in", kind: "push", label: (f) => `PUSH gap: expected ${f.expected ?? "?"}, got ${f.got ?? "?"}`, bad: true }] },
  { entry: EV.client.serverErr, arrows: [{ dir: "in", kind: "protocol", label: (f) => `ERR ${f.code ?? ""}`.trim(), bad: true }] },
  { entry: EV.client.sendingBye, arrows: [{ dir: "out", kind: "protocol", label: () => "BYE" }] },
  { entry: EV.client.serverAnsweredBye, arrows: [{ dir: "in", kind: "protocol", label: () => "BYE" }, { dir: "out", kind: "tcp", label: () => "FIN" }] },
  {
    entry: EV.client.serverBye,
    arrows: [
      { dir: "in", kind: "protocol", label: (f) => `BYE${f.reason ? ` (${f.reason})` : ""}` },
      { dir: "out", kind: "protocol", label: () => "BYE" },
      { dir: "out", kind: "tcp", label: () => "FIN" },
    ],
  },
  { entry: EV.client.echoOverdue, arrows: [{ dir: "in", kind: "echo", label: (f) => `ECHO${seq(f)} overdue, counted lost`, bad: true }] },
];

/** What the server's session lines say went over the wire (modules/server.ts), with "in" = client->server. */
const SERVER_MESSAGES: ClientMessage[] = [
  { entry: EV.server.accepted, arrows: [{ dir: "in", kind: "tcp", label: () => "SYN, SYN/ACK, ACK: accepted" }] },
  { entry: EV.server.closing, arrows: [{ dir: "out", kind: "tcp", label: (f) => `FIN${f.reason ? ` (${f.reason})` : ""}` }] },
  { entry: EV.server.closingAfterQueue, arrows: [{ dir: "out", kind: "tcp", label: (f) => `FIN after queued lines${f.reason ? ` (${f.reason})` : ""}` }] },
  { entry: EV.server.peerFin, arrows: [{ dir: "in", kind: "tcp", label: () => "FIN" }] },
  { entry: EV.server.peerGone, arrows: [{ dir: "in", kind: "tcp", label: () => "FIN or RST", bad: true }] },
  { entry: EV.server.pingSent, arrows: [{ dir: "out", kind: "heartbeat", label: (f) => `PING${seq(f)}` }] },
  { entry: EV.server.pongReceived, arrows: [{ dir: "in", kind: "heartbeat", label: (f) => `PONG${seq(f)}` }] },
  { entry: EV.server.sendingErr, arrows: [{ dir: "out", kind: "protocol", label: (f) => `ERR ${f.code ?? ""}`.trim(), bad: true }] },
  { entry: EV.server.peerErr, arrows: [{ dir: "in", kind: "protocol", label: (f) => `ERR ${f.code ?? ""}`.trim(), bad: true }] },
  { entry: EV.server.peerBye, arrows: [{ dir: "in", kind: "protocol", label: (f) => `BYE${f.reason ? ` (${f.reason})` : ""}` }, { dir: "out", kind: "protocol", label: () => "BYE" }] },
];

/** The scenario as summarize() and judge() need it (no timeline or board lines: only what they read). */
function scenarioOf(record: RunRecord): Scenario {
  const h = record.header;
  return { file: h.file, title: h.title, notes: h.notes, durationMs: h.durationMs, firstAddress: "", boards: [], timeline: [], expectations: h.expectations };
}

/** When an expectation was judged: when what it waited for came, or when its window closed. */
export function judgedAt(expectation: Expectation, result: ExpectationResult, events: LabEvent[], endMs: number): number {
  const window = expectation.window;
  const hits = events.filter((e) => matches(e, expectation) && e.t <= endMs);
  if (window.kind !== "after") {
    const from = window.kind === "between" ? window.fromMs : -Infinity;
    const to = Math.min(endMs, window.kind === "run" ? endMs : window.toMs);
    const inside = hits.find((e) => e.t >= from && e.t <= to);
    return inside && result.passed !== expectation.negated ? inside.t : inside && expectation.negated ? inside.t : to;
  }
  const anchors = anchorTimes(expectation, events);
  if (anchors.length === 0) return endMs;
  let at = anchors[0];
  for (const anchor of anchors) {
    const first = hits.find((e) => e.t >= anchor);
    const inWindow = first !== undefined && first.t - anchor <= window.withinMs;
    if (expectation.negated && inWindow) return first.t;
    if (!expectation.negated && !inWindow) return Math.min(endMs, anchor + window.withinMs);
    at = expectation.negated ? Math.min(endMs, anchor + window.withinMs) : first!.t;
  }
  return at;
}

/** The index of the log line an event came from: itself for a line, else the line just before it on its board. */
function lineIndex(events: LabEvent[], index: number): number {
  const event = events[index];
  if (event.name === "line" || event.name === "stderr" || event.board === "lab") return index;
  for (let i = index - 1; i >= 0 && events[i].t === event.t; i--) if (events[i].board === event.board && events[i].name === "line") return i;
  return index;
}

export function buildModel(record: RunRecord): Model {
  const { header } = record;
  const events = record.events;
  const scenario = scenarioOf(record);
  const endEvent = events.find((e) => e.board === "lab" && e.name === "end");
  const lastT = events.length ? Math.max(...events.map((e) => e.t)) : 0;
  const endMs = endEvent?.t ?? (record.ended ? header.durationMs : Math.max(0, lastT));

  // --- addresses, to know which board a field names ---
  const addressOf = new Map<string, string>();
  for (const board of header.boards) for (const address of board.addresses) addressOf.set(address, board.id);
  const ids = new Set(header.boards.map((b) => b.id));
  const peerOf = (value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    if (ids.has(value)) return value;
    return addressOf.get(value.replace(/:\d+$/, ""));
  };

  // --- the diagrams, the boards' states, the round trips ---
  const connections = new Map<string, Connection>();
  const connection = (client: string, server: string): Connection => {
    const id = `${client}~${server}`;
    let found = connections.get(id);
    if (!found) connections.set(id, (found = { id, client, server, elements: [] }));
    return found;
  };
  /** A connection's element list, made only when something is added to it. */
  const lazy = (client: string, server: string): { elements: { push(...els: Element[]): void } } => ({ elements: { push: (...els) => void connection(client, server).elements.push(...els) } });
  const beacons = new Map<string, Element[]>();
  const serverOfClient = new Map<string, string>();
  const rtt: Record<string, [number, number, number][]> = {};
  const snapshots: Record<string, Snapshot[]> = {};
  const current = new Map<string, Snapshot>();
  for (const board of header.boards) {
    const first: Snapshot = { t: -Infinity, line: -1, off: false, address: board.addresses[0] ?? "", peers: [] };
    current.set(board.id, first);
    snapshots[board.id] = [];
  }
  const change = (board: string, t: number, line: number, patch: Partial<Snapshot>): void => {
    const before = current.get(board);
    if (!before) return;
    const next: Snapshot = { ...before, ...patch, t, line };
    current.set(board, next);
    snapshots[board].push(next);
  };
  /** Sessions a server has online, by session number: the client. */
  const sessions = new Map<string, Map<string, string>>();
  const lines: number[] = [];

  events.forEach((event, index) => {
    if (event.name === "line" || event.name === "stderr") lines.push(index);
    if (event.board === "lab") return;
    const board = event.board;
    if (event.name === "boot") {
      sessions.delete(board);
      change(board, event.t, index, { off: false, client: undefined, server: undefined, beacon: undefined, backoff: undefined, peers: [], reason: "booted" });
    } else if (event.name === "exit") change(board, event.t, index, { off: true, peers: [], backoff: undefined, reason: event.text });
    if (event.name !== "line" || !event.line) return;
    const line: LogLine = event.line;
    const f = line.fields;

    for (const entry of ADDRESS_LINES)
      if (isEvent(line, entry) && f.ip) {
        addressOf.set(f.ip, board);
        change(board, event.t, index, { address: f.ip });
      }

    // State machines: client, server, Wi-Fi, beacon.
    const client = transitionOf(line, EV.client.state);
    if (client) {
      const named = peerOf(f.server);
      if (named) serverOfClient.set(board, named);
      const server = serverOfClient.get(board);
      change(board, event.t, index, {
        client: client.to,
        reason: f.reason,
        backoff: client.to === "waiting" ? current.get(board)?.backoff : undefined,
        peers: client.to === "online" && server ? [server] : [],
      });
      if (server) {
        const c = lazy(board, server);
        if (client.to === "handshaking" && client.from === "connecting") c.elements.push({ t: event.t, kind: "protocol", from: board, to: server, label: "HELLO", line: index });
        if (client.to === "online" && client.from !== "online") c.elements.push({ t: event.t, kind: "protocol", from: server, to: board, label: `WELCOME${f.handshakeMs ? ` (handshake ${f.handshakeMs} ms)` : ""}`, line: index });
      }
    }
    const serverState = transitionOf(line, EV.server.state);
    if (serverState) change(board, event.t, index, { server: serverState.to, reason: f.reason });
    const wifi = transitionOf(line, EV.wifi.state);
    if (wifi) change(board, event.t, index, { wifi: wifi.to, reason: f.reason });
    const beacon = transitionOf(line, EV.beacon.state);
    if (beacon) change(board, event.t, index, { beacon: beacon.to });
    if (isEvent(line, EV.client.backoff)) {
      const delayMs = num(f.delayMs);
      if (delayMs !== undefined) change(board, event.t, index, { backoff: { t: event.t, delayMs } });
    }

    // The client's side of its connection.
    if (line.tag === EV.client.state.tag) {
      const named = peerOf(f.server);
      if (named) serverOfClient.set(board, named);
      const server = serverOfClient.get(board);
      if (server) {
        const c = lazy(board, server);
        for (const message of CLIENT_MESSAGES) {
          if (!isEvent(line, message.entry)) continue;
          for (const arrow of message.arrows) {
            const t = event.t - (arrow.back?.(f) ?? 0);
            c.elements.push({ t, kind: arrow.kind, from: arrow.dir === "out" ? board : server, to: arrow.dir === "out" ? server : board, label: arrow.label(f), line: index, ...(arrow.bad ? { bad: true } : {}) });
          }
        }
        if (isEvent(line, EV.client.serverSilent)) {
          const silentMs = num(f.silentMs) ?? 0;
          c.elements.push({ t: event.t, kind: "silence", from: board, label: `server silent ${silentMs} ms: link lost`, line: index, since: event.t - silentMs, bad: true });
        }
        if (isEvent(line, EV.client.echoReply)) {
          const ms = num(f.rttMs);
          if (ms !== undefined) (rtt[board] ??= []).push([event.t, ms, index]);
        }
      }
    }

    // The server's side: its sessions, by the client they name (id once it said HELLO, else its address).
    if (line.tag === EV.server.state.tag && (f.session !== undefined || f.peer !== undefined)) {
      const peer = peerOf(f.client) ?? peerOf(f.peer) ?? f.peer?.replace(/:\d+$/, "") ?? "?";
      const c = lazy(peer, board);
      for (const message of SERVER_MESSAGES) {
        if (!isEvent(line, message.entry)) continue;
        for (const arrow of message.arrows)
          c.elements.push({ t: event.t, kind: arrow.kind, from: arrow.dir === "out" ? board : peer, to: arrow.dir === "out" ? peer : board, label: arrow.label(f), line: index, ...(arrow.bad ? { bad: true } : {}) });
      }
      const session = transitionOf(line, EV.server.sessionState);
      if (session && f.session !== undefined) {
        const online = sessions.get(board) ?? new Map<string, string>();
        sessions.set(board, online);
        if (session.to === "online" && session.from !== "online") {
          c.elements.push({ t: event.t, kind: "protocol", from: peer, to: board, label: "HELLO", line: index });
          c.elements.push({ t: event.t, kind: "protocol", from: board, to: peer, label: "WELCOME", line: index });
          online.set(f.session, peer);
        } else if (session.to !== "online") online.delete(f.session);
        change(board, event.t, index, { peers: [...new Set(online.values())].sort() });
      }
      if (isEvent(line, EV.server.peerSilent)) {
        const silentMs = num(f.silentMs) ?? 0;
        c.elements.push({ t: event.t, kind: "silence", from: board, label: `${peer} silent ${silentMs} ms: declared offline`, line: index, since: event.t - silentMs, bad: true });
      }
    }

    // UDP beacons: sent by a server (a broadcast), heard by a client.
    if (isEvent(line, EV.beacon.sent)) {
      const list = beacons.get(board) ?? [];
      beacons.set(board, list);
      list.push({ t: event.t, kind: "udp", from: board, to: "*", label: `beacon${seq(f)} (UDP broadcast, no handshake)`, line: index });
    } else if (isEvent(line, EV.beacon.heard)) {
      const server = peerOf(f.server) ?? peerOf(f.from);
      if (server) connection(board, server).elements.push({ t: event.t, kind: "udp", from: server, to: board, label: `beacon${seq(f)} heard`, line: index });
    }
  });

  // --- faults as bands, with the summary's attribution of reactions ---
  const expectations = header.expectations.map((e) => judge(e, events, scenario));
  const boardRecords: BoardRecord[] = header.boards.map((b, index) => ({
    id: b.id,
    index,
    config: {},
    role: b.role,
    addresses: b.addresses,
    boots: events.filter((e) => e.board === b.id && e.name === "boot").length,
  }));
  const summary = summarize(scenario, boardRecords, events, expectations);
  const used = new Set<number>();
  const labIndex = (name: string, atMs: number): number => {
    const i = events.findIndex((e, k) => !used.has(k) && e.board === "lab" && e.name === name && Math.round(e.t) === atMs);
    if (i >= 0) used.add(i);
    return i;
  };
  const linked = new Set<number>();
  const reactionLine = (r: { board: string; atMs: number; event?: string }): number | undefined => {
    // The reaction's own event (a summary written before reactions named their event: the first at that time).
    const i = events.findIndex((e, k) => !linked.has(k) && e.board === r.board && (r.event === undefined ? REACTION_NAMES.has(e.name) : e.name === r.event) && Math.round(e.t) === r.atMs);
    if (i < 0) return undefined;
    linked.add(i);
    return lineIndex(events, i);
  };
  const incidents = summary.incidents.map((incident) => {
    const event = labIndex(incident.name, incident.atMs);
    const reactions: Reaction[] = incident.reactions.map((r) => ({ board: r.board, what: r.what, t: r.atMs, afterMs: r.afterMs, line: reactionLine(r) }));
    return { incident, event, args: event >= 0 ? events[event].args : [], reactions };
  });
  const overlaps = (a: string[] | "all", b: string[] | "all"): boolean => a === "all" || b === "all" || a.some((x) => b.includes(x));
  const bands: Band[] = [];
  const consumed = new Set<number>();
  incidents.forEach((item, i) => {
    if (consumed.has(i)) return;
    const { incident } = item;
    const boards = eventTouches(incident.name, item.args);
    const band: Band = { index: bands.length, name: incident.name, text: incident.text, boards, t: incident.atMs, endT: incident.atMs, event: item.event, reactions: item.reactions };
    if (!RESTORES.has(incident.name)) {
      const end = incidents.findIndex((other, k) => k > i && !consumed.has(k) && RESTORES.has(other.incident.name) && overlaps(boards, eventTouches(other.incident.name, other.args)));
      if (end >= 0) {
        consumed.add(end);
        const r = incidents[end];
        band.endT = r.incident.atMs;
        band.restore = { name: r.incident.name, text: r.incident.text, t: r.incident.atMs, event: r.event, reactions: r.reactions };
      } else if (LASTING.has(incident.name)) {
        const next = incidents.find((other, k) => k > i && other.incident.name === incident.name);
        band.endT = next ? next.incident.atMs : endMs;
      }
    }
    bands.push(band);
  });
  // Each reaction's note in the diagrams, with its cause.
  const causeOf = new Map<number, number>();
  for (const band of bands) {
    for (const r of band.reactions) if (r.line !== undefined) causeOf.set(r.line, band.index);
    for (const r of band.restore?.reactions ?? []) if (r.line !== undefined) causeOf.set(r.line, band.index);
  }

  // The reactions (online, lost, offline, boot, exit, peer-closed) as notes on the lifelines of their connections.
  events.forEach((event, index) => {
    if (event.board === "lab" || !REACTION_NAMES.has(event.name) || event.t < 0) return;
    const line = lineIndex(events, index);
    const cause = causeOf.get(line);
    const reason = event.fields?.reason ? ` (${event.fields.reason})` : "";
    const label =
      event.name === "offline"
        ? `declares ${event.args[0] ?? "a client"} offline`
        : event.name === "peer-closed"
          ? "told its connection is gone"
          : event.name === "exit"
            ? `process ended (${event.text ?? "?"})`
            : event.name === "boot"
              ? "booted"
              : `${event.name}${reason}`;
    const note: Element = { t: event.t, kind: "state", from: event.board, label, line, bad: event.name !== "online" && event.name !== "boot", ...(cause !== undefined ? { cause } : {}) };
    for (const c of connections.values()) {
      if (c.client !== event.board && c.server !== event.board) continue;
      if ((event.name === "offline" || event.name === "peer-closed") && event.args[0] !== undefined && c.client !== event.args[0] && c.server !== event.args[0]) continue;
      c.elements.push(note);
    }
  });

  for (const c of connections.values()) {
    c.elements.push(...(beacons.get(c.server) ?? []));
    c.elements = c.elements.map((e, i) => ({ e, i })).sort((a, b) => a.e.t - b.e.t || a.e.line - b.e.line || a.i - b.i).map(({ e }) => e);
  }
  const order = new Map(header.boards.map((b, i) => [b.id, i]));
  const rank = (id: string): number => order.get(id) ?? header.boards.length;
  const sortedConnections = [...connections.values()].sort((a, b) => rank(a.server) - rank(b.server) || rank(a.client) - rank(b.client) || a.id.localeCompare(b.id));

  const pins: Pin[] = header.expectations.map((expectation, i) => ({
    t: judgedAt(expectation, expectations[i], events, endMs),
    text: expectation.text,
    passed: expectations[i].passed,
    detail: expectations[i].detail,
    line: expectation.line,
    board: expectation.board,
  }));

  return {
    title: header.title,
    file: header.file,
    notes: header.notes,
    durationMs: header.durationMs,
    endMs,
    ended: record.ended,
    boards: header.boards.map((b) => ({ id: b.id, role: b.role })),
    connections: sortedConnections,
    bands,
    pins,
    rtt,
    lines,
    summary,
    problems: record.problems,
    snapshots,
  };
}

/** The words of a board's state: the role's machine, Wi-Fi down, or off. */
export function headline(s: Snapshot | undefined, role: string): string {
  if (!s) return "booting";
  if (s.off) return "off";
  const client = s.client;
  const server = s.server;
  const parts: string[] = [];
  if (role === "client" || (role !== "server" && client)) parts.push(client ?? "starting");
  if (role === "server" || (role !== "client" && server)) parts.push(server ?? "starting");
  if (parts.length === 0) parts.push(client ?? server ?? "up");
  if (s.wifi === "down") parts.push("Wi-Fi down");
  return parts.join(" · ");
}

/** Every board's state at time t (the page's board list, live or replayed). */
export function boardsAt(model: Model, t: number): BoardStatus[] {
  return model.boards.map((b) => {
    const list = model.snapshots[b.id] ?? [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].t <= t) lo = mid + 1;
      else hi = mid;
    }
    const s = lo > 0 ? list[lo - 1] : undefined;
    const state = headline(s, b.role);
    let detail = s?.reason ? `reason=${s.reason}` : "";
    if (s && !s.off && s.client === "waiting" && s.backoff) {
      const left = Math.max(0, s.backoff.t + s.backoff.delayMs - t);
      detail = `backoff ${s.backoff.delayMs} ms, ${(left / 1000).toFixed(1)} s left`;
    }
    return { id: b.id, role: b.role, address: s?.address ?? "", state, detail, peers: s?.peers ?? [], ...(s && s.line >= 0 ? { line: s.line } : {}) };
  });
}
