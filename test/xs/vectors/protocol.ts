// Vectors for linklab/protocol: every verb, malformed lines, the validators and the beacon codec, on Node and XS.
import { formatBeacon, formatMessage, isHost, isId, isIPv4, isToken, parseBeacon, parseLine, parseUint, type Message } from "linklab/protocol";

function bytesOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

const lines = [
  "HELLO c1", "HELLO c1 token=s3cret", "HELLO", "HELLO c1 token=", "HELLO c1 tok=x", "HELLO bad!id", "HELLO a b c",
  "HELLO " + "x".repeat(32), "HELLO " + "x".repeat(33),
  "WELCOME s1 session=3 heartbeatMs=1000 timeoutMs=3000", "WELCOME s1 session=3 heartbeatMs=1000", "WELCOME s1 session=03 heartbeatMs=1 timeoutMs=2",
  "PING 0", "PING 42", "PING", "PING -1", "PING 1.5", "PING 007", "PONG 123456789012345", "PONG 1234567890123456",
  "ECHO 1 hello world", "ECHO 2", "ECHO 3 ", "ECHO x hi", "ECHO", "PUSH 9 tick 9", "PUSH",
  "BYE", "BYE going away", "ERR busy", "ERR auth wrong token", "ERR", "ERR !! x",
  "", "ping 1", "NOPE", " PING 1", "PING  1",
];

const messages: Message[] = [
  { type: "HELLO", clientId: "c1" },
  { type: "HELLO", clientId: "c2", token: "t" },
  { type: "WELCOME", serverId: "s1", session: 7, heartbeatMs: 500, timeoutMs: 1500 },
  { type: "PING", seq: 1 },
  { type: "PONG", seq: 99 },
  { type: "ECHO", seq: 5, text: "a b  c" },
  { type: "ECHO", seq: 6, text: "" },
  { type: "PUSH", seq: 8, text: "push" },
  { type: "BYE" },
  { type: "BYE", reason: "shutdown" },
  { type: "ERR", code: "too-long" },
  { type: "ERR", code: "busy", text: "8 sessions" },
];

const beacons = [
  "LINKLAB1 id=s1 role=server ip=127.168.4.1 port=8420 seq=0 uptimeMs=1234",
  "LINKLAB1 id=s1 role=client ip=127.168.4.1 port=8420 seq=0 uptimeMs=1",
  "LINKLAB1 id=s1 role=server ip=127.168.4.256 port=8420 seq=0 uptimeMs=1",
  "LINKLAB1 id=s1 role=server ip=127.0.0.1 port=0 seq=0 uptimeMs=1",
  "LINKLAB1 id=s1 role=server ip=127.0.0.1 port=65536 seq=0 uptimeMs=1",
  "LINKLAB1 id=s1 role=server ip=127.0.0.1 port=1 seq=x uptimeMs=1",
  "LINKLAB2 id=s1 role=server ip=127.0.0.1 port=1 seq=1 uptimeMs=1",
  "LINKLAB1 id=s1 role=server ip=127.0.0.1 port=1 seq=1",
  "LINKLAB1 id=s\u00ff role=server ip=127.0.0.1 port=1 seq=1 uptimeMs=1",
  "LINKLAB1 id=" + "s".repeat(250) + " role=server ip=127.0.0.11 port=1 seq=1 uptimeMs=1",
  "",
];

export function vectors(): Record<string, unknown> {
  return {
    parsed: lines.map((line) => [line, parseLine(line)]),
    formatted: messages.map((m) => {
      const line = formatMessage(m);
      return [line, parseLine(line)];
    }),
    beacons: beacons.map((b) => parseBeacon(bytesOf(b))),
    beaconFromArrayBuffer: parseBeacon(bytesOf(beacons[0]).buffer as ArrayBuffer),
    beaconRoundTrip: parseBeacon(bytesOf(formatBeacon({ id: "srv-1", role: "server", ip: "127.0.0.2", port: 8420, seq: 17, uptimeMs: 99999 }))),
    ids: ["a", "A-z_0.9", "", "x".repeat(32), "x".repeat(33), "a b", "é"].map(isId),
    tokens: ["t", "", "a b", "~!@", "x".repeat(64), "x".repeat(65), "\u007f"].map(isToken),
    uints: ["0", "1", "01", "", "123456789012345", "1234567890123456", "-1", "1e3", " 1"].map((s) => parseUint(s) ?? null),
    ipv4: ["1.2.3.4", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "a.b.c.d", "1..2.3"].map(isIPv4),
    hosts: ["lab-server.local", "127.168.4.1", ".x", "x.", "a_b", "", "h".repeat(253), "h".repeat(254)].map(isHost),
  };
}
