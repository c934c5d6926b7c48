// The catalogue of every line the firmware logs: its tag, its fixed message and the keys it may carry. The firmware
// prints only through these entries (TagLog takes an entry, not a string), and everything that reads the serial log
// recognises lines by them: the lab (host-sim/lab/events.ts: online, lost, offline, ...), its summary, the bench,
// and the check of docs/serial-log.md. Rewording a line here rewords it everywhere; a line printed some other way
// cannot be recognised, and the check of the docs fails. The level is chosen where the line is printed (sampled
// lines go to I or D), and the reference is docs/serial-log.md.

export interface LogEvent<K extends string = string> {
  readonly tag: string;
  /** The fixed text after `<tag>: `; a state change appends ` <from>-><to>` to it. */
  readonly message: string;
  readonly keys: readonly K[];
  /** A state change of a machine: printed as `<message> <from>-><to>`, always with reason=. */
  readonly transition?: true;
  /**
   * A callback threw: a bug in the firmware, caught so the board goes on (see guard() in linklab/log). The lab
   * fails a run in which a board prints one, unless the scenario expects it (`expect <board> bug ...`).
   */
  readonly bug?: true;
}

/** The tags: one per part of the firmware (main.ts hands each part its TagLog). */
export const TAG = {
  main: "main",
  settings: "settings",
  wifi: "wifi",
  server: "tcp.server",
  client: "tcp.client",
  beacon: "udp.beacon",
  button: "button",
} as const;

function ev<const K extends string>(tag: string, message: string, keys: readonly K[]): LogEvent<K> {
  return { tag, message, keys };
}

/** Every part logs a caught exception the same way: `E <tag>: callback failed where=<callback> error=<text>`. */
function bug<const K extends string = never>(tag: string, extra: readonly K[] = []): LogEvent<K | "where" | "error"> {
  return { tag, message: "callback failed", keys: [...extra, "where", "error"], bug: true };
}

function transition<const K extends string>(tag: string, message: string, keys: readonly K[]): LogEvent<K | "reason"> {
  return { tag, message, keys: ["reason", ...keys], transition: true };
}

/** Keys every line of a server session carries (added by the session). */
const SESSION = ["session", "client", "peer"] as const;

