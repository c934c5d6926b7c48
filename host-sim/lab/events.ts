// Board serial-log lines (`<ms> <L> <tag>: <fixed message> key=value ...`, docs/serial-log.md) turned into timed lab
// events that expectations and the summary read. Unparseable lines are kept as plain text, never an error.

import { allEvents, EV, isEvent, transitionOf, type LogEvent as LogEventEntry } from "../../modules/events.ts";

export interface LogLine {
  boardMs: number;
  level: string;
  tag: string;
  message: string;
  fields: Record<string, string>;
}

/** Something that happened, at lab time `t` (ms since the lab clock started), on a board or in the lab itself. */
export interface LabEvent {
  t: number;
  /** Board id, or "lab" for the lab's own events (faults and their ends). */
  board: string;
  /** online, lost, offline, handshake, peer-closed, state, boot, exit, line, stderr, or a lab anchor name. */
  name: string;
  /** For board events: the other board involved (offline <peer>, handshake <peer>) or the state entered.
   *  For lab anchors: the boards the fault names. */
  args: string[];
  line?: LogLine;
  text?: string;
  fields?: Record<string, string>;
}

const LINE = /^\s*(\d+) ([EWID]) ([\w.-]+): (.*)$/;
const FIELD = /\s([A-Za-z_][\w.]*)=("(?:[^"\\]|\\.)*"|\S*)$/;

export function parseLogLine(text: string): LogLine | undefined {
  const match = LINE.exec(text);
  if (!match) return undefined;
  let rest = match[4];
  const fields: Record<string, string> = {};
  const found: [string, string][] = [];
  for (let guard = 0; guard < 64; guard++) {
    const field = FIELD.exec(rest);
    if (!field) break;
    let value = field[2];
    if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, "$1");
    found.push([field[1], value]);
    rest = rest.slice(0, field.index);
  }
  for (const [key, value] of found.reverse()) fields[key] = value;
  return { boardMs: Number(match[1]), level: match[2], tag: match[3], message: rest.trim(), fields };
}

/** Which board a log field names: a board id (client=c1) or an address, with or without :port. */
export type PeerResolver = (value: string | undefined) => string | undefined;

/**
 * The board events one log line means, recognised by the firmware's catalogue of log lines (modules/events.ts), so
 * that a reworded line changes what the lab recognises with it:
 *  - a role's state change (`state a->b reason=...`: server, client, Wi-Fi, beacon): `state b`; for the client,
 *    `online` when b is online (it got WELCOME: a handshake with its server) and `lost` when a was online and b is not.
 *  - the server's heartbeat verdict `peer silent, closing client=c2 ...`: `offline c2`.
 *  - the server's `handshake done, client online client=c2`: `handshake c2`.
 *  - the lines saying the peer's kernel closed the connection (FIN, or FIN or RST): `peer-closed`.
 *  - a caught exception (`callback failed where=... error=...`, any part): `bug`.
 * Server session lines (`session state a->b`) are not role states and give no `state` event.
 */
export function classify(line: LogLine, peerOf: PeerResolver): { name: string; args: string[] }[] {
  const out: { name: string; args: string[] }[] = [];
  const peer = peerOf(line.fields.client) ?? peerOf(line.fields.peer);
  for (const machine of [EV.client.state, EV.server.state, EV.wifi.state, EV.beacon.state]) {
    const change = transitionOf(line, machine);
    if (!change) continue;
    out.push({ name: "state", args: [change.to] });
    if (change.to === "online" && change.from !== "online") {
      out.push({ name: "online", args: [] });
      const server = peerOf(line.fields.server?.replace(/:\d+$/, ""));
      out.push({ name: "handshake", args: server ? [server] : [] });
    }
    if (change.from === "online" && change.to !== "online") out.push({ name: "lost", args: [] });
    return out;
  }
  if (BUGS.some((event) => isEvent(line, event))) out.push({ name: "bug", args: [] });
  else if (isEvent(line, EV.server.peerSilent)) out.push({ name: "offline", args: peer ? [peer] : [] });
  else if (isEvent(line, EV.server.handshakeDone)) out.push({ name: "handshake", args: peer ? [peer] : [] });
  else if (PEER_CLOSED.some((event) => isEvent(line, event))) out.push({ name: "peer-closed", args: peer ? [peer] : [] });
  // The lab's peer fixture (test/engine/fixtures/peer) is not the firmware and speaks plainer words.
  else if (line.tag === "peer" && line.message.startsWith("peer closed")) out.push({ name: "peer-closed", args: peer ? [peer] : [] });
  return out;
}

/** The firmware's lines that report a caught exception: a bug (modules/events.ts entries marked bug). */
const BUGS = allEvents().filter((event) => event.bug);

/** The firmware's lines that say the peer's kernel ended the connection. */
const PEER_CLOSED = [EV.server.peerFin, EV.server.peerGone, EV.client.serverFin, EV.client.serverGone];

/**
 * A pattern for a serial-log line of this catalogue entry (for code that counts raw lines); `fields`, a pattern
 * source, must follow the fixed message (e.g. `.*peer=127\\.0\\.0\\.1:5000`).
 */
export function eventPattern(event: LogEventEntry, fields = ""): RegExp {
  const escaped = event.message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`\\d+ [EWID] ${event.tag.replace(/\./g, "\\.")}: ${escaped}${event.transition ? " \\S+->\\S+" : ""}${fields ? " " + fields : ""}(\\s|$)`);
}
