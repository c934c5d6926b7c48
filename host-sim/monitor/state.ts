// The monitor's one-line state of a board, read from its log lines through the firmware's catalogue of log lines
// (modules/events.ts) and the lab's reading of them (host-sim/lab/events.ts), never from free-text patterns: a line
// reworded in the catalogue keeps its meaning here.
//
//   client:  discovering | connecting | handshaking | online to s1 | lost | waiting 1.2 s (attempt 3) | ...
//   server:  listening, 2 online
//   Wi-Fi:   link down, when the board's Wi-Fi link is not up
import { EV, isEvent, transitionOf } from "../../modules/events.ts";
import { classify, parseLogLine, type LogLine } from "../lab/events.ts";

export interface BoardState {
  /** The board id from its `main: linklab booting id=` line, when seen. */
  id?: string;
  role?: string;
  /** The client's state (idle, discovering, connecting, handshaking, online, lost, waiting, ...). */
  client?: string;
  /** The server's state (listening, stopped). */
  server?: string;
  /** Client ids online at the server (its session lines). */
  online: Set<string>;
  /** Wi-Fi link state (up, connecting, waiting, down, ...). */
  wifi?: string;
  /** The server this client is online to (its `state ->online server=` line). */
  peer?: string;
  /** While waiting: the backoff chosen, and the monitor time it was chosen at. */
  backoff?: { delayMs: number; attempt: number; atMs: number };
  boots: number;
  bugs: number;
  lines: number;
  /** Monitor time of the last line. */
  lastMs: number;
}

export function newState(): BoardState {
  return { online: new Set(), boots: 0, bugs: 0, lines: 0, lastMs: 0 };
}

/**
 * Apply one line (as printed) to the state; returns true when the one-line view changed. `now` is the monitor's
 * clock in ms. A line that is not a linklab log line only counts.
 */
export function applyLine(state: BoardState, text: string, now: number): boolean {
  state.lines++;
  state.lastMs = now;
  const line = parseLogLine(text);
  if (!line) return false;
  return applyParsed(state, line, now);
}

function applyParsed(state: BoardState, line: LogLine, now: number): boolean {
  if (isEvent(line, EV.main.booting)) {
    state.id = line.fields.id;
    state.role = line.fields.role;
    state.boots++;
    state.client = state.server = state.wifi = state.peer = undefined;
    state.backoff = undefined;
    state.online.clear();
    return true;
  }
  if (isEvent(line, EV.client.backoff)) {
    state.backoff = { delayMs: Number(line.fields.delayMs) || 0, attempt: Number(line.fields.attempt) || 0, atMs: now };
    return true;
  }
  const client = transitionOf(line, EV.client.state);
  if (client) {
    state.client = client.to;
    if (client.to === "online") state.peer = line.fields.server;
    if (client.to !== "waiting") state.backoff = undefined;
    return true;
  }
  const server = transitionOf(line, EV.server.state);
  if (server) {
    state.server = server.to;
    if (server.to !== "listening") state.online.clear();
    return true;
  }
  const wifi = transitionOf(line, EV.wifi.state);
  if (wifi) {
    state.wifi = wifi.to;
    return true;
  }
  const session = transitionOf(line, EV.server.sessionState);
  if (session && line.fields.client) {
    if (session.to === "online") state.online.add(line.fields.client);
    else if (session.from === "online") state.online.delete(line.fields.client);
    return true;
  }
  if (classify(line, () => undefined).some((event) => event.name === "bug")) {
    state.bugs++;
    return true;
  }
  return false;
}

/** The one-line view of a board's state at monitor time `now`. */
export function describe(state: BoardState, now: number): string {
  const parts: string[] = [];
  if (state.wifi && state.wifi !== "up") parts.push(`Wi-Fi ${state.wifi}`);
  if (state.client) {
    if (state.client === "online") parts.push(state.peer ? `online to ${state.peer}` : "online");
    else if (state.client === "waiting" && state.backoff) {
      const leftMs = Math.max(0, state.backoff.delayMs - (now - state.backoff.atMs));
      parts.push(`waiting ${(leftMs / 1000).toFixed(1)} s of ${(state.backoff.delayMs / 1000).toFixed(1)} s backoff (attempt ${state.backoff.attempt})`);
    } else parts.push(state.client);
  }
  if (state.server) parts.push(state.server === "listening" ? `listening, ${state.online.size} online${state.online.size ? " (" + [...state.online].sort().join(" ") + ")" : ""}` : `server ${state.server}`);
  if (parts.length === 0) parts.push(state.boots ? "booted" : "no state yet");
  if (state.bugs) parts.push(`${state.bugs} bug line${state.bugs > 1 ? "s" : ""}`);
  return parts.join("; ");
}