export const EV = {
  main: {
    booting: ev(TAG.main, "linklab booting", ["id", "role", "server", "client", "mode", "logLevel"]),
    notRunning: ev(TAG.main, "not running", ["part", "reason"]),
    callbackFailed: bug(TAG.main),
    badConfig: ev(TAG.settings, "bad config value", ["key", "value", "allowed", "using"]),
    logTo: ev(TAG.main, "log lines also sent as UDP syslog (RFC 5424)", ["to", "hostname"]),
    logToLost: ev(TAG.main, "log lines lost on the way to logTo", ["to", "lost", "error"]),
  },
  wifi: {
    state: transition(TAG.wifi, "state", []),
    noSsid: ev(TAG.wifi, "no ssid configured, link taken as up", ["ip"]),
    noWifi: ev(TAG.wifi, "no Wi-Fi on this platform, link stays down", ["ssid"]),
    joinedAtBoot: ev(TAG.wifi, "already joined at boot, link up", ["ssid", "ip"]),
    cannotWatch: ev(TAG.wifi, "cannot watch Wi-Fi events", ["error"]),
    callbackFailed: bug(TAG.wifi),
    joining: ev(TAG.wifi, "joining Wi-Fi", ["ssid", "attempt"]),
    connectFailed: ev(TAG.wifi, "Wi-Fi connect failed", ["error"]),
    noIpInTime: ev(TAG.wifi, "no IP address in time, retrying", ["waitedMs"]),
    retrying: ev(TAG.wifi, "retrying Wi-Fi after backoff", ["delayMs", "attempt"]),
    associated: ev(TAG.wifi, "associated with access point", ["ssid"]),
    gotIp: ev(TAG.wifi, "got IP address", ["ip", "afterMs"]),
    lostIp: ev(TAG.wifi, "lost IP address", ["ssid"]),
    disconnected: ev(TAG.wifi, "Wi-Fi disconnected", ["ssid"]),
    leaving: ev(TAG.wifi, "leaving the access point", ["forMs"]),
    cannotLeave: ev(TAG.wifi, "cannot leave the access point", ["reason"]),
  },
  server: {
    state: transition(TAG.server, "state", ["local", "maxClients"]),
    cannotListen: ev(TAG.server, "cannot listen, retrying in 5 s", ["port", "error"]),
    acceptFailed: ev(TAG.server, "accept failed", ["error"]),
    cannotAdopt: ev(TAG.server, "cannot adopt accepted socket", ["error"]),
    accepted: ev(TAG.server, "connection accepted (SYN, SYN/ACK, ACK done)", ["session", "proto", "local", "peer", "sessions"]),
    checkLate: ev(TAG.server, "check ran late (board busy), verdicts wait a round", ["sinceMs", "everyMs"]),
    sessionState: transition(TAG.server, "session state", [...SESSION, "handshakeMs"]),
    notReading: ev(TAG.server, "send queue full, peer not reading; closing", SESSION),
    sendingErr: ev(TAG.server, "sending ERR", [...SESSION, "code", "text", "suppressed"]),
    replaced: ev(TAG.server, "client reconnected, closing its old session", [...SESSION, "newSession", "newPeer"]),
    closingAfterQueue: ev(TAG.server, "closing after queued lines (FIN sent when flushed)", [...SESSION, "reason"]),
    closing: ev(TAG.server, "closing (FIN sent)", [...SESSION, "reason"]),
    peerSilent: ev(TAG.server, "peer silent, closing", [...SESSION, "silentMs", "timeoutMs"]),
    pingSent: ev(TAG.server, "heartbeat: peer quiet, sending PING", [...SESSION, "seq", "silentMs"]),
    pongReceived: ev(TAG.server, "heartbeat: PONG received", [...SESSION, "seq"]),
    peerFin: ev(TAG.server, "peer closed (FIN received)", SESSION),
    peerGone: ev(TAG.server, "connection ended (FIN or RST received, or lwIP aborted it)", [...SESSION, "state"]),
    peerBye: ev(TAG.server, "peer said BYE, answering BYE and closing", [...SESSION, "reason"]),
    peerErr: ev(TAG.server, "peer sent ERR", [...SESSION, "code", "text", "suppressed"]),
    handshakeDone: ev(TAG.server, "handshake done, client online", [...SESSION, "online"]),
    callbackFailed: bug(TAG.server, ["session", "client", "peer"]),
  },
  client: {
    state: transition(TAG.client, "state", ["server", "attempt", "host", "session", "handshakeMs", "silentMs", "queued"]),
    linkUp: ev(TAG.client, "link up, retrying at once", ["ip", "state"]),
    linkDown: ev(TAG.client, "link down, dropping connection", ["reason"]),
    foundByBeacon: ev(TAG.client, "server found by beacon", ["server", "ip", "port", "replacing"]),
    addressChanged: ev(TAG.client, "server address changed", ["server", "from", "to"]),
    outboxFull: ev(TAG.client, "outbox full, message dropped", ["outboxMax", "dropped", "state"]),
    resolved: ev(TAG.client, "host name resolved (DNS)", ["host", "ip", "afterMs"]),
    lookupFailed: ev(TAG.client, "host name lookup failed (DNS)", ["host", "error"]),
    lookupTimedOut: ev(TAG.client, "host name lookup timed out (DNS)", ["host", "connectTimeoutMs"]),
    keepalive: ev(TAG.client, "asking for TCP keep-alive (Moddable's ECMA-419 TCP ignores it, on the ESP32 and in the simulator)", ["idleS", "intervalS", "count"]),
    connecting: ev(TAG.client, "connecting (SYN sent)", ["server"]),
    cannotOpen: ev(TAG.client, "cannot open socket", ["error"]),
    connected: ev(TAG.client, "connected (SYN/ACK received, ACK sent)", ["server", "connectMs"]),
    connectFailed: ev(TAG.client, "connect failed (refused or unreachable: RST or no route)", ["server", "afterMs"]),
    connectTimedOut: ev(TAG.client, "connect timed out, abandoning attempt", ["server", "connectTimeoutMs"]),
    serverFin: ev(TAG.client, "server closed (FIN received)", []),
    serverGone: ev(TAG.client, "connection to the server ended (FIN or RST received, or lwIP aborted it)", ["state"]),
    closing: ev(TAG.client, "closing (FIN sent)", ["reason"]),
    backoff: ev(TAG.client, "backoff delay chosen", ["delayMs", "attempt", "capMs"]),
    checkLate: ev(TAG.client, "check ran late (board busy), verdicts wait a round", ["sinceMs", "everyMs"]),
    noWelcome: ev(TAG.client, "no WELCOME in time, closing (FIN sent)", ["handshakeMs"]),
    noBye: ev(TAG.client, "no BYE from server in time, closing (FIN sent)", []),
    serverSilent: ev(TAG.client, "server silent, link lost", ["silentMs", "timeoutMs"]),
    pingSent: ev(TAG.client, "heartbeat: sending PING", ["seq", "quietMs"]),
    pongReceived: ev(TAG.client, "heartbeat: PONG received, server alive", ["seq", "rttMs"]),
    badLine: ev(TAG.client, "bad line from server", ["kind", "bytes"]),
    unparsable: ev(TAG.client, "unparsable line from server", ["code", "reason"]),
    unexpectedWelcome: ev(TAG.client, "unexpected WELCOME", ["state"]),
    serverErr: ev(TAG.client, "server sent ERR", ["code", "text", "state"]),
    serverAnsweredBye: ev(TAG.client, "server answered BYE, closing (FIN sent)", []),
    serverBye: ev(TAG.client, "server said BYE, answering BYE and closing (FIN sent)", ["reason"]),
    pushGap: ev(TAG.client, "push sequence gap", ["expected", "got"]),
    push: ev(TAG.client, "push received", ["seq", "text"]),
    unexpected: ev(TAG.client, "unexpected message from server", ["type"]),
    adoptingTimings: ev(TAG.client, "adopting server timings", ["heartbeatMs", "timeoutMs"]),
    timingsUnusable: ev(TAG.client, "server timings unusable, keeping mine", ["heartbeatMs", "timeoutMs"]),
    sendingQueued: ev(TAG.client, "sending queued messages in order", ["count"]),
    sendingBye: ev(TAG.client, "sending BYE", []),
    echoReply: ev(TAG.client, "echo reply", ["seq", "rttMs", "text"]),
    echoLostWithConnection: ev(TAG.client, "echo replies lost with the connection", ["count", "lostTotal"]),
    echoOverdue: ev(TAG.client, "echo reply overdue, counted lost", ["seq", "lostTotal"]),
    echoDuplicate: ev(TAG.client, "echo duplicate", ["seq"]),
    echoNeverSent: ev(TAG.client, "echo reply for a sequence never sent", ["seq"]),
    echoGap: ev(TAG.client, "echo gap, replies missing", ["before", "missing", "lostTotal"]),
    callbackFailed: bug(TAG.client),
  },
  beacon: {
    state: transition(TAG.beacon, "state", []),
    cannotOpen: ev(TAG.beacon, "cannot open UDP socket, beacon off", ["error"]),
    on: ev(TAG.beacon, "beacon on", ["to", "everyMs"]),
    sendFailed: ev(TAG.beacon, "beacon send failed", ["to", "error", "failed", "suppressed"]),
    sent: ev(TAG.beacon, "beacon sent (UDP, no handshake)", ["seq", "to", "bytes"]),
    cannotListen: ev(TAG.beacon, "cannot listen for beacons", ["port", "error"]),
    cannotJoin: ev(TAG.beacon, "cannot join multicast group", ["group", "error"]),
    listening: ev(TAG.beacon, "listening for beacons", ["port", "group"]),
    ignored: ev(TAG.beacon, "ignored datagram", ["from", "reason", "bytes", "suppressed"]),
    heard: ev(TAG.beacon, "beacon heard", ["server", "ip", "port", "seq", "from"]),
    otherGroup: ev(TAG.beacon, "beacon of another group ignored", ["server", "group", "mine", "from", "suppressed"]),
    callbackFailed: bug(TAG.beacon),
  },
  button: {
    ready: ev(TAG.button, "BOOT button ready (short press: Wi-Fi drop, long press: power cut)", ["pin", "dropMs", "offMs", "longMs"]),
    cannotOpen: ev(TAG.button, "cannot open the BOOT button, button off", ["pin", "error"]),
    shortPress: ev(TAG.button, "short press: dropping Wi-Fi", ["heldMs", "forMs"]),
    longPress: ev(TAG.button, "long press: power cut, nothing leaves the board until it comes back", ["heldMs", "forMs"]),
    restarting: ev(TAG.button, "power is back: restarting", []),
    callbackFailed: bug(TAG.button),
  },
};

/** Every entry of the catalogue, for code that reads logs. */
export function allEvents(): LogEvent[] {
  const out: LogEvent[] = [];
  for (const group of Object.values(EV)) for (const entry of Object.values(group)) out.push(entry as LogEvent);
  return out;
}

/** Whether a parsed log line (tag and message without the fields) is this entry; for a state change, also its states. */
export function isEvent(line: { tag: string; message: string }, event: LogEvent): boolean {
  if (line.tag !== event.tag) return false;
  if (!event.transition) return line.message === event.message;
  return line.message.startsWith(event.message + " ") && /^\S+->\S+$/.test(line.message.slice(event.message.length + 1));
}

/** The states of a state-change line (`state a->b`), or undefined when the line is not that entry. */
export function transitionOf(line: { tag: string; message: string }, event: LogEvent): { from: string; to: string } | undefined {
  if (!event.transition || !isEvent(line, event)) return undefined;
  const [from, to] = line.message.slice(event.message.length + 1).split("->");
  return { from, to };
}
