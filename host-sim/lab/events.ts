// Board serial-log lines (`<ms> <L> <tag>: <fixed message> key=value ...`, docs/serial-log.md) turned into timed lab
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
 * The board events one log line means, in the firmware's vocabulary (modules/client.ts, modules/server.ts):
 *  - `state a->b reason=...` (a role's state machine): `state b`; `online` when b is online (the client got
 *    WELCOME: a handshake); `lost` when a was online and b is not.
 *  - tcp.server `peer silent, closing client=c2 ...`: `offline c2` (the server's heartbeat verdict).
 *  - tcp.server `handshake done, client online client=c2`: `handshake c2`.
 *  - any `... closed ... (FIN received)` / `(FIN or RST received)`: `peer-closed` (the peer's kernel told us).
 * Server session lines (`session state a->b`) are not role states and give no `state` event.
 */
export function classify(line: LogLine, peerOf: PeerResolver): { name: string; args: string[] }[] {
  const out: { name: string; args: string[] }[] = [];
  const peer = peerOf(line.fields.client) ?? peerOf(line.fields.peer);
  const state = /^state (\S+)->(\S+)$/.exec(line.message);
  if (state) {
    const [, from, to] = state;
    out.push({ name: "state", args: [to] });
    if (to === "online" && from !== "online") {
      out.push({ name: "online", args: [] });
      const server = peerOf(line.fields.server?.replace(/:\d+$/, ""));
      out.push({ name: "handshake", args: server ? [server] : [] });
    }
    if (from === "online" && to !== "online") out.push({ name: "lost", args: [] });
    return out;
  }
  if (line.tag.endsWith("server")) {
    if (line.message.startsWith("peer silent")) out.push({ name: "offline", args: peer ? [peer] : [] });
    else if (line.message.startsWith("handshake done")) out.push({ name: "handshake", args: peer ? [peer] : [] });
  }
  if (/closed.*\((FIN|RST|FIN or RST) received\)/i.test(line.message)) out.push({ name: "peer-closed", args: peer ? [peer] : [] });
  // The lab's peer fixture (test/lab/fixtures/peer) speaks plainer words.
  if (line.tag === "peer" && line.message.startsWith("peer closed")) out.push({ name: "peer-closed", args: peer ? [peer] : [] });
  return out;
}
