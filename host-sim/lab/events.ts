// Board serial-log lines (`<ms> <L> <tag>: <fixed message> key=value ...`, HOUSE_STYLE.md) turned into timed lab
// events that expectations and the summary read. Unparseable lines are kept as plain text, never an error.

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
 * The board events one log line means. The firmware's vocabulary (modules/*.ts):
 *  - `state a->b reason=...` on any tag: `state b`; `online` when b is online; `lost` when a was online.
 *  - a server line that ends a session because the peer went silent: `offline <peer>`.
 *  - a server line that accepts a HELLO, or a client reaching online: `handshake [<peer>]`.
 *  - a line that reports the peer's FIN or RST: `peer-closed`.
 */
export function classify(line: LogLine, peerOf: PeerResolver): { name: string; args: string[] }[] {
  const out: { name: string; args: string[] }[] = [];
  const state = /^state (\S+)->(\S+)$/.exec(line.message);
  const peer = peerOf(line.fields.client ?? line.fields.id) ?? peerOf(line.fields.peer ?? line.fields.remote ?? line.fields.from);
  if (state) {
    const [, from, to] = state;
    out.push({ name: "state", args: [to] });
    if (to === "online") out.push({ name: "online", args: [] }, { name: "handshake", args: peer ? [peer] : [] });
    if (from === "online" && to !== "online") out.push({ name: "lost", args: [] });
    return out;
  }
  const message = line.message.toLowerCase();
  if (/\bserver\b/.test(line.tag) || line.tag.endsWith(".server") || line.tag === "server") {
    if (/(silent|offline|timed out|evict)/.test(message)) out.push({ name: "offline", args: peer ? [peer] : [] });
    else if (/(welcome|session (open|start)|handshake done|hello accepted)/.test(message)) out.push({ name: "handshake", args: peer ? [peer] : [] });
  }
  if (/(peer closed|fin received|reset|rst)/.test(message)) out.push({ name: "peer-closed", args: peer ? [peer] : [] });
  return out;
}
